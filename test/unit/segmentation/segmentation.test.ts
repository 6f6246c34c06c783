import assert from 'node:assert/strict';
import sharp from 'sharp';
import {
  backProject, blendClassColours, countPixels, decodeClassPlane, findComponents, legendSvg, nameClasses, parseColours, parseList, segment,
  selectOutput, defaultColour, type ClassPlane, type SegmentOptions,
} from '../../../lib/segmentation';
import { segmentOptionsFromConfig } from '../../../lib/segmentation/config';
import { bufferOf } from '../../../lib/contract';
import { PipelineError } from '../../../lib/errors';
import { floatOutput, geometry, logitsFor, solidImage } from '../../helpers/segmentation-fixtures';

const decodeDefaults = { singleChannel: 'sigmoid' as const, threshold: 0.5 };
const noComponentsLimit = { minArea: 0, maxCount: 100, includeBackground: false };

function plane(classes: number[], width: number, height: number, classCount = 4): ClassPlane {
  return { classes: Uint8Array.from(classes), width, height, classCount };
}

function code(expected: string) {
  return (err: unknown) => err instanceof PipelineError && err.code === expected;
}

describe('segmentation: decoding model outputs', () => {
  it('takes the argmax over 3 classes of a 4×4 logits tensor', () => {
    const expected = [
      0, 0, 1, 1,
      0, 2, 1, 1,
      2, 2, 2, 1,
      0, 0, 0, 0,
    ];
    const decoded = decodeClassPlane(logitsFor(expected, 3, 4, 4), 'logits', decodeDefaults);
    assert.deepEqual(Array.from(decoded.classes), expected);
    assert.equal(decoded.classCount, 3);
    assert.equal(decoded.width, 4);
    assert.equal(decoded.height, 4);
  });

  it('gives ties to the lower class index', () => {
    const decoded = decodeClassPlane(floatOutput([0.3, 0.1, 0.3, 0.9], [1, 2, 1, 2]), 'o', decodeDefaults);
    assert.deepEqual(Array.from(decoded.classes), [0, 1]);
  });

  it('applies a sigmoid to 1-channel logits and keeps pixels strictly above the threshold', () => {
    const logits = floatOutput([-2, 0, 0.1, 3, -0.1, 5], [1, 1, 2, 3]);
    assert.deepEqual(Array.from(decodeClassPlane(logits, 'o', decodeDefaults).classes), [0, 0, 1, 1, 0, 1]);
    // sigmoid(0.8) = 0.690 and sigmoid(0.9) = 0.711 straddle 0.7.
    const near = floatOutput([0.8, 0.9], [1, 1, 1, 2]);
    assert.deepEqual(Array.from(decodeClassPlane(near, 'o', { singleChannel: 'sigmoid', threshold: 0.7 }).classes), [0, 1]);
  });

  it('thresholds 1-channel probabilities as they are', () => {
    const probabilities = floatOutput([0.2, 0.5, 0.51, 0.9, 0.3, 1], [1, 1, 2, 3]);
    const decoded = decodeClassPlane(probabilities, 'o', { singleChannel: 'probability', threshold: 0.5 });
    assert.deepEqual(Array.from(decoded.classes), [0, 0, 1, 1, 0, 1]);
    assert.equal(decoded.classCount, 2);
    const lower = decodeClassPlane(probabilities, 'o', { singleChannel: 'probability', threshold: 0.25 });
    assert.deepEqual(Array.from(lower.classes), [0, 1, 1, 1, 1, 1]);
  });

  it('reads uint8 scores too', () => {
    const output = { data: Buffer.from([10, 200, 90, 30]), type: 'uint8' as const, dims: [1, 2, 1, 2] };
    assert.deepEqual(Array.from(decodeClassPlane(output, 'o', decodeDefaults).classes), [1, 0]);
  });

  it('selects the configured output, else the first, and lists the names it has', () => {
    const a = floatOutput([1], [1, 1, 1, 1]);
    const b = floatOutput([2], [1, 1, 1, 1]);
    assert.equal(selectOutput({ a, b }).name, 'a');
    assert.equal(selectOutput({ a, b }, 'b').output, b);
    assert.throws(() => selectOutput({ a, b }, 'mask'), /no output "mask"; available: a, b/);
    assert.throws(() => selectOutput({}), code('no-outputs'));
  });

  it('refuses shapes that are not NCHW with batch 1, more than 255 classes, int64 and short data', () => {
    assert.throws(() => decodeClassPlane(floatOutput([1, 2, 3, 4], [1, 4, 1]), 'o', decodeDefaults), /shape \[1, 4, 1\]; expected NCHW with batch 1/);
    assert.throws(() => decodeClassPlane(floatOutput([1, 2], [2, 1, 1, 1]), 'o', decodeDefaults), code('bad-shape'));
    assert.throws(() => decodeClassPlane(floatOutput(new Array(256).fill(0), [1, 256, 1, 1]), 'o', decodeDefaults), /256 channels; at most 255/);
    const int64 = { data: Buffer.alloc(8), type: 'int64' as const, dims: [1, 1, 1, 1] };
    assert.throws(() => decodeClassPlane(int64, 'o', decodeDefaults), code('unsupported-type'));
    assert.throws(() => decodeClassPlane(floatOutput([1, 2, 3], [1, 1, 2, 2]), 'o', decodeDefaults), /holds 12 bytes .* needs 16/);
    assert.throws(() => decodeClassPlane(floatOutput([1], [1, 1, 1, 1]), 'o', { singleChannel: 'sigmoid', threshold: 1 }), code('bad-setting'));
  });
});

describe('segmentation: back-projection onto the original picture', () => {
  it('undoes letterbox padding ("contain")', () => {
    // An 8×4 picture scaled by 0.5 into a 4×4 tensor, centred vertically: rows 0 and 3 are padding.
    const tensorClasses = plane([
      3, 3, 3, 3,
      0, 1, 2, 0,
      1, 1, 0, 2,
      3, 3, 3, 3,
    ], 4, 4);
    const g = geometry({ sourceWidth: 8, sourceHeight: 4, width: 4, height: 4, scaleX: 0.5, scaleY: 0.5, padLeft: 0, padTop: 1, resize: 'contain' });
    assert.deepEqual(Array.from(backProject(tensorClasses, g)), [
      0, 0, 1, 1, 2, 2, 0, 0,
      0, 0, 1, 1, 2, 2, 0, 0,
      1, 1, 1, 1, 0, 0, 2, 2,
      1, 1, 1, 1, 0, 0, 2, 2,
    ]);
  });

  it('undoes a "fill" resize with different x and y scales', () => {
    // 6×3 picture squeezed into a 3×3 tensor: x scale 0.5, y scale 1.
    const tensorClasses = plane([1, 0, 2, 0, 3, 0, 2, 2, 1], 3, 3);
    const g = geometry({ sourceWidth: 6, sourceHeight: 3, width: 3, height: 3, scaleX: 0.5, scaleY: 1, padLeft: 0, padTop: 0 });
    assert.deepEqual(Array.from(backProject(tensorClasses, g)), [
      1, 1, 0, 0, 2, 2,
      0, 0, 3, 3, 0, 0,
      2, 2, 2, 2, 1, 1,
    ]);
  });

  it('makes the parts a "cover" crop cut away background', () => {
    // 8×4 picture scaled by 1 and cropped to the middle 4 columns of a 4×4 tensor.
    const tensorClasses = plane([
      1, 2, 3, 1,
      1, 1, 1, 1,
      2, 2, 2, 2,
      3, 0, 0, 3,
    ], 4, 4);
    const g = geometry({ sourceWidth: 8, sourceHeight: 4, width: 4, height: 4, scaleX: 1, scaleY: 1, padLeft: -2, padTop: 0, resize: 'cover' });
    assert.deepEqual(Array.from(backProject(tensorClasses, g)), [
      0, 0, 1, 2, 3, 1, 0, 0,
      0, 0, 1, 1, 1, 1, 0, 0,
      0, 0, 2, 2, 2, 2, 0, 0,
      0, 0, 3, 0, 0, 3, 0, 0,
    ]);
  });

  it('scales an output plane smaller than the tensor (a model predicting at stride 2)', () => {
    // 4×4 picture → 4×4 tensor, model output 2×2.
    const g = geometry({ sourceWidth: 4, sourceHeight: 4, width: 4, height: 4, scaleX: 1, scaleY: 1, padLeft: 0, padTop: 0 });
    assert.deepEqual(Array.from(backProject(plane([1, 2, 3, 0], 2, 2), g)), [
      1, 1, 2, 2,
      1, 1, 2, 2,
      3, 3, 0, 0,
      3, 3, 0, 0,
    ]);
  });

  it('refuses geometry with missing or non-positive numbers', () => {
    const g = geometry({ sourceWidth: 4, sourceHeight: 4, width: 4, height: 4, scaleX: 0, scaleY: 1, padLeft: 0, padTop: 0 });
    assert.throws(() => backProject(plane([0], 1, 1), g), /geometry.scaleX is 0; it must be a positive number/);
  });
});

describe('segmentation: statistics and connected components', () => {
  const width = 8;
  const height = 6;
  const classMap = Uint8Array.from([
    1, 1, 0, 0, 0, 0, 2, 2,
    1, 1, 0, 0, 0, 0, 2, 2,
    0, 0, 1, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 1, 0, 0,
    0, 2, 2, 2, 0, 0, 0, 0,
    0, 2, 0, 2, 0, 0, 0, 1,
  ]);
  const topLeft = { classIndex: 1, area: 5, bbox: [0, 0, 3, 3] };
  const arch = { classIndex: 2, area: 5, bbox: [1, 4, 3, 2] };
  const topRight = { classIndex: 2, area: 4, bbox: [6, 0, 2, 2] };
  const single = { classIndex: 1, area: 1, bbox: [5, 3, 1, 1] };
  const corner = { classIndex: 1, area: 1, bbox: [7, 5, 1, 1] };

  it('counts pixels per class', () => {
    assert.deepEqual(Array.from(countPixels(classMap, 3)), [32, 7, 9]);
  });

  it('finds 8-connected components, largest first, with area and bounding box', () => {
    assert.deepEqual(findComponents(classMap, width, height, noComponentsLimit), [topLeft, arch, topRight, single, corner]);
  });

  it('joins pixels touching only at a corner, in both diagonal directions, but never across classes', () => {
    const antiDiagonal = Uint8Array.from([0, 0, 1, 0, 1, 0, 1, 0, 0]);
    assert.deepEqual(findComponents(antiDiagonal, 3, 3, noComponentsLimit), [{ classIndex: 1, area: 3, bbox: [0, 0, 3, 3] }]);
    const checker = Uint8Array.from([1, 2, 2, 1]);
    assert.deepEqual(findComponents(checker, 2, 2, noComponentsLimit), [
      { classIndex: 1, area: 2, bbox: [0, 0, 2, 2] },
      { classIndex: 2, area: 2, bbox: [0, 0, 2, 2] },
    ]);
  });

  it('joins a U shape whose arms only meet further down', () => {
    const u = Uint8Array.from([
      1, 0, 1,
      1, 0, 1,
      1, 1, 1,
    ]);
    assert.deepEqual(findComponents(u, 3, 3, noComponentsLimit), [{ classIndex: 1, area: 7, bbox: [0, 0, 3, 3] }]);
  });

  it('drops components below the minimum area and keeps at most the maximum count', () => {
    assert.deepEqual(findComponents(classMap, width, height, { ...noComponentsLimit, minArea: 2 }), [topLeft, arch, topRight]);
    assert.deepEqual(findComponents(classMap, width, height, { ...noComponentsLimit, maxCount: 2 }), [topLeft, arch]);
  });

  it('includes background components only when asked', () => {
    const ring = Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0]);
    assert.deepEqual(findComponents(ring, 3, 3, { ...noComponentsLimit, includeBackground: true }), [
      { classIndex: 0, area: 8, bbox: [0, 0, 3, 3] },
      { classIndex: 1, area: 1, bbox: [1, 1, 1, 1] },
    ]);
  });
});

describe('segmentation: labels and colours', () => {
  it('parses comma lists and JSON arrays', () => {
    assert.deepEqual(parseList(' tower, line ,', 'labels'), ['tower', 'line', '']);
    assert.deepEqual(parseList('["a, b", "c"]', 'labels'), ['a, b', 'c']);
    assert.deepEqual(parseList('', 'labels'), []);
    assert.throws(() => parseList('[1, 2]', 'labels'), { code: 'bad-setting', message: "Expected a JSON array of strings or a comma list for labels but received '[1, 2]' of type string" });
    assert.throws(() => parseList('["a"', 'labels'), /does not parse/);
    assert.deepEqual(parseColours('#FF0000,#00ff00', 'colours'), ['#ff0000', '#00ff00']);
    assert.throws(() => parseColours('red', 'colors'), { code: 'bad-setting', message: "Expected colours of the form #rrggbb, like #ff8800 for colors but received 'red' of type string" });
  });

  it('takes configuration first, then model metadata, then defaults', () => {
    const metadata = { labels: 'bg,tower,line', colors: '["#000000","#ff0000","#00ff00"]' };
    assert.deepEqual(nameClasses(4, { labels: [], colors: [], metadata }), {
      labels: ['bg', 'tower', 'line', 'class3'],
      colors: ['#000000', '#ff0000', '#00ff00', defaultColour(3)],
    });
    // A configured list replaces the metadata's list as a whole; what it leaves out gets defaults.
    assert.deepEqual(nameClasses(2, { labels: ['a', 'b'], colors: ['#111111'], metadata }), { labels: ['a', 'b'], colors: ['#111111', defaultColour(1)] });
    assert.deepEqual(nameClasses(2, { labels: ['text'], colors: [] }).labels, ['background', 'text']);
    assert.deepEqual(nameClasses(2, { labels: [], colors: [] }).labels, ['class0', 'class1']);
  });

  it('has distinct default colours and a black background', () => {
    assert.equal(defaultColour(0), '#000000');
    const colours = Array.from({ length: 21 }, (_, i) => defaultColour(i));
    assert.equal(new Set(colours).size, 21);
    for (const c of colours) assert.match(c, /^#[0-9a-f]{6}$/);
  });
});

describe('segmentation: node settings', () => {
  it('reads defaults and refuses bad numbers with the rule', () => {
    const options = segmentOptionsFromConfig({});
    assert.equal(options.threshold, 0.5);
    assert.equal(options.singleChannel, 'auto');
    assert.equal(segmentOptionsFromConfig({ singleChannel: 'sigmoid' }).singleChannel, 'sigmoid');
    assert.deepEqual(options.overlay, { opacity: 0.5, includeBackground: false, legend: true, format: 'jpeg' });
    assert.equal(segmentOptionsFromConfig({ overlay: false }).overlay, undefined);
    assert.throws(() => segmentOptionsFromConfig({ threshold: '1.5' }), { code: 'bad-setting', message: "Expected number above 0 and below 1 for threshold but received '1.5' of type string" });
    assert.throws(() => segmentOptionsFromConfig({ maxComponents: 2.5 }), code('bad-setting'));
  });
});

describe('segmentation: the whole step', () => {
  const options: SegmentOptions = { ...decodeDefaults, ...noComponentsLimit, labels: ['background', 'tower', 'line'], colors: [] };

  it('maps a letterboxed 3-class output to the picture with statistics, components and annotations', async () => {
    const tensorMap = [
      0, 0, 0, 0,
      1, 1, 0, 2,
      0, 0, 0, 2,
      0, 0, 0, 0,
    ];
    const outputs = { seg: logitsFor(tensorMap, 3, 4, 4) };
    const g = geometry({ sourceWidth: 8, sourceHeight: 4, width: 4, height: 4, scaleX: 0.5, scaleY: 0.5, padLeft: 0, padTop: 1, resize: 'contain' });
    const { result, annotations, outputName } = await segment({ outputs, geometry: g, image: solidImage(8, 4, [10, 20, 30]) }, options);
    assert.equal(outputName, 'seg');
    assert.equal(result.width, 8);
    assert.equal(result.height, 4);
    assert.deepEqual(Array.from(result.classMap), [
      1, 1, 1, 1, 0, 0, 2, 2,
      1, 1, 1, 1, 0, 0, 2, 2,
      0, 0, 0, 0, 0, 0, 2, 2,
      0, 0, 0, 0, 0, 0, 2, 2,
    ]);
    assert.deepEqual(result.classes.map((c) => [c.label, c.pixels, c.ratio]), [['background', 16, 0.5], ['tower', 8, 0.25], ['line', 8, 0.25]]);
    assert.deepEqual(result.components, [
      { classIndex: 1, label: 'tower', area: 8, bbox: [0, 0, 4, 2] },
      { classIndex: 2, label: 'line', area: 8, bbox: [6, 0, 2, 4] },
    ]);
    assert.deepEqual(annotations, [
      { type: 'rect', bbox: [0, 0, 4, 2], label: 'tower', stroke: result.colors[1], lineWidth: 2 },
      { type: 'rect', bbox: [6, 0, 2, 4], label: 'line', stroke: result.colors[2], lineWidth: 2 },
    ]);
    assert.equal(result.overlay, undefined);
  });

  it('without geometry takes the output to cover the whole picture, and without a picture keeps its size', async () => {
    const outputs = { mask: floatOutput([0.9, 0.1, 0.1, 0.9], [1, 1, 2, 2]) };
    const probability = { ...options, singleChannel: 'probability' as const, labels: [] };
    const stretched = await segment({ outputs, image: solidImage(4, 2, [0, 0, 0]) }, probability);
    assert.deepEqual(Array.from(stretched.result.classMap), [1, 1, 0, 0, 0, 0, 1, 1]);
    const asIs = await segment({ outputs }, probability);
    assert.deepEqual(Array.from(asIs.result.classMap), [1, 0, 0, 1]);
  });

  it('refuses a picture that is not the one the tensor was made from, and an overlay without a picture', async () => {
    const outputs = { mask: floatOutput([0.9, 0.1, 0.1, 0.9], [1, 1, 2, 2]) };
    const g = geometry({ sourceWidth: 4, sourceHeight: 4, width: 2, height: 2, scaleX: 0.5, scaleY: 0.5, padLeft: 0, padTop: 0 });
    await assert.rejects(segment({ outputs, geometry: g, image: solidImage(4, 2, [0, 0, 0]) }, options), /msg.image is 4×2 but the tensor was made from a 4×4 picture/);
    const overlay = { opacity: 0.5, includeBackground: false, legend: false, format: 'png' as const };
    await assert.rejects(segment({ outputs, geometry: g }, { ...options, overlay }), code('no-image'));
  });

  it('blends class colours over the picture at the original size', async () => {
    // 1-channel logits on a 2×2 tensor, stretched over an 8×4 picture: the left half is class 1.
    const outputs = { mask: floatOutput([4, -4, 4, -4], [1, 1, 2, 2]) };
    const g = geometry({ sourceWidth: 8, sourceHeight: 4, width: 2, height: 2, scaleX: 0.25, scaleY: 0.5, padLeft: 0, padTop: 0 });
    const overlay = { opacity: 0.4, includeBackground: false, legend: true, format: 'png' as const };
    const { result } = await segment(
      { outputs, geometry: g, image: solidImage(8, 4, [100, 150, 200]) },
      { ...options, labels: [], colors: ['#000000', '#ff0000'], overlay },
    );
    assert.equal(result.overlayFormat, 'png');
    const { data, info } = await sharp(result.overlay!).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [8, 4, 3]);
    const pixel = (x: number, y: number) => Array.from(data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3));
    // round(100·0.6 + 255·0.4), round(150·0.6), round(200·0.6); background pixels unchanged.
    assert.deepEqual(pixel(1, 2), [162, 90, 120]);
    assert.deepEqual(pixel(6, 2), [100, 150, 200]);
  });

  it('blends an RGBA picture into RGB, painting class 0 only when asked', () => {
    const rgba = { ...solidImage(2, 1, [0, 0, 0]), channels: 4 as const, data: Buffer.from([10, 20, 30, 255, 200, 100, 50, 0]) };
    const classMap = Uint8Array.from([0, 1]);
    const colours = ['#0000ff', '#ffffff'];
    // round(200·0.75 + 255·0.25) = 214, round(100·0.75 + 63.75) = 139, round(50·0.75 + 63.75) = 101.
    assert.deepEqual(Array.from(blendClassColours(rgba, classMap, colours, { opacity: 0.25, includeBackground: false })), [10, 20, 30, 214, 139, 101]);
    assert.deepEqual(Array.from(blendClassColours(rgba, classMap, colours, { opacity: 0.25, includeBackground: true })).slice(0, 3), [8, 15, 86]);
  });

  it('encodes JPEG and draws a legend that darkens its corner of the picture', async () => {
    const outputs = { mask: floatOutput([4, -4, 4, -4], [1, 1, 2, 2]) };
    const overlay = { opacity: 0.5, includeBackground: false, legend: true, format: 'jpeg' as const };
    const { result } = await segment({ outputs, image: solidImage(320, 240, [255, 255, 255]) }, { ...options, labels: ['background', 'rust'], overlay });
    assert.equal(result.overlayFormat, 'jpeg');
    const { data, info } = await sharp(result.overlay!).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.format], [320, 240, 'raw']);
    // The legend box starts at (6, 6): 60 % black over white leaves about 102.
    const legendCorner = data[(9 * 320 + 9) * 3]!;
    assert.ok(legendCorner < 130, `legend background is ${legendCorner}`);
    const farRight = data[(200 * 320 + 300) * 3]!;
    assert.ok(farRight > 245, `plain background is ${farRight}`);
  });

  it('fits the legend to the picture, summarising what does not fit, and leaves it out on tiny pictures', () => {
    const entries = Array.from({ length: 30 }, (_, i) => ({ label: `class${i}`, color: defaultColour(i), ratio: 0.01 }));
    const legend = legendSvg(entries, 200, 200)!;
    const svg = legend.svg.toString();
    assert.match(svg, /\+\d+ more/);
    const height = Number(/height="(\d+)"/.exec(svg)![1]);
    assert.ok(height + 2 * legend.top <= 200);
    assert.equal(legendSvg(entries.slice(0, 1), 8, 4), undefined);
    assert.match(legendSvg([{ label: 'a<b & "c"', color: '#ff0000', ratio: 0.5 }], 300, 300)!.svg.toString(), /a&#60;b &#38; &#34;c&#34; 50\.0%/);
  });

  it('keeps the class map a Buffer over its own memory', async () => {
    const { result } = await segment({ outputs: { m: floatOutput([1], [1, 1, 1, 1]) } }, options);
    assert.ok(Buffer.isBuffer(result.classMap));
    assert.deepEqual(result.classMap, bufferOf(Uint8Array.from([1])));
  });
});
