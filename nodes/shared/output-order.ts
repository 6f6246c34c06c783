// "The model's first output" for nodes that read msg.outputs: msg.outputs lists integer-like names ("1890") first,
// so the order comes from msg.outputNames (written by mlops-infer), else the selected model's description.
import type { ModelConfigNode } from './model-node';

export function outputOrder(fromMessage: unknown, modelNode?: ModelConfigNode): string[] | undefined {
  if (Array.isArray(fromMessage) && fromMessage.every((n) => typeof n === 'string')) return fromMessage as string[];
  return modelNode?.info?.outputs?.map((o) => o.name);
}
