// `edge-mlops c8y publish model|flow`: one file as a new version of a software item in the repository.
import { PipelineError } from '../errors';
import type { TenantServices } from './client';
import { SOFTWARE_TYPE, VERSION_TYPE, checkName, findSoftware, listVersions, type SoftwareItem } from './repository';

export interface PublishRequest {
  /** Software type thin-edge dispatches on: onnx-model, nodered-flows or mlops-flows. */
  softwareType: string;
  name: string;
  version: string;
  description?: string;
  /** Restricts the software to devices of this type (c8y_Filter). */
  deviceType?: string;
  fileName: string;
  contentType: string;
  data: Buffer;
  /** Replace an existing version of the same number instead of refusing. */
  replace?: boolean;
}

export interface Publication {
  softwareId: string;
  versionId: string;
  binaryId: string;
  url: string;
  name: string;
  version: string;
  softwareType: string;
  created: boolean;
  replacedVersionId?: string;
}

async function softwareItem(c8y: TenantServices, request: PublishRequest): Promise<{ item: SoftwareItem; created: boolean }> {
  const [existing] = await findSoftware(c8y, request.name, request.softwareType);
  if (existing) return { item: existing, created: false };
  const { data } = await c8y.call(`creating software "${request.name}"`, () => c8y.inventory.create({
    type: SOFTWARE_TYPE, name: request.name, description: request.description ?? '', softwareType: request.softwareType,
    c8y_Global: {}, ...(request.deviceType ? { c8y_Filter: { type: request.deviceType } } : {}),
  }));
  return { item: { id: String(data.id), name: request.name, softwareType: request.softwareType }, created: true };
}

/** The version under the item and the binary under the version; on failure neither is left behind. */
async function addVersion(c8y: TenantServices, request: PublishRequest, item: SoftwareItem, binaryId: string, url: string): Promise<string> {
  let versionId: string | undefined;
  try {
    const { data: version } = await c8y.call(`creating version ${request.version} of "${request.name}"`, () => c8y.inventory.childAdditionsCreate({
      type: VERSION_TYPE, name: request.name, c8y_Global: {}, c8y_Software: { version: request.version, url },
    }, item.id));
    const createdId = String(version.id);
    versionId = createdId;
    // Under the version, a cascading delete of the software removes the binary too.
    await c8y.call('linking the binary to its version', () => c8y.inventory.childAdditionsAdd(binaryId, createdId));
    return createdId;
  } catch (err) {
    if (versionId) await c8y.inventory.delete(versionId).catch(() => undefined);
    await c8y.binaries.delete(binaryId).catch(() => undefined);
    throw err;
  }
}

export async function publishSoftware(c8y: TenantServices, request: PublishRequest): Promise<Publication> {
  checkName(request.name, 'software name');
  if (!request.version.trim() || /[\s']/.test(request.version)) throw new PipelineError('bad-software-version', `version "${request.version}" must be a non-empty word without spaces or quotes`, { version: request.version });
  if (request.data.length === 0) throw new PipelineError('empty-file', `${request.fileName} is empty`, { file: request.fileName });
  const { item, created } = await softwareItem(c8y, request);
  const previous = (await listVersions(c8y, item)).find((v) => v.version === request.version);
  if (previous && !request.replace) {
    throw new PipelineError('software-version-exists', `software "${request.name}" (${request.softwareType}) already has version ${request.version}; publish another version, or pass --replace`, { name: request.name, version: request.version });
  }
  const { data: binary } = await c8y.call(`uploading ${request.fileName}`, () => c8y.binaries.create(request.data, {
    name: request.fileName, fileName: request.fileName, fileType: request.contentType, type: request.contentType, c8y_Global: {},
  }));
  const binaryId = String(binary.id);
  const url = String(binary.self);
  const versionId = await addVersion(c8y, request, item, binaryId, url);
  if (previous) {
    await c8y.call(`removing the replaced version ${request.version}`, () => c8y.inventory.delete(previous.id, { forceCascade: true }));
  }
  return {
    softwareId: item.id, versionId, binaryId, url, name: request.name, version: request.version, softwareType: request.softwareType, created,
    ...(previous ? { replacedVersionId: previous.id } : {}),
  };
}
