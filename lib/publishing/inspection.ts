// Turns what the pipeline wrote on a message into transport-neutral Cumulocity data:
// one measurement, one inspection event (with images), an alarm decision and twin fragments.
import type { AlarmSeverity, ConditionResult, HealthState, SegmentationResult, Timings } from '../contract';
import { PipelineError } from '../errors';

/** Thin-edge JSON measurement: numbers, or groups of numbers (one level). */
export type MeasurementValues = Record<string, number | Record<string, number>>;

export interface MeasurementData {
  type: string;
  values: MeasurementValues;
  /** Unit per series, keyed "series" or "group.series". */
  units: Record<string, string>;
}

export interface ImageAttachment {
  role: 'original' | 'overlay';
  name: string;
  contentType: string;
  data: Buffer;
}

export interface EventData {
  type: string;
  text: string;
  fragments: Record<string, unknown>;
}

export type AlarmDecision =
  | { action: 'raise'; type: string; severity: AlarmSeverity; text: string; fragments: Record<string, unknown> }
  | { action: 'clear'; type: string };

export interface AssetRef {
  /** Child-device id in thin-edge topics and the device name in Cumulocity. */
  id: string;
  /** External id (c8y_Serial) of the asset's device in Cumulocity. */
  externalId: string;
  /** Device type, from the condition's asset class when known. */
  type: string;
}

export interface Publication {
  asset: AssetRef;
  time: string;
  measurement?: MeasurementData;
  event?: EventData;
  images: ImageAttachment[];
  /** Whether the condition asks for an alarm (severity) or for clearing it (null); undefined: no condition. */
  alarmSeverity?: AlarmSeverity | null;
  alarmText?: string;
  twin: Record<string, unknown>;
}

export interface PublishSelection {
  measurements: boolean;
  event: boolean;
  alarm: boolean;
  twin: boolean;
  originalImage: boolean;
  overlayImage: boolean;
}

export interface PublishSettings {
  measurementType: string;
  eventType: string;
  alarmType: string;
  select: PublishSelection;
  externalIdPrefix: string;
}

export interface InspectionInput {
  assetId: string;
  condition?: ConditionResult;
  segmentation?: SegmentationResult;
  timings?: Timings;
  /** Plain custom data: an object of numbers or groups of numbers. */
  payload?: unknown;
  units?: Record<string, string>;
  image?: { encoded?: Buffer; format?: string };
  eventText?: string;
  eventFragments?: Record<string, unknown>;
  /** The model that produced the result (msg.model): name, version and, for store and file models, the sha256. */
  model?: { name?: string; version?: string; sha256?: string };
  flow?: { name?: string; version?: string };
  time?: Date;
}

export const HEALTH_CODES: Record<HealthState, number> = { OK: 0, WARNING: 1, CRITICAL: 2, RETAKE: 3 };

const SERIES_KEY = /^[A-Za-z0-9][A-Za-z0-9_]*$/;
const RESERVED_KEYS = new Set(['time', 'type']);

/** Makes a label usable as a thin-edge JSON key: letters, digits, underscores, not starting with "_". */
export function seriesKey(label: string): string {
  const cleaned = label.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+/, '');
  const key = cleaned === '' ? 'x' : cleaned;
  return RESERVED_KEYS.has(key) ? `${key}_` : key;
}

function finiteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Checks plain custom data against thin-edge's measurement rules and says exactly what is wrong. */
export function customMeasurements(payload: unknown): MeasurementValues {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload) || Buffer.isBuffer(payload)) {
    throw new PipelineError('payload-not-measurements',
      'msg.payload must be an object of numbers (e.g. {"temperature": 21.5}) or of groups of numbers (e.g. {"current": {"L1": 9.5}}) to be sent as measurements',
      { got: Array.isArray(payload) ? 'array' : typeof payload });
  }
  const values: MeasurementValues = {};
  for (const [key, value] of Object.entries(payload)) {
    if (key === 'time') continue;
    if (!SERIES_KEY.test(key) || RESERVED_KEYS.has(key)) {
      throw new PipelineError('bad-measurement-key',
        `measurement name "${key}" is not allowed by thin-edge: use letters, digits and "_" only, not starting with "_", and not "time" or "type"`,
        { key });
    }
    if (finiteNumber(value)) {
      values[key] = value;
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const group: Record<string, number> = {};
      for (const [series, inner] of Object.entries(value)) {
        if (!SERIES_KEY.test(series)) {
          throw new PipelineError('bad-measurement-key',
            `measurement name "${key}.${series}" is not allowed by thin-edge: use letters, digits and "_" only`, { key: `${key}.${series}` });
        }
        if (!finiteNumber(inner)) {
          throw new PipelineError('measurement-not-number',
            `measurement "${key}.${series}" must be a finite number (thin-edge allows only one level of nesting), got ${JSON.stringify(inner)}`,
            { key: `${key}.${series}` });
        }
        group[series] = inner;
      }
      values[key] = group;
    } else {
      throw new PipelineError('measurement-not-number',
        `measurement "${key}" must be a finite number or an object of numbers, got ${JSON.stringify(value)}`, { key });
    }
  }
  return values;
}

function conditionText(assetId: string, condition: ConditionResult): string {
  const reasons = condition.reasons.length ? `: ${condition.reasons.join('; ')}` : '';
  return `${assetId} (${condition.assetType}) is ${condition.state}, score ${condition.score.toFixed(2)}${reasons}`;
}

function buildMeasurement(input: InspectionInput, type: string): MeasurementData | undefined {
  const values: MeasurementValues = {};
  const units: Record<string, string> = {};
  const { condition, segmentation, timings } = input;
  if (condition) {
    values.condition = { score: condition.score, state: HEALTH_CODES[condition.state] };
    // quality is null when the picture checks are off.
    if (condition.quality) values.quality = { sharpness: condition.quality.sharpness, brightness: condition.quality.brightness };
  }
  const ratios = segmentation
    ? Object.fromEntries(segmentation.classes.map((c) => [seriesKey(c.label), c.ratio]))
    : condition?.ratios && Object.fromEntries(Object.entries(condition.ratios).map(([label, r]) => [seriesKey(label), r]));
  if (ratios && Object.keys(ratios).length) {
    values.class_ratio = ratios;
  }
  if (segmentation) {
    const counts: Record<string, number> = {};
    for (const component of segmentation.components) {
      const key = seriesKey(component.label);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    if (Object.keys(counts).length) values.components = counts;
  }
  if (timings) {
    const stages = Object.fromEntries(Object.entries(timings).filter(([, ms]) => finiteNumber(ms)).map(([k, ms]) => [seriesKey(k), ms]));
    if (Object.keys(stages).length) {
      values.timing = stages;
      for (const stage of Object.keys(stages)) units[`timing.${stage}`] = 'ms';
    }
  }
  if (input.payload !== undefined && input.payload !== null && input.payload !== '') {
    Object.assign(values, customMeasurements(input.payload));
    Object.assign(units, input.units ?? {});
  }
  return Object.keys(values).length ? { type, values, units } : undefined;
}

function buildEvent(input: InspectionInput, type: string): EventData {
  const { condition, segmentation } = input;
  const fragments: Record<string, unknown> = {};
  if (condition) {
    fragments.mlops_Condition = {
      state: condition.state, score: condition.score, severity: condition.severity, reasons: condition.reasons,
      assetType: condition.assetType, previousState: condition.previousState, changed: condition.changed,
      ratios: condition.ratios, quality: condition.quality,
    };
  }
  if (segmentation) {
    fragments.mlops_Segmentation = {
      width: segmentation.width, height: segmentation.height,
      classes: segmentation.classes.map((c) => ({ label: c.label, pixels: c.pixels, ratio: c.ratio })),
      components: segmentation.components,
    };
  }
  if (input.timings) fragments.mlops_Timings = input.timings;
  if (input.model?.name) fragments.mlops_Model = input.model;
  if (input.flow?.name) fragments.mlops_Flow = input.flow;
  Object.assign(fragments, input.eventFragments ?? {});
  const text = input.eventText
    ?? (condition ? `Inspection of ${conditionText(input.assetId, condition)}` : `Inspection of ${input.assetId}`);
  return { type, text, fragments };
}

const IMAGE_TYPES: Record<string, string> = {
  jpeg: 'image/jpeg', jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', tiff: 'image/tiff', avif: 'image/avif', heif: 'image/heif',
};

function buildImages(input: InspectionInput, select: PublishSelection, stamp: string): ImageAttachment[] {
  const images: ImageAttachment[] = [];
  const safeStamp = stamp.replace(/[:.]/g, '-');
  const { segmentation, image } = input;
  if (select.overlayImage && segmentation?.overlay) {
    const format = segmentation.overlayFormat ?? 'png';
    images.push({ role: 'overlay', name: `${input.assetId}-${safeStamp}-overlay.${format === 'jpeg' ? 'jpg' : format}`, contentType: IMAGE_TYPES[format]!, data: segmentation.overlay });
  }
  if (select.originalImage && image?.encoded) {
    const format = (image.format ?? 'jpeg').toLowerCase();
    images.push({
      role: 'original', name: `${input.assetId}-${safeStamp}.${format === 'jpeg' ? 'jpg' : format}`,
      contentType: IMAGE_TYPES[format] ?? 'application/octet-stream', data: image.encoded,
    });
  }
  return images;
}

export function buildPublication(input: InspectionInput, settings: PublishSettings): Publication {
  const time = (input.time ?? new Date()).toISOString();
  const { condition, select } = { condition: input.condition, select: settings.select };
  const publication: Publication = {
    asset: { id: input.assetId, externalId: `${settings.externalIdPrefix}${input.assetId}`, type: condition?.assetType && condition.assetType !== 'none' ? condition.assetType : 'mlops_Asset' },
    time,
    images: buildImages(input, select, time),
    twin: {},
  };
  if (select.measurements) publication.measurement = buildMeasurement(input, settings.measurementType);
  if (select.event && (condition || input.segmentation || input.eventText || input.eventFragments || publication.images.length)) {
    publication.event = buildEvent(input, settings.eventType);
  }
  if (select.alarm && condition) {
    publication.alarmSeverity = condition.severity;
    publication.alarmText = conditionText(input.assetId, condition);
  }
  if (select.twin) {
    if (condition) {
      publication.twin.mlops_Condition = { state: condition.state, severity: condition.severity, reasons: condition.reasons, score: condition.score, time };
    }
    if (input.model?.name) {
      publication.twin.mlops_Model = { name: input.model.name, version: input.model.version ?? '', ...(input.model.sha256 ? { sha256: input.model.sha256 } : {}) };
    }
    if (input.flow?.name) publication.twin.mlops_Flow = { name: input.flow.name, version: input.flow.version ?? '' };
  }
  return publication;
}

export { PublishMemory } from './publish-memory';
