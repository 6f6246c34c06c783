// `npm run test:node-red-5`: Node-RED 5 under Node 22, both fetched from the npm registry into a temporary directory
// (Node-RED 5 needs Node >= 22.9; `npm test` runs Node-RED 4.1 on this machine's Node 20). Two checks:
//  1. the package installed in a Node-RED 5 user directory runs the VQI example: every bundled sample gets its
//     expected state;
//  2. the whole mocha suite (already built in dist/) on Node 22 with every `node-red` require resolved to Node-RED 5.
// `--example-only` runs the first alone. Exit 0 when both pass, 1 on a failure, 2 when it cannot run.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { inspectOverHttp, samplePictures } from '../bin/commands/start';
import { freePort } from './free-port';

const root = path.resolve(__dirname, '..', '..');
const NODE_VERSION = '22';
const NODE_RED_VERSION = '5';

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

interface Runtime22 { node22: string; work: string; redVersion: string; label: string }

function fetchRuntime(work: string): Runtime22 {
  const tarball = npm(['pack', `node-linux-${process.arch}@${NODE_VERSION}`, '--silent'], work).trim().split('\n').pop()!;
  execFileSync('tar', ['xzf', tarball], { cwd: work });
  const node22 = path.join(work, 'package', 'bin', 'node');
  fs.writeFileSync(path.join(work, 'package.json'), '{"name":"nr5-check","private":true}');
  npm(['install', `node-red@${NODE_RED_VERSION}`, '--no-audit', '--no-fund', '--engine-strict=false', '--silent'], work);
  const redVersion = (JSON.parse(fs.readFileSync(path.join(work, 'node_modules', 'node-red', 'package.json'), 'utf8')) as { version: string }).version;
  const label = `Node-RED ${redVersion} on Node ${execFileSync(node22, ['--version'], { encoding: 'utf8' }).trim()}`;
  return { node22, work, redVersion, label };
}

async function checkExample({ node22, work, label }: Runtime22): Promise<boolean> {
  const userDir = path.join(work, 'user');
  fs.mkdirSync(path.join(userDir, 'node_modules', '@edge-mlops'), { recursive: true });
  fs.symlinkSync(root, path.join(userDir, 'node_modules', '@edge-mlops', 'node-red-vision'), 'dir');
  fs.copyFileSync(path.join(root, 'examples', 'vqi-inspection.json'), path.join(userDir, 'flows.json'));
  fs.mkdirSync(path.join(work, 'inbox'));
  const port = await freePort();
  const child = spawn(node22, [path.join(work, 'node_modules', 'node-red', 'red.js'), '-u', userDir, '-p', String(port)], {
    // An unused broker port: publishing queues to disk, which is not what this check looks at.
    env: { ...process.env, VQI_INBOX: path.join(work, 'inbox'), TEDGE_MQTT_PORT: String(await freePort()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout! });
      lines.on('line', (line) => { if (line.includes('Started flows')) resolve(); });
      child.once('exit', (code) => reject(new Error(`${label} exited with ${code}`)));
    });
    const expected = JSON.parse(fs.readFileSync(path.join(root, 'samples', 'expected.json'), 'utf8')) as Record<string, string>;
    let wrong = 0;
    for (const file of samplePictures(path.join(root, 'samples'))) {
      const line = await inspectOverHttp(`http://127.0.0.1:${port}`, file);
      const ok = line.state === expected[line.file];
      if (!ok) wrong++;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${line.file}: ${line.state ?? line.error} (expected ${expected[line.file]})`);
    }
    const total = Object.keys(expected).length;
    console.log(`node-red-5 example: ${label}, ${total - wrong} of ${total} samples as expected`);
    return wrong === 0;
  } finally {
    child.kill('SIGTERM');
  }
}

/** The built suite on Node 22 against Node-RED 5; its reporter prints the "tests: N passed, N failed, N skipped" line. */
function runSuite({ node22, work, label }: Runtime22): Promise<boolean> {
  console.log(`node-red-5 suite: the mocha suite on ${label}`);
  const override = path.join(root, 'dist', 'test', 'support', 'node-red-override.js');
  const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const child = spawn(node22, [mocha, 'dist/test/**/*.test.js'], {
    cwd: root,
    env: {
      ...process.env,
      EDGE_MLOPS_NODE_RED_DIR: work,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${override}`.trim(),
      // Child processes the tests start with process.execPath get Node 22 too.
      PATH: `${path.dirname(node22)}:${process.env.PATH ?? ''}`,
    },
    stdio: 'inherit',
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code === 0)));
}

async function main(): Promise<number> {
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    console.log(`node-red-5 check: cannot run, no Node ${NODE_VERSION} package for ${process.platform}-${process.arch}`);
    return 2;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-mlops-nr5-'));
  // mkdtemp makes it 0700; tests that run the plugin executables as another user need to reach Node 22 in it.
  fs.chmodSync(work, 0o755);
  try {
    const runtime = fetchRuntime(work);
    const exampleOk = await checkExample(runtime);
    const suiteOk = process.argv.includes('--example-only') ? true : await runSuite(runtime);
    return exampleOk && suiteOk ? 0 : 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err: Error) => {
  console.error(`node-red-5 check could not run: ${err.message}`);
  process.exit(2);
});
