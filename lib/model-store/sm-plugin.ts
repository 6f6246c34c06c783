// thin-edge's software-management plugin protocol for the store (software type onnx-model): parsing its argv and
// update-list input, and what to print for list. The process side (exit codes, stdio) is bin/commands/sm-plugin.ts.
import fs from 'node:fs';
import { PipelineError } from '../errors';
import { readArtefact } from './archive';
import { parseModel, sha256Of } from './verify';
import type { ModelStore } from './store';
import type { StoreAction } from './transaction';

/** The file name under /etc/tedge/sm-plugins, which thin-edge uses as the software type. */
export const SOFTWARE_TYPE = 'onnx-model';

/** `list`: one `name\tversion` line per model with an active version (always with the tab: thin-edge's filters need it). */
export function listLines(store: ModelStore): string {
  return store.list().filter((m) => m.active).map((m) => `${m.name}\t${m.active}\n`).join('');
}

/**
 * A version for an install that came without one: the model's own metadata version, else the first 12 hex digits
 * of its sha256 (so the same file always gets the same version).
 */
export function versionFromFile(file: string): string {
  const { files } = readArtefact(fs.readFileSync(file));
  const bytes = files.get('model.onnx') ?? [...files].find(([n]) => n.endsWith('.onnx'))?.[1];
  if (!bytes) throw new PipelineError('store-bad-bundle', 'the bundle must hold model.onnx; put the model at the top of the bundle as model.onnx');
  const declared = parseModel(bytes, file).metadata.version;
  return declared && /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/.test(declared) ? declared : sha256Of(bytes).slice(0, 12);
}

/** An install as thin-edge asks for it: a missing version is taken from the file, or means "keep what is active". */
export function installAction(store: ModelStore, name: string, version: string | undefined, file: string | undefined): StoreAction | undefined {
  if (version) return { action: 'install', name, version, file };
  if (file) return { action: 'install', name, version: versionFromFile(file), file };
  if (store.active(name)) return undefined;
  throw new PipelineError('store-no-version', `installing ${name} needs a version (--module-version) or a file; ` +
    'give the software version in Cumulocity', { name });
}

/** update-list's stdin: `install\tNAME\tVERSION\tFILE` and `remove\tNAME\tVERSION\t` lines (empty fields allowed). */
export function parseUpdateList(text: string, store: ModelStore): StoreAction[] {
  const actions: StoreAction[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const [action, name = '', version = '', file = ''] = line.split('\t');
    if (!name) throw new PipelineError('store-bad-update-list', `update-list line ${index + 1} has no module name: "${line}"`, { line: index + 1 });
    if (action === 'install') {
      const install = installAction(store, name, version || undefined, file || undefined);
      if (install) actions.push(install);
    } else if (action === 'remove') {
      actions.push({ action: 'remove', name, version: version || undefined });
    } else {
      throw new PipelineError('store-bad-update-list', `update-list line ${index + 1} starts with "${action}"; expected install or remove`,
        { line: index + 1 });
    }
  });
  return actions;
}
