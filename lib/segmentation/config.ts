// The mlops-segment node's editor settings → SegmentOptions, checked once when the node starts.
import { nonNegativeInteger, numberSetting } from '../settings';
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

export function segmentOptionsFromConfig(config: SegmentNodeConfig): SegmentOptions {
  // Empty (flows from before `auto` existed kept their explicit choice) and unknown words both mean auto.
  const singleChannel = SINGLE_CHANNEL_SETTINGS.find((s) => s === config.singleChannel) ?? 'auto';
  const overlayFormat = config.overlayFormat === 'png' ? 'png' : 'jpeg';
  return {
    outputName: (config.output ?? '').trim() || undefined,
    singleChannel,
    threshold: numberSetting(config.threshold, 'threshold', 0.5, { min: 0, max: 1, exclusive: true }),
    labels: parseList(config.labels, 'labels'),
    colors: parseColours(config.colors, 'colors'),
    minArea: numberSetting(config.minArea, 'minArea', 0, { min: 0 }),
    maxCount: nonNegativeInteger(config.maxComponents, 'maxComponents', 100),
    includeBackground: config.includeBackground === true,
    overlay: config.overlay === false ? undefined : {
      opacity: numberSetting(config.opacity, 'opacity', 0.5, { min: 0, max: 1 }),
      includeBackground: config.includeBackground === true,
      legend: config.legend !== false,
      format: overlayFormat,
    },
  };
}
