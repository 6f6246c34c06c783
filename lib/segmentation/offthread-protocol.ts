// Messages between the segmentation pool (main thread) and a segmentation worker. Pixel and score data cross as
// shared scratch memory on the way in (one copy: msg keeps its own Buffers) and transferred ArrayBuffers on the way out.
import type { ImageData, OutputTensor, SegmentationResult, TensorGeometry } from '../contract';
import type { ErrorCode } from '../errors';
import type { Annotation, SegmentOptions } from './index';
import type { SingleChannelReading } from './activation';

/** Bytes in a transferred ArrayBuffer, or in the worker's shared scratch memory. */
export interface WireBuffer { buffer: ArrayBuffer | SharedArrayBuffer; byteOffset: number; byteLength: number }

export interface SegmentJob {
  jobId: number;
  outputName: string;
  output: Omit<OutputTensor, 'data'> & { data: WireBuffer };
  geometry?: TensorGeometry;
  image?: Omit<ImageData, 'data' | 'encoded'> & { data: WireBuffer };
  metadata?: Record<string, string>;
  options: SegmentOptions;
}

export type SegmentReply =
  | {
    kind: 'done'; jobId: number; outputName: string; annotations: Annotation[]; reading?: SingleChannelReading;
    result: Omit<SegmentationResult, 'classMap' | 'overlay'> & { classMap: WireBuffer; overlay?: WireBuffer };
  }
  | { kind: 'failed'; jobId: number; message: string; code?: ErrorCode; details?: Record<string, string | number> };

/** A Buffer's bytes as a transferable ArrayBuffer: its own when it spans all of it, else a copy. */
export function toWire(data: Buffer | Uint8Array, transfer: ArrayBuffer[]): WireBuffer {
  const own = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
    && !transfer.includes(data.buffer);
  const buffer = own ? data.buffer as ArrayBuffer : new Uint8Array(data).buffer as ArrayBuffer;
  transfer.push(buffer);
  return { buffer, byteOffset: 0, byteLength: data.byteLength };
}

export function fromWire(wire: WireBuffer): Buffer {
  return Buffer.from(wire.buffer as ArrayBuffer, wire.byteOffset, wire.byteLength);
}
