// Queued REST operations and their delivery to Cumulocity (directly, or through thin-edge's proxy).
import type { AlarmDecision, AssetRef, EventData, ImageAttachment, MeasurementData, Publication, PublishMemory } from './inspection';
import * as c8y from './cumulocity-rest';
import type { DeliveryContext } from './forwarder';
import { RetryableError } from './forwarder';
import type { QueueRecord } from './queue';
import { expectStatus, type RestClient } from './rest-client';

type ImageMeta = Omit<ImageAttachment, 'data'>;

export type RestOperation =
  | { kind: 'rest'; op: 'measurement'; asset: AssetRef; time: string; measurement: MeasurementData }
  | { kind: 'rest'; op: 'event'; asset: AssetRef; time: string; event: EventData; images: ImageMeta[] }
  | { kind: 'rest'; op: 'alarm'; asset: AssetRef; time: string; decision: AlarmDecision }
  | { kind: 'rest'; op: 'inventory'; asset: AssetRef; fragments: Record<string, unknown> };

export interface QueuedItem {
  header: RestOperation | { kind: 'mqtt'; topic: string; payload: string; retain: boolean };
  blobs: Buffer[];
}

export function eventOperation(publication: Publication, event: EventData): QueuedItem {
  const images = publication.images.map(({ data: _data, ...meta }) => meta);
  return {
    header: { kind: 'rest', op: 'event', asset: publication.asset, time: publication.time, event, images },
    blobs: publication.images.map((image) => image.data),
  };
}

/** Everything a publication becomes with the REST-only ("cumulocity") transport. */
export function restOperations(publication: Publication, memory: PublishMemory, alarmType: string): QueuedItem[] {
  const { asset, time } = publication;
  const items: QueuedItem[] = [];
  if (publication.measurement) items.push({ header: { kind: 'rest', op: 'measurement', asset, time, measurement: publication.measurement }, blobs: [] });
  if (publication.event) items.push(eventOperation(publication, publication.event));
  const decision = memory.alarmDecision(publication, alarmType);
  if (decision) items.push({ header: { kind: 'rest', op: 'alarm', asset, time, decision }, blobs: [] });
  const twin = memory.changedTwin(publication);
  if (Object.keys(twin).length) items.push({ header: { kind: 'rest', op: 'inventory', asset, fragments: twin }, blobs: [] });
  return items;
}

interface EventProgress { eventId?: string; attached: number; companions: Record<string, string> }

/** Managed object ids remembered per external id (looked up again once forgotten). */
const MAX_CACHED_SOURCES = 10_000;

export class RestDelivery {
  private readonly sources = new Map<string, string>();

  /** createDevices: find-or-create the asset's device (REST transport); false: wait until thin-edge registered it. */
  constructor(private readonly client: RestClient, private readonly createDevices: boolean) {}

  readonly deliver = async (record: QueueRecord, context: DeliveryContext): Promise<void> => {
    const operation = record.header as RestOperation;
    const source = await this.sourceId(operation.asset);
    switch (operation.op) {
      case 'measurement':
        expectStatus(await this.client.send(c8y.createMeasurement(source, operation.measurement, operation.time)), [200, 201], 'creating a measurement');
        return;
      case 'event':
        return this.deliverEvent(source, operation, record.blobs, context);
      case 'alarm':
        return this.deliverAlarm(source, operation.decision, operation.time);
      case 'inventory':
        expectStatus(await this.client.send(c8y.updateInventory(source, operation.fragments)), [200], 'updating the asset in the inventory');
        return;
    }
  };

  private async sourceId(asset: AssetRef): Promise<string> {
    const cached = this.sources.get(asset.externalId);
    if (cached) return cached;
    const found = await this.client.send(c8y.getExternalId(asset.externalId));
    let id: string | undefined;
    if (found.status === 200) {
      id = String(found.json?.managedObject?.id);
    } else if (found.status === 404 && this.createDevices) {
      const created = expectStatus(await this.client.send(c8y.createDevice(asset.id, asset.type)), [200, 201], 'creating the asset device');
      id = String(created.json?.id);
      expectStatus(await this.client.send(c8y.createExternalId(id, asset.externalId)), [200, 201], 'registering the asset external id');
    } else if (found.status === 404) {
      throw new RetryableError(`asset ${asset.id} (${c8y.SERIAL_TYPE} ${asset.externalId}) is not registered in Cumulocity yet; waiting for thin-edge to create it`, 'not-registered');
    } else {
      expectStatus(found, [200], `looking up asset ${asset.externalId}`);
    }
    if (this.sources.size >= MAX_CACHED_SOURCES) this.sources.delete(this.sources.keys().next().value as string);
    this.sources.set(asset.externalId, id!);
    return id!;
  }

  /**
   * Creates the event and attaches the first image to it; every further image goes to a companion event, because a
   * Cumulocity event holds one binary. Progress is saved after each step so a retry never duplicates an event.
   */
  private async deliverEvent(source: string, operation: Extract<RestOperation, { op: 'event' }>, blobs: Buffer[], context: DeliveryContext): Promise<void> {
    const progress: EventProgress = context.progress<EventProgress>() ?? { attached: 0, companions: {} };
    const { event, time, images } = operation;
    if (!progress.eventId) {
      const created = expectStatus(await this.client.send(c8y.createEvent(source, event.type, event.text, time, event.fragments)), [200, 201], 'creating the inspection event');
      progress.eventId = String(created.json?.id);
      context.saveProgress(progress);
    }
    for (let i = progress.attached; i < images.length; i++) {
      const image = images[i]!;
      let target: string | undefined = progress.eventId;
      if (i > 0) {
        target = progress.companions[i];
        if (!target) {
          const created = expectStatus(await this.client.send(c8y.createEvent(source, `${event.type}_${image.role}`,
            `${image.role} image of inspection event ${progress.eventId}`, time, { mlops_InspectionEvent: { id: progress.eventId } })), [200, 201], 'creating an image event');
          target = progress.companions[i] = String(created.json?.id);
          context.saveProgress(progress);
        }
      }
      // 409: the binary is already there (the process stopped after uploading, before saving progress).
      expectStatus(await this.client.send(c8y.attachEventBinary(target, { ...image, data: blobs[i]! })), [200, 201, 409], `attaching the ${image.role} image`);
      progress.attached = i + 1;
      context.saveProgress(progress);
    }
  }

  private async deliverAlarm(source: string, decision: AlarmDecision, time: string): Promise<void> {
    if (decision.action === 'raise') {
      expectStatus(await this.client.send(c8y.createAlarm(source, decision.type, decision.severity, decision.text, time, decision.fragments)), [200, 201], 'raising the alarm');
      return;
    }
    const active = expectStatus(await this.client.send(c8y.listActiveAlarms(source, decision.type)), [200], 'listing active alarms');
    for (const alarm of (active.json?.alarms ?? []) as { id: string }[]) {
      expectStatus(await this.client.send(c8y.clearAlarm(String(alarm.id))), [200], 'clearing the alarm');
    }
  }
}
