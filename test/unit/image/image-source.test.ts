import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingestImage, readEncodedImage, type SourceOptions } from '../../../lib/image';
import { repoRoot } from '../../helpers/flow';
import { refusal } from '../../helpers/refusal';
import { quadrants, raw, startServer, type TestServer } from '../../fixtures/images';

describe('image sources: buffer, file, data URL, base64, http(s) URL', () => {
  let png: Buffer;
  let work: string;
  let base: string;
  let server: TestServer;
  const options = (): SourceOptions => ({ baseDir: base, maxBytes: 10_000, timeoutMs: 2000, allowUrls: true, urlHosts: ['127.0.0.1'] });

  before(async () => {
    png = await raw(quadrants(8, 4), 8, 4).png().toBuffer();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-image-'));
    base = path.join(work, 'images');
    fs.mkdirSync(path.join(base, 'cam1'), { recursive: true });
    fs.writeFileSync(path.join(base, 'cam1', 'snap.png'), png);
    fs.writeFileSync(path.join(base, 'big.png'), Buffer.alloc(20_000, 1));
    fs.writeFileSync(path.join(work, 'secret.png'), png);
    fs.symlinkSync(path.join(work, 'secret.png'), path.join(base, 'link-out.png'));
    fs.symlinkSync(path.join(base, 'cam1', 'snap.png'), path.join(base, 'link-in.png'));
    server = await startServer({
      '/snap.png': (_req, res) => { res.writeHead(200, { 'content-type': 'image/png' }).end(png); },
      '/auth.png': (req, res) => {
        if (req.headers.authorization === `Basic ${Buffer.from('cam:secret').toString('base64')}`) res.writeHead(200).end(png);
        else res.writeHead(401, 'Unauthorized').end();
      },
      '/missing.png': (_req, res) => { res.writeHead(404, 'Not Found').end('no such snapshot'); },
      '/hang.png': () => { /* never answers */ },
      '/declared-large.png': (_req, res) => { res.writeHead(200, { 'content-length': '50000' }); res.write(Buffer.alloc(100)); },
      '/streamed-large.png': (_req, res) => {
        res.writeHead(200); // chunked: no length announced, the limit applies while streaming
        for (let i = 0; i < 30; i++) res.write(Buffer.alloc(1000, 7));
        res.end();
      },
    });
  });

  after(async () => {
    await server?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('takes a Buffer as it is', async () => {
    const read = await readEncodedImage(png, options());
    assert.equal(read.bytes, png);
    assert.equal(read.source, 'buffer');
  });

  it('decodes data: URLs and bare base64', async () => {
    const dataUrl = await readEncodedImage(`data:image/png;base64,${png.toString('base64')}`, options());
    assert.deepEqual([dataUrl.source, dataUrl.bytes.equals(png)], ['data-url', true]);
    const bare = await readEncodedImage(png.toString('base64'), options());
    assert.deepEqual([bare.source, bare.bytes.equals(png)], ['base64', true]);
    assert.equal((await refusal(readEncodedImage('data:image/png,%89PNG', options()))).code, 'bad-data-url');
    const huge = Buffer.alloc(12_000, 9).toString('base64');
    assert.deepEqual(await refusal(readEncodedImage(huge, options())), {
      code: 'too-large', message: 'the base64 image is 11.7 KiB, more than the limit of 9.8 KiB; raise "Max size" or send a smaller image',
    });
    assert.equal((await refusal(readEncodedImage(`data:image/png;base64,${huge}`, options()))).code, 'too-large');
  });

  it('reads the package\'s sample pictures as bundled:<file>, whatever the base directory; nothing else through it', async () => {
    const sample = fs.readFileSync(path.join(repoRoot, 'samples', 'tower-rusty.jpg'));
    for (const baseDir of [base, undefined]) {
      const read = await readEncodedImage('bundled:tower-rusty.jpg', { ...options(), baseDir, maxBytes: 1_000_000 });
      assert.deepEqual([read.source, read.origin, read.bytes.equals(sample)], ['file', 'bundled:tower-rusty.jpg', true]);
    }
    assert.deepEqual(await refusal(readEncodedImage('bundled:../package.json', options())), {
      code: 'bad-bundled-name', message: '"bundled:../package.json" does not name a bundled sample picture; use bundled:<file name in the package\'s samples folder>',
    });
    assert.equal((await refusal(readEncodedImage('bundled:no-such.jpg', options()))).code, 'file-not-found');
    assert.equal((await refusal(readEncodedImage('bundled:tower-rusty.jpg', { ...options(), bytesOnly: true }))).code, 'http-bytes-only');
  });

  it('reads files under the base directory, relative or absolute, also through symlinks that stay inside', async () => {
    for (const name of ['cam1/snap.png', path.join(base, 'cam1', 'snap.png'), 'cam1/../cam1/snap.png', 'link-in.png']) {
      const read = await readEncodedImage(name, options());
      assert.deepEqual([read.source, read.origin, read.bytes.equals(png)], ['file', name, true]);
    }
  });

  it('refuses files outside the base directory, by path, by .. and by symlink', async () => {
    for (const name of ['../secret.png', path.join(work, 'secret.png'), 'cam1/../../secret.png', 'link-out.png']) {
      const refused = await refusal(readEncodedImage(name, options()));
      assert.equal(refused.code, 'outside-base', name);
      assert.equal(refused.message, `the file "${name}" is outside the base directory ${base}; only files under it can be read`);
    }
  });

  it('refuses missing files, files when no base directory is set, and files over the size limit', async () => {
    assert.deepEqual(await refusal(readEncodedImage('cam1/nothing.png', options())), {
      code: 'file-not-found', message: `the file "cam1/nothing.png" does not exist in ${base}`,
    });
    assert.equal((await refusal(readEncodedImage('cam1/snap.png', { ...options(), baseDir: '' }))).code, 'files-disabled');
    assert.deepEqual(await refusal(readEncodedImage('big.png', options())), {
      code: 'too-large', message: 'the file "big.png" is 19.5 KiB, more than the limit of 9.8 KiB; raise "Max size" or send a smaller image',
    });
    assert.equal((await refusal(readEncodedImage('cam1', options()))).code, 'file-unreadable');
  });

  it('refuses zero bytes, empty strings and payloads of other types', async () => {
    assert.equal((await refusal(readEncodedImage(Buffer.alloc(0), options()))).code, 'empty');
    assert.equal((await refusal(readEncodedImage('  ', options()))).code, 'empty-string');
    assert.deepEqual(await refusal(readEncodedImage({ url: 'x' }, options())), {
      code: 'bad-payload', message: 'msg.payload is object; send a Buffer, a file path, a data: URL, base64 or an http(s) URL',
    });
    assert.equal((await refusal(readEncodedImage(42, options()))).code, 'bad-payload');
  });

  it('fetches an http URL, with credentials from the URL or from headers', async () => {
    const read = await readEncodedImage(`${server.url}/snap.png`, options());
    assert.deepEqual([read.source, read.origin, read.bytes.equals(png)], ['url', `${server.url}/snap.png`, true]);
    const inUrl = await readEncodedImage(server.url.replace('//', '//cam:secret@') + '/auth.png', options());
    assert.equal(inUrl.origin, `${server.url}/auth.png`, 'credentials never appear in msg.image.origin');
    const withHeader = await readEncodedImage(`${server.url}/auth.png`, { ...options(), headers: { authorization: `Basic ${Buffer.from('cam:secret').toString('base64')}` } });
    assert.ok(withHeader.bytes.equals(png));
  });

  it('refuses HTTP error statuses, timeouts, refused connections and bodies over the limit', async () => {
    assert.deepEqual(await refusal(readEncodedImage(`${server.url}/missing.png`, options())), {
      code: 'http-status', message: `${server.url}/missing.png answered HTTP 404 Not Found`,
    });
    assert.equal((await refusal(readEncodedImage(`${server.url}/auth.png`, options()))).code, 'http-status');
    assert.deepEqual(await refusal(readEncodedImage(`${server.url}/hang.png`, { ...options(), timeoutMs: 300 })), {
      code: 'url-timeout', message: `no complete answer from ${server.url}/hang.png within 300 ms; check the camera or raise "Timeout"`,
    });
    assert.equal((await refusal(readEncodedImage(`${server.url}/declared-large.png`, options()))).code, 'too-large');
    const streamed = await refusal(readEncodedImage(`${server.url}/streamed-large.png`, options()));
    assert.equal(streamed.code, 'too-large');
    assert.match(streamed.message, /^the image at .*streamed-large.png is at least [\d.]+ KiB, more than the limit of 9.8 KiB/);
    const closed = await startServer({});
    await closed.close();
    const refused = await refusal(readEncodedImage(`${closed.url}/snap.png`, options()));
    assert.equal(refused.code, 'url-failed');
    assert.match(refused.message, /ECONNREFUSED/);
  });

  it('ingests an image end to end with timings for reading and decoding', async () => {
    const { image, timings } = await ingestImage('cam1/snap.png', { baseDir: base });
    assert.deepEqual([image.width, image.height, image.format, image.source, image.origin, image.encoded.equals(png)], [8, 4, 'png', 'file', 'cam1/snap.png', true]);
    assert.deepEqual(Object.keys(timings).sort(), ['decode', 'fetch']);
    const fromBuffer = await ingestImage(png);
    assert.deepEqual(Object.keys(fromBuffer.timings), ['decode']);
  });
});
