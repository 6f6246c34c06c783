// `npm run check:node-red-5`: the VQI example on Node-RED 5 under Node 22, both fetched from the npm registry into a
// temporary directory (Node-RED 5 needs Node >= 22.9; the test suite runs Node-RED 4.1 on this machine's Node 20).
// Every bundled sample must get its expected state. Exit 0 on success, 1 on a wrong state, 2 when it cannot run.
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

async function main(): Promise<number> {
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    console.log(`node-red-5 check: skipped, no Node ${NODE_VERSION} package for ${process.platform}-${process.arch}`);
    return 0;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-mlops-nr5-'));
  try {
    const tarball = npm(['pack', `node-linux-${process.arch}@${NODE_VERSION}`, '--silent'], work).trim().split('\n').pop()!;
    execFileSync('tar', ['xzf', tarball], { cwd: work });
    const node22 = path.join(work, 'package', 'bin', 'node');
    fs.writeFileSync(path.join(work, 'package.json'), '{"name":"nr5-check","private":true}');
    npm(['install', `node-red@${NODE_RED_VERSION}`, '--no-audit', '--no-fund', '--engine-strict=false', '--silent'], work);
    const redVersion = (JSON.parse(fs.readFileSync(path.join(work, 'node_modules', 'node-red', 'package.json'), 'utf8')) as { version: string }).version;
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
        child.once('exit', (code) => reject(new Error(`Node-RED ${redVersion} exited with ${code}`)));
      });
      const expected = JSON.parse(fs.readFileSync(path.join(root, 'samples', 'expected.json'), 'utf8')) as Record<string, string>;
      let wrong = 0;
      for (const file of samplePictures(path.join(root, 'samples'))) {
        const line = await inspectOverHttp(`http://127.0.0.1:${port}`, file);
        const ok = line.state === expected[line.file];
        if (!ok) wrong++;
        console.log(`${ok ? 'ok  ' : 'FAIL'} ${line.file}: ${line.state ?? line.error} (expected ${expected[line.file]})`);
      }
      const runtime = `Node-RED ${redVersion} on Node ${execFileSync(node22, ['--version'], { encoding: 'utf8' }).trim()}`;
      console.log(`node-red-5 check: ${runtime}, ${Object.keys(expected).length - wrong} of ${Object.keys(expected).length} samples as expected`);
      return wrong === 0 ? 0 : 1;
    } finally {
      child.kill('SIGTERM');
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err: Error) => {
  console.error(`node-red-5 check could not run: ${err.message}`);
  process.exit(2);
});
