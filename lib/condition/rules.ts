// The editable rule table: rows like "rust / tower > 0.05 → CRITICAL", validated with errors that name the row.
import { PipelineError } from '../errors';
import { badSetting } from '../settings';

export type RuleOperator = '>' | '>=' | '<' | '<=';
export const RULE_OPERATORS: readonly RuleOperator[] = ['>', '>=', '<', '<='];
/** States a rule may set; RETAKE comes only from the picture checks. */
export type RuleState = 'OK' | 'WARNING' | 'CRITICAL';
export const RULE_STATES: readonly RuleState[] = ['OK', 'WARNING', 'CRITICAL'];
/** The denominator that means "all pixels of the picture". */
export const IMAGE = 'image';

export interface ConditionRule {
  /** Class label whose pixels are counted. */
  numerator: string;
  /** Class label, or "image" for all pixels. */
  denominator: string;
  operator: RuleOperator;
  threshold: number;
  state: RuleState;
  /** 0 … 1; defaults by state: OK 0, WARNING 0.5, CRITICAL 1. */
  score: number;
}

export const DEFAULT_SCORES: Record<RuleState, number> = { OK: 0, WARNING: 0.5, CRITICAL: 1 };

/** The rules a new node starts with, for the demo model's labels. */
export const DEFAULT_RULES: ConditionRule[] = [
  { numerator: 'rust', denominator: 'tower', operator: '>', threshold: 0.05, state: 'CRITICAL', score: 1 },
  { numerator: 'rust', denominator: 'tower', operator: '>', threshold: 0.01, state: 'WARNING', score: 0.5 },
];

function badRule(row: number, problem: string): PipelineError {
  return new PipelineError('bad-rule', `Rule ${row}: ${problem}`, { row, problem });
}

function asNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

/** Checks rows from the editor (or a flow file) and fills in defaults; throws on the first bad row. */
export function validateRules(rows: unknown): ConditionRule[] {
  if (rows === undefined || rows === null || rows === '') return [];
  if (!Array.isArray(rows)) {
    throw badSetting('rules', 'list of rule rows', rows);
  }
  return rows.map((raw, i) => {
    const row = i + 1;
    if (!raw || typeof raw !== 'object') throw badRule(row, 'is not a rule object');
    const r = raw as Record<string, unknown>;
    const numerator = typeof r.numerator === 'string' ? r.numerator.trim() : '';
    const denominator = typeof r.denominator === 'string' && r.denominator.trim() !== '' ? r.denominator.trim() : IMAGE;
    if (!numerator) throw badRule(row, 'the class to count (numerator) is empty; enter a class label such as "rust"');
    if (numerator === IMAGE) throw badRule(row, '"image" can only be the denominator');
    if (numerator === denominator) throw badRule(row, `"${numerator} / ${denominator}" is always 1; choose another denominator`);
    const operator = r.operator as RuleOperator;
    if (!RULE_OPERATORS.includes(operator)) {
      throw badRule(row, `operator "${String(r.operator)}" is not one of ${RULE_OPERATORS.join(' ')}`);
    }
    const threshold = asNumber(r.threshold);
    if (!Number.isFinite(threshold) || threshold < 0) {
      throw badRule(row, `threshold "${String(r.threshold)}" must be a number ≥ 0 (a ratio, e.g. 0.05 for 5%)`);
    }
    const state = r.state as RuleState;
    if (!RULE_STATES.includes(state)) throw badRule(row, `state "${String(r.state)}" must be one of ${RULE_STATES.join(', ')}`);
    const score = r.score === undefined || r.score === '' ? DEFAULT_SCORES[state] : asNumber(r.score);
    if (!Number.isFinite(score) || score < 0 || score > 1) throw badRule(row, `score "${String(r.score)}" must be between 0 and 1`);
    return { numerator, denominator, operator, threshold, state, score };
  });
}

export function ruleQuotientName(rule: Pick<ConditionRule, 'numerator' | 'denominator'>): string {
  return `${rule.numerator}/${rule.denominator}`;
}

export function compare(value: number, operator: RuleOperator, threshold: number): boolean {
  switch (operator) {
    case '>': return value > threshold;
    case '>=': return value >= threshold;
    case '<': return value < threshold;
    case '<=': return value <= threshold;
  }
}
