// Worker thread owning one InferenceSession. Started by WorkerPool with a WorkerSetup as workerData;
// runs one job at a time (the pool never sends a second before the first is answered).
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { elementView, isElementType, tensorBytes } from '../element-types';
import type { FromWorker, ToWorker, WireTensor, WorkerSetup } from './protocol';
import { postTransferring } from '../transfer';

function toOrtTensor(wire: WireTensor): ort.Tensor {
  if (!isElementType(wire.type)) throw new Error(`tensor type ${String(wire.type)} is not supported`);
  // onnxruntime refuses views on shared memory: copy the input out of the scratch (here, off the main thread).
  const own = wire.buffer instanceof SharedArrayBuffer
    ? { ...wire, buffer: new Uint8Array(wire.buffer, wire.byteOffset, wire.byteLength).slice().buffer, byteOffset: 0 }
    : wire;
  const view = elementView(own, wire.type);
  return new ort.Tensor(wire.type, view as Float32Array, wire.dims);
}

function zeros(type: string, dims: number[]): WireTensor {
  if (!isElementType(type)) throw new Error(`cannot warm up an input of type ${type}`);
  const byteLength = tensorBytes(type, dims);
  return { buffer: new ArrayBuffer(byteLength), byteOffset: 0, byteLength, type, dims };
}

/** Output tensors as wire tensors plus the buffers to transfer; copies only when ORT's buffer holds more than the tensor. */
function toWire(outputs: ort.InferenceSession.ReturnType): { wire: Record<string, WireTensor>; transfer: ArrayBuffer[] } {
  const wire: Record<string, WireTensor> = {};
  const transfer = new Set<ArrayBuffer>();
  for (const [name, tensor] of Object.entries(outputs)) {
    if (!ArrayBuffer.isView(tensor.data) || !isElementType(tensor.type)) throw new Error(`output ${name} has type ${tensor.type}, which cannot be passed on`);
    let view: ArrayBufferView = tensor.data;
    if (!(view.buffer instanceof ArrayBuffer) || view.byteOffset !== 0 || view.byteLength !== view.buffer.byteLength
      || transfer.has(view.buffer)) {
      view = new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
    }
    const buffer = view.buffer as ArrayBuffer;
    transfer.add(buffer);
    wire[name] = { buffer, byteOffset: 0, byteLength: view.byteLength, type: tensor.type, dims: [...tensor.dims] };
  }
  return { wire, transfer: [...transfer] };
}

function feedOf(wires: Record<string, WireTensor>): Record<string, ort.Tensor> {
  const feed: Record<string, ort.Tensor> = {};
  for (const [name, wire] of Object.entries(wires)) feed[name] = toOrtTensor(wire);
  return feed;
}

/**
 * Inference yields the CPU to Node-RED's event loop when both want it. On Linux setpriority() on "this process"
 * from a thread changes only that thread (and the onnxruntime threads it starts); elsewhere it would slow the whole
 * process, so it is left alone there.
 */
function lowerThreadPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    os.setPriority(os.constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // Not permitted in some containers; inference still works at normal priority.
  }
}

async function main(): Promise<void> {
  lowerThreadPriority();
  const port = parentPort!;
  const setup = workerData as WorkerSetup;
  const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => postTransferring(port, message, transfer);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(setup.modelPath, {
      intraOpNumThreads: setup.session.intraOpNumThreads,
      graphOptimizationLevel: setup.session.graphOptimizationLevel,
      executionMode: setup.session.executionMode,
      enableCpuMemArena: setup.session.memoryArena !== false,
      enableMemPattern: setup.session.memoryPattern !== false,
      // Failures reach the user as PipelineErrors; onnxruntime's own console log would only repeat them.
      logSeverityLevel: 4,
    });
    if (setup.warmup.length > 0) {
      const warm: Record<string, WireTensor> = {};
      for (const input of setup.warmup) warm[input.name] = zeros(input.type, input.dims);
      await session.run(feedOf(warm));
    }
  } catch (err) {
    post({ kind: 'load-failed', message: (err as Error).message } satisfies FromWorker);
    port.close();
    return;
  }
  port.on('message', async (message: ToWorker) => {
    if (message.kind === 'close') {
      await session.release();
      port.close();
      return;
    }
    const started = performance.now();
    try {
      const outputs = message.fetch ? await session.run(feedOf(message.feed), message.fetch) : await session.run(feedOf(message.feed));
      const runMs = performance.now() - started;
      const { wire, transfer } = toWire(outputs);
      post({ kind: 'result', jobId: message.jobId, outputs: wire, runMs } satisfies FromWorker, transfer);
    } catch (err) {
      post({ kind: 'run-failed', jobId: message.jobId, message: (err as Error).message } satisfies FromWorker);
    }
  });
  post({ kind: 'ready' } satisfies FromWorker);
}

void main();
