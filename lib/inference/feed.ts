// Maps msg.tensor / msg.tensors onto a model's inputs and checks type and shape against the model description.
import { assertTensor } from '../contract';
import { PipelineError } from '../errors';
import type { ModelInfo, TensorInfo } from '../onnx';
import type { ModelFeed } from './types';

/** The part of a message read here; any other properties are ignored. */
export type MessageTensors = { tensor?: unknown; tensors?: unknown } & Record<string, unknown>;

export function formatDims(dims: readonly (number | string | null)[]): string {
  return `[${dims.map((d) => (d === null ? '?' : d)).join(',')}]`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function checkedTensor(input: TensorInfo, value: unknown, where: string): ModelFeed[string] {
  const { data, type, dims } = assertTensor(value, where);
  if (type !== input.type) {
    throw new PipelineError('type-mismatch',
      `${where} is ${type} data, model input "${input.name}" expects ${input.type}; convert it (e.g. the tensor node's output type)`,
      { input: input.name, expected: input.type, received: type });
  }
  const shapeFits = dims.length === input.dims.length
    && input.dims.every((expected, i) => typeof expected !== 'number' || expected === dims[i]);
  if (!shapeFits) {
    throw new PipelineError('shape-mismatch',
      `${where} has shape ${formatDims(dims)}, model input "${input.name}" expects ${formatDims(input.dims)}; ` +
      'resize or reshape the tensor to the model input (named dimensions accept any size)',
      { input: input.name, expected: formatDims(input.dims), received: formatDims(dims) });
  }
  return { data, type, dims };
}

function inputNamed(info: ModelInfo, name: string, where: string): TensorInfo {
  const input = info.inputs.find((i) => i.name === name);
  if (!input) {
    throw new PipelineError('unknown-input',
      `${where} is for input "${name}", which the model does not have; its inputs are ${info.inputs.map((i) => `"${i.name}"`).join(', ')}`,
      { input: name, inputs: info.inputs.map((i) => i.name).join(', ') });
  }
  return input;
}

function requireAll(info: ModelInfo, feed: ModelFeed): ModelFeed {
  const missing = info.inputs.filter((i) => !(i.name in feed)).map((i) => i.name);
  if (missing.length > 0) {
    throw new PipelineError('missing-input',
      `the model also needs input(s) ${missing.map((n) => `"${n}"`).join(', ')}; send all of them in msg.tensors as {inputName: tensor}`,
      { inputs: missing.join(', ') });
  }
  return feed;
}

export function feedFromMessage(msg: MessageTensors, info: ModelInfo): ModelFeed {
  const feed: ModelFeed = {};
  if (msg.tensors !== undefined && msg.tensors !== null) {
    if (!isRecord(msg.tensors)) {
      throw new PipelineError('bad-tensor', 'msg.tensors must be an object of input name → tensor {data, type, dims}', { where: 'msg.tensors' });
    }
    for (const [name, value] of Object.entries(msg.tensors)) {
      const where = `msg.tensors["${name}"]`;
      feed[name] = checkedTensor(inputNamed(info, name, where), value, where);
    }
    return requireAll(info, feed);
  }
  if (msg.tensor === undefined || msg.tensor === null) {
    throw new PipelineError('no-tensor', 'the message has no msg.tensor (or msg.tensors); put an mlops-tensor node before this one');
  }
  const named = isRecord(msg.tensor) && typeof msg.tensor.name === 'string' && msg.tensor.name ? msg.tensor.name : undefined;
  const input = named ? inputNamed(info, named, 'msg.tensor') : info.inputs[0];
  if (!input) throw new PipelineError('no-inputs', 'the model has no inputs to feed');
  feed[input.name] = checkedTensor(input, msg.tensor, 'msg.tensor');
  return requireAll(info, feed);
}
