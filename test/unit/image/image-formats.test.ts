import assert from 'node:assert/strict';
import { describeBytes, headerDimensions, orientPixels, readOrientation, sniffFormat, type ImageFormat } from '../../../lib/image';
import { quadrants, raw } from '../../fixtures/images';

describe('image format sniffing, header size and orientation', () => {
  const encoders: Record<ImageFormat, (img: ReturnType<typeof raw>) => ReturnType<typeof raw>> = {
    jpeg: (img) => img.jpeg(),
    png: (img) => img.png(),
    webp: (img) => img.webp(),
    tiff: (img) => img.tiff(),
    gif: (img) => img.gif(),
    avif: (img) => img.avif(),
  };

  for (const [format, encode] of Object.entries(encoders) as [ImageFormat, (typeof encoders)[ImageFormat]][]) {
    it(`recognises ${format} and reads its 48x20 size from the header`, async () => {
      const bytes = await encode(raw(quadrants(48, 20), 48, 20)).toBuffer();
      assert.equal(sniffFormat(bytes), format);
      assert.deepEqual(headerDimensions(bytes, format), { width: 48, height: 20 });
    });
  }

  it('reads the size of lossless and extended WebP headers too', async () => {
    const lossless = await raw(quadrants(300, 7), 300, 7).webp({ lossless: true }).toBuffer();
    assert.deepEqual(headerDimensions(lossless, 'webp'), { width: 300, height: 7 });
    const extended = await raw(quadrants(30, 70), 30, 70).webp().withMetadata({ orientation: 6 }).toBuffer();
    assert.deepEqual(headerDimensions(extended, 'webp'), { width: 30, height: 70 });
  });

  it('names what non-image bytes look like', () => {
    assert.equal(sniffFormat(Buffer.from('<html><body>Not found</body></html>')), undefined);
    assert.equal(describeBytes(Buffer.from('<html><body>Not found</body></html>')), 'HTML/XML text starting with "<html><body>Not found</b"');
    assert.equal(describeBytes(Buffer.from('{"error": "camera offline"}')), 'JSON text starting with "{"error": "camera offlin"');
    assert.equal(describeBytes(Buffer.from('%PDF-1.7 ...')), 'a PDF document');
    assert.equal(describeBytes(Buffer.from('PK\x03\x04rest', 'latin1')), 'a ZIP archive');
    assert.equal(describeBytes(Buffer.from('BM\x00\x00', 'latin1')), 'a BMP image (not supported)');
    assert.equal(describeBytes(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), 'SVG text (not supported) starting with "<svg xmlns="http://www.w"');
    assert.equal(describeBytes(Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x80, 0x81])), '6 bytes of unknown binary data starting with 00 01 fe ff 80 81');
    assert.equal(describeBytes(Buffer.alloc(0)), 'zero bytes');
  });

  it('reads the EXIF orientation of JPEG, PNG, WebP and TIFF files', async () => {
    const img = () => raw(quadrants(16, 8), 16, 8);
    assert.equal(readOrientation(await img().jpeg().withMetadata({ orientation: 6 }).toBuffer(), 'jpeg'), 6);
    assert.equal(readOrientation(await img().png().withMetadata({ orientation: 8 }).toBuffer(), 'png'), 8);
    assert.equal(readOrientation(await img().webp().withMetadata({ orientation: 3 }).toBuffer(), 'webp'), 3);
    assert.equal(readOrientation(await img().tiff().withMetadata({ orientation: 5 }).toBuffer(), 'tiff'), 5);
    assert.equal(readOrientation(await img().jpeg().toBuffer(), 'jpeg'), 1);
  });

  it('turns pixels upright for all eight orientations', () => {
    // 3x2 single-channel image:  a b c / d e f
    const stored = Buffer.from('abcdef');
    const upright = (o: number) => {
      const r = orientPixels(stored, 3, 2, 1, o);
      const rows: string[] = [];
      for (let y = 0; y < r.height; y++) rows.push(r.data.subarray(y * r.width, (y + 1) * r.width).toString());
      return rows.join('/');
    };
    assert.equal(upright(1), 'abc/def');
    assert.equal(upright(2), 'cba/fed');
    assert.equal(upright(3), 'fed/cba');
    assert.equal(upright(4), 'def/abc');
    assert.equal(upright(5), 'ad/be/cf');
    assert.equal(upright(6), 'da/eb/fc');
    assert.equal(upright(7), 'fc/eb/da');
    assert.equal(upright(8), 'cf/be/ad');
  });
});
