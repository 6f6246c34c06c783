// msg.timings as people read it: one stage's milliseconds, or the sum of all stages a message went through.

/** The finite, non-negative stage times of a msg.timings value (anything else in it is ignored). */
export function stageTimings(timings: unknown): Record<string, number> {
  if (typeof timings !== 'object' || timings === null || Array.isArray(timings)) return {};
  return Object.fromEntries(Object.entries(timings).filter((entry): entry is [string, number] =>
    typeof entry[1] === 'number' && Number.isFinite(entry[1]) && entry[1] >= 0));
}

/** The sum of the stage times (ms): the time the pipeline's nodes spent on one message, waiting in queues included. */
export function totalMs(timings: unknown): number {
  return Object.values(stageTimings(timings)).reduce((sum, ms) => sum + ms, 0);
}

export { formatMs } from './util/format';
