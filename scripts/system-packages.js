'use strict';
// `npm test`'s first step: the Debian packages the test suite needs, in one place. Installs the missing ones when it
// runs as root with apt-get; otherwise stops before any test runs and prints the exact command to run.
// `node scripts/system-packages.js --list` prints the list (used by docs and CI).
const { execFileSync, spawnSync } = require('child_process');

/** Package → what needs it. The only list of system packages the project keeps. */
const SYSTEM_PACKAGES = {
  mosquitto: 'the MQTT tests (a real broker standing in for thin-edge)',
  chromium: 'the editor tests (headless Chromium through playwright-core)',
  'fonts-dejavu-core': 'text in rendered test pictures and overlays',
  'python3-torch': 'the training recipe smoke test',
  'python3-onnx': 'the training recipe export',
  'python3-pil': 'the training recipe data loader',
  'python3-torchvision': 'the paper-architecture models of the benchmark and their tests',
  wrk: 'npm run bench: HTTP load from a second process on the V2 inference API',
};

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function installed(pkg) {
  const out = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return out.status === 0 && /install ok installed/.test(out.stdout);
}

function main() {
  const names = Object.keys(SYSTEM_PACKAGES);
  if (process.argv.includes('--list')) {
    console.log(names.join(' '));
    return 0;
  }
  if (process.env.EDGE_MLOPS_SKIP_SYSTEM_PACKAGES === '1') {
    console.log('system packages: not checked (EDGE_MLOPS_SKIP_SYSTEM_PACKAGES=1); tests that need them fail');
    return 0;
  }
  if (!has('dpkg-query')) {
    console.log(`system packages: not a Debian system, cannot check; the suite needs the equivalents of: ${names.join(', ')}`);
    return 0;
  }
  const missing = names.filter((pkg) => !installed(pkg));
  if (missing.length === 0) return 0;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    console.error('system packages missing for the test suite:');
    for (const pkg of missing) console.error(`  ${pkg}: ${SYSTEM_PACKAGES[pkg]}`);
    console.error(`run this, then npm test again:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`);
    return 1;
  }
  console.log(`system packages: installing ${missing.join(' ')} (apt-get, needed by the test suite)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const still = missing.filter((pkg) => !installed(pkg));
  if (still.length > 0) {
    console.error(`system packages: apt-get did not install ${still.join(' ')}`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
