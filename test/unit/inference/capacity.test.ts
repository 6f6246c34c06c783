import assert from 'node:assert/strict';
import { capacityProblem, describeCapacityProblem } from '../../../lib/inference';

const GB = 2 ** 30;
const machine = { cores: 2, totalMemoryBytes: 8 * GB, freeMemoryBytes: 4 * GB };

describe('worker capacity', () => {
  it('accepts one worker whatever it costs, and workers whose threads fit the cores', () => {
    assert.equal(capacityProblem({ ...machine, workers: 1, intraOpThreads: 0, perWorkerBytes: 6 * GB }), undefined);
    assert.equal(capacityProblem({ ...machine, workers: 2, intraOpThreads: 1, perWorkerBytes: 1 * GB }), undefined);
  });

  it('flags workers whose threads exceed the cores (0 threads = one per core)', () => {
    const problem = capacityProblem({ ...machine, workers: 2, intraOpThreads: 0 });
    assert.deepEqual(problem, { kind: 'cores', workers: 2, threads: 4, cores: 2 });
    assert.match(describeCapacityProblem(problem!), /^2 workers need 4 threads on 2 cores: they compete/);
    assert.deepEqual(capacityProblem({ ...machine, cores: 8, workers: 3, intraOpThreads: 3 }), { kind: 'cores', workers: 3, threads: 9, cores: 8 });
  });

  it('flags a second worker when less memory is free than one worker took', () => {
    const problem = capacityProblem({ ...machine, workers: 2, intraOpThreads: 1, perWorkerBytes: 2.5 * GB, freeMemoryBytes: 1 * GB });
    assert.deepEqual(problem, { kind: 'memory', workers: 2, perWorkerMb: 2560, freeMb: 1024 });
    assert.match(describeCapacityProblem(problem!), /^2 workers hold about 2560 MB each and 1024 MB are free/);
  });
});
