// Editor thumbnails: bounded in size and bytes, the right picture, from raw pixels or an encoded overlay.
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { makeThumbnail } from '../../../lib/preview/thumbnail';

function decodeDataUrl(dataUrl: string): Buffer {
  const match = /^data:image\/jpeg;base64,([A-Za-z0-9+/=]+)$/.exec(dataUrl);
  assert.ok(match, dataUrl.slice(0, 40));
  return Buffer.from(match[1]!, 'base64');
}

/** Left half red, right half blue, raw RGB. */
function halves(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(x < width / 2 ? [220, 20, 20] : [20, 20, 220], (y * width + x) * 3);
  }
  return data;
}

describe('makeThumbnail (editor previews)', () => {
  it('shrinks a 1920x1080 picture to 160 px on the long side, keeping the aspect ratio and the content', async () => {
    const thumb = await makeThumbnail({ data: halves(1920, 1080), width: 1920, height: 1080, channels: 3 });
    assert.deepEqual([thumb.width, thumb.height], [160, 90]);
    const jpeg = decodeDataUrl(thumb.dataUrl);
    assert.equal(jpeg.length, thumb.bytes);
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [160, 90]);
    const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    assert.ok(at(20, 45)[0]! > 150 && at(20, 45)[2]! < 80, `left is red: ${at(20, 45)}`);
    assert.ok(at(140, 45)[2]! > 150 && at(140, 45)[0]! < 80, `right is blue: ${at(140, 45)}`);
  });

  it('keeps a busy picture (noise) within the byte bound by lowering the quality', async () => {
    const noise = Buffer.alloc(800 * 800 * 3);
    let seed = 7;
    for (let i = 0; i < noise.length; i++) { seed = (seed * 1103515245 + 12345) >>> 0; noise[i] = seed >>> 24; }
    const thumb = await makeThumbnail({ data: noise, width: 800, height: 800, channels: 3 }, { maxBytes: 8 * 1024 });
    assert.deepEqual([thumb.width, thumb.height], [160, 160]);
    assert.ok(thumb.bytes <= 8 * 1024, `${thumb.bytes} bytes`);
  });

  it('never enlarges a small picture, and reads an encoded overlay (PNG with alpha, flattened)', async () => {
    const png = await sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 0, g: 200, b: 0, alpha: 1 } } }).png().toBuffer();
    const thumb = await makeThumbnail({ encoded: png });
    assert.deepEqual([thumb.width, thumb.height], [40, 30]);
    const { data } = await sharp(decodeDataUrl(thumb.dataUrl)).raw().toBuffer({ resolveWithObject: true });
    assert.ok(data[1]! > 150 && data[0]! < 60, 'green');
  });

  it('an RGBA picture and a portrait one: 160 on the long side', async () => {
    const rgba = Buffer.alloc(300 * 600 * 4, 128);
    const thumb = await makeThumbnail({ data: rgba, width: 300, height: 600, channels: 4 });
    assert.deepEqual([thumb.width, thumb.height], [80, 160]);
  });

  it('refuses what is not a picture with sharp\'s reason (the node logs it; the message is long gone)', async () => {
    await assert.rejects(makeThumbnail({ encoded: Buffer.from('not a picture') }), /unsupported image format|Input buffer/);
  });
});
