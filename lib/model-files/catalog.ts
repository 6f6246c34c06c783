// The models the editor offers in the model field: the package's bundled models (bundled:<file>) and the ones
// uploaded into the user directory (models/<file>); the model store lists its own (lib/model-store).
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../inference/model-source';
import { UPLOAD_FOLDER } from './upload';

export interface ModelFileEntry {
  /** What the model field takes. */
  ref: string;
  file: string;
  bytes: number;
}

/** What a bundled model's <name>.card.json (written by training/card.py) says, where the editor shows it. */
export interface BundledCard {
  name?: string;
  sha256?: string;
  labels?: string[];
}

function onnxFiles(dir: string): { file: string; bytes: number }[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return []; // no such folder yet: nothing uploaded
  }
  return names
    .filter((name) => name.toLowerCase().endsWith('.onnx') && !name.startsWith('.'))
    .flatMap((file) => {
      const stat = fs.statSync(path.join(dir, file), { throwIfNoEntry: false });
      return stat?.isFile() ? [{ file, bytes: stat.size }] : [];
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

export function bundledModels(packageRoot = PACKAGE_ROOT): ModelFileEntry[] {
  return onnxFiles(path.join(packageRoot, 'models')).map((f) => ({ ref: `bundled:${f.file}`, ...f }));
}

export function uploadedModels(userDir: string): ModelFileEntry[] {
  return onnxFiles(path.join(userDir, UPLOAD_FOLDER)).map((f) => ({ ref: `${UPLOAD_FOLDER}/${f.file}`, ...f }));
}

/** The card next to a bundled model (vqi-demo.onnx → vqi-demo.card.json), if there is a readable one. */
export function bundledCard(modelPath: string, packageRoot = PACKAGE_ROOT): BundledCard | undefined {
  const folder = path.join(packageRoot, 'models');
  if (path.dirname(path.resolve(modelPath)) !== folder) return undefined;
  const file = path.join(folder, `${path.basename(modelPath, '.onnx')}.card.json`);
  try {
    const card = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    return {
      ...(typeof card.name === 'string' ? { name: card.name } : {}),
      ...(typeof card.sha256 === 'string' ? { sha256: card.sha256 } : {}),
      ...(Array.isArray(card.labels) && card.labels.every((l) => typeof l === 'string') ? { labels: card.labels as string[] } : {}),
    };
  } catch {
    return undefined;
  }
}
