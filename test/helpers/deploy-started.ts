// Node-RED answers POST /flows once the flows are saved, before they have started (HTTP routes of the flow, models):
// a request sent right after the answer can meet a 404. The runtime says when the start is over, on the editor comms
// (`notification/runtime-deploy` with the new revision): every test that deploys and then uses the flows waits here.
import { DeployObserver } from '../../lib/flows/deploy-outcome';
import { awaitOutcome } from '../../lib/flows/deploy-watch';
import { openComms } from '../../lib/flows/node-red-comms';

/**
 * Runs `deploy` (any way of deploying: Admin API, the stock plugin, the editor's Deploy button) with the comms open,
 * and resolves with its result once the flows of the revision `revisionOf(result)` have started. A deploy that was
 * refused (no revision) resolves at once; flows that Node-RED reports as not started reject with its reason.
 */
export async function deployAndWaitForStart<T>(api: string, deploy: () => Promise<T>, revisionOf: (result: T) => string | undefined,
  options: { token?: string; timeoutMs?: number } = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60000;
  const comms = await openComms({ api, token: options.token, timeoutMs });
  try {
    const observer = new DeployObserver([]);
    let wake = () => { /* set below */ };
    comms.onMessage((message) => { observer.feed(message); wake(); });
    const result = await deploy();
    const revision = revisionOf(result);
    if (revision === undefined) return result;
    const outcome = await awaitOutcome(observer, revision, { startTimeoutMs: timeoutMs, settleTimeoutMs: timeoutMs }, (w) => { wake = w; });
    if (outcome.kind === 'not-started') throw new Error(`the flows of revision ${revision}: ${outcome.reason}`);
    return result;
  } finally {
    comms.close();
  }
}

/** The revision in an Admin API v2 answer ({ rev }), when the deploy was accepted. */
export function acceptedRevision(answer: { status: number; body: unknown }): string | undefined {
  const rev = (answer.body as { rev?: unknown } | undefined)?.rev;
  return answer.status === 200 && typeof rev === 'string' ? rev : undefined;
}
