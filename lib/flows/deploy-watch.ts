// One deployment, watched: POST /flows (re-read once on 409), then wait for Node-RED's own signals that the new flows
// have started and the module's nodes have settled, from the editor comms; without comms, poll GET /flows/state.
import { PipelineError } from '../errors';
import { DeployObserver, describeProblems, type DeployOutcome, type NodeProblem } from './deploy-outcome';
import type { FlowNode } from './flow-json';
import type { CommsListener } from './node-red-comms';
import type { NodeRedAdmin } from './node-red-admin';

export interface DeployTimeouts {
  /** Until Node-RED reports the new flows started (runtime-deploy of the new revision). */
  startTimeoutMs: number;
  /** After the start, how long nodes that are loading or connecting may take before they are reported as waiting. */
  settleTimeoutMs: number;
  pollMs?: number;
}

export interface DeployResult { rev: string; replaced: FlowNode[]; waiting: NodeProblem[] }

type FlowsBefore = { rev: string; flows: FlowNode[] };

/** Resolves with the outcome once the observer has one, or at the start timeout; settles at the settle timeout. */
export function awaitOutcome(observer: DeployObserver, revision: string, timeouts: DeployTimeouts, subscribe: (wake: () => void) => void): Promise<DeployOutcome> {
  return new Promise<DeployOutcome>((resolve) => {
    let settleOver = false;
    let settleTimer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (outcome: DeployOutcome) => {
      if (finished) return;
      finished = true;
      clearTimeout(startTimer);
      clearTimeout(settleTimer);
      resolve(outcome);
    };
    const startTimer = setTimeout(() => finish({ kind: 'not-started', reason: `Node-RED did not report the flows as started within ${timeouts.startTimeoutMs / 1000} s` }), timeouts.startTimeoutMs);
    const check = () => {
      const outcome = observer.outcome(revision, settleOver);
      if (outcome.kind === 'pending') return;
      if (outcome.kind === 'settling') {
        clearTimeout(startTimer);
        settleTimer ??= setTimeout(() => { settleOver = true; check(); }, timeouts.settleTimeoutMs);
        return;
      }
      finish(outcome);
    };
    subscribe(check);
    check();
  });
}

async function pollState(admin: NodeRedAdmin, timeouts: DeployTimeouts): Promise<DeployOutcome> {
  const deadline = Date.now() + timeouts.startTimeoutMs;
  let state = await admin.flowsState();
  while (state !== 'start' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, timeouts.pollMs ?? 200));
    state = await admin.flowsState();
  }
  return state === 'start' ? { kind: 'started', problems: [], waiting: [] }
    : { kind: 'not-started', reason: `the flows did not start within ${timeouts.startTimeoutMs / 1000} s (state "${state || 'unknown'}")` };
}

/**
 * Deploys `next(flows)` on top of `before`; when the module's nodes (`moduleNodes`) report errors or the flows do not
 * start, deploys the flows that were there again and throws `flow-start-failed` listing the nodes.
 */
export async function deployWatched(admin: NodeRedAdmin, before: FlowsBefore, next: (flows: FlowNode[]) => FlowNode[], what: string,
  moduleNodes: readonly FlowNode[], timeouts: DeployTimeouts, notice: (line: string) => void): Promise<DeployResult> {
  let comms: CommsListener | undefined;
  try {
    comms = await admin.events();
  } catch (err) {
    notice(`${what}: node errors at start are not checked, only the flows' state (${(err as Error).message})`);
  }
  let observer = new DeployObserver(moduleNodes);
  let wake = () => { /* set while waiting */ };
  comms?.onMessage((message) => { observer.feed(message); wake(); });
  const outcomeOf = (rev: string, watched: DeployObserver) => (comms ? awaitOutcome(watched, rev, timeouts, (w) => { wake = w; }) : pollState(admin, timeouts));
  try {
    let current = before;
    let rev = await admin.setFlows(current.rev, next(current.flows));
    if (rev === undefined) {
      // Someone deployed in between: build on what is there now, once.
      observer.reset();
      current = await admin.getFlows();
      rev = await admin.setFlows(current.rev, next(current.flows));
      if (rev === undefined) throw new PipelineError('node-red-refused', `${what}: the flows kept changing while deploying (HTTP 409 twice); try again`, {});
    }
    const outcome = await outcomeOf(rev, observer);
    if (outcome.kind === 'started' && !outcome.problems.length) return { rev, replaced: current.flows, waiting: outcome.waiting };
    const reason = outcome.kind === 'started'
      ? `${outcome.problems.length} problem${outcome.problems.length === 1 ? '' : 's'} while starting:\n${describeProblems(outcome.problems)}\n`
      : `${outcome.kind === 'not-started' ? outcome.reason : 'no outcome'}; `;
    // The restored flows ran before: only whether they start again is checked.
    observer = new DeployObserver([]);
    const restoredRev = await admin.setFlows(rev, current.flows);
    const restored = restoredRev === undefined ? undefined : await outcomeOf(restoredRev, observer);
    const after = restored === undefined ? 'restoring the previous flows failed (HTTP 409: someone deployed meanwhile)'
      : restored.kind === 'started' ? 'the previous flows were restored and started' : `the previous flows were restored but did not start (${restored.kind === 'not-started' ? restored.reason : 'no outcome'})`;
    throw new PipelineError('flow-start-failed', `${what}: ${reason}${after}`, { nodes: outcome.kind === 'started' ? outcome.problems.map((p) => p.id).join(' ') : '' });
  } finally {
    comms?.close();
  }
}
