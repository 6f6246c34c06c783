// One connection to Cumulocity, shared by every publishing node that uses it: turns publications into queued MQTT
// messages and REST operations, and forwards them in order over thin-edge (MQTT + local proxy) or REST.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { DeadLetterFile } from './dead-letter';
import { Forwarder, type SetAside } from './forwarder';
import type { Publication } from './inspection';
import { DEFAULT_MAX_ASSETS, PublishMemory } from './publish-memory';
import { QueuedState } from './queued-state';
import { MqttLink, type MqttLinkOptions } from './mqtt-link';
import { DiskQueue, type OverflowPolicy, type QueueRecord } from './queue';
import { eventOperation, restOperations, RestDelivery, type QueuedItem } from './rest-delivery';
import { restClient, type RestTarget } from './rest-client';
import * as te from './thin-edge';
import { validateAssetId } from './topic-rules';
import { DEFAULT_TOPICS } from './topics';

export type Transport = 'thin-edge' | 'cumulocity';

export interface PublisherOptions {
  transport: Transport;
  queueDir: string;
  queueMaxBytes: number;
  queuePolicy: OverflowPolicy;
  fsync: boolean;
  /** thin-edge only. */
  mqtt?: MqttLinkOptions;
  /** The tenant (cumulocity) or thin-edge's local Cumulocity proxy (thin-edge). */
  rest: RestTarget;
  eventLimitBytes?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Assets whose published state is remembered (least recently published forgotten first); default 10 000. */
  maxAssets?: number;
}

export interface PublisherStatus {
  transport: Transport;
  /** MQTT connected (thin-edge) / last REST delivery worked (cumulocity); undefined before the first attempt. */
  connected: boolean | undefined;
  reason?: string;
  queued: number;
  dropped: number;
  rejected: number;
  /** Records set aside into a lane's dead-letter file (refused for good, or the broker disconnected on them). */
  failed: number;
  delivered: number;
  /** State messages (registration, units, alarm, twin) queued again after drop-oldest removed them. */
  republished: number;
  /** Assets forgotten to keep the per-asset memory bounded (they are announced again on their next publication). */
  evicted: number;
}

interface Lane { queue: DiskQueue; forwarder: Forwarder }

export interface PublishResult {
  queued: number;
  dropped: number;
  /** Resolves once everything queued is on disk; rejects when the disk refused it (the records may be lost). */
  durable: Promise<void>;
}

/** Events: 'status' (PublisherStatus), 'failed' (error, SetAside) for data set aside into a dead-letter file. */
export class Publisher extends EventEmitter {
  private readonly memory: PublishMemory;
  private readonly queuedState: QueuedState;
  private readonly link: MqttLink | undefined;
  private readonly lanes: { mqtt?: Lane; rest: Lane };
  private state: Pick<PublisherStatus, 'connected' | 'reason'> = { connected: undefined };
  private failed = 0;
  private delivered = 0;

  constructor(private readonly options: PublisherOptions) {
    super();
    const maxAssets = options.maxAssets ?? DEFAULT_MAX_ASSETS;
    this.memory = new PublishMemory(maxAssets);
    this.queuedState = new QueuedState(this.memory, maxAssets, options.mqtt?.topics ?? DEFAULT_TOPICS);
    const rest = new RestDelivery(restClient(options.rest), options.transport === 'cumulocity');
    const lane = (name: string, deliver: ConstructorParameters<typeof Forwarder>[1]): Lane => {
      const dir = path.join(options.queueDir, name);
      const queue = DiskQueue.open({ dir, maxBytes: options.queueMaxBytes, policy: options.queuePolicy, fsync: options.fsync });
      const deadLetter = new DeadLetterFile(dir, options.queueMaxBytes);
      const forwarder = new Forwarder(queue, deliver, { retryMinMs: options.retryMinMs, retryMaxMs: options.retryMaxMs, deadLetter });
      forwarder.on('delivered', (record: QueueRecord) => {
        this.delivered++;
        this.queuedState.settled(record, true);
        if (name === 'rest' && !this.link) this.setState(true);
        this.report();
      });
      forwarder.on('retry', (err: Error & { reason?: string }) => {
        // With thin-edge the MQTT link reports its own state; REST trouble shows as data waiting in the queue.
        if (!this.link) this.setState(false, err.reason ?? err.message);
        this.report();
      });
      forwarder.on('failed', (record: QueueRecord, err: Error, aside: SetAside) => {
        this.failed++;
        this.queuedState.settled(record, false); this.emit('failed', err, aside); this.report(); });
      return { queue, forwarder };
    };
    if (options.transport === 'thin-edge') {
      if (!options.mqtt) throw new Error('thin-edge transport needs MQTT settings');
      this.link = new MqttLink(options.mqtt);
      const link = this.link;
      const deliverMqtt = async (record: QueueRecord): Promise<void> => {
        // A dropped registration goes out before the asset's next message, so thin-edge knows the asset first.
        const registration = this.queuedState.registrationBefore(record);
        if (registration) {
          await link.publish(registration);
          this.queuedState.registrationSent(record);
        }
        await link.deliver(record);
      };
      this.lanes = { mqtt: lane('mqtt', deliverMqtt), rest: lane('rest', rest.deliver) };
      this.link.on('up', () => {
        this.setState(true);
        this.report();
        this.lanes.mqtt!.forwarder.kick();
        this.lanes.rest.forwarder.kick();
      });
      this.link.on('down', (reason: string) => { if (this.setState(false, reason)) this.report(); });
    } else {
      this.lanes = { rest: lane('rest', rest.deliver) };
    }
  }

  get status(): PublisherStatus {
    const queues = [this.lanes.mqtt, this.lanes.rest].filter((l): l is Lane => !!l).map((l) => l.queue.stats);
    const sum = (key: 'depth' | 'dropped' | 'rejected') => queues.reduce((total, q) => total + q[key], 0);
    return {
      transport: this.options.transport, ...this.state,
      queued: sum('depth'), dropped: sum('dropped'), rejected: sum('rejected'), failed: this.failed, delivered: this.delivered,
      republished: this.queuedState.republished, evicted: this.memory.evicted,
    };
  }

  /**
   * Queues everything the publication becomes. Throws a PipelineError when the queue refuses data (reject policy,
   * oversized message); what was queued before stays queued. `durable` resolves once the queued records are on disk
   * (fsync off the event loop): report the publication as kept only then.
   */
  publish(publication: Publication, alarmType: string): PublishResult {
    validateAssetId(publication.asset.id);
    const items = this.options.transport === 'thin-edge'
      ? this.thinEdgeItems(publication, alarmType)
      : restOperations(publication, this.memory, alarmType);
    let queued = 0;
    let dropped = 0;
    const requeued = new Set<string>();
    try {
      for (const item of items) {
        const lane = item.header.kind === 'mqtt' ? this.lanes.mqtt! : this.lanes.rest;
        dropped += this.append(lane, item.header, item.blobs, requeued, () => { queued++; });
        lane.forwarder.kick();
      }
    } catch (err) {
      this.memory.forget(publication.asset.id);
      throw err;
    } finally {
      this.report();
    }
    const lanes = [this.lanes.mqtt, this.lanes.rest].filter((l): l is Lane => !!l);
    return { queued, dropped, durable: Promise.all(lanes.map((l) => l.queue.durable())).then(() => undefined) };
  }

  /** Appends one record; state that drop-oldest removed on the way is queued again. Returns the records dropped. */
  private append(lane: Lane, header: QueuedItem['header'], blobs: Buffer[], requeued: Set<string>, stored: () => void): number {
    const result = lane.queue.append(header, blobs);
    if (result.stored) {
      this.queuedState.queued(header, result.seq!);
      stored();
    } else {
      this.queuedState.notStored(header);
    }
    let dropped = result.dropped;
    for (const again of this.queuedState.dropped(result.droppedRecords, requeued)) {
      dropped += this.append(lane, again.header as QueuedItem['header'], again.blobs, requeued, () => undefined);
    }
    return dropped;
  }

  private thinEdgeItems(publication: Publication, alarmType: string): QueuedItem[] {
    const { asset, time, measurement, event } = publication;
    const topics = this.options.mqtt!.topics;
    const mqttItem = (message: te.MqttMessage): QueuedItem => ({ header: { kind: 'mqtt', ...message }, blobs: [] });
    const items: QueuedItem[] = [];
    if (this.memory.firstSighting(asset.id)) items.push(mqttItem(te.registrationMessage(topics, publication)));
    if (measurement) {
      if (Object.keys(measurement.units).length && this.memory.unitsChanged(asset.id, measurement.type, measurement.units)) {
        items.push(mqttItem(te.unitsMessage(topics, asset.id, measurement)));
      }
      items.push(mqttItem(te.measurementMessage(topics, asset.id, measurement, time)));
    }
    if (event) {
      // Files cannot travel over thin-edge's MQTT API: an event with images goes through the Cumulocity proxy.
      items.push(publication.images.length ? eventOperation(publication, event) : mqttItem(te.eventMessage(topics, asset.id, event, time, this.options.eventLimitBytes)));
    }
    const decision = this.memory.alarmDecision(publication, alarmType);
    if (decision) items.push(mqttItem(te.alarmMessage(topics, asset.id, decision, time)));
    for (const message of te.twinMessages(topics, asset.id, this.memory.changedTwin(publication))) items.push(mqttItem(message));
    return items;
  }

  /** Records the connection state; true when it changed. */
  private setState(connected: boolean, reason?: string): boolean {
    const next = connected ? { connected } : { connected, reason };
    const changed = next.connected !== this.state.connected || next.reason !== this.state.reason;
    this.state = next;
    return changed;
  }

  private report(): void {
    this.emit('status', this.status);
  }

  /** Stops forwarding (undelivered data stays on disk for the next start) and disconnects. */
  async close(): Promise<void> {
    const lanes = [this.lanes.mqtt, this.lanes.rest].filter((l): l is Lane => !!l);
    const stopping = lanes.map((l) => l.forwarder.stop());
    await this.link?.close();
    await Promise.all(stopping);
    for (const l of lanes) l.queue.close();
  }
}
