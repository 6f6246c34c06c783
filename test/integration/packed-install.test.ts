// The user's path, once: `npm pack`, the Docker image's install step (docker/install-package.sh, an `npm install` of
// the tarball) into a fresh Node-RED directory, Node-RED started from it with the Dockerfile's environment, the
// shipped VQI example deployed the way thin-edge's Node-RED plugin does (POST /flows, full, no rev) inspecting a
// bundled sample. Nothing of the repository is on the module path: only what the tarball ships. No Docker engine
// exists here, so the image itself is not built: its FROM/ARG/RUN/ENV lines are checked as text.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { inspectOverHttp } from '../../bin/commands/start';
import { freePort } from '../../tools/free-port';
import { acceptedRevision, deployAndWaitForStart } from '../helpers/deploy-started';
import { repoRoot } from '../helpers/flow';
import { stockInstall, stockList } from '../helpers/stock-nodered-plugin';

const run = promisify(execFile);
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const types = Object.keys(pkg['node-red'].nodes as Record<string, string>);
const dockerfile = fs.readFileSync(path.join(repoRoot, 'docker', 'Dockerfile'), 'utf8');

/** ENV instructions of the Dockerfile (KEY=value pairs, continued lines joined). */
function dockerEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.replace(/\\\n/g, ' ').split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const m of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
  }
  return env;
}

describe('the packed package, installed as the Docker image installs it, in a fresh Node-RED directory', function () {
  this.timeout(600000);
  let work: string | undefined;
  let tarball: string;
  let app: string;
  let installed: string;
  let nodeRed: ChildProcess | undefined;
  let url: string;
  let log = '';
  let installOutput = '';

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-mlops-packed-'));
    // dist/ is built by `npm test`'s pretest; packing must not rebuild it under the running suite.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: repoRoot });
    tarball = path.join(work, stdout.trim().split('\n').pop()!);
    app = path.join(work, 'app');
    fs.mkdirSync(app);
    // The one npm install of this file: what the image's RUN line does (and what a user does, plus onnxruntime-node's
    // switch that keeps its install script from fetching CUDA binaries).
    installOutput = (await run(path.join(repoRoot, 'docker', 'install-package.sh'), [app, tarball], {
      env: { ...process.env, EDGE_MLOPS_NPM_FLAGS: '--prefer-offline' }, maxBuffer: 1 << 24,
    })).stdout;
    installed = path.join(app, 'node_modules', ...String(pkg.name).split('/'));
    const port = await freePort();
    const settings = path.join(work, 'settings.js');
    fs.writeFileSync(settings, `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, credentialSecret: false, flowFile: 'flows.json',
      telemetry: { enabled: false }, editorTheme: { tours: false, projects: { enabled: false } }, externalModules: { autoInstall: false },
      logging: { console: { level: 'info' } } };\n`);
    const inbox = fs.mkdtempSync(path.join(work, 'inbox-'));
    const child = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', app, '--settings', settings], {
      // The Dockerfile's environment, with an unused broker port (publishing queues to disk) and the example's inbox
      // and the model store inside the test directory.
      env: { ...process.env, ...dockerEnv(dockerfile), TEDGE_MQTT_HOST: '127.0.0.1', TEDGE_MQTT_PORT: String(await freePort()), EDGE_MLOPS_MODEL_STORE: path.join(work, 'store'), VQI_INBOX: inbox },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    nodeRed = child;
    child.stderr!.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        log += `${line}\n`;
        if (line.includes('Started flows')) resolve();
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

  it('the Dockerfile builds on a Debian Node-RED image and runs the install step tested here', () => {
    assert.match(dockerfile, /^FROM \$\{NODE_RED_IMAGE\}$/m);
    assert.match(dockerfile, /^ARG NODE_RED_IMAGE=docker\.io\/nodered\/node-red:\S+-debian$/m, 'a glibc (Debian) base: onnxruntime-node has no musl build');
    assert.match(dockerfile, /^RUN \/tmp\/edge-mlops\/install-package\.sh \/usr\/src\/node-red \/tmp\/edge-mlops\/edge-mlops-node-red-vision-\*\.tgz/m);
    assert.deepEqual(Object.keys(dockerEnv(dockerfile)).sort(), ['EDGE_MLOPS_MODEL_STORE', 'NODE_RED_ENABLE_PROJECTS', 'TEDGE_C8Y_PROXY_URL', 'TEDGE_MQTT_HOST', 'TEDGE_MQTT_PORT']);
    assert.match(installOutput, /onnxruntime-node and sharp load/);
    assert.ok(fs.lstatSync(installed).isDirectory() && !fs.lstatSync(installed).isSymbolicLink(), 'a real copy, not a link to the repository');
    assert.ok(fs.existsSync(path.join(installed, 'models', 'vqi-demo.onnx')), 'the bundled model is in the package');
  });

  it('registers every node of the package from the install directory, not from the repository', async () => {
    // Node-RED also scans the node_modules next to its own install (this repository's): the package must not be
    // there, so that what loads comes from the install directory.
    assert.ok(!fs.existsSync(path.join(path.dirname(require.resolve('node-red/package.json')), '..', '@edge-mlops', 'node-red-vision')));
    const res = await fetch(`${url}/nodes`, { headers: { accept: 'application/json' } });
    const sets = (await res.json()) as { module: string; types: string[]; enabled: boolean; err?: string; version?: string }[];
    const ours = sets.filter((s) => s.module === pkg.name);
    assert.deepEqual(ours.flatMap((s) => s.types).sort(), [...types].sort());
    assert.deepEqual(ours.filter((s) => !s.enabled || s.err), [], 'every node set loads');
    assert.equal(ours[0]?.version, pkg.version);
  });

  it('runs the shipped VQI example installed like thin-edge\'s plugin does (POST /flows, full, no rev)', async () => {
    const example = fs.readFileSync(path.join(installed, 'examples', 'vqi-inspection.json'), 'utf8');
    const answer = await deployAndWaitForStart(url, () => stockInstall(url, 'vqi', '1.0.0', example), acceptedRevision);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(await stockList(url), 'vqi\t1.0.0\n');
    const expected = JSON.parse(fs.readFileSync(path.join(installed, 'samples', 'expected.json'), 'utf8')) as Record<string, string>;
    const line = await inspectOverHttp(url, path.join(installed, 'samples', 'tower-rusty.jpg')).catch((err: Error) => {
      throw new Error(`${err.message}\nNode-RED's log:\n${log}`);
    });
    assert.equal(line.error, undefined, JSON.stringify(line));
    assert.equal(line.state, expected['tower-rusty.jpg'], `${JSON.stringify(line)}\nNode-RED's log:\n${log}`);
  });

  it('installs a working edge-mlops command', async () => {
    const { stdout } = await run(path.join(app, 'node_modules', '.bin', 'edge-mlops'), ['--help']);
    assert.match(stdout, /edge-mlops/);
    assert.match(stdout, /quantize/);
  });
});
