// A real pretrained model nobody here wrote: the PP-OCRv4 text detector (DB head, 1-channel text probability map).
// Its pre-processing is done here by hand (the ingest/tensor/infer nodes are tested elsewhere); the post-processing
// is lib/segmentation in "probability" mode, back-projecting through a "fill" resize to multiples of 32.
import assert from 'node:assert/strict';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { bufferOf, type ImageData, type TensorGeometry } from '../../../lib/contract';
import { segment, type SegmentOptions } from '../../../lib/segmentation';
import { repoRoot } from '../../helpers/flow';

const modelPath = path.join(repoRoot, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_det_infer.onnx');

const WIDTH = 600;
const HEIGHT = 300;
// Three lines of dark text; each line's band of rows, for measuring where its ink really is.
const LINES = [
  { text: 'Edge inspection 2026', baseline: 70, band: [0, 100] },
  { text: 'Tower 17 status OK', baseline: 160, band: [100, 190] },
  { text: 'thin-edge.io MQTT', baseline: 250, band: [190, 300] },
];

type Box = [number, number, number, number];

async function renderPicture(): Promise<ImageData> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">` +
    '<rect width="100%" height="100%" fill="#f4f1e8"/>' +
    LINES.map((l) => `<text x="40" y="${l.baseline}" font-family="DejaVu Sans" font-size="40" fill="#1e1e1e">${l.text}</text>`).join('') +
    '</svg>';
  const data = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer();
  return { data, width: WIDTH, height: HEIGHT, channels: 3, format: 'png', encoded: Buffer.alloc(0), source: 'buffer', orientation: 1, decoder: 'sharp' };
}

/** The box around the dark pixels (red < 128) of a band of rows. */
function inkBox(image: ImageData, [top, bottom]: number[]): Box {
  let minX = Infinity, minY = Infinity, maxX = -1, maxY = -1;
  for (let y = top!; y < bottom!; y++) {
    for (let x = 0; x < image.width; x++) {
      if (image.data[(y * image.width + x) * 3]! < 128) {
        minX = Math.min(minX, x); maxX = Math.max(maxX, x);
        minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
    }
  }
  return [minX, minY, maxX - minX + 1, maxY - minY + 1];
}

/**
 * PP-OCR det pre-processing: resize each side to the nearest multiple of 32 (at least 32), scale to 0…1, normalise with
 * the ImageNet mean/std, NCHW float32. PaddleOCR reads pictures with OpenCV, so the channels are in BGR order.
 */
async function preprocess(image: ImageData): Promise<{ input: ort.Tensor; geometry: TensorGeometry }> {
  const width = Math.max(32, Math.round(image.width / 32) * 32);
  const height = Math.max(32, Math.round(image.height / 32) * 32);
  const resized = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' }).raw().toBuffer();
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const rgbChannel = 2 - c;
    for (let i = 0; i < plane; i++) data[c * plane + i] = (resized[i * 3 + rgbChannel]! / 255 - mean[c]!) / std[c]!;
  }
  return {
    input: new ort.Tensor('float32', data, [1, 3, height, width]),
    geometry: {
      sourceWidth: image.width, sourceHeight: image.height, width, height,
      scaleX: width / image.width, scaleY: height / image.height, padLeft: 0, padTop: 0, resize: 'fill',
    },
  };
}

function iou(a: Box, b: Box): number {
  const x = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const y = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const overlap = x * y;
  return overlap / (a[2] * a[3] + b[2] * b[3] - overlap);
}

/** DB's "unclip": the probability map marks a shrunk text kernel; PP-OCR grows it by area × 1.5 / perimeter. */
function unclip([x, y, w, h]: Box): Box {
  const d = (w * h * 1.5) / (2 * (w + h));
  return [x - d, y - d, w + 2 * d, h + 2 * d];
}

describe('segmentation on PP-OCRv4 text detection', () => {
  it('finds the three rendered text lines as three components', async () => {
    const image = await renderPicture();
    const { input, geometry } = await preprocess(image);
    const session = await ort.InferenceSession.create(modelPath);
    const results = await session.run({ [session.inputNames[0]!]: input });
    const probabilities = results[session.outputNames[0]!]!;
    assert.deepEqual(probabilities.dims, [1, 1, 288, 608]);

    const options: SegmentOptions = {
      singleChannel: 'probability', threshold: 0.3,
      // Specks of a few pixels are noise; a 40 px text line's kernel covers thousands.
      minArea: 100, maxCount: 10, includeBackground: false,
      labels: ['text'], colors: [],
      overlay: { opacity: 0.5, includeBackground: false, legend: true, format: 'png' },
    };
    const outputs = { [session.outputNames[0]!]: { data: bufferOf(probabilities.data as Float32Array), type: 'float32' as const, dims: [...probabilities.dims] } };
    const { result } = await segment({ outputs, geometry, image }, options);

    assert.deepEqual([result.width, result.height], [WIDTH, HEIGHT]);
    assert.deepEqual(result.labels, ['background', 'text']);
    assert.equal(result.components.length, 3, JSON.stringify(result.components));
    const found = [...result.components].sort((a, b) => a.bbox[1] - b.bbox[1]);
    LINES.forEach((line, i) => {
      const ink = inkBox(image, line.band);
      const kernel = found[i]!.bbox;
      // The kernel lies inside the line's ink (2 px tolerance for the resize) and spans at least 80 % of its width …
      assert.ok(kernel[0] >= ink[0] - 2 && kernel[1] >= ink[1] - 2, `${line.text}: kernel ${kernel} starts outside ink ${ink}`);
      assert.ok(kernel[0] + kernel[2] <= ink[0] + ink[2] + 2 && kernel[1] + kernel[3] <= ink[1] + ink[3] + 2, `${line.text}: kernel ${kernel} ends outside ink ${ink}`);
      assert.ok(kernel[2] >= 0.8 * ink[2], `${line.text}: kernel ${kernel} is narrower than 80 % of ink ${ink}`);
      // … and grown the way PP-OCR grows it, it matches the ink box closely.
      const overlap = iou(unclip(kernel), ink);
      assert.ok(overlap >= 0.7, `${line.text}: IoU ${overlap.toFixed(2)} of unclipped ${kernel} with ink ${ink}`);
    });
    const text = result.classes[1]!;
    assert.ok(text.ratio > 0.03 && text.ratio < 0.2, `text covers ${text.ratio}`);
    const overlay = await sharp(result.overlay!).metadata();
    assert.deepEqual([overlay.width, overlay.height, overlay.format], [WIDTH, HEIGHT, 'png']);
    await session.release();
  });
});
