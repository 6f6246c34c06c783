// The limit for the V2 bench: a bare Node http server and one onnxruntime-node session on the main thread, doing the
// same work per request as the served model (parse the JSON tensor, run, answer JSON). argv: port model.
import http from 'node:http';
import * as ort from 'onnxruntime-node';

async function main(): Promise<void> {
  const [portText, modelPath] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(modelPath!, { intraOpNumThreads: 1 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { inputs: { shape: number[]; data: (number | null)[] }[] };
      const input = body.inputs[0]!;
      const data = Float32Array.from(input.data, (v) => (v === null ? Number.NaN : v));
      session.run({ features: new ort.Tensor('float32', data, input.shape) }).then((out) => {
        const logits = out.logits!;
        const text = JSON.stringify({ model_name: 'aps-demo', outputs: [{ name: 'logits', datatype: 'FP32', shape: logits.dims, data: Array.from(logits.data as Float32Array) }] });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      }, (err: Error) => { res.writeHead(500); res.end(JSON.stringify({ error: err.message })); });
    });
  });
  server.listen(Number(portText), '127.0.0.1', () => process.stdout.write('ready\n'));
}

void main();
