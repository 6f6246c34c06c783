// Names, versions and the location of the model store.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PipelineError } from '../errors';

/** Default store of a device: shared by the sm-plugin (root) and Node-RED (its own user, read only). */
export const SYSTEM_STORE_ROOT = '/var/lib/edge-mlops/models';
export const STORE_ENV = 'EDGE_MLOPS_MODEL_STORE';
const STORE_PREFIX = 'store:';

// A name or version becomes a directory name: no path characters, no leading dot (reserved for the store's own files).
const SAFE = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;
const MAX_LENGTH = 100;

function checkPart(kind: 'name' | 'version', value: string): string {
  if (typeof value !== 'string' || !SAFE.test(value) || value.length > MAX_LENGTH || value.includes('..')) {
    throw new PipelineError(`store-bad-${kind}`,
      `"${value}" is not a valid model ${kind}: use letters, digits and . _ + ~ - (starting with a letter or digit, no "..", ` +
      `at most ${MAX_LENGTH} characters)`, { [kind]: String(value) });
  }
  return value;
}

export const checkModelName = (name: string): string => checkPart('name', name);
export const checkVersion = (version: string): string => checkPart('version', version);

export interface StoreSpec { name: string; version?: string }

/** `store:<name>` (follows the active version) or `store:<name>@<version>` (pinned); undefined for other specs. */
export function parseStoreSpec(spec: string): StoreSpec | undefined {
  const trimmed = (spec ?? '').trim();
  if (!trimmed.startsWith(STORE_PREFIX)) return undefined;
  const rest = trimmed.slice(STORE_PREFIX.length);
  const at = rest.indexOf('@');
  const name = checkModelName(at < 0 ? rest : rest.slice(0, at));
  return at < 0 ? { name } : { name, version: checkVersion(rest.slice(at + 1)) };
}

export interface StoreRootContext {
  env?: NodeJS.ProcessEnv;
  /** Node-RED's userDir; defaults to ~/.node-red. */
  userDir?: string;
}

function usable(dir: string): boolean {
  if (fs.existsSync(dir)) return true;
  // Not there yet: usable when the nearest existing parent lets us create it.
  let parent = path.dirname(dir);
  while (!fs.existsSync(parent) && path.dirname(parent) !== parent) parent = path.dirname(parent);
  try {
    fs.accessSync(parent, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The store directory: $EDGE_MLOPS_MODEL_STORE, else /var/lib/edge-mlops/models when it exists or can be created,
 * else <userDir>/edge-mlops/models. Node-RED and the sm-plugin (run by thin-edge through sudo, which resets the
 * environment) agree on the system directory as soon as the plugin has installed one model.
 */
export function storeRoot(context: StoreRootContext = {}): string {
  const env = context.env ?? process.env;
  const configured = env[STORE_ENV]?.trim();
  if (configured) return path.resolve(configured);
  if (usable(SYSTEM_STORE_ROOT)) return SYSTEM_STORE_ROOT;
  return path.join(context.userDir ?? path.join(os.homedir(), '.node-red'), 'edge-mlops', 'models');
}
