import assert from 'node:assert/strict';
import { typedView } from '../../../lib/contract';
import type { ModelInfo, TensorInfo } from '../../../lib/onnx';
import {
  imageToTensor, inputGeometryFromModel, parseColor, parseScale, parseTriple, planGeometry, resolvePreprocessOptions,
  type ExplicitOptions,
} from '../../../lib/tensor';
import { difference, pattern } from '../../fixtures/images';
import { refusal } from '../../helpers/refusal';

// 4x2 RGB image with known pixels.
const image4x2 = {
  data: Buffer.from([
    10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120,
    130, 140, 150, 160, 170, 180, 190, 200, 210, 220, 230, 240,
  ]),
  width: 4, height: 2, channels: 3 as const,
};

const values = (tensor: { data: Buffer; type: 'float32' | 'uint8' }): number[] => Array.from(typedView(tensor.data, tensor.type) as Float32Array | Uint8Array);
const tensorFor = (explicit: ExplicitOptions, image: Parameters<typeof imageToTensor>[0] = image4x2) =>
  imageToTensor(image, resolvePreprocessOptions({ width: 4, height: 2, ...explicit }));

function modelInfo(inputs: TensorInfo[], metadata: Record<string, string> = {}): ModelInfo {
  return { irVersion: 8, opsetVersion: 17, producer: 'test', graphName: 'g', inputs, outputs: [], metadata, opTypes: [], nodeCount: 0, usesExternalData: false };
}

describe('tensor pre-processing', () => {
  describe('exact values for a 4x2 image', () => {
    it('NCHW RGB float32, scale 1/255: one plane per channel', async () => {
      const tensor = await tensorFor({});
      assert.deepEqual([tensor.dims, tensor.type, tensor.layout, tensor.colorOrder], [[1, 3, 2, 4], 'float32', 'NCHW', 'RGB']);
      const planes = [
        [10, 40, 70, 100, 130, 160, 190, 220],
        [20, 50, 80, 110, 140, 170, 200, 230],
        [30, 60, 90, 120, 150, 180, 210, 240],
      ];
      assert.deepEqual(values(tensor), planes.flat().map((v) => Math.fround(v / 255)));
    });

    it('NHWC BGR float32 with mean and std given in tensor (BGR) order', async () => {
      const tensor = await tensorFor({ layout: 'NHWC', colorOrder: 'BGR', scale: 1, mean: [100, 110, 120], std: [2, 4, 5] });
      assert.deepEqual(tensor.dims, [1, 2, 4, 3]);
      // pixel (10, 20, 30) → B (30 − 100) / 2, G (20 − 110) / 4, R (10 − 120) / 5
      assert.deepEqual(values(tensor).slice(0, 6), [-35, -22.5, -22, -20, -15, -16]);
      assert.deepEqual(values(tensor).slice(-3), [(240 - 100) / 2, (230 - 110) / 4, (220 - 120) / 5]);
    });

    it('NCHW RGB with ImageNet mean and std', async () => {
      const mean: [number, number, number] = [0.485, 0.456, 0.406];
      const std: [number, number, number] = [0.229, 0.224, 0.225];
      const tensor = await tensorFor({ mean, std });
      const expected = [0, 1, 2].flatMap((c) => [0, 1, 2, 3, 4, 5, 6, 7].map((p) => Math.fround((image4x2.data[p * 3 + c]! / 255 - mean[c]!) / std[c]!)));
      assert.deepEqual(values(tensor), expected);
      assert.equal(values(tensor)[0], Math.fround((10 / 255 - 0.485) / 0.229));
    });

    it('uint8 NHWC RGB carries the pixels unchanged, uint8 NCHW BGR reorders them', async () => {
      const nhwc = await tensorFor({ type: 'uint8', layout: 'NHWC' });
      assert.deepEqual(values(nhwc), [...image4x2.data]);
      const nchw = await tensorFor({ type: 'uint8', layout: 'NCHW', colorOrder: 'BGR' });
      assert.deepEqual(values(nchw), [30, 60, 90, 120, 150, 180, 210, 240, 20, 50, 80, 110, 140, 170, 200, 230, 10, 40, 70, 100, 130, 160, 190, 220]);
    });

    it('contain (letterbox) 4x2 → 4x4 pads a row above and below with the pad colour', async () => {
      const tensor = await tensorFor({ width: 4, height: 4, resize: 'contain', type: 'uint8', padColor: [114, 115, 116] });
      assert.deepEqual(tensor.geometry, { sourceWidth: 4, sourceHeight: 2, width: 4, height: 4, scaleX: 1, scaleY: 1, padLeft: 0, padTop: 1, resize: 'contain' });
      assert.deepEqual(values(tensor).slice(0, 16), [114, 114, 114, 114, 10, 40, 70, 100, 130, 160, 190, 220, 114, 114, 114, 114]);
      assert.deepEqual(values(tensor).slice(32, 36), [116, 116, 116, 116]);
    });

    it('cover (centre crop) 4x2 → 2x2 keeps the middle two columns', async () => {
      const tensor = await tensorFor({ width: 2, height: 2, resize: 'cover', type: 'uint8', layout: 'NHWC' });
      assert.deepEqual(tensor.geometry, { sourceWidth: 4, sourceHeight: 2, width: 2, height: 2, scaleX: 1, scaleY: 1, padLeft: -1, padTop: 0, resize: 'cover' });
      assert.deepEqual(values(tensor), [40, 50, 60, 70, 80, 90, 160, 170, 180, 190, 200, 210]);
    });

    it('uses only the colour channels of RGBA pixels', async () => {
      const rgba = Buffer.alloc(4 * 2 * 4);
      for (let p = 0; p < 8; p++) {
        image4x2.data.copy(rgba, p * 4, p * 3, p * 3 + 3);
        rgba[p * 4 + 3] = 7;
      }
      const tensor = await tensorFor({ type: 'uint8', layout: 'NHWC' }, { data: rgba, width: 4, height: 2, channels: 4 });
      assert.deepEqual(values(tensor), [...image4x2.data]);
    });
  });

  describe('geometry', () => {
    it('letterbox: 640x480 → 320x320 and 1920x1080 → 640x640', () => {
      assert.deepEqual(planGeometry(640, 480, 320, 320, 'contain'), {
        sourceWidth: 640, sourceHeight: 480, width: 320, height: 320, scaleX: 0.5, scaleY: 0.5, padLeft: 0, padTop: 40, resize: 'contain', scaledWidth: 320, scaledHeight: 240,
      });
      const hd = planGeometry(1920, 1080, 640, 640, 'contain');
      assert.deepEqual([hd.scaledWidth, hd.scaledHeight, hd.padLeft, hd.padTop, hd.scaleX, hd.scaleY], [640, 360, 0, 140, 1 / 3, 1 / 3]);
    });

    it('cover: 1920x1080 → 640x640 scales to 1138x640 and crops 249 columns on the left', () => {
      const g = planGeometry(1920, 1080, 640, 640, 'cover');
      assert.deepEqual([g.scaledWidth, g.scaledHeight, g.padLeft, g.padTop, g.scaleX, g.scaleY], [1138, 640, -249, 0, 1138 / 1920, 640 / 1080]);
    });

    it('fill: independent x and y scales, no padding', () => {
      const g = planGeometry(1920, 1080, 640, 640, 'fill');
      assert.deepEqual([g.scaleX, g.scaleY, g.padLeft, g.padTop], [1 / 3, 640 / 1080, 0, 0]);
    });

    it('maps a tensor point back to the source exactly', async () => {
      const tensor = await imageToTensor({ data: pattern(640, 480), width: 640, height: 480, channels: 3 }, resolvePreprocessOptions({ width: 320, height: 320, resize: 'contain' }));
      const { padLeft, padTop, scaleX, scaleY } = tensor.geometry;
      assert.deepEqual([(160 - padLeft) / scaleX, (280 - padTop) / scaleY], [320, 480]);
    });
  });

  describe('sharp and jimp paths', () => {
    const source = { data: pattern(640, 480), width: 640, height: 480, channels: 3 as const };
    // Shrinking, both average areas; enlarging, they interpolate differently (sharp ignores the kernel there).
    const cases = [[224, 224, 'fill', 4], [320, 320, 'contain', 4], [256, 256, 'cover', 4], [960, 720, 'fill', 6]] as const;
    for (const [width, height, resize, tolerance] of cases) {
      it(`agree for ${resize} 640x480 → ${width}x${height}: same geometry, values within ${tolerance}/255 (mean under 1.5/255)`, async () => {
        const bySharp = await tensorFor({ width, height, resize, resizer: 'sharp' }, source);
        const byJimp = await tensorFor({ width, height, resize, resizer: 'jimp' }, source);
        assert.deepEqual(byJimp.geometry, bySharp.geometry);
        assert.deepEqual(byJimp.dims, bySharp.dims);
        const { max, mean } = difference(values(bySharp), values(byJimp));
        assert.ok(max <= tolerance / 255 + 1e-6 && mean < 1.5 / 255, `max ${max * 255}/255, mean ${mean * 255}/255`);
      });
    }

    it('pad exactly with the pad colour on both paths', async () => {
      for (const resizer of ['sharp', 'jimp'] as const) {
        const tensor = await tensorFor({ width: 320, height: 320, resize: 'contain', resizer, type: 'uint8', layout: 'NHWC' }, source);
        assert.ok(values(tensor).slice(0, 320 * 40 * 3).every((v) => v === 114), resizer);
        assert.ok(values(tensor).slice(320 * 280 * 3).every((v) => v === 114), resizer);
      }
    });
  });

  describe('refuses bad images', () => {
    const cases: [string, unknown, string, RegExp][] = [
      ['no msg.image', undefined, 'no-image', /^msg.image is missing; put an mlops-image node before this one$/],
      ['2 channels', { data: Buffer.alloc(16), width: 4, height: 2, channels: 2 }, 'bad-channels', /^msg.image has 2 channels; pre-processing needs 3 \(RGB\) or 4 \(RGBA\)$/],
      ['zero width', { data: Buffer.alloc(0), width: 0, height: 2, channels: 3 }, 'zero-size', /^msg.image is 0x2; width and height must be positive whole numbers$/],
      ['pixels as an array', { data: [1, 2, 3], width: 1, height: 1, channels: 3 }, 'bad-image', /not a Buffer/],
      ['too few bytes', { data: Buffer.alloc(10), width: 4, height: 2, channels: 3 }, 'bad-image', /^msg.image.data holds 10 bytes but 4x2x3 needs 24$/],
    ];
    for (const [what, image, code, message] of cases) {
      it(what, async () => {
        const refused = await refusal(imageToTensor(image as never, resolvePreprocessOptions({ width: 4, height: 2 })));
        assert.equal(refused.code, code);
        assert.match(refused.message, message);
      });
    }
  });

  describe('geometry from the model', () => {
    it('infers NCHW when dims[1] is 3 and NHWC otherwise, and the element type', () => {
      assert.deepEqual(inputGeometryFromModel(modelInfo([{ name: 'x', type: 'float32', dims: [1, 3, 224, 160] }])), { name: 'x', layout: 'NCHW', width: 160, height: 224, type: 'float32' });
      assert.deepEqual(inputGeometryFromModel(modelInfo([{ name: 'img', type: 'uint8', dims: ['batch', 320, 240, 3] }])), { name: 'img', layout: 'NHWC', width: 240, height: 320, type: 'uint8' });
      assert.deepEqual(inputGeometryFromModel(modelInfo([{ name: 'x', type: 'float32', dims: [1, 3, 3, 3] }]), 'NHWC').layout, 'NHWC');
    });

    it('takes a named input', () => {
      const info = modelInfo([{ name: 'scale', type: 'float32', dims: [1, 2] }, { name: 'images', type: 'float32', dims: [1, 3, 64, 64] }]);
      assert.equal(inputGeometryFromModel(info, 'auto', { inputName: 'images' }).name, 'images');
      assert.throws(() => inputGeometryFromModel(info, 'auto', { inputName: 'pixels' }), {
        code: 'unknown-input', message: 'the model has no input named "pixels" (inputs: scale, images); correct "Input name"',
      });
    });

    it('refuses symbolic height and width unless a size is configured', () => {
      const info = modelInfo([{ name: 'x', type: 'float32', dims: ['N', 3, 'H', 'W'] }]);
      assert.throws(() => inputGeometryFromModel(info), {
        code: 'symbolic-size', message: 'model input "x" has shape [N, 3, H, W]: its height and width are not fixed; set width and height on the node',
      });
      assert.deepEqual(inputGeometryFromModel(info, 'auto', { width: 640, height: 480 }), { name: 'x', layout: 'NCHW', width: 640, height: 480, type: 'float32' });
    });

    it('refuses a configured size that contradicts fixed dims, wrong ranks, channel counts and batch sizes', () => {
      const fixed = modelInfo([{ name: 'x', type: 'float32', dims: [1, 3, 224, 224] }]);
      assert.throws(() => inputGeometryFromModel(fixed, 'auto', { width: 320, height: 320 }), { code: 'size-conflict' });
      assert.throws(() => inputGeometryFromModel(modelInfo([{ name: 'x', type: 'float32', dims: [1, 10] }])), { code: 'model-input-rank' });
      assert.throws(() => inputGeometryFromModel(modelInfo([{ name: 'x', type: 'float32', dims: [1, 1, 28, 28] }])), {
        code: 'model-channels', message: 'model input "x" has shape [1, 1, 28, 28]: 1 channels in NCHW layout; only 3-channel (RGB/BGR) inputs are supported — check "Layout"',
      });
      assert.throws(() => inputGeometryFromModel(modelInfo([{ name: 'x', type: 'float32', dims: [8, 3, 224, 224] }])), { code: 'model-batch' });
      assert.throws(() => inputGeometryFromModel(modelInfo([])), { code: 'no-inputs' });
    });
  });

  describe('options', () => {
    const imagenet = { mean: '[0.485, 0.456, 0.406]', std: '[0.229, 0.224, 0.225]', scale: '0.00392156862745098', color_order: '"BGR"' };

    it('come from the model metadata, with explicit settings winning', () => {
      const info = modelInfo([{ name: 'x', type: 'float32', dims: [1, 3, 32, 48] }], imagenet);
      const fromModel = resolvePreprocessOptions({}, info);
      assert.deepEqual(
        [fromModel.mean, fromModel.std, fromModel.scale, fromModel.colorOrder, fromModel.width, fromModel.height, fromModel.name, fromModel.layout],
        [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225], 1 / 255, 'BGR', 48, 32, 'x', 'NCHW'],
      );
      const explicit = resolvePreprocessOptions({ colorOrder: 'RGB', mean: [0, 0, 0], type: 'uint8' }, info);
      assert.deepEqual([explicit.colorOrder, explicit.mean, explicit.std, explicit.type], ['RGB', [0, 0, 0], [0.229, 0.224, 0.225], 'uint8']);
    });

    it('take input_size from metadata for symbolic dims only', () => {
      const symbolic = modelInfo([{ name: 'x', type: 'float32', dims: [1, 3, 'h', 'w'] }], { input_size: '[480, 640]' });
      assert.deepEqual([resolvePreprocessOptions({}, symbolic).width, resolvePreprocessOptions({}, symbolic).height], [640, 480]);
      assert.equal(resolvePreprocessOptions({ width: 100, height: 50 }, symbolic).width, 100);
      const fixed = modelInfo([{ name: 'x', type: 'float32', dims: [1, 3, 32, 32] }], { input_size: '{"width": 64, "height": 64}' });
      assert.equal(resolvePreprocessOptions({}, fixed).width, 32);
    });

    it('refuse malformed metadata and a missing size', () => {
      const info = modelInfo([{ name: 'x', type: 'float32', dims: [1, 3, 8, 8] }], { mean: '[1, 2]' });
      assert.throws(() => resolvePreprocessOptions({}, info), {
        code: 'bad-metadata', message: 'the model\'s metadata "mean" is "[1, 2]"; expected a JSON number or an array of 3 numbers',
      });
      assert.throws(() => resolvePreprocessOptions({}), { code: 'no-size' });
    });

    it('parse what users type', () => {
      assert.equal(parseScale('1/255'), 1 / 255);
      assert.equal(parseScale(''), undefined);
      assert.deepEqual(parseTriple('0.5', 'mean'), [0.5, 0.5, 0.5]);
      assert.deepEqual(parseTriple('[123.675, 116.28, 103.53]', 'mean'), [123.675, 116.28, 103.53]);
      assert.deepEqual(parseColor('#727272'), [114, 114, 114]);
      assert.deepEqual(parseColor('#f80'), [255, 136, 0]);
      assert.deepEqual(parseColor('0, 128, 255'), [0, 128, 255]);
      assert.throws(() => parseTriple('1, 2', 'std'), { code: 'bad-setting', message: "Expected one number or three comma-separated numbers for std but received '1, 2' of type string" });
      assert.throws(() => parseColor('300,0,0'), { code: 'bad-setting' });
    });
  });
});
