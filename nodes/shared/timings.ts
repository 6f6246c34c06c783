// msg.timings: each node adds its stages in milliseconds and keeps what earlier nodes wrote.
import type { NodeMessage } from './red';

export function addTimings(msg: NodeMessage, stages: Record<string, number>): void {
  const earlier = msg.timings && typeof msg.timings === 'object' && !Array.isArray(msg.timings) ? msg.timings : {};
  msg.timings = { ...earlier, ...stages };
}
