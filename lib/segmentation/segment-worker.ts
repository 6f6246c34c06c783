// Worker thread running segmentation post-processing (decode, back-projection, statistics, components, overlay)
// for SegmentPool, so a 1024² map projected onto a large picture does not stall Node-RED's event loop.
import { parentPort } from 'node:worker_threads';
import { isPipelineError } from '../errors';
import { postTransferring } from '../transfer';
import { segment } from './index';
import { fromWire, toWire, type SegmentJob, type SegmentReply } from './offthread-protocol';

const port = parentPort!;

port.on('message', (job: SegmentJob) => {
  const image = job.image ? { ...job.image, data: fromWire(job.image.data), encoded: Buffer.alloc(0) } : undefined;
  const output = { ...job.output, data: fromWire(job.output.data) };
  segment({ outputs: { [job.outputName]: output }, geometry: job.geometry, image, metadata: job.metadata },
    { ...job.options, outputName: job.outputName }).then(({ result, annotations, outputName, reading }) => {
    const transfer: ArrayBuffer[] = [];
    const { classMap, overlay, ...rest } = result;
    const reply: SegmentReply = {
      kind: 'done', jobId: job.jobId, outputName, annotations, reading,
      result: { ...rest, classMap: toWire(classMap, transfer), overlay: overlay ? toWire(overlay, transfer) : undefined },
    };
    postTransferring(port, reply, transfer);
  }, (err: unknown) => {
    const reply: SegmentReply = isPipelineError(err)
      ? { kind: 'failed', jobId: job.jobId, message: err.message, code: err.code, details: err.details }
      : { kind: 'failed', jobId: job.jobId, message: err instanceof Error ? err.message : String(err) };
    port.postMessage(reply);
  });
});
