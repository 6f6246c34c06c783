// Starts test/fixtures/serve-node-red in a child process and talks to it over HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export interface RuntimeProcess { url: string; userDir: string; child: ChildProcess; stop(): Promise<void> }

export async function startRuntimeProcess(flowFile?: string, env: Record<string, string> = {}): Promise<RuntimeProcess> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-mlops-nr-'));
  const script = path.join(__dirname, '..', 'fixtures', 'serve-node-red.js');
  const child = spawn(process.execPath, [script, userDir, ...(flowFile ? [flowFile] : [])], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try { resolve((JSON.parse(line) as { url: string }).url); } catch { /* log line */ }
    });
    child.once('exit', (code) => reject(new Error(`Node-RED exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    userDir,
    child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => {
        fs.rmSync(userDir, { recursive: true, force: true });
        resolve();
      });
      child.kill('SIGTERM');
    }),
  };
}

export async function getJson<T = any>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json', ...headers } });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}
