// Node settings for mlops-condition: read from the editor's config, checked, with defaults filled in.
import type { AlarmSeverity, HealthState } from '../contract';
import { PipelineError } from '../errors';
import { DEFAULT_RULES, validateRules, type ConditionRule } from './rules';

export const ALARM_SEVERITIES: readonly AlarmSeverity[] = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING'];

export const DEFAULT_SEVERITIES: Record<HealthState, AlarmSeverity | null> = {
  OK: null,
  WARNING: 'MINOR',
  CRITICAL: 'CRITICAL',
  RETAKE: 'WARNING',
};

export interface ConditionSettings {
  /** The asset id when msg.assetId is absent. */
  defaultAssetId: string;
  /** Class labels that count as the inspected asset, e.g. tower and cable. */
  assetClasses: string[];
  /** RETAKE when the asset classes together cover less than this share of the picture. */
  minAssetRatio: number;
  /** RETAKE when the variance of the Laplacian is below this (0 = no blur check). */
  minSharpness: number;
  /** RETAKE when mean brightness is outside [min, max] (0 and 255 = no check). */
  minBrightness: number;
  maxBrightness: number;
  rules: ConditionRule[];
  severities: Record<HealthState, AlarmSeverity | null>;
  /** Consecutive agreeing inspections before the state changes (1 = at once). */
  debounce: number;
}

export const DEFAULT_SETTINGS: ConditionSettings = {
  defaultAssetId: 'asset',
  assetClasses: ['tower', 'cable'],
  minAssetRatio: 0.005,
  minSharpness: 15,
  minBrightness: 30,
  maxBrightness: 230,
  rules: DEFAULT_RULES,
  severities: DEFAULT_SEVERITIES,
  debounce: 1,
};

function badSetting(name: string, problem: string): PipelineError {
  return new PipelineError('bad-setting', `Setting "${name}": ${problem}`, { name, problem });
}

function numberSetting(raw: Record<string, unknown>, name: keyof ConditionSettings, min: number, max: number): number {
  const value = raw[name];
  if (value === undefined || value === '') return DEFAULT_SETTINGS[name] as number;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw badSetting(name, `"${String(value)}" must be a number from ${min} to ${max}`);
  return n;
}

function listSetting(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(String).map((s) => s.trim()).filter(Boolean);
  if (typeof value === 'string' && value.trim() !== '') return value.split(',').map((s) => s.trim()).filter(Boolean);
  return undefined;
}

function severitySetting(raw: Record<string, unknown>, state: HealthState): AlarmSeverity | null {
  const key = `severity${state}`;
  const value = raw[key];
  if (value === undefined) return DEFAULT_SEVERITIES[state];
  if (value === '' || value === null || value === 'none') return null;
  if (!ALARM_SEVERITIES.includes(value as AlarmSeverity)) {
    throw badSetting(key, `"${String(value)}" is not an alarm severity (${ALARM_SEVERITIES.join(', ')} or none)`);
  }
  return value as AlarmSeverity;
}

/** Settings from a node's config object; absent values take the defaults. */
export function conditionSettings(raw: Record<string, unknown>): ConditionSettings {
  const settings: ConditionSettings = {
    defaultAssetId: typeof raw.assetId === 'string' && raw.assetId.trim() ? raw.assetId.trim() : DEFAULT_SETTINGS.defaultAssetId,
    assetClasses: listSetting(raw.assetClasses) ?? DEFAULT_SETTINGS.assetClasses,
    minAssetRatio: numberSetting(raw, 'minAssetRatio', 0, 1),
    minSharpness: numberSetting(raw, 'minSharpness', 0, 1e9),
    minBrightness: numberSetting(raw, 'minBrightness', 0, 255),
    maxBrightness: numberSetting(raw, 'maxBrightness', 0, 255),
    rules: raw.rules === undefined ? DEFAULT_SETTINGS.rules : validateRules(raw.rules),
    severities: {
      OK: severitySetting(raw, 'OK'),
      WARNING: severitySetting(raw, 'WARNING'),
      CRITICAL: severitySetting(raw, 'CRITICAL'),
      RETAKE: severitySetting(raw, 'RETAKE'),
    },
    debounce: numberSetting(raw, 'debounce', 1, 1000),
  };
  if (settings.assetClasses.length === 0) throw badSetting('assetClasses', 'name at least one asset class, e.g. "tower, cable"');
  if (settings.minBrightness > settings.maxBrightness) {
    throw badSetting('minBrightness', `${settings.minBrightness} is above the maximum brightness ${settings.maxBrightness}`);
  }
  if (!Number.isInteger(settings.debounce)) throw badSetting('debounce', `"${settings.debounce}" must be a whole number`);
  return settings;
}
