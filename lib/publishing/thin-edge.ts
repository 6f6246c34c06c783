// thin-edge.io MQTT API: topics and payloads (te/<identifier>/<channel>), following thin-edge's documented schema:
//   entity           te/device/<id>//                  retained {"@type":"child-device", ...}
//   measurement      te/device/<id>///m/<type>         thin-edge JSON: numbers, groups of numbers (one level)
//   units            te/device/<id>///m/<type>/meta    retained {"<series>": {"unit": "…"}, "<group>.<series>": {…}}
//   event            te/device/<id>///e/<type>         {"text", "time", custom fragments}
//   alarm            te/device/<id>///a/<type>         retained {"severity","text","time",…}; empty retained = clear
//   twin             te/device/<id>///twin/<fragment>  retained JSON value
//   service          te/device/main/service/<name>     retained {"@type":"service",…}
//   health           te/device/main/service/<name>/status/health  retained {"status":"up"|"down",…}
import { validateAssetId, validateTopicSegment } from './topic-rules';
import type { AlarmDecision, EventData, MeasurementData, Publication } from './inspection';

/**
 * Thin-edge's Cumulocity mapper sends a message over MQTT only up to c8y.mapper.mqtt.max_payload_size (16184 bytes);
 * the mapper adds the type and external source, so events are kept well below it.
 */
export const EVENT_PAYLOAD_LIMIT = 15 * 1024;

export interface MqttMessage {
  topic: string;
  payload: string;
  retain: boolean;
}

/** Rejects values that break the topic structure or that MQTT brokers refuse (see topic-rules.ts). */
export const topicSegment = validateTopicSegment;

export function deviceTopic(deviceId: string): string {
  return `te/device/${validateAssetId(deviceId)}//`;
}

export function serviceTopic(serviceName: string): string {
  return `te/device/main/service/${topicSegment(serviceName, 'service name')}`;
}

export const healthTopic = (serviceName: string) => `${serviceTopic(serviceName)}/status/health`;
const channel = (deviceId: string, kind: string, type: string, what: string) =>
  `${deviceTopic(deviceId)}/${kind}/${topicSegment(type, what)}`;
export const measurementTopic = (deviceId: string, type: string) => channel(deviceId, 'm', type, 'measurement type');
export const eventTopic = (deviceId: string, type: string) => channel(deviceId, 'e', type, 'event type');
export const alarmTopic = (deviceId: string, type: string) => channel(deviceId, 'a', type, 'alarm type');
export const twinTopic = (deviceId: string, fragment: string) => channel(deviceId, 'twin', fragment, 'twin fragment');

export function registrationMessage(publication: Publication): MqttMessage {
  const { asset } = publication;
  return {
    topic: deviceTopic(asset.id),
    payload: JSON.stringify({ '@type': 'child-device', '@id': asset.externalId, displayName: asset.id, type: asset.type }),
    retain: true,
  };
}

export function serviceRegistration(serviceName: string): MqttMessage {
  return {
    topic: serviceTopic(serviceName),
    payload: JSON.stringify({ '@type': 'service', displayName: serviceName, type: 'node-red' }),
    retain: true,
  };
}

export function healthMessage(serviceName: string, status: 'up' | 'down', now = new Date()): MqttMessage {
  const body = status === 'up' ? { status, pid: process.pid, time: Math.floor(now.getTime() / 1000) } : { status };
  return { topic: healthTopic(serviceName), payload: JSON.stringify(body), retain: true };
}

export function measurementMessage(deviceId: string, measurement: MeasurementData, time: string): MqttMessage {
  return { topic: measurementTopic(deviceId, measurement.type), payload: JSON.stringify({ time, ...measurement.values }), retain: false };
}

export function unitsMessage(deviceId: string, measurement: MeasurementData): MqttMessage {
  const meta = Object.fromEntries(Object.entries(measurement.units).map(([series, unit]) => [series, { unit }]));
  return { topic: `${measurementTopic(deviceId, measurement.type)}/meta`, payload: JSON.stringify(meta), retain: true };
}

export function alarmMessage(deviceId: string, decision: AlarmDecision, time: string): MqttMessage {
  if (decision.action === 'clear') return { topic: alarmTopic(deviceId, decision.type), payload: '', retain: true };
  return {
    topic: alarmTopic(deviceId, decision.type),
    payload: JSON.stringify({ severity: decision.severity.toLowerCase(), text: decision.text, time, ...decision.fragments }),
    retain: true,
  };
}

export function twinMessages(deviceId: string, fragments: Record<string, unknown>): MqttMessage[] {
  return Object.entries(fragments).map(([fragment, value]) => ({ topic: twinTopic(deviceId, fragment), payload: JSON.stringify(value), retain: true }));
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** Summary that stands in for a fragment too big for an MQTT event. */
function summarise(value: unknown): unknown {
  const summary: Record<string, unknown> = { truncated: true, bytes: byteLength(value) };
  if (Array.isArray(value)) summary.items = value.length;
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (Array.isArray(inner)) summary[`${key}Count`] = inner.length;
      else if (byteLength(inner) <= 256) summary[key] = inner;
    }
  }
  return summary;
}

/**
 * The event as a thin-edge JSON payload no larger than `limit` bytes. The biggest fragments are replaced by summaries
 * (and, as a last resort, the text is shortened); the event then says so in its text and in mlops_Truncated.
 */
export function fitEvent(event: EventData, time: string, limit = EVENT_PAYLOAD_LIMIT): { payload: Record<string, unknown>; truncated: string[] } {
  const fragments = { ...event.fragments };
  const truncated: string[] = [];
  const build = (text: string) => ({
    text, time, ...fragments,
    ...(truncated.length ? { mlops_Truncated: { fragments: truncated, limitBytes: limit } } : {}),
  });
  const note = () => (truncated.length ? ` [fragments summarised to fit ${limit} bytes: ${truncated.join(', ')}]` : '');
  let payload = build(event.text + note());
  const candidates = Object.keys(fragments).sort((a, b) => byteLength(fragments[b]) - byteLength(fragments[a]));
  for (const name of candidates) {
    if (byteLength(payload) <= limit) break;
    fragments[name] = summarise(fragments[name]);
    truncated.push(name);
    payload = build(event.text + note());
  }
  if (byteLength(payload) > limit) {
    const suffix = `… [text shortened]${note()}`;
    let keep = Math.max(0, event.text.length - (byteLength(payload) - limit) - suffix.length - 16);
    payload = build(event.text.slice(0, keep) + suffix);
    while (byteLength(payload) > limit && keep > 0) {
      keep = Math.floor(keep / 2);
      payload = build(event.text.slice(0, keep) + suffix);
    }
  }
  return { payload, truncated };
}

export function eventMessage(deviceId: string, event: EventData, time: string, limit = EVENT_PAYLOAD_LIMIT): MqttMessage {
  const { payload } = fitEvent(event, time, limit);
  return { topic: eventTopic(deviceId, event.type), payload: JSON.stringify(payload), retain: false };
}
