// Files the package ships, named `bundled:<file>` in flows: demo models (models/) and sample pictures (samples/).
// They live in the package's folder, which `npm update` replaces: read from it, never write into it.
import path from 'node:path';
import { PipelineError } from './errors';
import { PACKAGE_ROOT } from './package-root';

export const BUNDLED_PREFIX = 'bundled:';
/** The calibration folder setting that names the bundled sample pictures. */
export const BUNDLED_SAMPLES = `${BUNDLED_PREFIX}samples`;

export type BundledFolder = 'models' | 'samples';

export function isBundled(spec: string): boolean {
  return spec.startsWith(BUNDLED_PREFIX);
}

/** The absolute path of `bundled:<file>` in the package's `folder`; anything but a file name inside it is refused. */
export function bundledPath(spec: string, folder: BundledFolder, packageRoot = PACKAGE_ROOT): string {
  const name = spec.slice(BUNDLED_PREFIX.length);
  if (!isBundled(spec) || !name || name.includes('..') || path.isAbsolute(name)) {
    const what = folder === 'models' ? 'model' : 'sample picture';
    throw new PipelineError('bad-bundled-name', `"${spec}" does not name a bundled ${what}; use bundled:<file name in the package's ${folder} folder>`,
      { path: spec });
  }
  return path.join(packageRoot, folder, name);
}

/** Whether `file` lies in the package's folder (where nothing may be written). */
export function insidePackage(file: string, packageRoot = PACKAGE_ROOT): boolean {
  const relative = path.relative(path.resolve(packageRoot), path.resolve(file));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
