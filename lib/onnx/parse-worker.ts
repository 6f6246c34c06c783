// Worker thread that reads and describes one ONNX file: decoding a large model's protobuf takes 100 ms and more,
// which on the main thread would stall every flow. Started by readModelInfoInWorker with the path or the bytes.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { OnnxFormatError, readModelInfo } from './model-info';
import type { ParseReply, ParseRequest } from './parse-off-thread';

const request = workerData as ParseRequest;
let reply: ParseReply;
try {
  const bytes = 'path' in request ? fs.readFileSync(request.path) : new Uint8Array(request.bytes);
  reply = { kind: 'info', info: readModelInfo(bytes) };
} catch (err) {
  if (err instanceof OnnxFormatError) reply = { kind: 'format', problem: err.problem, reason: err.reason };
  else reply = { kind: 'fs', code: (err as NodeJS.ErrnoException).code, message: (err as Error).message };
}
parentPort!.postMessage(reply);
