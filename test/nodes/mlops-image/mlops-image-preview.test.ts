// mlops-image's editor preview on a real runtime: the message leaves first and the thumbnail follows over comms
// (bounded, retained for editors that connect later); a node with Preview off publishes none, and says so once.
import assert from 'node:assert/strict';
import { withCatalog } from '../../helpers/catalog';
import { nextMessage, nodeModule, testHelper } from '../../helpers/flow';
import { quadrants, raw } from '../../fixtures/images';

// What RED.comms.publish emits inside the runtime (what the editor's websocket forwards).
const { events } = require('@node-red/util') as { events: NodeJS.EventEmitter };

interface CommsEvent { topic: string; data: any; retain?: boolean }

describe('mlops-image preview', () => {
  let imageNode: unknown;
  let picture: Buffer;
  const published: CommsEvent[] = [];
  const record = (event: CommsEvent) => { if (event.topic.startsWith('mlops-vision/preview/')) published.push(event); };

  before(async () => {
    imageNode = await withCatalog(nodeModule('mlops-image'), 'mlops-image');
    picture = await raw(quadrants(640, 480), 640, 480).png().toBuffer();
    events.on('comms', record);
  });
  after(() => { events.off('comms', record); });
  beforeEach(() => { published.length = 0; });
  afterEach(() => testHelper.unload());

  function previewOf(node: string, msgId: string): Promise<CommsEvent> {
    const found = published.find((e) => e.topic === `mlops-vision/preview/${node}` && e.data?.msgId === msgId);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const listener = (event: CommsEvent) => {
        if (event.topic !== `mlops-vision/preview/${node}` || event.data?.msgId !== msgId) return;
        events.off('comms', listener);
        resolve(event);
      };
      events.on('comms', listener);
    });
  }

  it('sends the message on first, then publishes a retained thumbnail of at most 160 px for it', async () => {
    await testHelper.load([imageNode], [
      { id: 'on', type: 'mlops-image', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const received = nextMessage('out');
    testHelper.getNode('on').receive({ payload: picture, assetId: 'tower-7' });
    const msg = await received;
    assert.equal(published.filter((e) => e.data?.picture).length, 0, 'no preview before the message went on');
    const preview = await previewOf('on', msg._msgid);
    assert.equal(preview.retain, true);
    assert.deepEqual([preview.data.kind, preview.data.assetId, preview.data.source], ['image', 'tower-7', { width: 640, height: 480 }]);
    assert.deepEqual([preview.data.picture.width, preview.data.picture.height], [160, 120]);
    assert.match(preview.data.picture.dataUrl, /^data:image\/jpeg;base64,/);
    assert.ok(preview.data.picture.bytes <= 12 * 1024);
    assert.equal(msg.image.width, 640, 'the message keeps its full picture');
  });

  it('with Preview off: only a withdrawal of an earlier one, no thumbnail, while a node with it on previews the same picture', async () => {
    await testHelper.load([imageNode], [
      { id: 'off', type: 'mlops-image', showPreview: false, wires: [['out']] },
      { id: 'on', type: 'mlops-image', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const offMsg = nextMessage('out');
    testHelper.getNode('off').receive({ payload: picture, _msgid: 'same-picture' });
    await offMsg;
    const onMsg = nextMessage('out');
    testHelper.getNode('on').receive({ payload: picture, _msgid: 'same-picture-2' });
    await previewOf('on', (await onMsg)._msgid);
    const off = published.filter((e) => e.topic === 'mlops-vision/preview/off');
    assert.deepEqual(off.map((e) => [e.data, e.retain]), [[{ node: 'off', withdrawn: true }, false]]);
  });

  it('withdraws its preview when the node is removed from the flow', async () => {
    await testHelper.load([imageNode], [{ id: 'gone', type: 'mlops-image', wires: [[]] }, { id: 'stays', type: 'mlops-image', wires: [[]] }]);
    // A full deploy without it, as the editor or thin-edge sends it.
    await (testHelper as unknown as { setFlows(flow: object[], type: string): Promise<void> }).setFlows([{ id: 'stays', type: 'mlops-image', wires: [[]] }], 'full');
    assert.deepEqual(published.filter((e) => e.topic === 'mlops-vision/preview/gone').map((e) => e.data), [{ node: 'gone', withdrawn: true }]);
  });
});
