// This package's own folder and manifest: walking up from this file to the package.json of
// @edge-mlops/node-red-vision (dist/lib/… when installed or built, lib/… under ts-node). Bundled models, examples,
// samples and the version in reports are all found from here.
import fs from 'node:fs';
import path from 'node:path';

export const PACKAGE_NAME = '@edge-mlops/node-red-vision';

export interface PackageManifest {
  name: string;
  version: string;
  'node-red'?: { nodes?: Record<string, string> };
}

function findPackageRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    try {
      if ((JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
    } catch { /* an unreadable package.json on the way up is not ours */ }
  }
  throw new Error(`cannot find the package.json of ${PACKAGE_NAME} above ${__dirname}; reinstall the package`);
}

/** The package's root folder (holds package.json, models/, examples/, samples/). */
export const PACKAGE_ROOT = findPackageRoot();

let manifest: PackageManifest | undefined;

/** The package's package.json, read once. */
export function packageManifest(): PackageManifest {
  manifest ??= JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as PackageManifest;
  return manifest;
}
