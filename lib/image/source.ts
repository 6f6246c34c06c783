// Turns msg.payload into encoded image bytes: a Buffer, a file under a base directory, a data: URL,
// a bare base64 string, or an http(s) URL (camera snapshot).
import fs from 'node:fs/promises';
import path from 'node:path';
import { bundledPath, isBundled } from '../bundled';
import { PipelineError } from '../errors';
import { formatBytes } from '../util/format';

export type SourceKind = 'buffer' | 'file' | 'data-url' | 'base64' | 'url';

export interface SourceOptions {
  /** Directory file paths are confined to; file paths are refused when empty. */
  baseDir?: string;
  /** Largest encoded image accepted, in bytes. */
  maxBytes: number;
  /** Timeout for a URL request including the body, in ms. */
  timeoutMs: number;
  /** Extra request headers for URLs (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Fetch http(s) URLs at all (off by default: a URL in a message must not make the device fetch it). */
  allowUrls?: boolean;
  /** Hosts ("camera.local", "10.0.0.7:8080") URLs may point at when allowUrls is on; nothing else is fetched. */
  urlHosts?: readonly string[];
  /** Accept only image bytes (Buffer, data: URL, base64): no file paths, no URLs. For messages from HTTP requests. */
  bytesOnly?: boolean;
}

/** An excerpt of a value for an error text: a 2 MB request body must not come back as a 4 MB error. */
export function excerpt(value: string, max = 80): string {
  return value.length > max ? `${value.slice(0, max)}… (${value.length} characters)` : value;
}

/** Whether `url`'s host (with its port when given) is on the allow-list. */
export function hostAllowed(url: URL, hosts: readonly string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return hosts.some((entry) => {
    const wanted = entry.trim().toLowerCase();
    if (!wanted) return false;
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(wanted);
    if (withPort) return withPort[1]!.replace(/^\[|\]$/g, '') === host && withPort[2] === port;
    return wanted.replace(/^\[|\]$/g, '') === host;
  });
}

export interface EncodedImage {
  bytes: Buffer;
  source: SourceKind;
  origin?: string;
}


function tooLarge(size: number | string, maxBytes: number, what: string): PipelineError {
  const received = typeof size === 'number' ? formatBytes(size) : size;
  return new PipelineError(
    'too-large',
    `${what} is ${received}, more than the limit of ${formatBytes(maxBytes)}; raise "Max size" or send a smaller image`,
    { what, size: received, limit: formatBytes(maxBytes) },
  );
}

// Base64 of an image never contains a dot and is padded to a multiple of 4; file names almost always have a dot.
const BASE64 = /^[A-Za-z0-9+/\-_]+={0,2}$/;

function looksLikeBase64(text: string): boolean {
  return text.length >= 16 && text.length % 4 === 0 && BASE64.test(text);
}

/** Decodes base64 text, refusing before decoding when the result would exceed the limit. */
function fromBase64(text: string, maxBytes: number): Buffer {
  const estimated = Math.floor((text.length * 3) / 4);
  if (estimated > maxBytes + 3) throw tooLarge(estimated, maxBytes, 'the base64 image');
  return Buffer.from(text, 'base64');
}

function decodeDataUrl(url: string, maxBytes: number): Buffer {
  const comma = url.indexOf(',');
  const header = url.slice(5, comma < 0 ? undefined : comma);
  if (comma < 0 || !/;base64$/i.test(header)) {
    throw new PipelineError('bad-data-url', 'the data: URL is not base64-encoded ("data:image/jpeg;base64,…" expected)');
  }
  return fromBase64(url.slice(comma + 1).replace(/\s+/g, ''), maxBytes);
}

/** Resolves `requested` inside `baseDir`, refusing anything that leaves it lexically or through symlinks. */
export async function confinedPath(fullRequested: string, baseDir: string | undefined): Promise<string> {
  const requested = excerpt(fullRequested);
  if (!baseDir) {
    throw new PipelineError('files-disabled', `msg.payload names a file ("${requested}") but no base directory is set; set "Base directory" to allow reading files`, { path: requested });
  }
  const outside = () => new PipelineError('outside-base', `the file "${requested}" is outside the base directory ${baseDir}; only files under it can be read`, { path: requested, base: baseDir });
  const base = path.resolve(baseDir);
  const lexical = path.resolve(base, fullRequested);
  const within = (root: string, target: string) => {
    const relative = path.relative(root, target);
    return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
  };
  if (!within(base, lexical)) throw outside();
  let real: string;
  try {
    real = await fs.realpath(lexical);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new PipelineError('file-not-found', `the file "${requested}" does not exist in ${baseDir}`, { path: requested, base: baseDir });
    }
    throw new PipelineError('file-unreadable', `the file "${requested}" cannot be read: ${(err as Error).message}`, { path: requested, reason: (err as Error).message });
  }
  if (!within(await fs.realpath(base), real)) throw outside();
  return real;
}

async function readConfinedFile(fullRequested: string, options: SourceOptions): Promise<Buffer> {
  const real = await confinedPath(fullRequested, options.baseDir);
  const requested = excerpt(fullRequested);
  const handle = await fs.open(real, 'r').catch((err: Error) => {
    throw new PipelineError('file-unreadable', `the file "${requested}" cannot be read: ${err.message}`, { path: requested, reason: err.message });
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new PipelineError('file-unreadable', `"${requested}" is not a regular file`, { path: requested, reason: 'not a regular file' });
    if (stat.size > options.maxBytes) throw tooLarge(stat.size, options.maxBytes, `the file "${requested}"`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** fetch() refuses URLs with user:password; move them into a Basic Authorization header. */
function splitCredentials(url: string, headers: Record<string, string> = {}): { url: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return { url, headers };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.href, headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, ...headers } };
}

async function fetchUrl(requested: string, options: SourceOptions): Promise<Buffer> {
  const shown = excerpt(requested.replace(/\/\/[^/@]*@/, '//')); // never echo credentials into errors
  if (!options.allowUrls) {
    throw new PipelineError('urls-disabled', `msg.payload is a URL (${shown}), but this node does not fetch URLs; send the image bytes, or turn on "Fetch URLs" and list the camera hosts`, { url: shown });
  }
  let url: string;
  let headers: Record<string, string>;
  try {
    ({ url, headers } = splitCredentials(requested, options.headers));
  } catch {
    throw new PipelineError('url-failed', `${shown} is not a valid URL`, { url: shown, reason: 'invalid URL' });
  }
  const parsed = new URL(url);
  if (!hostAllowed(parsed, options.urlHosts ?? [])) {
    throw new PipelineError('url-not-allowed', `${parsed.host} is not on this node's list of camera hosts; add it to "URL hosts" to fetch from it`, { host: parsed.host });
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const timeout = () => new PipelineError('url-timeout', `no complete answer from ${shown} within ${options.timeoutMs} ms; check the camera or raise "Timeout"`, { url: shown, timeout: options.timeoutMs });
  try {
    let response: Response;
    try {
      // Redirects are not followed: they could lead to a host that is not on the list.
      response = await fetch(url, { signal: controller.signal, headers, redirect: 'manual' });
    } catch (err) {
      if (controller.signal.aborted) throw timeout();
      const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new PipelineError('url-failed', `cannot fetch ${shown}: ${cause}`, { url: shown, reason: cause });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      const redirect = response.status >= 300 && response.status < 400 ? ' (redirects are not followed; use the final URL)' : '';
      throw new PipelineError('http-status', `${shown} answered HTTP ${response.status} ${response.statusText}${redirect}`, { url: shown, status: response.status });
    }
    const declared = Number(response.headers.get('content-length'));
    if (declared > options.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(declared, options.maxBytes, `the image at ${shown}`);
    }
    const chunks: Uint8Array[] = [];
    let received = 0;
    try {
      for await (const chunk of response.body ?? []) {
        received += chunk.byteLength;
        if (received > options.maxBytes) {
          controller.abort();
          throw tooLarge(`at least ${formatBytes(received)}`, options.maxBytes, `the image at ${shown}`);
        }
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof PipelineError) throw err;
      if (controller.signal.aborted) throw timeout();
      throw new PipelineError('url-failed', `cannot fetch ${shown}: ${(err as Error).message}`, { url: shown, reason: (err as Error).message });
    }
    return Buffer.concat(chunks);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the encoded image msg.payload refers to. */
export async function readEncodedImage(payload: unknown, options: SourceOptions): Promise<EncodedImage> {
  let result: EncodedImage;
  if (Buffer.isBuffer(payload) || payload instanceof Uint8Array) {
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    result = { bytes, source: 'buffer' };
  } else if (typeof payload === 'string') {
    const text = payload.trim();
    if (options.bytesOnly && text !== '' && !/^data:/i.test(text) && !looksLikeBase64(text)) {
      throw new PipelineError('http-bytes-only',
        'this message came from an HTTP request, which may carry image bytes only (or a data: URL, base64), not a file path or URL; send the picture itself as the request body', {});
    }
    if (/^data:/i.test(text)) result = { bytes: decodeDataUrl(text, options.maxBytes), source: 'data-url' };
    else if (/^https?:\/\//i.test(text)) result = { bytes: await fetchUrl(text, options), source: 'url', origin: text.replace(/\/\/[^/@]*@/, '//') };
    else if (looksLikeBase64(text)) result = { bytes: fromBase64(text, options.maxBytes), source: 'base64' };
    else if (text === '') throw new PipelineError('empty-string', 'msg.payload is an empty string; send image bytes, a file path, a data: URL, base64 or an http(s) URL');
    // The package's own sample pictures ("try it" inject nodes): readable whatever the base directory is.
    else if (isBundled(text)) {
      const file = bundledPath(text, 'samples');
      result = { bytes: await readConfinedFile(path.basename(file), { ...options, baseDir: path.dirname(file) }), source: 'file', origin: text };
    }
    else result = { bytes: await readConfinedFile(text, options), source: 'file', origin: text };
  } else {
    const kind = payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload;
    throw new PipelineError('bad-payload', `msg.payload is ${kind}; send a Buffer, a file path, a data: URL, base64 or an http(s) URL`, { kind });
  }
  if (result.bytes.length === 0) {
    throw new PipelineError('empty', `the image from ${result.origin ?? result.source} has zero bytes`, { source: result.origin ?? result.source });
  }
  if (result.bytes.length > options.maxBytes) throw tooLarge(result.bytes.length, options.maxBytes, 'the image');
  return result;
}
