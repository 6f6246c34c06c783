// `edge-mlops c8y deploy`: a c8y_SoftwareUpdate operation per device, followed until the device reports its outcome;
// for a group, a canary wave first, then the rest in waves, stopping at the first wave with a failure.
import { setTimeout as delay } from 'node:timers/promises';
import { PipelineError } from '../errors';
import type { TenantServices } from './client';
import { oneSoftware, oneVersion } from './repository';

export interface Device { id: string; name: string }

export interface DeployOptions {
  name: string;
  version: string;
  softwareType?: string;
  /** Interval between looks at an operation's status. */
  pollMs: number;
  /** How long to wait for a device's outcome before counting it as failed. */
  waitMs: number;
  onProgress?: (line: string) => void;
}

export interface DeviceOutcome { device: Device; operationId?: string; status: 'SUCCESSFUL' | 'FAILED' | 'TIMEOUT'; reason?: string }

export interface RolloutReport {
  name: string;
  version: string;
  softwareType: string;
  succeeded: DeviceOutcome[];
  failed: DeviceOutcome[];
  /** Devices not attempted because an earlier wave failed. */
  skipped: Device[];
}

/** A device by its Cumulocity id or its external id (c8y_Serial unless idType says otherwise). */
export async function resolveDevice(c8y: TenantServices, reference: string, idType = 'c8y_Serial'): Promise<Device> {
  if (/^\d+$/.test(reference)) {
    try {
      const { data } = await c8y.call(`looking up device ${reference}`, () => c8y.inventory.detail(reference));
      return { id: String(data.id), name: String(data.name ?? reference) };
    } catch (err) {
      if ((err as PipelineError).details?.status !== 404) throw err;
    }
  }
  let id: string;
  try {
    const { data } = await c8y.call(`looking up external id ${idType}/${reference}`, () => c8y.identity.detail({ type: idType, externalId: reference }));
    const found = data.managedObject?.id;
    if (found === undefined) throw new PipelineError('device-not-found', `external id ${idType} "${reference}" names no managed object`, { device: reference });
    id = String(found);
  } catch (err) {
    if ((err as PipelineError).details?.status === 404) {
      throw new PipelineError('device-not-found', `no device with id or external id ${idType} "${reference}"`, { device: reference });
    }
    throw err;
  }
  const { data } = await c8y.call(`looking up device ${id}`, () => c8y.inventory.detail(id));
  return { id, name: String(data.name ?? reference) };
}

/** The devices of a group, by group id or name, in a stable order (by id). */
export async function groupDevices(c8y: TenantServices, group: string): Promise<Device[]> {
  let groupId = /^\d+$/.test(group) ? group : undefined;
  if (!groupId) {
    if (/'/.test(group)) throw new PipelineError('group-not-found', `group name "${group}" contains a quote`, { group });
    const { data } = await c8y.call(`looking up group "${group}"`, () => c8y.inventory.list({ query: `$filter=(type eq 'c8y_DeviceGroup' and name eq '${group}')`, pageSize: 2 }));
    if (data.length !== 1) throw new PipelineError('group-not-found', data.length === 0 ? `no device group named "${group}"` : `several device groups are named "${group}"; pass its id`, { group });
    groupId = String(data[0]!.id);
  }
  const { data } = await c8y.call(`listing the devices of group ${group}`, () => c8y.inventory.childAssetsList(groupId!, { pageSize: 2000 }));
  return data.filter((mo) => mo.c8y_IsDevice !== undefined).map((mo) => ({ id: String(mo.id), name: String(mo.name ?? mo.id) })).sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id));
}

async function followOperation(c8y: TenantServices, device: Device, operationId: string, options: DeployOptions): Promise<DeviceOutcome> {
  const deadline = Date.now() + options.waitMs;
  let last = 'PENDING';
  for (;;) {
    const { data } = await c8y.call(`reading operation ${operationId}`, () => c8y.operations.detail(operationId));
    const status = String(data.status);
    if (status !== last) {
      options.onProgress?.(`${device.name} (${device.id}): operation ${operationId} ${status}${data.failureReason ? `: ${data.failureReason}` : ''}`);
      last = status;
    }
    if (status === 'SUCCESSFUL') return { device, operationId, status };
    if (status === 'FAILED') return { device, operationId, status, reason: String(data.failureReason ?? 'no reason given') };
    if (Date.now() >= deadline) return { device, operationId, status: 'TIMEOUT', reason: `still ${status} after ${options.waitMs / 1000} s` };
    await delay(options.pollMs);
  }
}

/** Installs the version on one device and waits for the device's outcome. */
export async function deployToDevice(c8y: TenantServices, device: Device, target: { name: string; version: string; url: string; softwareType: string }, options: DeployOptions): Promise<DeviceOutcome> {
  const { data } = await c8y.call(`creating the software update for ${device.name}`, () => c8y.operations.create({
    deviceId: device.id,
    description: `Install ${target.softwareType} ${target.name} ${target.version}`,
    c8y_SoftwareUpdate: [{ name: target.name, version: target.version, url: target.url, action: 'install', softwareType: target.softwareType }],
  }));
  const operationId = String(data.id);
  options.onProgress?.(`${device.name} (${device.id}): operation ${operationId} created`);
  return followOperation(c8y, device, operationId, options);
}

/** Deploys in waves: the first `canary` devices, then waves of `waveSize`; a wave with a failure ends the rollout. */
export async function rollout(c8y: TenantServices, devices: Device[], options: DeployOptions & { canary?: number; waveSize?: number }): Promise<RolloutReport> {
  if (devices.length === 0) throw new PipelineError('no-devices', 'there are no devices to deploy to', {});
  const software = await oneSoftware(c8y, options.name, options.softwareType);
  const version = await oneVersion(c8y, software, options.version);
  const softwareType = software.softwareType ?? options.softwareType ?? '';
  const target = { name: software.name, version: version.version, url: version.url, softwareType };
  const report: RolloutReport = { name: software.name, version: version.version, softwareType, succeeded: [], failed: [], skipped: [] };
  const waves: Device[][] = [];
  const canary = Math.min(options.canary ?? devices.length, devices.length);
  waves.push(devices.slice(0, canary));
  const waveSize = Math.max(1, options.waveSize ?? devices.length);
  for (let i = canary; i < devices.length; i += waveSize) waves.push(devices.slice(i, i + waveSize));
  for (const [index, wave] of waves.entries()) {
    if (waves.length > 1) options.onProgress?.(`${index === 0 && options.canary ? 'canary' : `wave ${index + 1}/${waves.length}`}: ${wave.map((d) => d.name).join(', ')}`);
    const outcomes = await Promise.all(wave.map((device) => deployToDevice(c8y, device, target, options).catch((err: Error) => ({ device, status: 'FAILED' as const, reason: err.message }))));
    for (const outcome of outcomes) (outcome.status === 'SUCCESSFUL' ? report.succeeded : report.failed).push(outcome);
    if (report.failed.length > 0) {
      report.skipped = waves.slice(index + 1).flat();
      break;
    }
  }
  return report;
}
