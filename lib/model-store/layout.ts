// Reading the store's directories: which models and versions are installed and which version is active.
// Entries starting with a dot (staging, trash, lock, journal) are the store's own and never a model or a version.
import fs from 'node:fs';
import path from 'node:path';
import { readJson } from './durable';
import type { Manifest } from './manifest';

export const ACTIVE_FILE = 'active.json';
export const MANIFEST_FILE = 'manifest.json';
export const MODEL_FILE = 'model.onnx';
export const LOCK_FILE = '.lock';
export const JOURNAL_FILE = '.journal.json';

export interface ActiveRecord {
  version: string;
  activatedAt: string;
  /** Versions active before this one, oldest first: where removing the active version rolls back to. */
  history: string[];
}

export interface InstalledVersion { version: string; dir: string; manifest: Manifest }

export const isOwnEntry = (name: string): boolean => name.startsWith('.');

export function listDirs(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !isOwnEntry(e.name)).map((e) => e.name).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export function readActive(root: string, name: string): ActiveRecord | undefined {
  const record = readJson<ActiveRecord>(path.join(root, name, ACTIVE_FILE));
  return record && typeof record.version === 'string' ? { ...record, history: Array.isArray(record.history) ? record.history : [] } : undefined;
}

/** Installed versions of a model, oldest install first. */
export function installedVersions(root: string, name: string): InstalledVersion[] {
  const versions: InstalledVersion[] = [];
  for (const version of listDirs(path.join(root, name))) {
    const dir = path.join(root, name, version);
    const manifest = readJson<Manifest>(path.join(dir, MANIFEST_FILE));
    if (manifest) versions.push({ version, dir, manifest });
  }
  return versions.sort((a, b) => a.manifest.installedAt.localeCompare(b.manifest.installedAt) || a.version.localeCompare(b.version));
}
