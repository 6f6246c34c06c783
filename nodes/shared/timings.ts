// msg.timings: each node adds its stages in milliseconds and keeps what earlier nodes wrote.
import { formatMs } from '../../lib/timings';
import { translate } from './i18n';
import type { NodeAPI, NodeMessage, NodeStatus } from './red';

export function addTimings(msg: NodeMessage, stages: Record<string, number>): void {
  const earlier = msg.timings && typeof msg.timings === 'object' && !Array.isArray(msg.timings) ? msg.timings : {};
  msg.timings = { ...earlier, ...stages };
}

/** The status with this node's own time for the last message appended: "… · 12 ms" (catalog `<type>.status.ms`). */
export function withMs(RED: NodeAPI, type: string, status: NodeStatus, ms: number): NodeStatus {
  const time = translate(RED, `${type}.status.ms`, '__ms__ ms', { ms: formatMs(ms) });
  return { ...status, text: status.text ? `${status.text} · ${time}` : time };
}
