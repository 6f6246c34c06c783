// Cumulocity's software repository built on inventory, as the Device Management app and go-c8y-cli lay it out:
// a software item (type c8y_Software, softwareType = the thin-edge plugin), versions as its child additions
// (type c8y_SoftwareBinary, c8y_Software { version, url }), each version's binary linked under it.
import { PipelineError } from '../errors';
import type { TenantServices } from './client';

export const SOFTWARE_TYPE = 'c8y_Software';
export const VERSION_TYPE = 'c8y_SoftwareBinary';
/** Characters Cumulocity's query language and thin-edge's plugins take without quoting. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@+/-]*$/;

export interface SoftwareItem { id: string; name: string; softwareType?: string }
export interface SoftwareVersion { id: string; version: string; url: string }

export function checkName(value: string, what: string): string {
  if (!NAME.test(value)) throw new PipelineError('bad-software-name', `${what} "${value}" must start with a letter or digit and use letters, digits and . _ @ + / -`, { what, value });
  return value;
}

/** Software items of this name (of this softwareType, when given). */
export async function findSoftware(c8y: TenantServices, name: string, softwareType?: string): Promise<SoftwareItem[]> {
  checkName(name, 'software name');
  const filter = [`type eq '${SOFTWARE_TYPE}'`, `name eq '${name}'`, ...(softwareType ? [`softwareType eq '${checkName(softwareType, 'software type')}'`] : [])];
  const { data } = await c8y.call(`looking up software "${name}"`, () => c8y.inventory.list({ query: `$filter=(${filter.join(' and ')})`, pageSize: 100 }));
  return data.map((mo) => ({ id: String(mo.id), name: String(mo.name), softwareType: typeof mo.softwareType === 'string' ? mo.softwareType : undefined }));
}

export async function listVersions(c8y: TenantServices, software: SoftwareItem): Promise<SoftwareVersion[]> {
  const { data } = await c8y.call(`listing the versions of "${software.name}"`, () => c8y.inventory.childAdditionsList(software.id, { pageSize: 2000 }));
  return data
    .filter((mo) => mo.type === VERSION_TYPE && mo.c8y_Software && typeof mo.c8y_Software.version === 'string')
    .map((mo) => ({ id: String(mo.id), version: String(mo.c8y_Software.version), url: String(mo.c8y_Software.url ?? '') }));
}

/** The one software item of this name; with several (of different types) the caller must say which type. */
export async function oneSoftware(c8y: TenantServices, name: string, softwareType?: string): Promise<SoftwareItem> {
  const found = await findSoftware(c8y, name, softwareType);
  if (found.length === 0) throw new PipelineError('software-not-found', `no software "${name}"${softwareType ? ` of type ${softwareType}` : ''} in the repository; publish it first (edge-mlops c8y publish)`, { name });
  if (found.length > 1) {
    throw new PipelineError('software-ambiguous', `${found.length} software items are named "${name}" (types ${found.map((s) => s.softwareType ?? 'none').join(', ')}); pass --type`, { name });
  }
  return found[0]!;
}

export async function oneVersion(c8y: TenantServices, software: SoftwareItem, version: string): Promise<SoftwareVersion> {
  const versions = await listVersions(c8y, software);
  const match = versions.find((v) => v.version === version);
  if (!match) {
    throw new PipelineError('software-version-not-found', `software "${software.name}" has no version ${version} (it has ${versions.map((v) => v.version).join(', ') || 'none'})`, { name: software.name, version });
  }
  return match;
}
