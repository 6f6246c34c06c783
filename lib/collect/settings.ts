// The mlops-collect node's settings, checked, with their defaults.
import { positiveInteger, positiveNumber, textSetting } from '../settings';
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

export function collectSettings(config: Record<string, unknown>): CollectSettings {
  return {
    rules: validateCollectRules(config.rules === undefined ? DEFAULT_COLLECT_RULES : config.rules),
    maxCount: positiveInteger(config.maxCount, 'maxCount', 500),
    maxBytes: Math.round(positiveNumber(config.maxMegabytes, 'maxMegabytes', 200) * 1024 * 1024),
    output: textSetting(config.output, 'output', undefined),
    upload: config.upload === true,
    eventType: textSetting(config.eventType, 'eventType', 'mlops_TrainingSample'),
  };
}
