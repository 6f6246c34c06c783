// A classifier's prediction → asset condition: rules compare a label's probability with a threshold
// ("failure > 0.8 → CRITICAL"); the denominator of a rule has no meaning here and is ignored.
import type { Prediction } from '../contract';
import { PipelineError } from '../errors';
import type { Assessment } from './assess';
import { compare } from './rules';
import type { ConditionSettings } from './settings';

const STATE_RANK = { OK: 0, WARNING: 1, CRITICAL: 2 } as const;

function scoresOf(prediction: unknown): Record<string, number> {
  const p = prediction as Partial<Prediction> | null;
  const scores = p && typeof p === 'object' ? p.scores : undefined;
  const valid = scores && typeof scores === 'object' && typeof p!.label === 'string'
    && Object.values(scores).every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!valid) {
    throw new PipelineError('bad-prediction',
      'msg.prediction is not a prediction ({ label, score, scores: { label: probability } }): connect this node after mlops-classify.');
  }
  return scores as Record<string, number>;
}

export function assessPrediction(prediction: unknown, settings: ConditionSettings): Assessment {
  const scores = scoresOf(prediction);
  const labels = Object.keys(scores);
  settings.rules.forEach((rule, i) => {
    if (!(rule.numerator in scores)) {
      throw new PipelineError('unknown-label',
        `Rule ${i + 1} uses the class "${rule.numerator}", but the model's classes are ${labels.join(', ')}. Change the node's settings to use these labels.`,
        { label: rule.numerator, where: `Rule ${i + 1}`, labels: labels.join(', ') });
    }
  });
  const fired = settings.rules
    .filter((rule) => compare(scores[rule.numerator]!, rule.operator, rule.threshold))
    .sort((a, b) => STATE_RANK[b.state] - STATE_RANK[a.state] || b.score - a.score);
  const worst = fired[0];
  return {
    assetType: settings.assetClasses[0]!,
    state: worst?.state ?? 'OK',
    score: worst?.score ?? 0,
    reasons: fired.map((r) => `${r.numerator} = ${Number(scores[r.numerator]!.toPrecision(4))} ${r.operator} ${r.threshold} → ${r.state}`),
    ratios: { ...scores },
    quality: null,
  };
}
