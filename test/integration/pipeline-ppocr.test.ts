// The whole vision pipeline as a user wires it — mlops-image → mlops-tensor → mlops-infer → mlops-segment — on a
// real pretrained model nobody here wrote: PP-OCRv4 text detection, whose output is a 1-channel text probability map.
import assert from 'node:assert/strict';
import path from 'node:path';
import sharp from 'sharp';
import type { SegmentationResult } from '../../lib/contract';
import { catchNode, nextMessage, nodeModule, repoRoot, testHelper } from '../helpers/flow';

const modelPath = path.join(repoRoot, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_det_infer.onnx');
const LINES = [
  { text: 'Edge inspection 2026', baseline: 70 },
  { text: 'Tower 17 status OK', baseline: 160 },
  { text: 'thin-edge.io MQTT', baseline: 250 },
];

function renderTextPng(): Promise<Buffer> {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="300">' +
    '<rect width="100%" height="100%" fill="#f4f1e8"/>' +
    LINES.map((l) => `<text x="40" y="${l.baseline}" font-family="DejaVu Sans" font-size="40" fill="#1e1e1e">${l.text}</text>`).join('') +
    '</svg>';
  return sharp(Buffer.from(svg)).png().toBuffer();
}

describe('pipeline nodes on PP-OCRv4 text detection', function () {
  this.timeout(60000);
  after(() => testHelper.unload());

  it('finds the rendered text lines as components, mapped back to the picture', async () => {
    const flow = [
      { id: 'tab', type: 'tab', label: 'ocr' },
      { id: 'model', type: 'mlops-model', path: modelPath, workers: 1, warmup: false, intraOpThreads: 0 },
      { id: 'image', type: 'mlops-image', z: 'tab', x: 0, y: 0, wires: [['tensor']] },
      // PP-OCR det: sides multiple of 32, ImageNet mean/std on 0…1 values, BGR (PaddleOCR reads with OpenCV).
      { id: 'tensor', type: 'mlops-tensor', z: 'tab', x: 0, y: 0, width: '608', height: '288', resizeMode: 'fill',
        colorOrder: 'BGR', layout: 'NCHW', dataType: 'float32', scale: '1/255',
        mean: '0.485, 0.456, 0.406', std: '0.229, 0.224, 0.225', wires: [['infer']] },
      { id: 'infer', type: 'mlops-infer', z: 'tab', x: 0, y: 0, model: 'model', queueSize: 2, queuePolicy: 'queue', wires: [['segment']] },
      { id: 'segment', type: 'mlops-segment', z: 'tab', x: 0, y: 0, singleChannel: 'probability', threshold: 0.3,
        labels: 'text', minArea: 100, maxComponents: 10, overlay: true, overlayFormat: 'png', opacity: 0.5, legend: true, wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab', x: 0, y: 0 },
      { id: 'catch', type: 'catch', z: 'tab', x: 0, y: 0, scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab', x: 0, y: 0 },
    ];
    await testHelper.load(['mlops-image', 'mlops-tensor', 'mlops-model', 'mlops-infer', 'mlops-segment'].map(nodeModule).concat(catchNode), flow);
    const errors: string[] = [];
    testHelper.getNode('caught').on('input', (msg: { error: { message: string } }) => errors.push(msg.error.message));

    const result = nextMessage('out', 50000);
    testHelper.getNode('image').receive({ payload: await renderTextPng() });
    const msg = await result;
    assert.deepEqual(errors, []);

    const segmentation = msg.segmentation as SegmentationResult;
    assert.deepEqual([segmentation.width, segmentation.height], [600, 300]);
    assert.deepEqual(msg.outputs[Object.keys(msg.outputs)[0]!].dims, [1, 1, 288, 608]);
    const lines = [...segmentation.components].sort((a, b) => a.bbox[1] - b.bbox[1]);
    assert.equal(lines.length, 3, JSON.stringify(segmentation.components));
    lines.forEach((component, i) => {
      const [x, y, w, h] = component.bbox;
      const baseline = LINES[i]!.baseline;
      assert.equal(component.label, 'text');
      // Each line's text kernel (DB marks a shrunk core of the text) sits above its baseline within the 40 px font's
      // height and starts a little right of x = 40, where the text starts.
      assert.ok(y >= baseline - 40 && y + h <= baseline + 12, `line ${i}: bbox ${component.bbox} vs baseline ${baseline}`);
      assert.ok(x >= 36 && x <= 70 && w >= 250, `line ${i}: bbox ${component.bbox}`);
    });
    const overlay = await sharp(segmentation.overlay!).metadata();
    assert.deepEqual([overlay.format, overlay.width, overlay.height], ['png', 600, 300]);
    for (const stage of ['decode', 'preprocess', 'queue', 'infer', 'postprocess']) {
      assert.equal(typeof msg.timings[stage], 'number', `msg.timings.${stage}`);
    }
  });
});
