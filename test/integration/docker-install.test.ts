// The Dockerfile without a Docker engine: its install step (docker/install-package.sh on the `npm pack` tarball) runs
// in a plain directory, Node-RED starts from the result with the Dockerfile's environment, loads the package from
// that directory, and the VQI example installed the way thin-edge's plugin does inspects a sample correctly.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { inspectOverHttp } from '../../bin/commands/start';
import { freePort } from '../../tools/free-port';
import { repoRoot } from '../helpers/flow';
import { stockInstall, stockList } from '../helpers/stock-nodered-plugin';

const run = promisify(execFile);
const dockerfile = fs.readFileSync(path.join(repoRoot, 'docker', 'Dockerfile'), 'utf8');

/** ENV instructions of the Dockerfile (KEY=value pairs, continued lines joined). */
function dockerEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  const joined = text.replace(/\\\n/g, ' ');
  for (const line of joined.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const m of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
  }
  return env;
}

describe('Dockerfile install steps, without Docker', function () {
  this.timeout(600000);
  let dir: string;
  let app: string;
  let child: ChildProcess | undefined;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-install-'));
    app = path.join(dir, 'app');
    fs.mkdirSync(app);
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the image\'s install script on the packed package and its Node-RED serves the VQI example', async () => {
    assert.match(dockerfile, /^FROM \$\{NODE_RED_IMAGE\}$/m);
    assert.match(dockerfile, /^ARG NODE_RED_IMAGE=docker\.io\/nodered\/node-red:\S+-debian$/m, 'a glibc (Debian) base: onnxruntime-node has no musl build');
    assert.match(dockerfile, /^RUN \/tmp\/edge-mlops\/install-package\.sh \/usr\/src\/node-red \/tmp\/edge-mlops\/edge-mlops-node-red-vision-\*\.tgz/m);
    const env = dockerEnv(dockerfile);
    assert.deepEqual(Object.keys(env).sort(), ['EDGE_MLOPS_MODEL_STORE', 'NODE_RED_ENABLE_PROJECTS', 'TEDGE_C8Y_PROXY_URL', 'TEDGE_MQTT_HOST', 'TEDGE_MQTT_PORT']);

    const packed = (await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: repoRoot })).stdout.trim().split('\n').at(-1)!;
    const install = await run(path.join(repoRoot, 'docker', 'install-package.sh'), [app, path.join(dir, packed)], {
      env: { ...process.env, EDGE_MLOPS_NPM_FLAGS: '--prefer-offline' }, maxBuffer: 1 << 24,
    });
    assert.match(install.stdout, /onnxruntime-node and sharp load/);
    const installed = path.join(app, 'node_modules', '@edge-mlops', 'node-red-vision');
    assert.ok(fs.lstatSync(installed).isDirectory() && !fs.lstatSync(installed).isSymbolicLink(), 'a real copy, not a link to the repository');
    assert.ok(fs.existsSync(path.join(installed, 'models', 'vqi-demo.onnx')), 'the bundled model is in the package');

    // Node-RED also scans the node_modules next to its own install (this repository's): the package must not be
    // there, so that what loads below comes from the install directory.
    assert.ok(!fs.existsSync(path.join(path.dirname(require.resolve('node-red/package.json')), '..', '@edge-mlops', 'node-red-vision')));
    const port = await freePort();
    const inbox = fs.mkdtempSync(path.join(dir, 'inbox-'));
    const settings = path.join(dir, 'settings.js');
    fs.writeFileSync(settings, `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, credentialSecret: false, flowFile: 'flows.json',
      telemetry: { enabled: false }, editorTheme: { tours: false, projects: { enabled: false } }, externalModules: { autoInstall: false },
      logging: { console: { level: 'info' } } };\n`);
    child = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', app, '--settings', settings], {
      env: { ...process.env, ...env, TEDGE_MQTT_HOST: '127.0.0.1', TEDGE_MQTT_PORT: String(await freePort()), EDGE_MLOPS_MODEL_STORE: path.join(dir, 'store'), VQI_INBOX: inbox },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    let started = 0;
    let onStarted = () => {};
    child.stderr!.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: child!.stdout! }).on('line', (line) => {
        log += `${line}\n`;
        if (/Started flows/.test(line)) { started++; onStarted(); resolve(); }
      });
      child!.once('exit', (code) => reject(new Error(`Node-RED exited with ${code}:\n${log}`)));
    });
    /** The Admin API answers a deploy once the flows are saved; they start after it: wait for the next start. */
    const nextStart = () => { const target = started + 1; return new Promise<void>((resolve) => { onStarted = () => { if (started >= target) resolve(); }; }); };
    const api = `http://127.0.0.1:${port}`;
    const nodes = (await (await fetch(`${api}/nodes`, { headers: { accept: 'application/json' } })).json()) as { module: string; types: string[]; enabled: boolean; err?: string }[];
    const ours = nodes.filter((n) => n.module === '@edge-mlops/node-red-vision');
    assert.ok(ours.length >= 10, `our node sets: ${JSON.stringify(ours)}`);
    assert.deepEqual(ours.filter((n) => !n.enabled || n.err), [], 'every node set loads');

    const example = fs.readFileSync(path.join(repoRoot, 'examples', 'vqi-inspection.json'), 'utf8');
    const restarted = nextStart();
    assert.equal((await stockInstall(api, 'vqi', '1.0.0', example)).status, 200);
    await restarted;
    assert.equal(await stockList(api), 'vqi\t1.0.0\n');
    const line = await inspectOverHttp(api, path.join(repoRoot, 'samples', 'tower-rusty.jpg'));
    assert.equal(line.error, undefined, JSON.stringify(line));
    assert.equal(line.state, 'CRITICAL');
  });
});
