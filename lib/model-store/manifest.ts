// What the store records about one installed version, and whether a new version can replace the active one.
import type { TensorInfo } from '../onnx';
import { PipelineError } from '../errors';
import type { ArtefactFormat } from './archive';

/** Fields a bundle's manifest.json may set; everything else is computed by the store. */
export interface BundleManifest {
  sha256?: string;
  /** Class labels (or labels.txt, one a line), colours, pre-processing and input size, for the flows that use the model. */
  labels?: string[];
  colours?: unknown;
  preprocessing?: unknown;
  inputSize?: unknown;
  description?: string;
  /** Lets this version change the input/output signature of the active one. */
  allowBreakingChange?: boolean;
}

export interface Manifest extends BundleManifest {
  name: string;
  version: string;
  /** sha256 (hex) and size in bytes of model.onnx. */
  sha256: string;
  size: number;
  /** Where the artefact came from (the --file path given to install) and what it was. */
  source: string;
  format: ArtefactFormat;
  installedAt: string;
  /** Every file of the version folder, model.onnx included. */
  files: string[];
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export function parseBundleManifest(text: string | undefined, labelsText: string | undefined): BundleManifest {
  let parsed: Record<string, unknown> = {};
  if (text !== undefined) {
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new PipelineError('store-bad-manifest', `the bundle's manifest.json is not valid JSON (${(err as Error).message}); fix it and upload again`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new PipelineError('store-bad-manifest', 'the bundle\'s manifest.json must be a JSON object');
    }
  }
  const manifest: BundleManifest = {};
  if (parsed.sha256 !== undefined) {
    if (typeof parsed.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(parsed.sha256)) {
      throw new PipelineError('store-bad-manifest', 'manifest.json "sha256" must be the 64 hex digits of model.onnx\'s SHA-256');
    }
    manifest.sha256 = parsed.sha256.toLowerCase();
  }
  const labels = parsed.labels ?? (labelsText === undefined ? undefined : labelsText.split(/\r?\n/).map((l) => l.trim()).filter(Boolean));
  if (labels !== undefined) {
    if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) {
      throw new PipelineError('store-bad-manifest', 'manifest.json "labels" must be an array of strings');
    }
    manifest.labels = labels;
  }
  for (const key of ['colours', 'preprocessing', 'inputSize'] as const) if (parsed[key] !== undefined) manifest[key] = parsed[key];
  if (typeof parsed.description === 'string') manifest.description = parsed.description;
  if (parsed.allowBreakingChange === true) manifest.allowBreakingChange = true;
  return manifest;
}

function describe(t: TensorInfo): string {
  return `${t.name} ${t.type}[${t.dims.map((d) => d ?? '?').join(',')}]`;
}

function dimsCompatible(a: TensorInfo['dims'], b: TensorInfo['dims']): boolean {
  return a.length === b.length && a.every((d, i) => typeof d !== 'number' || typeof b[i] !== 'number' || d === b[i]);
}

/**
 * Why `next` cannot replace `active` without breaking the flows that feed it and read it: the inputs must be the
 * same (names, types, shapes), every output the flows read must still be there with its type and shape. Empty = compatible.
 */
export function signatureChanges(active: Pick<Manifest, 'inputs' | 'outputs'>, next: Pick<Manifest, 'inputs' | 'outputs'>): string[] {
  const changes: string[] = [];
  const byName = (list: TensorInfo[]) => new Map(list.map((t) => [t.name, t]));
  const nextInputs = byName(next.inputs);
  const activeInputs = byName(active.inputs);
  for (const input of active.inputs) {
    const other = nextInputs.get(input.name);
    if (!other) changes.push(`input ${input.name} is gone`);
    else if (other.type !== input.type || !dimsCompatible(input.dims, other.dims)) changes.push(`input ${describe(input)} became ${describe(other)}`);
  }
  for (const input of next.inputs) if (!activeInputs.has(input.name)) changes.push(`new input ${describe(input)}`);
  const nextOutputs = byName(next.outputs);
  for (const output of active.outputs) {
    const other = nextOutputs.get(output.name);
    if (!other) changes.push(`output ${output.name} is gone`);
    else if (other.type !== output.type || !dimsCompatible(output.dims, other.dims)) changes.push(`output ${describe(output)} became ${describe(other)}`);
  }
  return changes;
}
