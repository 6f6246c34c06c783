// The mlops-collect node's settings, checked, with their defaults.
import { PipelineError } from '../errors';
import { validateCollectRules, type CollectRule } from './rules';

export interface CollectSettings {
  rules: CollectRule[];
  maxCount: number;
  maxBytes: number;
  /** Model output read for the uncertainty rules; empty: the one mlops-segment read. */
  output?: string;
  upload: boolean;
  eventType: string;
}

export const DEFAULT_COLLECT_RULES = [
  { kind: 'requested' },
  { kind: 'uncertain', measure: 'low-confidence', confidence: 0.6, threshold: 0.2, perHour: 20 },
  { kind: 'near-threshold', epsilon: 0.01, perHour: 20 },
  { kind: 'retake', perHour: 5 },
  { kind: 'random', share: 0.01, perDay: 50 },
];

function positive(value: unknown, setting: string, fallback: number): number {
  if (value === undefined || value === null || String(value).trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new PipelineError('bad-setting', `Setting "${setting}": "${String(value)}" must be a positive number`, { setting, received: String(value) });
  return n;
}

export function collectSettings(config: Record<string, unknown>): CollectSettings {
  return {
    rules: validateCollectRules(config.rules === undefined ? DEFAULT_COLLECT_RULES : config.rules),
    maxCount: Math.floor(positive(config.maxCount, 'maxCount', 500)),
    maxBytes: Math.round(positive(config.maxMegabytes, 'maxMegabytes', 200) * 1024 * 1024),
    output: typeof config.output === 'string' && config.output.trim() ? config.output.trim() : undefined,
    upload: config.upload === true,
    eventType: typeof config.eventType === 'string' && config.eventType.trim() ? config.eventType.trim() : 'mlops_TrainingSample',
  };
}
