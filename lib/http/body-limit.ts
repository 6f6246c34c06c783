// A size cap on HTTP request bodies that holds while the body streams in, for Node-RED's `http in` nodes.
// Node-RED reads non-JSON bodies (images, text, octet-stream) whole with no limit of its own (apiMaxLength only
// bounds its JSON and urlencoded parsers), so one big POST could take the runtime's memory. Use it as
//   httpNodeMiddleware: require('@edge-mlops/node-red-vision').http.bodyLimit({ maxBytes: 25 * 1024 * 1024 })
// in settings.js (npm start sets it). A body above the cap is answered 413 and the connection closed (after a bounded lingering read); a body
// within it becomes req.body as Node-RED's own parser would make it (text types → string, others → Buffer), so
// Node-RED does not read it again. Not covered: http in nodes set to skip body parsing (Node-RED reads those
// before any middleware), and multipart uploads sent without Content-Length to an upload-enabled http in.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const DEFAULT_BODY_LIMIT_BYTES = 25 * 1024 * 1024;

export interface BodyLimitOptions {
  maxBytes?: number;
}

type Next = (err?: unknown) => void;
type Request = IncomingMessage & { body?: unknown; _body?: boolean };

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON and forms are left to Node-RED's parsers, which stop at apiMaxLength (default 5 MB) while streaming. */
function boundedByNodeRed(type: string): boolean {
  return /^application\/(json|[^;]*\+json|x-www-form-urlencoded)\b/.test(type);
}

/** What Node-RED's raw body parser makes of a body of this content type: text as a string, binary as a Buffer. */
export function bodyValue(type: string, bytes: Buffer): string | Buffer {
  if (type === '' || type.startsWith('text/') || /[/+]xml\b/.test(type)) return bytes.toString('utf8');
  if (!type.startsWith('application/') || /^application\/(octet-stream|cbor|x-protobuf)\b/.test(type)) return bytes;
  try { return strictUtf8.decode(bytes); } catch { return bytes; }
}

/** How long, and how much, a refused body is still read (and dropped) after the 413 before the connection closes. */
const LINGER_MS = 2000;
const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * Closes the connection once the 413 is out, after reading and dropping what the client still sends for a bounded
 * time and amount (a "lingering close"): closing a socket with unread data makes the kernel send a reset, which can
 * reach the client before it has read the answer, so it saw a broken connection instead of the 413.
 */
function closeAfterAnswer(req: Request, res: ServerResponse): void {
  res.once('finish', () => {
    let dropped = 0;
    const close = () => { clearTimeout(timer); req.destroy(); };
    const timer = setTimeout(close, LINGER_MS);
    // Past the amount, stop reading but keep the connection until the time is up: the client reads the 413 meanwhile.
    req.on('data', (chunk: Buffer) => { dropped += chunk.length; if (dropped > LINGER_BYTES) req.pause(); });
    req.once('end', close);
    req.once('close', () => clearTimeout(timer));
    req.resume();
  });
}

function tooLarge(res: ServerResponse, maxBytes: number): void {
  if (res.headersSent) return;
  res.writeHead(413, { 'content-type': 'application/json' }); // no "Connection: close": Node would close at once, see closeAfterAnswer
  res.end(JSON.stringify({ error: 'body-too-large', message: `the request body is larger than ${maxBytes} bytes, the limit of this endpoint` }));
}

export function bodyLimit(options: BodyLimitOptions = {}): (req: Request, res: ServerResponse, next: Next) => void {
  const maxBytes = options.maxBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  return (req, res, next) => {
    if (!METHODS_WITH_BODY.has(req.method ?? '') || req._body || req.readableEnded) return next();
    const declared = Number(req.headers['content-length']);
    if (declared > maxBytes) {
      tooLarge(res, maxBytes);
      closeAfterAnswer(req, res);
      return;
    }
    const type = String(req.headers['content-type'] ?? '').toLowerCase();
    // Multipart with a declared size may go to an upload parser (multer) that needs the stream itself.
    if (boundedByNodeRed(type) || (type.startsWith('multipart/') && Number.isFinite(declared))) return next();
    const chunks: Buffer[] = [];
    let received = 0;
    let finished = false;
    req.on('data', (chunk: Buffer) => {
      if (finished) return;
      received += chunk.length;
      if (received > maxBytes) {
        finished = true;
        chunks.length = 0;
        tooLarge(res, maxBytes);
        // The rest of a big upload is never buffered: paused until the answer is out, then dropped and closed.
        req.pause();
        closeAfterAnswer(req, res);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (finished) return;
      finished = true;
      const bytes = Buffer.concat(chunks);
      req.body = bodyValue(type, bytes);
      req._body = true;
      next();
    });
    req.on('error', (err) => { if (!finished) { finished = true; next(err); } });
  };
}
