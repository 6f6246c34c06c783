// The package's V2 service (lib/serving) on a bare Node http server, without Node-RED: the same queue, worker thread
// and micro-batching as mlops-model serves with, so the bench can tell Node-RED's HTTP stack apart. argv: port model batch.
import http from 'node:http';
import { ModelHost } from '../../lib/inference';
import { V2Service } from '../../lib/serving';

async function main(): Promise<void> {
  const [portText, modelPath, batchText] = process.argv.slice(2);
  const host = new ModelHost({ modelPath: modelPath!, session: { intraOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' }, workers: 1, warmup: true });
  await host.ready();
  const service = new V2Service({ name: 'bench', version: '0' });
  service.serve('aps-demo', host, { queueSize: 256, batchSize: Number(batchText), batchDelayMs: 2 });
  const server = http.createServer((req, res) => {
    const read = () => new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });
    void service.handle(req.method ?? 'GET', req.url ?? '/', read).then((reply) => {
      const text = JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  server.listen(Number(portText), '127.0.0.1', () => process.stdout.write('ready\n'));
}

void main();
