// Cumulocity REST API requests (paths, media types, JSON shapes) for what the publisher sends.
import { randomBytes } from 'node:crypto';
import type { MeasurementData } from './inspection';

export const MEDIA_TYPES = {
  measurement: 'application/vnd.com.nsn.cumulocity.measurement+json',
  event: 'application/vnd.com.nsn.cumulocity.event+json',
  alarm: 'application/vnd.com.nsn.cumulocity.alarm+json',
  alarmCollection: 'application/vnd.com.nsn.cumulocity.alarmcollection+json',
  managedObject: 'application/vnd.com.nsn.cumulocity.managedobject+json',
  externalId: 'application/vnd.com.nsn.cumulocity.externalid+json',
} as const;

/** External id type thin-edge and most agents use for devices. */
export const SERIAL_TYPE = 'c8y_Serial';

export interface RestRequest {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string>;
  body?: string | Buffer;
}

function jsonRequest(method: 'POST' | 'PUT', path: string, mediaType: string, body: unknown): RestRequest {
  return { method, path, headers: { 'Content-Type': mediaType, Accept: mediaType }, body: JSON.stringify(body) };
}

/** Thin-edge JSON values → Cumulocity fragments: {"temperature": 21} → {"temperature": {"temperature": {"value": 21}}}. */
export function measurementFragments(measurement: MeasurementData): Record<string, Record<string, { value: number; unit?: string }>> {
  const fragments: Record<string, Record<string, { value: number; unit?: string }>> = {};
  const series = (key: string, value: number) => (measurement.units[key] ? { value, unit: measurement.units[key]! } : { value });
  for (const [name, value] of Object.entries(measurement.values)) {
    fragments[name] = typeof value === 'number'
      ? { [name]: series(name, value) }
      : Object.fromEntries(Object.entries(value).map(([inner, v]) => [inner, series(`${name}.${inner}`, v)]));
  }
  return fragments;
}

export function createMeasurement(sourceId: string, measurement: MeasurementData, time: string): RestRequest {
  return jsonRequest('POST', '/measurement/measurements', MEDIA_TYPES.measurement,
    { source: { id: sourceId }, type: measurement.type, time, ...measurementFragments(measurement) });
}

export function createEvent(sourceId: string, type: string, text: string, time: string, fragments: Record<string, unknown>): RestRequest {
  return jsonRequest('POST', '/event/events', MEDIA_TYPES.event, { ...fragments, source: { id: sourceId }, type, text, time });
}

/** multipart/form-data with an "object" part ({name, type}) and a "file" part, as the event binaries API documents. */
export function attachEventBinary(eventId: string, file: { name: string; contentType: string; data: Buffer }): RestRequest {
  const boundary = `mlops-${randomBytes(12).toString('hex')}`;
  const quotedName = file.name.replace(/["\r\n]/g, '_');
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="object"\r\nContent-Type: application/json\r\n\r\n`),
    Buffer.from(JSON.stringify({ name: file.name, type: file.contentType })),
    Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quotedName}"\r\nContent-Type: ${file.contentType}\r\n\r\n`),
    file.data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return {
    method: 'POST',
    path: `/event/events/${encodeURIComponent(eventId)}/binaries`,
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, Accept: 'application/json' },
    body,
  };
}

export function createAlarm(sourceId: string, type: string, severity: string, text: string, time: string, fragments: Record<string, unknown>): RestRequest {
  return jsonRequest('POST', '/alarm/alarms', MEDIA_TYPES.alarm, { ...fragments, source: { id: sourceId }, type, severity, text, time });
}

export function listActiveAlarms(sourceId: string, type: string): RestRequest {
  return {
    method: 'GET', path: '/alarm/alarms',
    query: { source: sourceId, type, status: 'ACTIVE', pageSize: '100' },
    headers: { Accept: MEDIA_TYPES.alarmCollection },
  };
}

export function clearAlarm(alarmId: string): RestRequest {
  return jsonRequest('PUT', `/alarm/alarms/${encodeURIComponent(alarmId)}`, MEDIA_TYPES.alarm, { status: 'CLEARED' });
}

export function updateInventory(managedObjectId: string, fragments: Record<string, unknown>): RestRequest {
  return jsonRequest('PUT', `/inventory/managedObjects/${encodeURIComponent(managedObjectId)}`, MEDIA_TYPES.managedObject, fragments);
}

export function getExternalId(externalId: string, type = SERIAL_TYPE): RestRequest {
  return {
    method: 'GET', path: `/identity/externalIds/${encodeURIComponent(type)}/${encodeURIComponent(externalId)}`,
    headers: { Accept: MEDIA_TYPES.externalId },
  };
}

export function createDevice(name: string, type: string): RestRequest {
  return jsonRequest('POST', '/inventory/managedObjects', MEDIA_TYPES.managedObject, { name, type, c8y_IsDevice: {} });
}

export function createExternalId(managedObjectId: string, externalId: string, type = SERIAL_TYPE): RestRequest {
  return jsonRequest('POST', `/identity/globalIds/${encodeURIComponent(managedObjectId)}/externalIds`, MEDIA_TYPES.externalId, { type, externalId });
}
