// The user's path: `npm pack`, `npm install <tarball>` into a fresh Node-RED user directory, start Node-RED, deploy
// the shipped example the way thin-edge's Node-RED plugin does (POST /flows, full deployment, no rev) and inspect a
// bundled sample through it. Nothing of the repository is on the module path: only what the tarball ships.
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

const run = promisify(execFile);
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const types = Object.keys(pkg['node-red'].nodes as Record<string, string>);

describe('the packed package in a fresh Node-RED user directory', function () {
  this.timeout(600000);
  let work: string | undefined;
  let tarball: string;
  let userDir: string;
  let installed: string;
  let nodeRed: ChildProcess | undefined;
  let url: string;
  let log = '';
  let startedFlows = 0;
  const waiters = new Set<{ count: number; resolve: () => void }>();
  /** Resolves once Node-RED has logged "Started flows" `count` times since it began. */
  const flowsStarted = (count: number) => new Promise<void>((resolve) => {
    if (startedFlows >= count) resolve();
    else waiters.add({ count, resolve });
  });

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-mlops-packed-'));
    // dist/ is built by `npm test`'s pretest; packing must not rebuild it under the running suite.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: repoRoot });
    tarball = path.join(work, stdout.trim().split('\n').pop()!);
    userDir = path.join(work, 'user');
    fs.mkdirSync(userDir);
    fs.mkdirSync(path.join(work, 'inbox'));
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-user', private: true }));
    // As a user installs it in ~/.node-red; ONNXRUNTIME_NODE_INSTALL=skip is onnxruntime-node's own switch that
    // keeps its install script from fetching CUDA binaries.
    await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev'], {
      cwd: userDir, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' }, maxBuffer: 1 << 24,
    });
    installed = path.join(userDir, 'node_modules', ...String(pkg.name).split('/'));
    const port = await freePort();
    fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = { uiPort: ${port}, uiHost: '127.0.0.1', telemetry: { enabled: false }, logging: { console: { level: 'info' } } };\n`);
    const child = spawn(process.execPath, [require.resolve('node-red/red.js'), '-u', userDir, '-s', path.join(userDir, 'settings.js')], {
      // An unused broker port: publishing queues to disk; VQI_INBOX keeps the example's watcher inside the test dir.
      env: { ...process.env, TEDGE_MQTT_HOST: '127.0.0.1', TEDGE_MQTT_PORT: String(await freePort()), VQI_INBOX: path.join(work, 'inbox') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    nodeRed = child;
    child.stderr!.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        log += `${line}\n`;
        if (line.includes('Started flows')) {
          startedFlows++;
          for (const waiter of waiters) if (startedFlows >= waiter.count) { waiters.delete(waiter); waiter.resolve(); }
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`Node-RED exited with ${code}:\n${log}`)));
    });
    url = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    if (nodeRed && nodeRed.exitCode === null) {
      const exited = new Promise((resolve) => nodeRed!.once('exit', resolve));
      nodeRed.kill('SIGTERM');
      await exited;
    }
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('ships the built nodes, examples and models, and none of the tests or their fake Cumulocity', async () => {
    const { stdout } = await run('tar', ['tzf', tarball], { maxBuffer: 1 << 24 });
    const files = stdout.split('\n').filter(Boolean);
    for (const type of types) assert.ok(files.includes(`package/dist/nodes/${type}.js`), `${type}.js in the tarball`);
    assert.ok(files.includes('package/examples/vqi-inspection.json'));
    assert.ok(files.includes('package/models/vqi-demo.onnx'));
    assert.deepEqual(files.filter((f) => /^package\/(dist\/)?test\//.test(f) || /c8y-server/.test(f)), []);
  });

  it('registers every node of the package from the user directory', async () => {
    const res = await fetch(`${url}/nodes`, { headers: { accept: 'application/json' } });
    const sets = (await res.json()) as { module: string; types: string[]; err?: string; version?: string }[];
    const ours = sets.filter((s) => s.module === pkg.name);
    assert.deepEqual(ours.flatMap((s) => s.types).sort(), [...types].sort());
    for (const set of ours) assert.equal(set.err, undefined);
    assert.equal(ours[0]?.version, pkg.version);
  });

  it('runs the shipped VQI example deployed like thin-edge does (POST /flows, full, no rev)', async () => {
    const flows = JSON.parse(fs.readFileSync(path.join(installed, 'examples', 'vqi-inspection.json'), 'utf8'));
    const deployed = await fetch(`${url}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify({ flows }),
    });
    assert.equal(deployed.status, 200, await deployed.text());
    // The Admin API answers once the flows are saved; they start right after.
    await flowsStarted(2);
    const expected = JSON.parse(fs.readFileSync(path.join(installed, 'samples', 'expected.json'), 'utf8')) as Record<string, string>;
    const line = await inspectOverHttp(url, path.join(installed, 'samples', 'tower-rusty.jpg')).catch((err: Error) => {
      throw new Error(`${err.message}\nNode-RED's log:\n${log}`);
    });
    assert.equal(line.state, expected['tower-rusty.jpg'], `${JSON.stringify(line)}\nNode-RED's log:\n${log}`);
  });

  it('installs a working edge-mlops command', async () => {
    const { stdout } = await run(path.join(userDir, 'node_modules', '.bin', 'edge-mlops'), ['--help']);
    assert.match(stdout, /edge-mlops/);
    assert.match(stdout, /quantize/);
  });
});
