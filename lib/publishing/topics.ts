// thin-edge's MQTT topic schema as a value: <root>/<entity topic id>/<channel>. The root is thin-edge's
// mqtt.topic_root (default "te"); the device this runs on is mqtt.device_topic_id (default "device/main//").
// Entity topic ids have four levels; in thin-edge's default scheme a device is device/<name>// and its services
// device/<name>/service/<service>. Assets are child devices device/<asset>// whose parent is this device.
// Every topic this package publishes is built by topicFor.
import { PipelineError } from '../errors';
import { badSetting, isUnset } from '../settings';
import { topicSegmentProblem, validateAssetId, validateTopicSegment } from './topic-rules';

export const DEFAULT_TOPIC_ROOT = 'te';
export const DEFAULT_DEVICE_TOPIC_ID = 'device/main//';

export interface TopicSchema {
  /** First topic level of every thin-edge topic (mqtt.topic_root). */
  readonly root: string;
  /** Entity topic id of the device this runs on (mqtt.device_topic_id), always device/<name>//. */
  readonly device: string;
}

export const DEFAULT_TOPICS: TopicSchema = { root: DEFAULT_TOPIC_ROOT, device: DEFAULT_DEVICE_TOPIC_ID };

/** Who a message is about. */
export type Entity =
  | { kind: 'device' }                  // the device itself (mqtt.device_topic_id)
  | { kind: 'child'; name: string }      // an asset: a child device of this device
  | { kind: 'service'; name: string };   // a service of this device (this pipeline's health)

/** What a message is (thin-edge's channels). */
export type Channel =
  | { kind: 'registration' }                             // <entity> itself: retained registration
  | { kind: 'measurement'; type: string }                // m/<type>
  | { kind: 'measurement-meta'; type: string }           // m/<type>/meta
  | { kind: 'event'; type: string }                      // e/<type>
  | { kind: 'alarm'; type: string }                      // a/<type>
  | { kind: 'twin'; fragment: string }                   // twin/<fragment>
  | { kind: 'command'; operation: string; id: string }   // cmd/<operation>/<id>
  | { kind: 'command-meta'; operation: string }          // cmd/<operation>
  | { kind: 'health' };                                  // status/health

const DEVICE_TOPIC_ID = /^device\/([^/]+)\/\/$/;

/** The name in device/<name>//. */
function deviceName(schema: TopicSchema): string {
  return DEVICE_TOPIC_ID.exec(schema.device)![1]!;
}

function entityId(schema: TopicSchema, entity: Entity): string {
  switch (entity.kind) {
    case 'device': return schema.device;
    case 'service': return `device/${deviceName(schema)}/service/${validateTopicSegment(entity.name, 'service name')}`;
    case 'child': {
      const id = `device/${validateAssetId(entity.name)}//`;
      if (id === schema.device) {
        throw new PipelineError('reserved-asset-id', `asset id "${entity.name}" names this device itself (mqtt.device_topic_id ${schema.device}); choose another asset id`, { value: entity.name });
      }
      return id;
    }
  }
}

function channelPath(channel: Channel): string[] {
  switch (channel.kind) {
    case 'registration': return [];
    case 'measurement': return ['m', validateTopicSegment(channel.type, 'measurement type')];
    case 'measurement-meta': return ['m', validateTopicSegment(channel.type, 'measurement type'), 'meta'];
    case 'event': return ['e', validateTopicSegment(channel.type, 'event type')];
    case 'alarm': return ['a', validateTopicSegment(channel.type, 'alarm type')];
    case 'twin': return ['twin', validateTopicSegment(channel.fragment, 'twin fragment')];
    case 'command': return ['cmd', validateTopicSegment(channel.operation, 'operation'), validateTopicSegment(channel.id, 'command id')];
    case 'command-meta': return ['cmd', validateTopicSegment(channel.operation, 'operation')];
    case 'health': return ['status', 'health'];
  }
}

/** The topic of `channel` for `entity`; throws invalid-topic-segment / reserved-asset-id for unusable names. */
export function topicFor(schema: TopicSchema, entity: Entity, channel: Channel): string {
  return [schema.root, entityId(schema, entity), ...channelPath(channel)].join('/');
}

/** The asset (child device) a topic of this schema is about, and whether it is the asset's registration. */
export function childOfTopic(schema: TopicSchema, topic: string): { name: string; registration: boolean } | undefined {
  const [root, kind, name, third, fourth, ...rest] = topic.split('/');
  if (root !== schema.root || kind !== 'device' || !name || third !== '' || fourth !== '') return undefined;
  if (name === 'main' || `device/${name}//` === schema.device) return undefined;
  return { name, registration: rest.length === 0 };
}

/**
 * The schema from the connection's settings: a topic root of one topic level, and a device topic id in thin-edge's
 * default scheme (device/<name>//; like thin-edge, "device/<name>" is completed with the missing slashes).
 * Empty settings mean thin-edge's defaults.
 */
export function topicSchema(root: unknown, deviceTopicId: unknown): TopicSchema {
  let chosenRoot = DEFAULT_TOPIC_ROOT;
  if (!isUnset(root)) {
    if (typeof root !== 'string' || topicSegmentProblem(root.trim(), 'topic root')) {
      throw badSetting('topicRoot', 'one MQTT topic level such as te (no /, +, # or control characters)', root);
    }
    chosenRoot = root.trim();
  }
  if (isUnset(deviceTopicId)) return { root: chosenRoot, device: DEFAULT_DEVICE_TOPIC_ID };
  const expected = 'a device topic id device/<name>// such as device/main//';
  if (typeof deviceTopicId !== 'string') throw badSetting('deviceTopicId', expected, deviceTopicId);
  const levels = deviceTopicId.trim().split('/');
  if (levels.length > 4) throw badSetting('deviceTopicId', expected, deviceTopicId);
  while (levels.length < 4) levels.push('');
  const [kind, name, third, fourth] = levels as [string, string, string, string];
  if (kind !== 'device' || third !== '' || fourth !== '' || topicSegmentProblem(name, 'device name')) throw badSetting('deviceTopicId', expected, deviceTopicId);
  return { root: chosenRoot, device: `device/${name}//` };
}
