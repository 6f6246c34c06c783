import assert from 'node:assert/strict';
import { planFetch, type DownstreamNode } from '../../../lib/inference';
import { PipelineError } from '../../../lib/errors';

const MODEL = ['output', '1890', '1891', 'decoder_0'];

function flow(...nodes: DownstreamNode[]): (id: string) => DownstreamNode | undefined {
  const byId = new Map(nodes.map((n) => [String(n.id), n]));
  return (id) => byId.get(id);
}

const auto = (start: string[], lookUp: (id: string) => DownstreamNode | undefined) => planFetch('auto', [], MODEL, [start], lookUp);

describe('fetch plan: which outputs mlops-infer asks for', () => {
  it('fetches what segment nodes read: their named output, else the model\'s first', () => {
    const nodes = flow(
      { id: 's1', type: 'mlops-segment', output: '', wires: [['c']] },
      { id: 's2', type: 'mlops-segment', output: ' 1891 ', wires: [[]] },
      { id: 'c', type: 'mlops-condition', wires: [['up', 'dbg']] },
      { id: 'up', type: 'mlops-c8y-out', wires: [[]] },
      { id: 'dbg', type: 'debug', complete: 'payload', wires: [] },
    );
    assert.deepEqual(auto(['s1', 's2'], nodes), { names: ['output', '1891'], reason: 'downstream' });
  });

  it('adds the outputs classify and collect nodes name', () => {
    const nodes = flow(
      { id: 's', type: 'mlops-segment', output: '', wires: [['k']] },
      { id: 'k', type: 'mlops-collect', output: '1890', wires: [[]] },
      { id: 'c', type: 'mlops-classify', output: 'decoder_0', wires: [[]] },
    );
    assert.deepEqual(auto(['s', 'c'], nodes), { names: ['output', '1890', 'decoder_0'], reason: 'downstream' });
  });

  it('fetches all when a node may read msg.outputs or what it is is unknown', () => {
    const segment = { id: 's', type: 'mlops-segment', output: '', wires: [['x']] };
    const cases: [DownstreamNode | undefined, string][] = [
      [{ id: 'x', type: 'function', func: 'node.warn(msg.outputs)', outputs: 1, wires: [[]] }, 'function'],
      [{ id: 'x', type: 'change', rules: [{ t: 'move', p: 'outputs.1890', to: 'payload' }], wires: [[]] }, 'change'],
      [{ id: 'x', type: 'debug', complete: 'true', wires: [] }, 'debug'],
      [{ id: 'x', type: 'debug', complete: 'outputs', wires: [] }, 'debug'],
      [{ id: 'x', type: 'subflow:abc', wires: [[]] }, 'subflow:abc'],
      [undefined, 'node x is not deployed'],
    ];
    for (const [node, reason] of cases) {
      assert.deepEqual(auto(['s'], flow(segment, ...(node ? [node] : []))), { names: undefined, reason });
    }
  });

  it('follows function, link out and link in nodes that do not mention outputs, and stops at a second model', () => {
    const nodes = flow(
      { id: 'f', type: 'function', func: 'msg.payload = 1; return msg;', outputs: 1, wires: [['lo']] },
      { id: 'lo', type: 'link out', links: ['li'], wires: [] },
      { id: 'li', type: 'link in', links: ['lo'], wires: [['s']] },
      { id: 's', type: 'mlops-segment', output: 'decoder_0', wires: [['f']] },
      { id: 'i2', type: 'mlops-infer', wires: [['reader']] },
      { id: 'reader', type: 'function', func: 'msg.outputs', wires: [[]] },
    );
    assert.deepEqual(auto(['f', 'i2'], nodes), { names: ['decoder_0'], reason: 'downstream' });
  });

  it('fetches all when no segment node reads an output (nothing wired, or only pass-through nodes)', () => {
    assert.deepEqual(auto([], flow()), { names: undefined, reason: 'no reader' });
    assert.deepEqual(auto(['c'], flow({ id: 'c', type: 'mlops-condition', wires: [[]] })), { names: undefined, reason: 'no reader' });
    // A segment node naming an output the model lacks reports it itself; nothing is gained by fetching none.
    assert.deepEqual(auto(['s'], flow({ id: 's', type: 'mlops-segment', output: 'mask', wires: [[]] })), { names: undefined, reason: 'no reader' });
  });

  it('honours the all and named settings, refusing names the model lacks', () => {
    const never = () => assert.fail('not consulted');
    assert.deepEqual(planFetch('all', [], MODEL, [['s']], never), { names: undefined, reason: 'all' });
    assert.deepEqual(planFetch('named', ['decoder_0', 'output'], MODEL, [], never), { names: ['output', 'decoder_0'], reason: 'named' });
    assert.throws(() => planFetch('named', ['mask', 'output'], MODEL, [], never),
      (err: unknown) => err instanceof PipelineError && err.code === 'unknown-output' && /no output "mask"; its outputs are "output", "1890"/.test(err.message));
    assert.throws(() => planFetch('named', [], MODEL, [], never), /no output \(none listed\)/);
  });
});
