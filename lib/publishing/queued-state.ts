// Keeps what the publisher remembers per asset in step with what reaches the broker, not with what was queued.
// Retained thin-edge messages (registration, units, alarm, twin) are state: when drop-oldest removes the newest
// queued message of a topic, that message is queued again (it is still the current state); when it cannot be
// kept (dropped again, drop-newest, set aside) the asset is forgotten, so its next publication sends its whole state.
// A dropped registration is also sent ahead of the asset's next queued message, so thin-edge never sees data of
// an asset before the asset itself.
import type { PublishMemory } from './publish-memory';
import type { QueueRecord } from './queue';
import type { QueuedItem } from './rest-delivery';
import type { MqttMessage } from './thin-edge';
import { childOfTopic, type TopicSchema } from './topics';

type Header = QueuedItem['header'];

const asHeader = (record: QueueRecord) => record.header as Header;


/** Identifies a piece of state: the retained topic (MQTT), the asset's alarm or inventory (REST). */
function stateKey(header: Header): string | undefined {
  if (header.kind === 'mqtt') return header.retain ? `mqtt ${header.topic}` : undefined;
  return header.op === 'alarm' || header.op === 'inventory' ? `rest ${header.op} ${header.asset.id}` : undefined;
}


export class QueuedState {
  /** State key → sequence number of its newest queued record. Bounded by the queue's depth. */
  private readonly newest = new Map<string, number>();
  /** Asset → registration to send before its next queued message. */
  private readonly registrations = new Map<string, MqttMessage>();
  /** Records queued again after an overflow. */
  republished = 0;

  constructor(private readonly memory: PublishMemory, private readonly maxPending: number, private readonly topics: TopicSchema) {}

  /** The asset a queued record belongs to: a child device's topic for MQTT, the operation's asset for REST. */
  private assetOf(header: Header): string | undefined {
    return header.kind === 'rest' ? header.asset.id : childOfTopic(this.topics, header.topic)?.name;
  }

  private isRegistration(header: Header): boolean {
    return header.kind === 'mqtt' && header.retain && childOfTopic(this.topics, header.topic)?.registration === true;
  }

  queued(header: Header, seq: number): void {
    const key = stateKey(header);
    if (key) this.newest.set(key, seq);
  }

  /** The queue refused to keep this record (drop-newest). */
  notStored(header: Header): void {
    const asset = this.assetOf(header);
    if (stateKey(header) && asset) this.memory.forget(asset);
  }

  /** The record left the queue: delivered, or set aside (then what it carried did not arrive). */
  settled(record: QueueRecord, delivered: boolean): void {
    const header = asHeader(record);
    const key = stateKey(header);
    if (key && this.newest.get(key) === record.seq) this.newest.delete(key);
    const asset = this.assetOf(header);
    if (!asset) return;
    if (this.isRegistration(header) && delivered) this.registrations.delete(asset);
    if (key && !delivered) this.memory.forget(asset);
  }

  /**
   * What drop-oldest removed; returns the records to queue again (registrations first). `requeued` holds the keys
   * already queued again during this publication: one dropped twice is not retried, its asset is forgotten instead.
   */
  dropped(records: QueueRecord[], requeued: Set<string>): QueueRecord[] {
    const again: QueueRecord[] = [];
    for (const record of records) {
      const header = asHeader(record);
      const key = stateKey(header);
      const asset = this.assetOf(header);
      // Not the newest of its kind: a later record carries the current state. Unknown: queued before a restart.
      if (!key || !asset || this.newest.get(key) !== record.seq) continue;
      this.newest.delete(key);
      if (header.kind === 'rest' || requeued.has(key)) {
        this.memory.forget(asset);
        continue;
      }
      requeued.add(key);
      if (this.isRegistration(header)) {
        this.registrations.delete(asset);
        this.registrations.set(asset, { topic: header.topic, payload: header.payload, retain: true });
        if (this.registrations.size > this.maxPending) this.registrations.delete(this.registrations.keys().next().value as string);
        again.unshift(record);
      } else {
        again.push(record);
      }
    }
    this.republished += again.length;
    return again;
  }

  /** The registration to publish before this record, when the asset's queued registration was dropped. */
  registrationBefore(record: QueueRecord): MqttMessage | undefined {
    const header = asHeader(record);
    const asset = this.assetOf(header);
    if (!asset || this.isRegistration(header)) return undefined;
    return this.registrations.get(asset);
  }

  /** The registration returned by registrationBefore(record) reached the broker. */
  registrationSent(record: QueueRecord): void {
    const asset = this.assetOf(asHeader(record));
    if (asset) this.registrations.delete(asset);
  }
}
