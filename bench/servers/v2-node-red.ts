// Node-RED with two mlops-model nodes serving aps-demo on the V2 API: "aps-batched" (micro-batching up to 16, 2 ms)
// and "aps-single" (batching off). argv: port userDir model.
import fs from 'node:fs';
import path from 'node:path';
import { startEmbeddedNodeRed } from '../../bin/runtime/embedded-node-red';

async function main(): Promise<void> {
  const [portText, userDir, modelPath] = process.argv.slice(2);
  fs.mkdirSync(userDir!, { recursive: true });
  const common = { type: 'mlops-model', path: modelPath, workers: 1, intraOpThreads: 1, warmup: true, serve: true, serveQueueSize: 256, serveBatchDelayMs: 2 };
  fs.writeFileSync(path.join(userDir!, 'flows.json'), JSON.stringify([
    { ...common, id: 'batched', servedName: 'aps-batched', serveBatchSize: 16 },
    { ...common, id: 'single', servedName: 'aps-single', serveBatchSize: 1 },
  ]));
  await startEmbeddedNodeRed({ userDir: userDir!, port: Number(portText), quiet: true });
  process.stdout.write('ready\n');
}

void main();
