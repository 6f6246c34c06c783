// What may go into one segment of an MQTT topic for thin-edge, checked before anything is queued.
// MQTT (v3.1.1 §1.5.3, §4.7; v5 §1.5.4, §4.7): topics are UTF-8 without U+0000, should not hold the control
// characters U+0001–U+001F and U+007F–U+009F or non-characters (mosquitto disconnects a client that sends them,
// "malformed packet"), and are at most 65 535 bytes long; "+" and "#" are wildcards, "/" separates levels.
// thin-edge: te/device/<name>// is an entity; the name "main" is the main device itself.
import { PipelineError } from '../errors';

/** Longest asset id / type / fragment name we accept, in UTF-8 bytes (well inside MQTT's 65 535 for the topic). */
export const MAX_SEGMENT_BYTES = 256;
export const MAX_TOPIC_BYTES = 65_535;

/** Entity names thin-edge gives a meaning of its own: an asset called so would stand for (or shadow) the device. */
export const RESERVED_ASSET_IDS: readonly string[] = ['main'];

/** Characters MQTT brokers refuse or that change meaning in a topic: controls, wildcards, separators, non-characters. */
function firstBadCharacter(value: string): { char: string; why: string } | undefined {
  for (let i = 0; i < value.length; i++) {
    const code = value.codePointAt(i)!;
    if (code > 0xffff) i++;
    const shown = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return { char: shown, why: 'a control character' };
    if (code >= 0xd800 && code <= 0xdfff) return { char: shown, why: 'an unpaired surrogate (not valid UTF-8)' };
    if ((code >= 0xfdd0 && code <= 0xfdef) || (code & 0xfffe) === 0xfffe) return { char: shown, why: 'a Unicode non-character' };
    if (code === 0x2f || code === 0x2b || code === 0x23) return { char: String.fromCodePoint(code), why: 'a topic separator or MQTT wildcard' };
  }
  return undefined;
}

/** Why `value` cannot be a topic segment, as a sentence that says what to change; undefined when it can. */
export function topicSegmentProblem(value: unknown, what: string): string | undefined {
  if (typeof value !== 'string' || value === '') return `${what} must be a non-empty text, got ${value === '' ? 'an empty text' : typeof value}`;
  const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  const bad = firstBadCharacter(value);
  if (bad) return `${what} ${shown} cannot be used in an MQTT topic: it contains ${bad.why} (${bad.char}); use letters, digits, "-", "_", "." or spaces`;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_SEGMENT_BYTES) return `${what} ${shown} is ${bytes} bytes long in UTF-8; at most ${MAX_SEGMENT_BYTES} are allowed`;
  return undefined;
}

/** Returns `value` when it can be one topic segment, else throws PipelineError 'invalid-topic-segment'. */
export function validateTopicSegment(value: string, what: string): string {
  const problem = topicSegmentProblem(value, what);
  if (problem) throw new PipelineError('invalid-topic-segment', problem, { what, value: String(value) });
  return value;
}

/** Why `id` cannot be an asset id (thin-edge child device name), or undefined. */
export function assetIdProblem(id: unknown): string | undefined {
  const problem = topicSegmentProblem(id, 'asset id');
  if (problem) return problem;
  if (RESERVED_ASSET_IDS.includes(id as string)) {
    return `asset id "${id as string}" is reserved by thin-edge (it names the main device); choose another asset id`;
  }
  return undefined;
}

/** Returns `id` when it can name an asset, else throws PipelineError 'invalid-topic-segment' or 'reserved-asset-id'. */
export function validateAssetId(id: string): string {
  const problem = assetIdProblem(id);
  if (!problem) return id;
  const code = topicSegmentProblem(id, 'asset id') ? 'invalid-topic-segment' : 'reserved-asset-id';
  throw new PipelineError(code, problem, { value: String(id) });
}

/** A whole topic as it goes to the broker: checked again at delivery, for records queued by older versions. */
export function topicProblem(topic: unknown): string | undefined {
  if (typeof topic !== 'string' || topic === '') return 'the topic is empty';
  if (Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES) return `the topic is longer than ${MAX_TOPIC_BYTES} bytes`;
  for (const level of topic.split('/')) {
    if (level === '') continue;
    const problem = topicSegmentProblem(level, 'topic level');
    if (problem) return problem;
  }
  return undefined;
}
