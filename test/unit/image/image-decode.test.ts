import assert from 'node:assert/strict';
import { decodeImage, libraryLoaders, resetLibraryCache, type DecodeOptions } from '../../../lib/image';
import { refusal } from '../../helpers/refusal';
import { BLUE, GREEN, RED, WHITE, difference, pattern, pixelAt, quadrants, raw } from '../../fixtures/images';

const options = (decoder: DecodeOptions['decoder'], extra: Partial<DecodeOptions> = {}): DecodeOptions => ({
  decoder, alpha: 'flatten', background: [255, 255, 255], maxPixels: 50_000_000, ...extra,
});

/** Colours at the four corners, each channel rounded to the nearest 5 (JPEG is lossy at flat-colour edges). */
function corners(image: { data: Buffer; width: number; height: number; channels: number }) {
  const at = (x: number, y: number) => pixelAt(image.data, image.width, image.channels, x, y).slice(0, 3).map((v) => Math.round(v / 5) * 5);
  return { topLeft: at(0, 0), topRight: at(image.width - 1, 0), bottomLeft: at(0, image.height - 1), bottomRight: at(image.width - 1, image.height - 1) };
}

/** 18 junk bytes between the first two segments: libjpeg warns "Corrupt JPEG data: 18 extraneous bytes before marker". */
async function withExtraneousBytes(jpeg: Buffer): Promise<Buffer> {
  const secondSegment = 2 + 2 + jpeg.readUInt16BE(4);
  return Buffer.concat([jpeg.subarray(0, secondSegment), Buffer.alloc(18, 0x2a), jpeg.subarray(secondSegment)]);
}

describe('image decoding with sharp and jimp', () => {
  // 3x2 with known pixels: row 0 red, green, blue; row 1 (10,20,30), (40,50,60), (70,80,90)
  const knownPixels = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);

  for (const decoder of ['sharp', 'jimp'] as const) {
    describe(decoder, () => {
      it('decodes a PNG to the exact pixels', async () => {
        const png = await raw(knownPixels, 3, 2).png().toBuffer();
        const image = await decodeImage(png, options(decoder));
        assert.deepEqual({ ...image, data: [...image.data] }, {
          data: [...knownPixels], width: 3, height: 2, channels: 3, format: 'png', orientation: 1, decoder,
        });
      });

      it('turns a JPEG with EXIF orientation 6 upright (90° clockwise)', async () => {
        const jpeg = await raw(quadrants(32, 16), 32, 16).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
        const image = await decodeImage(jpeg, options(decoder));
        assert.equal(image.orientation, 6);
        assert.deepEqual([image.width, image.height], [16, 32]);
        // Stored top-left (red) is now top-right; stored bottom-left (blue) is top-left.
        assert.deepEqual(corners(image), { topLeft: BLUE, topRight: RED, bottomLeft: WHITE, bottomRight: GREEN });
      });

      it('turns a PNG with an eXIf orientation 8 upright (90° counter-clockwise)', async () => {
        const png = await raw(quadrants(32, 16), 32, 16).png().withMetadata({ orientation: 8 }).toBuffer();
        const image = await decodeImage(png, options(decoder));
        assert.deepEqual([image.width, image.height, image.orientation], [16, 32, 8]);
        assert.deepEqual(corners(image), { topLeft: GREEN, topRight: WHITE, bottomLeft: RED, bottomRight: BLUE });
      });

      it('flattens transparency onto the background, or keeps RGBA', async () => {
        const rgba = Buffer.from([255, 0, 0, 128, 0, 255, 0, 0, 0, 0, 255, 255, 10, 20, 30, 255]);
        const png = await raw(rgba, 2, 2, 4).png().toBuffer();
        const flat = await decodeImage(png, options(decoder, { background: [255, 255, 255] }));
        assert.deepEqual([flat.channels, ...flat.data], [3, 255, 127, 127, 255, 255, 255, 0, 0, 255, 10, 20, 30]);
        const kept = await decodeImage(png, options(decoder, { alpha: 'keep' }));
        assert.deepEqual([kept.channels, ...kept.data], [4, ...rgba]);
        const opaque = await decodeImage(await raw(knownPixels, 3, 2).png().toBuffer(), options(decoder, { alpha: 'keep' }));
        assert.deepEqual([...opaque.data.subarray(0, 8)], [255, 0, 0, 255, 0, 255, 0, 255]);
      });

      it('decodes GIF and TIFF', async () => {
        for (const encoded of [await raw(quadrants(8, 4), 8, 4).gif().toBuffer(), await raw(quadrants(8, 4), 8, 4).tiff({ compression: 'lzw' }).toBuffer()]) {
          const image = await decodeImage(encoded, options(decoder));
          assert.deepEqual({ w: image.width, h: image.height, data: [...image.data] }, { w: 8, h: 4, data: [...quadrants(8, 4)] });
        }
      });

      it('refuses truncated JPEG and PNG files', async () => {
        const jpeg = await raw(pattern(64, 48), 64, 48).jpeg().toBuffer();
        const png = await raw(pattern(64, 48), 64, 48).png().toBuffer();
        for (const cut of [jpeg.subarray(0, jpeg.length - 2), jpeg.subarray(0, jpeg.length / 2), png.subarray(0, png.length - 20)]) {
          const refused = await refusal(decodeImage(cut, options(decoder)));
          assert.equal(refused.code, 'corrupt');
          assert.match(refused.message, /^the (jpeg|png) image is damaged or cut short \(.+\); send a complete file$/);
        }
      });

      it('refuses a JPEG whose scan data is damaged', async () => {
        const damaged = Buffer.from(await raw(pattern(64, 48), 64, 48).jpeg().toBuffer());
        for (let i = 700; i < 900; i++) damaged[i] = (i * 37) & 0xff;
        assert.equal((await refusal(decodeImage(damaged, options(decoder)))).code, 'corrupt');
        const flawed = await withExtraneousBytes(await raw(pattern(64, 48), 64, 48).jpeg().toBuffer());
        assert.equal((await refusal(decodeImage(flawed, options(decoder)))).code, 'corrupt');
      });

      it('with damage tolerated, still refuses a truncated JPEG', async () => {
        const jpeg = await raw(pattern(64, 48), 64, 48).jpeg().toBuffer();
        const refused = await refusal(decodeImage(jpeg.subarray(0, jpeg.length - 100), options(decoder, { damaged: 'tolerate' })));
        assert.equal(refused.code, 'corrupt');
      });

      it('refuses an image over the pixel limit from its header, before decoding', async () => {
        // A PNG header claiming 100000 x 100000 pixels (a decompression bomb's shape); the data is never read.
        const bomb = Buffer.from(await raw(quadrants(8, 8), 8, 8).png().toBuffer());
        bomb.writeUInt32BE(100_000, 16);
        bomb.writeUInt32BE(100_000, 20);
        const refused = await refusal(decodeImage(bomb, options(decoder)));
        assert.equal(refused.code, 'too-many-pixels');
        assert.equal(refused.message, 'the image is 100000x100000 (10000.0 MP), more than the limit of 50.0 MP; raise "Max pixels" or send a smaller image');
        const small = await raw(quadrants(40, 30), 40, 30).jpeg().toBuffer();
        assert.equal((await refusal(decodeImage(small, options(decoder, { maxPixels: 1000 })))).code, 'too-many-pixels');
      });

      it('refuses non-images and zero bytes, naming what was received', async () => {
        const html = await refusal(decodeImage(Buffer.from('<!DOCTYPE html><title>Login</title>'), options(decoder)));
        assert.deepEqual(html, { code: 'not-an-image', message: 'received HTML/XML text starting with "<!DOCTYPE html><title>Lo", not an image; send JPEG, PNG, WebP, TIFF, GIF or AVIF' });
        assert.equal((await refusal(decodeImage(Buffer.alloc(0), options(decoder)))).code, 'empty');
      });
    });
  }

  // libjpeg-turbo (sharp) and jpeg-js (jimp) differ in IDCT rounding and in how they upsample subsampled chroma.
  const jpegTolerances = [
    { chromaSubsampling: '4:4:4', max: 3, mean: 1 },
    { chromaSubsampling: '4:2:0', max: 16, mean: 3 },
  ];
  for (const tolerance of jpegTolerances) {
    it(`gives the same pixels with both decoders for a ${tolerance.chromaSubsampling} JPEG (within ${tolerance.max} levels, mean under ${tolerance.mean})`, async () => {
      const jpeg = await raw(pattern(320, 240), 320, 240).jpeg({ quality: 90, chromaSubsampling: tolerance.chromaSubsampling }).toBuffer();
      const bySharp = await decodeImage(jpeg, options('sharp'));
      const byJimp = await decodeImage(jpeg, options('jimp'));
      assert.deepEqual([byJimp.width, byJimp.height], [bySharp.width, bySharp.height]);
      const { max, mean } = difference(bySharp.data, byJimp.data);
      assert.ok(max <= tolerance.max && mean < tolerance.mean, `max ${max}, mean ${mean}`);
    });
  }

  it('with damage tolerated, sharp decodes a JPEG with extraneous bytes before a marker (as some phones write); jimp refuses it', async () => {
    const flawed = await withExtraneousBytes(await raw(pattern(64, 48), 64, 48).jpeg().toBuffer());
    const image = await decodeImage(flawed, options('sharp', { damaged: 'tolerate' }));
    assert.deepEqual([image.width, image.height], [64, 48]);
    assert.equal((await refusal(decodeImage(flawed, options('jimp', { damaged: 'tolerate' })))).code, 'corrupt');
  });

  it('decodes WebP and AVIF with sharp; jimp refuses them with the reason', async () => {
    const webp = await raw(quadrants(16, 8), 16, 8).webp({ lossless: true }).toBuffer();
    assert.deepEqual([...(await decodeImage(webp, options('sharp'))).data], [...quadrants(16, 8)]);
    const avif = await raw(quadrants(16, 8), 16, 8).avif().toBuffer();
    const decoded = await decodeImage(avif, options('sharp'));
    assert.deepEqual([decoded.format, decoded.width, decoded.height], ['avif', 16, 8]);
    const refused = await refusal(decodeImage(webp, options('jimp')));
    assert.equal(refused.code, 'jimp-format');
    assert.match(refused.message, /jimp\) cannot read webp/);
  });

  describe('on a device where sharp cannot be loaded', () => {
    const realLoader = libraryLoaders.sharp;
    before(() => {
      libraryLoaders.sharp = () => { throw new Error("Could not load the \"sharp\" module using the linux-arm64 runtime\nmore"); };
      resetLibraryCache();
    });
    after(() => {
      libraryLoaders.sharp = realLoader;
      resetLibraryCache();
    });

    it('falls back to jimp with decoder "auto"', async () => {
      const png = await raw(knownPixels, 3, 2).png().toBuffer();
      const image = await decodeImage(png, options('auto'));
      assert.equal(image.decoder, 'jimp');
      assert.deepEqual([...image.data], [...knownPixels]);
    });

    it('refuses with decoder "sharp", saying why', async () => {
      const png = await raw(knownPixels, 3, 2).png().toBuffer();
      assert.deepEqual(await refusal(decodeImage(png, options('sharp'))), {
        code: 'sharp-unavailable',
        message: 'sharp cannot be loaded on this device (Could not load the "sharp" module using the linux-arm64 runtime); choose "auto" or "jimp"',
      });
    });
  });
});
