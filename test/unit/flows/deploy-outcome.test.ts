// The outcome of one deployment read from editor-comms messages, in the order Node-RED publishes them.
import assert from 'node:assert/strict';
import { DeployObserver, isWaitingStatus, type CommsMessage } from '../../../lib/flows/deploy-outcome';

const moduleNodes = [
  { id: 'tab1', type: 'tab' },
  { id: 'm1', type: 'mlops-model', name: 'model' },
  { id: 'f1', type: 'function' },
];
const state = (data: object): CommsMessage => ({ topic: 'notification/runtime-state', data });
const deployed = (revision: string): CommsMessage => ({ topic: 'notification/runtime-deploy', data: { revision } });
const status = (id: string, fill: string, shape: string, text: string): CommsMessage => ({ topic: `status/${id}`, data: { fill, shape, text } });
const log = (id: string, level: number, msg: string, extra: object = {}): CommsMessage => ({ topic: 'debug', data: { id, level, msg, ...extra } });

function observe(messages: CommsMessage[]): DeployObserver {
  const observer = new DeployObserver(moduleNodes);
  for (const m of messages) observer.feed(m);
  return observer;
}

describe('deploy outcome from editor comms', () => {
  it('is pending until runtime-deploy of this revision arrives', () => {
    const observer = observe([state({ state: 'stop', deploy: true }), state({ state: 'start', deploy: true }), deployed('other')]);
    assert.deepEqual(observer.outcome('r2'), { kind: 'pending' });
    assert.deepEqual(observer.outcome(undefined), { kind: 'pending' });
    observer.feed(deployed('r2'));
    assert.deepEqual(observer.outcome('r2'), { kind: 'started', problems: [], waiting: [] });
  });

  it('lists error logs and red statuses of the module\'s nodes, not of other nodes, not warnings', () => {
    const observer = observe([
      log('m1', 20, 'stale error of the flows before'),
      state({ state: 'stop', deploy: true }),
      log('f1', 20, JSON.stringify({ name: 'Error', message: 'boom at start' }), { format: 'error' }),
      log('f1', 30, 'only a warning'),
      log('elsewhere', 20, 'not ours'),
      status('m1', 'red', 'ring', 'model file not found'),
      status('elsewhere', 'red', 'ring', 'not ours'),
      state({ state: 'start', deploy: true }),
      deployed('r2'),
    ]);
    assert.deepEqual(observer.outcome('r2'), {
      kind: 'started',
      waiting: [],
      problems: [
        { id: 'f1', type: 'function', name: undefined, message: 'boom at start' },
        { id: 'm1', type: 'mlops-model', name: 'model', message: 'red status "model file not found"' },
      ],
    });
  });

  it('waits while a module node is loading, then reports what it turned into', () => {
    const observer = observe([state({ state: 'stop', deploy: true }), status('m1', 'grey', 'ring', 'loading model'), state({ state: 'start', deploy: true }), deployed('r2')]);
    assert.equal(observer.outcome('r2').kind, 'settling');
    const settled = observer.outcome('r2', true);
    assert.deepEqual(settled, { kind: 'started', problems: [], waiting: [{ id: 'm1', type: 'mlops-model', name: 'model', message: 'loading model' }] });
    observer.feed(status('m1', 'red', 'ring', 'not an ONNX model'));
    assert.deepEqual(observer.outcome('r2'), { kind: 'started', waiting: [], problems: [{ id: 'm1', type: 'mlops-model', name: 'model', message: 'red status "not an ONNX model"' }] });
  });

  it('a red status that turns green before the end is no problem', () => {
    const observer = observe([state({ state: 'stop' }), status('f1', 'red', 'ring', 'disconnected'), status('f1', 'green', 'dot', 'connected'), state({ state: 'start' }), deployed('r2')]);
    assert.deepEqual(observer.outcome('r2'), { kind: 'started', problems: [], waiting: [] });
  });

  it('says why the flows did not start (missing types)', () => {
    const observer = observe([state({ state: 'stop', deploy: true }), state({ state: 'stop', error: 'missing-types', types: ['x-node'] }), deployed('r2')]);
    assert.deepEqual(observer.outcome('r2'), { kind: 'not-started', reason: 'Node-RED reports the flows as "stop" (missing-types: x-node)' });
  });

  it('tells waiting looks from settled ones', () => {
    assert.ok(isWaitingStatus({ fill: 'grey', shape: 'ring', text: 'loading' }));
    assert.ok(isWaitingStatus({ fill: 'yellow', shape: 'ring', text: 'node-red:common.status.connecting' }));
    assert.ok(!isWaitingStatus({ fill: 'grey', shape: 'dot', text: 'idle' }));
    assert.ok(!isWaitingStatus({ fill: 'green', shape: 'dot', text: 'connected' }));
  });
});
