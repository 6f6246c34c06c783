// The mlops-segment node's editor settings → SegmentOptions, checked once when the node starts.
import { PipelineError } from '../errors';
import type { SegmentOptions } from './index';
import { SINGLE_CHANNEL_SETTINGS } from './activation';
import { parseColours, parseList } from './palette';

export interface SegmentNodeConfig {
  output?: string;
  singleChannel?: string;
  threshold?: string | number;
  labels?: string;
  colors?: string;
  minArea?: string | number;
  maxComponents?: string | number;
  includeBackground?: boolean;
  overlay?: boolean;
  overlayFormat?: string;
  opacity?: string | number;
  legend?: boolean;
}

function numberSetting(value: string | number | undefined, fallback: number, setting: string, valid: (n: number) => boolean, rule: string): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || !valid(number)) {
    throw new PipelineError('bad-setting', `Setting "${setting}" is ${JSON.stringify(value)}; it must be ${rule}.`, { setting, value: String(value), rule });
  }
  return number;
}

export function segmentOptionsFromConfig(config: SegmentNodeConfig): SegmentOptions {
  // Empty (flows from before `auto` existed kept their explicit choice) and unknown words both mean auto.
  const singleChannel = SINGLE_CHANNEL_SETTINGS.find((s) => s === config.singleChannel) ?? 'auto';
  const overlayFormat = config.overlayFormat === 'png' ? 'png' : 'jpeg';
  return {
    outputName: (config.output ?? '').trim() || undefined,
    singleChannel,
    threshold: numberSetting(config.threshold, 0.5, 'threshold', (n) => n > 0 && n < 1, 'a probability between 0 and 1 (exclusive)'),
    labels: parseList(config.labels, 'labels'),
    colors: parseColours(config.colors, 'colours'),
    minArea: numberSetting(config.minArea, 0, 'minimum area', (n) => n >= 0, 'a number of pixels, 0 or more'),
    maxCount: numberSetting(config.maxComponents, 100, 'maximum components', (n) => Number.isInteger(n) && n >= 0, 'a whole number, 0 or more'),
    includeBackground: config.includeBackground === true,
    overlay: config.overlay === false ? undefined : {
      opacity: numberSetting(config.opacity, 0.5, 'opacity', (n) => n >= 0 && n <= 1, 'between 0 and 1'),
      includeBackground: config.includeBackground === true,
      legend: config.legend !== false,
      format: overlayFormat,
    },
  };
}
