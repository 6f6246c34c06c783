import assert from 'node:assert/strict';
import { GUARD_CODES } from '../../../lib/contract';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { catchNode, nextMessage, nodeModule, recordStatus, repoRoot, testHelper, withCatch } from '../../helpers/flow';
import { floatOutput, geometry, logitsFor, solidImage } from '../../helpers/segmentation-fixtures';
import { formatMs } from '../../../lib/timings';

// What RED.comms.publish emits inside the runtime (what the editor's websocket forwards).
const { events: commsEvents } = require('@node-red/util') as { events: NodeJS.EventEmitter };

// A stand-in for the mlops-model config node offering only what mlops-segment uses: info.metadata, and the
// reference counting every node that uses a model does.
function fakeModelNode(RED: any) {
  function FakeModel(this: any, config: any) {
    RED.nodes.createNode(this, config);
    this.info = { metadata: { labels: '["sky","tower","line"]', colors: '["#000000","#ff0000","#0000ff"]' } };
    this.register = () => {};
    this.deregister = () => {};
  }
  RED.nodes.registerType('mlops-model', FakeModel);
}

const segmentNode = nodeModule('mlops-segment');

// 8×4 picture letterboxed into a 4×4 tensor (rows 0 and 3 are padding).
const letterbox = geometry({ sourceWidth: 8, sourceHeight: 4, width: 4, height: 4, scaleX: 0.5, scaleY: 0.5, padLeft: 0, padTop: 1, resize: 'contain' });
const tensorClasses = [
  2, 2, 2, 2,
  1, 1, 0, 0,
  0, 0, 0, 2,
  0, 1, 1, 1,
];

function goodMessage(extra: Record<string, unknown> = {}) {
  return {
    payload: 'frame',
    outputs: { mask: logitsFor(tensorClasses, 3, 4, 4) },
    tensor: { geometry: letterbox },
    image: solidImage(8, 4, [100, 100, 100]),
    timings: { inference: 12 },
    ...extra,
  };
}

describe('mlops-segment node', () => {
  before(() => testHelper.startServer());
  after(() => testHelper.stopServer());
  afterEach(() => testHelper.unload());

  const config = { id: 'seg', type: 'mlops-segment', model: 'model', output: 'mask', minArea: 0, maxComponents: 10, overlay: true, overlayFormat: 'png', opacity: 0.5, legend: false };
  const modelConfig = { id: 'model', type: 'mlops-model' };

  async function load(settings: Record<string, unknown> = {}) {
    await testHelper.load([segmentNode, catchNode, fakeModelNode], withCatch({ ...config, ...settings }, [modelConfig]));
    return { status: recordStatus('seg'), node: testHelper.getNode('seg') };
  }

  it('previews the overlay in the editor after the message went on, with the legend of the classes present', async () => {
    const { node } = await load();
    const previews: { topic: string; data: any }[] = [];
    const published = new Promise<void>((resolve) => {
      const listener = (event: { topic: string; data: any }) => {
        if (event.topic !== 'mlops-vision/preview/seg') return;
        previews.push(event);
        commsEvents.off('comms', listener);
        resolve();
      };
      commsEvents.on('comms', listener);
    });
    const received = nextMessage('out');
    node.receive(goodMessage({ _msgid: 'picture-1', assetId: 'tower-3' }));
    await received;
    assert.equal(previews.length, 0, 'the message first');
    await published;
    const { data } = previews[0]!;
    assert.deepEqual([data.kind, data.msgId, data.assetId, data.source], ['segment', 'picture-1', 'tower-3', { width: 8, height: 4 }]);
    assert.deepEqual(data.legend, [{ label: 'tower', color: '#ff0000', percent: 25 }, { label: 'line', color: '#0000ff', percent: 12.5 }]);
    assert.deepEqual([data.picture.width, data.picture.height], [8, 4], 'a small overlay is not enlarged');
  });

  it('writes msg.segmentation, msg.annotations and msg.timings.postprocess, named by the model metadata', async () => {
    const { status, node } = await load();
    const received = nextMessage('out');
    node.receive(goodMessage({ annotations: [{ type: 'circle', x: 1, y: 1, r: 1 }] }));
    const msg = await received;
    const segmentation = msg.segmentation;
    assert.deepEqual([segmentation.width, segmentation.height], [8, 4]);
    assert.deepEqual(Array.from(segmentation.classMap), [
      1, 1, 1, 1, 0, 0, 0, 0,
      1, 1, 1, 1, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 2, 2,
      0, 0, 0, 0, 0, 0, 2, 2,
    ]);
    assert.deepEqual(segmentation.labels, ['sky', 'tower', 'line']);
    assert.deepEqual(segmentation.classes, [
      { index: 0, label: 'sky', color: '#000000', pixels: 20, ratio: 0.625 },
      { index: 1, label: 'tower', color: '#ff0000', pixels: 8, ratio: 0.25 },
      { index: 2, label: 'line', color: '#0000ff', pixels: 4, ratio: 0.125 },
    ]);
    assert.deepEqual(segmentation.components, [
      { classIndex: 1, label: 'tower', area: 8, bbox: [0, 0, 4, 2] },
      { classIndex: 2, label: 'line', area: 4, bbox: [6, 2, 2, 2] },
    ]);
    assert.deepEqual(msg.annotations, [
      { type: 'circle', x: 1, y: 1, r: 1 },
      { type: 'rect', bbox: [0, 0, 4, 2], label: 'tower', stroke: '#ff0000', lineWidth: 2 },
      { type: 'rect', bbox: [6, 2, 2, 2], label: 'line', stroke: '#0000ff', lineWidth: 2 },
    ]);
    assert.equal(msg.timings.inference, 12);
    assert.equal(typeof msg.timings.postprocess, 'number');
    assert.ok(msg.timings.postprocess >= 0);
    assert.equal(msg.payload, 'frame');
    assert.equal(segmentation.overlayFormat, 'png');
    const overlay = await sharp(segmentation.overlay).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([overlay.info.width, overlay.info.height], [8, 4]);
    assert.deepEqual(Array.from(overlay.data.subarray(0, 3)), [178, 50, 50]);
    assert.deepEqual(status.at(-1), { fill: 'green', shape: 'dot', text: `2 components · tower 25% · ${formatMs(msg.timings.postprocess)} ms` });
  });

  const badInputs: [string, Record<string, unknown>, RegExp][] = [
    ['no outputs', { outputs: undefined }, /msg.outputs has no model outputs: connect this node after mlops-infer/],
    ['an unknown output name', { outputs: { logits: logitsFor(tensorClasses, 3, 4, 4), aux: floatOutput([1], [1, 1, 1, 1]) } }, /no output "mask"; available: logits, aux/],
    ['a shape that is not NCHW', { outputs: { mask: floatOutput(new Array(16).fill(0), [1, 4, 4]) } }, /shape \[1, 4, 4\]; expected NCHW with batch 1/],
    ['batch 2', { outputs: { mask: floatOutput(new Array(32).fill(0), [2, 1, 4, 4]) } }, /expected NCHW with batch 1/],
    ['more than 255 classes', { outputs: { mask: floatOutput(new Array(256).fill(0), [1, 256, 1, 1]) } }, /256 channels; at most 255 classes/],
    ['an output that is not a tensor', { outputs: { mask: [1, 2, 3] } }, /msg.outputs\["mask"\] is not a model output/],
    ['a picture of another size', { image: solidImage(4, 4, [0, 0, 0]) }, /msg.image is 4×4 but the tensor was made from a 8×4 picture/],
    ['no picture for the overlay', { image: undefined }, /overlay needs the original picture in msg.image/],
    ['broken geometry', { tensor: { geometry: { ...letterbox, scaleY: -1 } } }, /geometry.scaleY is -1; it must be a positive number/],
  ];
  for (const [what, change, expected] of badInputs) {
    it(`reports ${what} to Catch with a red status and serves the next message`, async () => {
      const { status, node } = await load();
      const caught = nextMessage('caught');
      node.receive(goodMessage(change));
      const failure = await caught;
      assert.match(failure.error.message, expected);
      assert.equal(status.at(-1)!.fill, 'red');
      assert.equal(status.at(-1)!.shape, 'ring');
      const received = nextMessage('out');
      node.receive(goodMessage());
      assert.equal((await received).segmentation.components.length, 2);
      assert.equal(status.at(-1)!.fill, 'green');
    });
  }

  it('reports invalid settings on every message', async () => {
    const { status, node } = await load({ colors: 'red, green' });
    for (let i = 0; i < 2; i++) {
      const caught = nextMessage('caught');
      node.receive(goodMessage());
      assert.match((await caught).error.message, /Expected colours of the form #rrggbb, like #ff8800 for colors but received 'red' of type string/);
      assert.equal(status.at(-1)!.fill, 'red');
    }
  });

  it('reads a 1-channel probability map without a model node, geometry or overlay', async () => {
    const { status, node } = await load({ model: '', output: '', singleChannel: 'probability', threshold: 0.3, labels: 'text', overlay: false });
    const received = nextMessage('out');
    node.receive({ outputs: { prob: floatOutput([0.1, 0.35, 0.2, 0.9], [1, 1, 2, 2]) } });
    const msg = await received;
    assert.deepEqual(Array.from(msg.segmentation.classMap), [0, 1, 0, 1]);
    assert.deepEqual(msg.segmentation.labels, ['background', 'text']);
    assert.deepEqual(msg.segmentation.components, [{ classIndex: 1, label: 'text', area: 2, bbox: [1, 0, 1, 2] }]);
    assert.equal(msg.segmentation.overlay, undefined);
    assert.deepEqual(status.at(-1), { fill: 'green', shape: 'dot', text: `1 component · text 50% · ${formatMs(msg.timings.postprocess)} ms` });
  });

  it('says so when nothing but background is found', async () => {
    const { status, node } = await load({ overlay: false });
    const received = nextMessage('out');
    node.receive(goodMessage({ outputs: { mask: logitsFor(new Array(16).fill(0), 3, 4, 4) } }));
    const msg = await received;
    assert.deepEqual(msg.segmentation.components, []);
    assert.deepEqual(status.at(-1), { fill: 'green', shape: 'dot', text: `nothing found · ${formatMs(msg.timings.postprocess)} ms` });
  });
});

describe('mlops-segment locale catalog', () => {
  const catalog = JSON.parse(fs.readFileSync(path.join(repoRoot, 'locales', 'en-US', 'mlops-segment.json'), 'utf8'))['mlops-segment'];
  const segmentation = ['decode', 'project', 'palette', 'config', 'index', 'segment-pool']
    .map((name) => fs.readFileSync(path.join(repoRoot, 'lib', 'segmentation', `${name}.ts`), 'utf8'))
    .join('\n');
  // Settings are read with the toolkit, which raises bad-setting (and fills its placeholders) in lib/settings.ts.
  const toolkit = fs.readFileSync(path.join(repoRoot, 'lib', 'settings.ts'), 'utf8');
  const sources = /\b(badSetting|numberSetting|nonNegativeInteger)\(/.test(segmentation) ? `${segmentation}\n${toolkit}` : segmentation;

  it('has a translation for every error code the segmentation code raises, with placeholders it fills', () => {
    const raised = new Set([...sources.matchAll(/PipelineError\(\s*'([a-z0-9-]+)'/g)].map((m) => m[1]!));
    for (const [guard, codes] of Object.entries(GUARD_CODES)) if (sources.includes(`${guard}(`)) for (const c of codes) raised.add(c);
    assert.ok(raised.size >= 10);
    for (const errorCode of raised) {
      const text: string | undefined = catalog.errors[errorCode];
      assert.ok(text, `errors.${errorCode} is missing`);
      for (const [, placeholder] of text.matchAll(/__([a-zA-Z]+)__/g)) {
        assert.match(sources, new RegExp(`'${errorCode}'[\\s\\S]{0,600}\\b${placeholder}\\b`), `errors.${errorCode} uses __${placeholder}__`);
      }
    }
    assert.deepEqual(Object.keys(catalog.errors).filter((key) => !raised.has(key)), []);
  });
});
