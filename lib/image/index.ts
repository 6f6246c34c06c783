// Image ingest: msg.payload (bytes, file, data: URL, base64, URL) → msg.image (upright HWC uint8 pixels).
import type { ImageData } from '../contract';
import { isPipelineError, PipelineError } from '../errors';
import { decodeImage, type DecodeOptions } from './decode';
import { readEncodedImage, type SourceOptions } from './source';

export * from './sniff';
export * from './orientation';
export * from './source';
export * from './decode';
export * from './libraries';

export type IngestOptions = SourceOptions & DecodeOptions;

export const DEFAULT_INGEST_OPTIONS: IngestOptions = {
  maxBytes: 25 * 1024 * 1024,
  maxPixels: 50_000_000,
  timeoutMs: 10_000,
  decoder: 'auto',
  alpha: 'flatten',
  background: [255, 255, 255],
  damaged: 'refuse',
};

export interface IngestResult {
  image: ImageData;
  /** Milliseconds: reading a file or URL (absent for in-message data), and decoding. */
  timings: { fetch?: number; decode: number };
}

/** Reads and decodes the image msg.payload refers to. */
export async function ingestImage(payload: unknown, options: Partial<IngestOptions> = {}): Promise<IngestResult> {
  const settings: IngestOptions = { ...DEFAULT_INGEST_OPTIONS, ...options };
  const started = performance.now();
  const encoded = await readEncodedImage(payload, settings);
  const read = performance.now();
  const decoded = await decodeImage(encoded.bytes, settings).catch((err: unknown) => {
    // What a URL answered is not repeated in the error: it may be an internal service's page.
    if (encoded.source === 'url' && isPipelineError(err) && err.code === 'not-an-image') {
      throw new PipelineError('not-an-image', `the answer from ${encoded.origin ?? 'the URL'} (${encoded.bytes.length} bytes) is not an image; send JPEG, PNG, WebP, TIFF, GIF or AVIF`, { received: `${encoded.bytes.length} bytes from a URL` });
    }
    throw err;
  });
  const timings: IngestResult['timings'] = { decode: performance.now() - read };
  if (encoded.source === 'file' || encoded.source === 'url') timings.fetch = read - started;
  const image: ImageData = { ...decoded, encoded: encoded.bytes, source: encoded.source };
  if (encoded.origin !== undefined) image.origin = encoded.origin;
  return { image, timings };
}
