// Node settings for mlops-condition: read from the editor's config, checked, with defaults filled in.
import type { AlarmSeverity, HealthState } from '../contract';
import { badSetting, enumSetting, integerSetting, numberSetting } from '../settings';
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

type NumericSetting = 'minAssetRatio' | 'minSharpness' | 'minBrightness' | 'maxBrightness';

function ranged(raw: Record<string, unknown>, name: NumericSetting, min: number, max: number): number {
  return numberSetting(raw[name], name, DEFAULT_SETTINGS[name], { min, max });
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
  // An empty field or "none" means: this state raises no alarm.
  const severity = enumSetting(value, key, [...ALARM_SEVERITIES, 'none'] as const, 'none');
  return severity === 'none' ? null : severity;
}

/** Settings from a node's config object; absent values take the defaults. */
export function conditionSettings(raw: Record<string, unknown>): ConditionSettings {
  const settings: ConditionSettings = {
    defaultAssetId: typeof raw.assetId === 'string' && raw.assetId.trim() ? raw.assetId.trim() : DEFAULT_SETTINGS.defaultAssetId,
    assetClasses: listSetting(raw.assetClasses) ?? DEFAULT_SETTINGS.assetClasses,
    minAssetRatio: ranged(raw, 'minAssetRatio', 0, 1),
    minSharpness: ranged(raw, 'minSharpness', 0, 1e9),
    minBrightness: ranged(raw, 'minBrightness', 0, 255),
    maxBrightness: ranged(raw, 'maxBrightness', 0, 255),
    rules: raw.rules === undefined ? DEFAULT_SETTINGS.rules : validateRules(raw.rules),
    severities: {
      OK: severitySetting(raw, 'OK'),
      WARNING: severitySetting(raw, 'WARNING'),
      CRITICAL: severitySetting(raw, 'CRITICAL'),
      RETAKE: severitySetting(raw, 'RETAKE'),
    },
    debounce: integerSetting(raw.debounce, 'debounce', DEFAULT_SETTINGS.debounce, { min: 1, max: 1000 }),
  };
  if (settings.assetClasses.length === 0) throw badSetting('assetClasses', 'at least one asset class (e.g. "tower, cable")', raw.assetClasses);
  if (settings.minBrightness > settings.maxBrightness) {
    throw badSetting('minBrightness', `number of at most maxBrightness (${settings.maxBrightness})`, raw.minBrightness);
  }
  return settings;
}
