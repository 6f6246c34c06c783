import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withCatalog } from '../../helpers/catalog';
import { nextMessage, nodeModule, recordStatus, testHelper, withCatch, catchNode } from '../../helpers/flow';
import { libraryLoaders, resetLibraryCache } from '../../../lib/image';
import { quadrants, raw, startServer, type TestServer } from '../../fixtures/images';
import { formatMs } from '../../../lib/timings';

describe('mlops-image node', () => {
  let imageNode: unknown;
  let png: Buffer;
  let base: string;
  let server: TestServer;

  before(async () => {
    imageNode = await withCatalog(nodeModule('mlops-image'), 'mlops-image');
    png = await raw(quadrants(8, 4), 8, 4).png().toBuffer();
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-image-node-'));
    fs.writeFileSync(path.join(base, 'snap.png'), png);
    server = await startServer({
      '/snap.png': (_req, res) => { res.writeHead(200).end(png); },
      '/error': (_req, res) => { res.writeHead(503, 'Service Unavailable').end(); },
    });
  });

  after(async () => {
    await server?.close();
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  afterEach(() => testHelper.unload());

  const load = (config: Record<string, unknown> = {}) =>
    testHelper.load([imageNode, catchNode], withCatch({ id: 'image', type: 'mlops-image', baseDir: base, allowUrls: true, urlHosts: '127.0.0.1', ...config }));

  it('writes msg.image and msg.timings.decode, keeps what was on msg, and shows "WxH format"', async () => {
    await load();
    const status = recordStatus('image');
    const received = nextMessage('out');
    testHelper.getNode('image').receive({ payload: png, assetId: 'tower-7', timings: { capture: 5 } });
    const msg = await received;
    assert.deepEqual(
      { ...msg.image, data: [...msg.image.data], encoded: msg.image.encoded.length },
      { data: [...quadrants(8, 4)], width: 8, height: 4, channels: 3, format: 'png', encoded: png.length, source: 'buffer', orientation: 1, decoder: 'sharp' },
    );
    assert.ok(Buffer.isBuffer(msg.image.data));
    assert.equal(msg.assetId, 'tower-7');
    assert.deepEqual(Object.keys(msg.timings).sort(), ['capture', 'decode']);
    assert.ok(msg.timings.decode >= 0);
    // Its own time (a buffer: decoding only), as the status shows it.
    assert.deepEqual(status.at(-1), { fill: 'green', shape: 'dot', text: `8x4 png · ${formatMs(msg.timings.decode)} ms` });
  });

  it('reads files under its base directory and camera URLs, and honours decoder and alpha settings', async () => {
    await load({ decoder: 'jimp', alpha: 'keep' });
    const node = testHelper.getNode('image');
    let received = nextMessage('out');
    node.receive({ payload: 'snap.png' });
    let msg = await received;
    assert.deepEqual([msg.image.source, msg.image.origin, msg.image.decoder, msg.image.channels], ['file', 'snap.png', 'jimp', 4]);
    assert.ok(msg.timings.fetch >= 0);
    received = nextMessage('out');
    node.receive({ payload: `${server.url}/snap.png` });
    msg = await received;
    assert.deepEqual([msg.image.source, msg.image.width, msg.image.height], ['url', 8, 4]);
  });

  const badInputs: [string, () => unknown, RegExp][] = [
    ['a non-image', () => Buffer.from('<html>login required</html>'), /^Error: received HTML\/XML text starting with "<html>login required<\/ht", not an image; send JPEG, PNG, WebP, TIFF, GIF or AVIF$/],
    ['zero bytes', () => Buffer.alloc(0), /^Error: the image from buffer has zero bytes$/],
    ['a truncated PNG', () => png.subarray(0, png.length - 20), /^Error: the png image is damaged or cut short \(.+\); send a complete file$/],
    ['a missing file', () => 'nothing.png', /^Error: the file "nothing.png" does not exist in \/.+mlops-image-node-/],
    ['a path outside the base directory', () => '../../etc/passwd', /^Error: the file "..\/..\/etc\/passwd" is outside the base directory/],
    ['an HTTP error', () => `${server.url}/error`, /answered HTTP 503$/],
    ['a number', () => 7, /^Error: msg.payload is number; send a Buffer/],
  ];
  for (const [what, payload, expected] of badInputs) {
    it(`sends ${what} to Catch with a clear message, shows a red ring, and processes the next message`, async () => {
      await load();
      const status = recordStatus('image');
      const caught = nextMessage('caught');
      testHelper.getNode('image').receive({ payload: payload(), _msgid: 'bad' });
      const error = await caught;
      assert.match(error.error.message, expected);
      assert.equal(error.error.source.type, 'mlops-image');
      assert.equal(status.at(-1)?.fill, 'red');
      assert.equal(status.at(-1)?.shape, 'ring');
      const next = nextMessage('out');
      testHelper.getNode('image').receive({ payload: png });
      assert.equal((await next).image.width, 8);
      assert.match(status.at(-1)!.text!, /^8x4 png · \d+(\.\d)? ms$/);
      assert.equal(status.at(-1)!.fill, 'green');
    });
  }

  it('refuses images over its byte and pixel limits, in megabytes and megapixels', async () => {
    await load({ maxMegabytes: 0.00005, maxMegapixels: 25 });
    let caught = nextMessage('caught');
    testHelper.getNode('image').receive({ payload: png });
    assert.match((await caught).error.message, /^Error: the image is \d+ bytes, more than the limit of 52 bytes/);
    await testHelper.unload();
    await load({ maxMegapixels: 0.00002 });
    caught = nextMessage('caught');
    testHelper.getNode('image').receive({ payload: png });
    assert.equal((await caught).error.message, 'Error: the image is 8x4 (32 pixels), more than the limit of 20 pixels; raise "Max pixels" or send a smaller image');
  });

  it('decodes with jimp and warns once when sharp cannot be loaded', async () => {
    const realLoader = libraryLoaders.sharp;
    libraryLoaders.sharp = () => { throw new Error('Could not load the "sharp" module'); };
    resetLibraryCache();
    try {
      await load();
      const node = testHelper.getNode('image');
      assert.deepEqual(node.warn.args.map((call: unknown[]) => call[0]), [
        'sharp cannot be loaded on this device (Could not load the "sharp" module); decoding with jimp, which is slower and cannot read WebP or AVIF; no previews in the editor',
      ]);
      const received = nextMessage('out');
      node.receive({ payload: png });
      assert.equal((await received).image.decoder, 'jimp');
    } finally {
      libraryLoaders.sharp = realLoader;
      resetLibraryCache();
    }
  });

  it('fails every message with the reason when its configuration is invalid', async () => {
    await load({ decoder: 'gpu' });
    const caught = nextMessage('caught');
    testHelper.getNode('image').receive({ payload: png });
    assert.equal((await caught).error.message, "Error: Expected one of auto, sharp, jimp for decoder but received 'gpu' of type string");
  });
});
