// Is a 1-channel output raw logits or already probabilities? Taking probabilities for logits is silent and wrong:
// σ(p) > 0.5 for every p > 0, so almost the whole picture becomes "object". The evidence, strongest first:
// the model's metadata, the output's name, the value range of the scores.
import type { SingleChannelMode } from './decode';

/** The node setting: a fixed reading, or `auto` (decide from the evidence). */
export type SingleChannelSetting = SingleChannelMode | 'auto';
export const SINGLE_CHANNEL_SETTINGS: readonly SingleChannelSetting[] = ['auto', 'sigmoid', 'probability'];

/** Where a reading came from. */
export type ReadingBasis = 'setting' | 'metadata' | 'name' | 'range';

export interface SingleChannelReading {
  mode: SingleChannelMode;
  basis: ReadingBasis;
  /** Set when a fixed setting contradicts the evidence: what the evidence says and why. */
  conflict?: { evidence: SingleChannelMode; basis: Exclude<ReadingBasis, 'setting'> };
}

/** metadata_props key a model can carry: "probability" or "logits" (also "sigmoid"). */
export const SINGLE_CHANNEL_METADATA_KEY = 'single_channel';

const PROBABILITY_NAME = /prob|sigmoid|softmax|score|conf/i;
const LOGIT_NAME = /logit/i;

function fromMetadata(metadata: Record<string, string> | undefined): SingleChannelMode | undefined {
  const value = metadata?.[SINGLE_CHANNEL_METADATA_KEY]?.trim().toLowerCase();
  if (value === 'probability' || value === 'probabilities') return 'probability';
  if (value === 'logits' || value === 'logit' || value === 'sigmoid') return 'sigmoid';
  return undefined;
}

function fromName(outputName: string): SingleChannelMode | undefined {
  if (LOGIT_NAME.test(outputName)) return 'sigmoid';
  if (PROBABILITY_NAME.test(outputName)) return 'probability';
  return undefined;
}

/** Every score within [0, 1]: a probability map. Logits of a trained model go negative for the background. */
export function scoresLookLikeProbabilities(scores: ArrayLike<number>): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const value = scores[i]!;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return scores.length > 0 && min >= 0 && max <= 1;
}

export interface ReadingEvidence {
  outputName: string;
  metadata?: Record<string, string>;
  /** Scores of the 1-channel map; read only when metadata and name say nothing. */
  scores: ArrayLike<number>;
}

function evidenceFor(evidence: ReadingEvidence): { mode: SingleChannelMode; basis: Exclude<ReadingBasis, 'setting'> } {
  const byMetadata = fromMetadata(evidence.metadata);
  if (byMetadata) return { mode: byMetadata, basis: 'metadata' };
  const byName = fromName(evidence.outputName);
  if (byName) return { mode: byName, basis: 'name' };
  return { mode: scoresLookLikeProbabilities(evidence.scores) ? 'probability' : 'sigmoid', basis: 'range' };
}

export function readSingleChannel(setting: SingleChannelSetting, evidence: ReadingEvidence): SingleChannelReading {
  const found = evidenceFor(evidence);
  if (setting === 'auto') return { mode: found.mode, basis: found.basis };
  if (found.mode === setting) return { mode: setting, basis: 'setting' };
  return { mode: setting, basis: 'setting', conflict: { evidence: found.mode, basis: found.basis } };
}
