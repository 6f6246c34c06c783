// One incoming reading: which signal it is (topic pattern match), its numeric value and its time — each checked
// with an error that says what is wrong, before anything touches the aligner's state.
import { PipelineError } from '../errors';

/** A compiled `+`/`#` pattern; exact patterns compare as strings. */
export type TopicMatcher = (key: string) => boolean;

export function topicMatcher(pattern: string): TopicMatcher {
  if (!pattern.includes('+') && !pattern.includes('#')) return (key) => key === pattern;
  const levels = pattern.split('/');
  return (key) => {
    const parts = key.split('/');
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (level === '#') return true;
      if (i >= parts.length) return false;
      if (level !== '+' && level !== parts[i]) return false;
    }
    return parts.length === levels.length;
  };
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** Numbers, numeric strings (MQTT payloads) and booleans (1/0); NaN, ±Infinity and anything else are refused. */
export function numericReading(value: unknown, signal: string): number {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'boolean') n = value ? 1 : 0;
  else if (typeof value === 'string' && value.trim() !== '') n = Number(value.trim());
  else if (Buffer.isBuffer(value) && value.length > 0 && value.length < 64) n = Number(value.toString('utf8').trim());
  if (n === undefined || Number.isNaN(n)) {
    throw new PipelineError('not-numeric',
      `signal "${signal}": the value ${preview(value)} is not a number; send a number (or numeric text) in the value property`,
      { signal, value: preview(value) });
  }
  if (!Number.isFinite(n)) {
    throw new PipelineError('not-finite',
      `signal "${signal}": the value ${preview(value)} is not finite; send finite numbers (a sensor fault should be filtered before alignment)`,
      { signal, value: preview(value) });
  }
  return n;
}

/** Milliseconds since the epoch from msg.timestamp / msg.time (number in ms, ISO text or Date), else `arrival`. */
export function readingTime(timestamp: unknown, time: unknown, arrival: number): number {
  const given = timestamp !== undefined && timestamp !== null ? timestamp : time;
  if (given === undefined || given === null) return arrival;
  let ms: number;
  if (typeof given === 'number') ms = given;
  else if (given instanceof Date) ms = given.getTime();
  else if (typeof given === 'string' && given.trim() !== '') ms = /^-?\d+(\.\d+)?$/.test(given.trim()) ? Number(given) : Date.parse(given);
  else ms = Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new PipelineError('bad-time',
      `the reading's time ${preview(given)} is not a time; send msg.timestamp as milliseconds since 1970 or ISO 8601 text, or leave it out to use the arrival time`,
      { value: preview(given) });
  }
  return ms;
}
