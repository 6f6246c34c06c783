// Child process started by the store's verification: loads the model in onnxruntime (through the same worker the
// nodes use) and runs one warm-up inference of zeros. A crash of the native runtime ends this process, not the caller.
// argv: <model path>. Prints one JSON line { ok: true } or { ok: false, message }.
import { WorkerPool, warmupInputs, loadModelInfo } from '../inference';

async function main(modelPath: string): Promise<void> {
  const info = loadModelInfo(modelPath);
  const pool = new WorkerPool({
    modelPath,
    session: { intraOpNumThreads: 1, graphOptimizationLevel: 'basic', executionMode: 'sequential' },
    warmup: warmupInputs(info),
  }, 1);
  await pool.start();
  await pool.close();
}

main(process.argv[2] ?? '').then(
  () => { process.stdout.write(`${JSON.stringify({ ok: true })}\n`); },
  (err: Error) => {
    process.stdout.write(`${JSON.stringify({ ok: false, message: err.message })}\n`);
    process.exitCode = 1;
  },
);
