// thin-edge.io MQTT API: payloads, on the topics of the connection's schema (topics.ts), following thin-edge's
// documented API (<root> is mqtt.topic_root, te by default; <device> is this device, device/main// by default):
//   entity           <root>/device/<id>//                   retained {"@type":"child-device", ...}
//   measurement      <root>/device/<id>///m/<type>          thin-edge JSON: numbers, groups of numbers (one level)
//   units            <root>/device/<id>///m/<type>/meta     retained {"<series>": {"unit": "…"}, "<group>.<series>": {…}}
//   event            <root>/device/<id>///e/<type>          {"text", "time", custom fragments}
//   alarm            <root>/device/<id>///a/<type>          retained {"severity","text","time",…}; empty retained = clear
//   twin             <root>/device/<id>///twin/<fragment>   retained JSON value
//   service          <root>/<device>/service/<name>         retained {"@type":"service",…}
//   health           <root>/<device>/service/<name>/status/health  retained {"status":"up"|"down",…}
import type { AlarmDecision, EventData, MeasurementData, Publication } from './inspection';
import { DEFAULT_DEVICE_TOPIC_ID, topicFor, type TopicSchema } from './topics';

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

const child = (name: string) => ({ kind: 'child', name }) as const;
const service = (name: string) => ({ kind: 'service', name }) as const;

export function registrationMessage(topics: TopicSchema, publication: Publication): MqttMessage {
  const { asset } = publication;
  // thin-edge makes a child device without @parent a child of device/main//: name any other device.
  const parent = topics.device === DEFAULT_DEVICE_TOPIC_ID ? {} : { '@parent': topics.device };
  return {
    topic: topicFor(topics, child(asset.id), { kind: 'registration' }),
    payload: JSON.stringify({ '@type': 'child-device', '@id': asset.externalId, displayName: asset.id, type: asset.type, ...parent }),
    retain: true,
  };
}

export function serviceRegistration(topics: TopicSchema, serviceName: string): MqttMessage {
  return {
    topic: topicFor(topics, service(serviceName), { kind: 'registration' }),
    payload: JSON.stringify({ '@type': 'service', displayName: serviceName, type: 'node-red' }),
    retain: true,
  };
}

export function healthMessage(topics: TopicSchema, serviceName: string, status: 'up' | 'down', now = new Date()): MqttMessage {
  const body = status === 'up' ? { status, pid: process.pid, time: Math.floor(now.getTime() / 1000) } : { status };
  return { topic: topicFor(topics, service(serviceName), { kind: 'health' }), payload: JSON.stringify(body), retain: true };
}

export function measurementMessage(topics: TopicSchema, deviceId: string, measurement: MeasurementData, time: string): MqttMessage {
  return {
    topic: topicFor(topics, child(deviceId), { kind: 'measurement', type: measurement.type }),
    payload: JSON.stringify({ time, ...measurement.values }),
    retain: false,
  };
}

export function unitsMessage(topics: TopicSchema, deviceId: string, measurement: MeasurementData): MqttMessage {
  const meta = Object.fromEntries(Object.entries(measurement.units).map(([series, unit]) => [series, { unit }]));
  return { topic: topicFor(topics, child(deviceId), { kind: 'measurement-meta', type: measurement.type }), payload: JSON.stringify(meta), retain: true };
}

export function alarmMessage(topics: TopicSchema, deviceId: string, decision: AlarmDecision, time: string): MqttMessage {
  const topic = topicFor(topics, child(deviceId), { kind: 'alarm', type: decision.type });
  if (decision.action === 'clear') return { topic, payload: '', retain: true };
  return {
    topic,
    payload: JSON.stringify({ severity: decision.severity.toLowerCase(), text: decision.text, time, ...decision.fragments }),
    retain: true,
  };
}

export function twinMessages(topics: TopicSchema, deviceId: string, fragments: Record<string, unknown>): MqttMessage[] {
  return Object.entries(fragments).map(([fragment, value]) => ({
    topic: topicFor(topics, child(deviceId), { kind: 'twin', fragment }), payload: JSON.stringify(value), retain: true,
  }));
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

export function eventMessage(topics: TopicSchema, deviceId: string, event: EventData, time: string, limit = EVENT_PAYLOAD_LIMIT): MqttMessage {
  const { payload } = fitEvent(event, time, limit);
  return { topic: topicFor(topics, child(deviceId), { kind: 'event', type: event.type }), payload: JSON.stringify(payload), retain: false };
}
