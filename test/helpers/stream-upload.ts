// An HTTP upload that streams up to `total` bytes until the server answers, as a client does that reads the answer
// while it is still sending (the way curl and browsers handle an early 413).
import http from 'node:http';

const MB = 1024 * 1024;

/**
 * Streams up to `total` bytes (chunked, or with a declared length); resolves with the answer and how much was sent.
 * Status 0: the connection broke before an answer could be read.
 */
export function streamUpload(url: string, total: number, declareLength: boolean): Promise<{ status: number; sent: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers: Record<string, string> = { 'content-type': 'image/jpeg' };
    if (declareLength) headers['content-length'] = String(total);
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'POST', headers });
    const chunk = Buffer.alloc(MB, 0xff);
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode!, sent, body }));
      res.on('error', () => resolve({ status: res.statusCode!, sent, body }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (answered) return;
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve({ status: 0, sent, body: '' });
      else reject(err);
    });
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) { req.once('drain', pump); return; }
      }
      if (!answered) req.end();
    };
    pump();
  });
}
