// Per-frame cost of segmentation post-processing: a 1920×1080 picture letterboxed into 512×512, 21-class logits.
// Run: npm run build && node dist/bench/segmentation.js [frames]
import { performance } from 'node:perf_hooks';
import { bufferOf, type ImageData, type TensorGeometry } from '../lib/contract';
import { backProject, decodeClassPlane, findComponents, renderOverlay, segment, type SegmentOptions } from '../lib/segmentation';

const frames = Number(process.argv[2] ?? 10);
const [width, height, size, classes] = [1920, 1080, 512, 21];
const scale = size / width;
const geometry: TensorGeometry = {
  sourceWidth: width, sourceHeight: height, width: size, height: size, scaleX: scale, scaleY: scale,
  padLeft: 0, padTop: Math.round((size - height * scale) / 2), resize: 'contain',
};
// Blobs of classes: each pixel's winning class depends on a coarse grid cell.
const plane = size * size;
const logits = new Float32Array(classes * plane);
for (let i = 0; i < plane; i++) {
  const cell = (Math.floor((i % size) / 40) * 7 + Math.floor(i / size / 40) * 3) % classes;
  logits[cell * plane + i] = 4;
}
const image: ImageData = {
  data: Buffer.alloc(width * height * 3, 128), width, height, channels: 3,
  format: 'jpeg', encoded: Buffer.alloc(0), source: 'buffer', orientation: 1, decoder: 'sharp',
};
const output = { data: bufferOf(logits), type: 'float32' as const, dims: [1, classes, size, size] };
const options: SegmentOptions = {
  singleChannel: 'sigmoid', threshold: 0.5, minArea: 50, maxCount: 100, includeBackground: false, labels: [], colors: [],
  overlay: { opacity: 0.5, includeBackground: false, legend: true, format: 'jpeg' },
};

async function time(label: string, step: () => unknown): Promise<void> {
  await step();
  const started = performance.now();
  for (let i = 0; i < frames; i++) await step();
  console.log(`${label.padEnd(28)} ${((performance.now() - started) / frames).toFixed(1)} ms/frame`);
}

(async () => {
  const decoded = decodeClassPlane(output, 'out', options);
  const classMap = backProject(decoded, geometry);
  await time('argmax 21×512×512', () => decodeClassPlane(output, 'out', options));
  await time('back-project to 1920×1080', () => backProject(decoded, geometry));
  await time('components', () => findComponents(classMap, width, height, options));
  await time('overlay (JPEG, legend)', () => renderOverlay(image, classMap, Array.from({ length: classes }, (_, i) => (i ? '#ff0000' : '#000000')), [], options.overlay!));
  await time('whole step', () => segment({ outputs: { out: output }, geometry, image }, options));
})();
