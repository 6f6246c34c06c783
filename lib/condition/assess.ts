// Segmentation statistics + picture → asset condition: picture checks first (RETAKE), then the rule table.
import { assertSegmentation, type ConditionResult, type HealthState, type ImageData } from '../contract';
import { PipelineError } from '../errors';
import { StateDebouncer } from './debounce';
import { assessPrediction } from './prediction';
import { pictureQuality, type PictureQuality } from './quality';
import { compare, IMAGE, ruleQuotientName, type ConditionRule } from './rules';
import type { ConditionSettings } from './settings';

const STATE_RANK: Record<HealthState, number> = { OK: 0, WARNING: 1, CRITICAL: 2, RETAKE: 3 };

/** Four significant digits: enough to read a ratio, short enough for a status line. */
function figure(value: number): string {
  return String(Number(value.toPrecision(4)));
}

function percent(ratio: number): string {
  return `${figure(ratio * 100)}%`;
}

/** Pixels per label, checked against what mlops-segment writes. */
function pixelCounts(segmentation: unknown): { pixels: Map<string, number>; total: number; labels: string[] } {
  if (segmentation === undefined || segmentation === null) {
    throw new PipelineError('no-segmentation', 'msg.segmentation (or msg.prediction) is missing: connect this node after mlops-segment or mlops-classify.');
  }
  assertSegmentation(segmentation);
  const pixels = new Map<string, number>(segmentation.labels.map((label) => [label, 0]));
  for (const c of segmentation.classes) pixels.set(c.label, (pixels.get(c.label) ?? 0) + c.pixels);
  return { pixels, total: segmentation.width * segmentation.height, labels: [...pixels.keys()] };
}

function requireLabel(label: string, labels: string[], where: string): void {
  if (label !== IMAGE && !labels.includes(label)) {
    throw new PipelineError(
      'unknown-label',
      `${where} uses the class "${label}", but the model's classes are ${labels.join(', ')}. Change the node's settings to use these labels.`,
      { label, where, labels: labels.join(', ') },
    );
  }
}

/** One picture's verdict before debouncing and severity mapping. */
export type Assessment = Pick<ConditionResult, 'assetType' | 'state' | 'score' | 'reasons' | 'ratios' | 'quality'>;

function qualityReasons(quality: PictureQuality, settings: ConditionSettings): string[] {
  const reasons: string[] = [];
  if (settings.minSharpness > 0 && quality.sharpness < settings.minSharpness) {
    reasons.push(`too blurry: sharpness ${figure(quality.sharpness)} < ${settings.minSharpness} (variance of the Laplacian)`);
  }
  if (settings.minBrightness > 0 && quality.brightness < settings.minBrightness) {
    reasons.push(`too dark: brightness ${figure(quality.brightness)} < ${settings.minBrightness}`);
  }
  if (settings.maxBrightness < 255 && quality.brightness > settings.maxBrightness) {
    reasons.push(`too bright: brightness ${figure(quality.brightness)} > ${settings.maxBrightness}`);
  }
  return reasons;
}

function ruleOutcome(rules: ConditionRule[], quotients: Map<ConditionRule, number>): { state: HealthState; score: number; reasons: string[] } {
  const fired = rules
    .filter((rule) => quotients.has(rule) && compare(quotients.get(rule)!, rule.operator, rule.threshold))
    .sort((a, b) => STATE_RANK[b.state] - STATE_RANK[a.state] || b.score - a.score);
  const worst = fired[0];
  return {
    state: worst?.state ?? 'OK',
    score: worst?.score ?? 0,
    reasons: fired.map((r) =>
      `${r.numerator} / ${r.denominator} = ${figure(quotients.get(r)!)} ${r.operator} ${r.threshold} → ${r.state}`),
  };
}

/** One inspection, without memory of earlier ones. */
export function assess(segmentation: unknown, image: ImageData | undefined, settings: ConditionSettings): Assessment {
  const { pixels, total, labels } = pixelCounts(segmentation);
  settings.assetClasses.forEach((label) => requireLabel(label, labels, 'The asset class list'));
  settings.rules.forEach((rule, i) => {
    requireLabel(rule.numerator, labels, `Rule ${i + 1}`);
    requireLabel(rule.denominator, labels, `Rule ${i + 1}`);
  });
  const checksPicture = settings.minSharpness > 0 || settings.minBrightness > 0 || settings.maxBrightness < 255;
  if (!image && checksPicture) {
    throw new PipelineError('no-image', 'msg.image is missing, so the picture cannot be checked for blur and brightness: keep msg.image from mlops-image, or set the blur and brightness limits to 0 and 255.');
  }
  const quality = image ? pictureQuality(image) : null;

  const ratios: Record<string, number> = {};
  for (const [label, count] of pixels) ratios[label] = count / total;
  const quotients = new Map<ConditionRule, number>();
  for (const rule of settings.rules) {
    const below = rule.denominator === IMAGE ? total : pixels.get(rule.denominator)!;
    // No pixels of the denominator class: the rule has nothing to measure.
    if (below === 0) continue;
    const value = pixels.get(rule.numerator)! / below;
    quotients.set(rule, value);
    ratios[ruleQuotientName(rule)] = value;
  }

  const assetPixels = settings.assetClasses.reduce((sum, label) => sum + pixels.get(label)!, 0);
  const dominant = [...settings.assetClasses].sort((a, b) => pixels.get(b)! - pixels.get(a)!)[0]!;
  const assetFound = assetPixels > 0 && assetPixels / total >= settings.minAssetRatio;
  const retake = quality ? qualityReasons(quality, settings) : [];
  if (!assetFound) {
    retake.push(`no asset found: ${settings.assetClasses.join(' + ')} cover ${percent(assetPixels / total)} of the picture, below ${percent(settings.minAssetRatio)}`);
  }
  const assetType = assetFound ? dominant : 'none';
  if (retake.length > 0) return { assetType, state: 'RETAKE', score: 0, reasons: retake, ratios, quality };
  return { assetType, ...ruleOutcome(settings.rules, quotients), ratios, quality };
}

/** The rules' thresholds per ratio name, as msg.condition.thresholds. */
export function ruleThresholds(rules: readonly ConditionRule[]): Record<string, number[]> {
  const thresholds: Record<string, number[]> = {};
  for (const rule of rules) (thresholds[ruleQuotientName(rule)] ??= []).push(rule.threshold);
  return thresholds;
}

/** Assessment plus per-asset debounce and alarm severity: what the node writes to msg.condition. */
export class ConditionInspector {
  private readonly debouncer: StateDebouncer;

  constructor(readonly settings: ConditionSettings) {
    this.debouncer = new StateDebouncer(settings.debounce);
  }

  inspect(segmentation: unknown, image: ImageData | undefined, assetId?: unknown): ConditionResult {
    return this.judge(assess(segmentation, image, this.settings), assetId);
  }

  /** The same debounce and severities for a classifier's prediction (msg.prediction). */
  inspectPrediction(prediction: unknown, assetId?: unknown): ConditionResult {
    return this.judge(assessPrediction(prediction, this.settings), assetId);
  }

  private judge(found: Assessment, assetId: unknown): ConditionResult {
    const id = typeof assetId === 'string' && assetId !== '' ? assetId
      : typeof assetId === 'number' ? String(assetId) : this.settings.defaultAssetId;
    const debounced = this.debouncer.update(id, found.state);
    const reasons = [...found.reasons];
    if (debounced.pending) {
      const p = debounced.pending;
      reasons.push(`${p.state} seen ${p.seen} of ${p.needed} times in a row; state stays ${debounced.state}`);
    }
    return {
      assetId: id,
      assetType: found.assetType,
      state: debounced.state,
      score: found.score,
      reasons,
      severity: this.settings.severities[debounced.state],
      ratios: found.ratios,
      thresholds: ruleThresholds(this.settings.rules),
      quality: found.quality,
      previousState: debounced.previousState,
      changed: debounced.changed,
    };
  }
}
