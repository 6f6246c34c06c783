// When a picture is worth a label: rules in order, the first that fires and still has budget keeps it.
// Each rule has its own limits per minute, hour and day, so a flood of one kind cannot fill the store.
import type { HealthState } from '../contract';
import { PipelineError } from '../errors';
import type { Uncertainty } from './uncertainty';
import { badSetting } from '../settings';

export type CollectRuleKind = 'requested' | 'uncertain' | 'near-threshold' | 'retake' | 'random';
export const COLLECT_RULE_KINDS: readonly CollectRuleKind[] = ['requested', 'uncertain', 'near-threshold', 'retake', 'random'];

export interface CollectLimits { perMinute?: number; perHour?: number; perDay?: number }

export type CollectRule = CollectLimits & (
  | { kind: 'requested' }
  | { kind: 'retake' }
  | { kind: 'random'; share: number }
  /** entropy: mean normalised entropy ≥ threshold; low-confidence: share of pixels below `confidence` ≥ threshold. */
  | { kind: 'uncertain'; measure: 'entropy' | 'low-confidence'; threshold: number; confidence: number }
  /** A ratio within epsilon of a threshold: the condition's own rule thresholds, or this rule's ratio/threshold. */
  | { kind: 'near-threshold'; epsilon: number; ratio?: string; threshold?: number }
);

/** What is known about one picture. */
export interface SampleFacts {
  requested: boolean;
  state?: HealthState;
  ratios?: Record<string, number>;
  /** Thresholds of the condition's rules per ratio name (msg.condition.thresholds). */
  thresholds?: Record<string, number[]>;
  /** Computed only when an uncertainty rule is reached. */
  uncertainty?: () => Uncertainty;
}

export type Decision =
  | { keep: true; rule: number; kind: CollectRuleKind; reason: string }
  | { keep: false; limited: number[] };

const WINDOWS: [keyof CollectLimits, number][] = [['perMinute', 60_000], ['perHour', 3_600_000], ['perDay', 86_400_000]];

function badRule(row: number, problem: string): PipelineError {
  return new PipelineError('bad-rule', `Collect rule ${row}: ${problem}`, { row, problem });
}

function number(raw: unknown, row: number, what: string, check: (n: number) => boolean, expected: string): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || !check(n)) throw badRule(row, `${what} "${String(raw ?? '')}" must be ${expected}`);
  return n;
}

function limit(raw: unknown, row: number, what: string): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  return number(raw, row, what, (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0 (empty: no limit)');
}

export function validateCollectRules(rows: unknown): CollectRule[] {
  if (rows === undefined || rows === null || rows === '') return [];
  if (!Array.isArray(rows)) throw badSetting('rules', 'list of collect rules', rows);
  return rows.map((raw, i) => {
    const row = i + 1;
    if (!raw || typeof raw !== 'object') throw badRule(row, 'is not a rule object');
    const r = raw as Record<string, unknown>;
    const limits: CollectLimits = { perMinute: limit(r.perMinute, row, 'per minute'), perHour: limit(r.perHour, row, 'per hour'), perDay: limit(r.perDay, row, 'per day') };
    const unit = (n: number) => n >= 0 && n <= 1;
    switch (r.kind) {
      case 'requested': case 'retake': return { kind: r.kind, ...limits };
      case 'random': return { kind: 'random', share: number(r.share, row, 'share', unit, 'between 0 and 1, e.g. 0.01 for 1 %'), ...limits };
      case 'uncertain': {
        const measure = r.measure === 'low-confidence' ? 'low-confidence' : r.measure === undefined || r.measure === '' || r.measure === 'entropy' ? 'entropy' : undefined;
        if (!measure) throw badRule(row, `measure "${String(r.measure)}" must be entropy or low-confidence`);
        return {
          kind: 'uncertain', measure, threshold: number(r.threshold, row, 'threshold', unit, 'between 0 and 1'),
          confidence: r.confidence === undefined || r.confidence === '' ? 0.6 : number(r.confidence, row, 'confidence', (n) => n > 0 && n <= 1, 'above 0 and at most 1'),
          ...limits,
        };
      }
      case 'near-threshold': {
        const ratio = typeof r.ratio === 'string' && r.ratio.trim() ? r.ratio.trim() : undefined;
        const threshold = r.threshold === undefined || r.threshold === '' ? undefined : number(r.threshold, row, 'threshold', (n) => n >= 0, 'a ratio ≥ 0');
        if ((ratio === undefined) !== (threshold === undefined)) throw badRule(row, 'give both a ratio name and a threshold, or neither (then the condition node\'s thresholds are used)');
        return { kind: 'near-threshold', epsilon: number(r.epsilon, row, 'epsilon', (n) => n > 0, 'a ratio > 0, e.g. 0.01'), ratio, threshold, ...limits };
      }
      default: throw badRule(row, `kind "${String(r.kind)}" must be one of ${COLLECT_RULE_KINDS.join(', ')}`);
    }
  });
}

const figure = (n: number) => (Math.abs(n) >= 0.01 || n === 0 ? n.toFixed(3) : n.toPrecision(2));

/** Why the rule fires for these facts, or undefined. */
function fires(rule: CollectRule, facts: SampleFacts, random: () => number): string | undefined {
  switch (rule.kind) {
    case 'requested': return facts.requested ? 'msg.collect is true' : undefined;
    case 'retake': return facts.state === 'RETAKE' ? 'the condition asks for a retake' : undefined;
    case 'random': return random() < rule.share ? `random share ${rule.share}` : undefined;
    case 'uncertain': {
      if (!facts.uncertainty) return undefined;
      const u = facts.uncertainty();
      if (rule.measure === 'entropy') return u.meanEntropy >= rule.threshold ? `mean pixel entropy ${figure(u.meanEntropy)} ≥ ${rule.threshold}` : undefined;
      return u.lowConfidenceShare >= rule.threshold ? `${figure(u.lowConfidenceShare)} of the pixels below confidence ${rule.confidence} (≥ ${rule.threshold})` : undefined;
    }
    case 'near-threshold': {
      const pairs: [string, number][] = rule.ratio !== undefined
        ? [[rule.ratio, rule.threshold!]]
        : Object.entries(facts.thresholds ?? {}).flatMap(([name, list]) => list.map((t): [string, number] => [name, t]));
      for (const [name, threshold] of pairs) {
        const value = facts.ratios?.[name];
        if (typeof value === 'number' && Math.abs(value - threshold) <= rule.epsilon) return `${name} = ${figure(value)} within ${rule.epsilon} of threshold ${threshold}`;
      }
      return undefined;
    }
  }
}

export class CollectPolicy {
  private readonly kept: number[][];

  constructor(readonly rules: readonly CollectRule[], private readonly random: () => number = Math.random) {
    this.kept = rules.map(() => []);
  }

  private withinLimits(index: number, now: number): boolean {
    const rule = this.rules[index]!;
    const times = this.kept[index]!;
    while (times.length > 0 && now - times[0]! >= 86_400_000) times.shift();
    return WINDOWS.every(([key, span]) => {
      const max = rule[key];
      if (max === undefined) return true;
      let count = 0;
      for (let i = times.length - 1; i >= 0 && now - times[i]! < span; i--) count++;
      return count < max;
    });
  }

  decide(facts: SampleFacts, now = Date.now()): Decision {
    const limited: number[] = [];
    for (const [index, rule] of this.rules.entries()) {
      const reason = fires(rule, facts, this.random);
      if (reason === undefined) continue;
      if (!this.withinLimits(index, now)) {
        limited.push(index);
        continue;
      }
      const times = this.kept[index]!;
      times.push(now);
      // Only the last day matters, and never more entries than the largest limit.
      const cap = Math.max(rule.perMinute ?? 0, rule.perHour ?? 0, rule.perDay ?? 0);
      if (cap > 0 && times.length > cap) times.splice(0, times.length - cap);
      if (cap === 0) times.length = 0;
      return { keep: true, rule: index, kind: rule.kind, reason };
    }
    return { keep: false, limited };
  }
}
