// edge-mlops quantize <in.onnx> <out.onnx> --mode static|dynamic --calibration <dir> [options]
import { parseArgs } from 'node:util';
import { isPipelineError } from '../../lib/errors';
import type { ImagePreprocessing } from '../../lib/quantize/calibration-images';
import { describeEstimate, formatSummary, runQuantizeJob, type JobProgress, type QuantizeJob } from '../../lib/quantize/job';
import { badSetting, enumSetting, numberSetting, positiveInteger, positiveNumber } from '../../lib/settings';

export const QUANTIZE_USAGE = `usage: edge-mlops quantize <in.onnx> <out.onnx> [options]

  --mode static|dynamic        static: int8 QDQ with calibration (CNNs, default); dynamic: MatMul/Gemm models
  --calibration <dir>          folder of representative images (static mode)
  --conv-integer               dynamic mode: Conv too, as ConvInteger (no calibration; usually slower than float)
  --method minmax|percentile|entropy|mse   activation range calibration (default percentile; mse: least
                               squared quantization error)
  --percentile <p>             share of values kept for --method percentile (default 99.999)
  --per-channel | --per-tensor weight scales per output channel (default) or one per tensor
  --activation-type uint8|int8 static activations (default uint8, which ONNX Runtime fuses everywhere)
  --exclude <names>            node names or operator types kept in float (comma separated, repeatable)
  --weight-bits 7|8|auto       int8 weight range: 7 runs exactly on every CPU, 8 needs VNNI on x86 (or ARM);
                               auto (default) decides from this machine's CPU flags
  --limit <n>                  most calibration images read (default 100)
  --size <W>x<H>               calibration image size (default: model metadata input_size or input shape)
  --mean <r,g,b> --std <r,g,b> --scale <s> --layout NCHW|NHWC   image normalisation (default from metadata)
  --threshold <t>              threshold of 1-channel probability maps, as the flow uses it (default 0.5)
  --output <names>|all         outputs agreement is judged on (default: the model's first output)
  --target-agreement <x>       keep the most sensitive nodes in float, one by one, until the agreement (mIoU,
                               IoU or cosine of the judged outputs) on held-out calibration images reaches x
  --max-float-nodes <n>        most nodes --target-agreement keeps in float (default 12)
  --bias-correction            take the mean shift that rounding each Conv's weights causes out of its bias
                               (measured Conv input means; no gain measured on PP-OCRv4 det: docs/quantization.md)
  --max-memory <MiB>           most activations fetched per calibration inference (default 256); the estimate of
                               time and memory is printed after the first image
  --runs <n> --threads <n>     latency comparison (default 10 runs, 1 thread); --no-compare skips it`;

class UsageError extends Error {}

// Options are read with the settings toolkit (lib/settings.ts): "Expected … for --<option> but received …".
function numberList(text: string | undefined, name: string): [number, number, number] | undefined {
  if (text === undefined) return undefined;
  const values = text.split(',').map(Number);
  if (values.length !== 3 || values.some((v) => !Number.isFinite(v))) throw badSetting(`--${name}`, 'three numbers r,g,b', text);
  return values as [number, number, number];
}

const positive = (text: string | undefined, name: string, fallback: number) => positiveNumber(text, `--${name}`, fallback);
const oneOf = <T extends string>(text: string | undefined, name: string, allowed: readonly T[], fallback: T): T => enumSetting(text, `--${name}`, allowed, fallback);

function finite(text: string, name: string): number {
  const value = numberSetting(text, `--${name}`, undefined);
  if (value === undefined) throw badSetting(`--${name}`, 'number', text); // given but blank
  return value;
}

function fraction(text: string, name: string): number {
  const value = numberSetting(text, `--${name}`, undefined);
  if (value === undefined || !(value > 0 && value <= 1)) throw badSetting(`--${name}`, 'number above 0 and at most 1, e.g. 0.97', text);
  return value;
}

function weightBits(text: string | undefined): 7 | 8 | 'auto' {
  const choice = oneOf(text, 'weight-bits', ['7', '8', 'auto'] as const, 'auto');
  return choice === 'auto' ? 'auto' : (Number(choice) as 7 | 8);
}

export function parseQuantizeArgs(argv: string[]): QuantizeJob {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mode: { type: 'string' }, calibration: { type: 'string' }, method: { type: 'string' },
      percentile: { type: 'string' }, 'per-channel': { type: 'boolean' }, 'per-tensor': { type: 'boolean' },
      'activation-type': { type: 'string' }, exclude: { type: 'string', multiple: true }, limit: { type: 'string' },
      size: { type: 'string' }, mean: { type: 'string' }, std: { type: 'string' }, scale: { type: 'string' },
      layout: { type: 'string' }, threshold: { type: 'string' }, runs: { type: 'string' }, threads: { type: 'string' },
      'no-compare': { type: 'boolean' }, 'weight-bits': { type: 'string' }, 'conv-integer': { type: 'boolean' }, 'max-memory': { type: 'string' },
      'bias-correction': { type: 'boolean' },
      output: { type: 'string', multiple: true }, 'target-agreement': { type: 'string' }, 'max-float-nodes': { type: 'string' },
    },
  });
  if (positionals.length !== 2) throw new UsageError('give the input and the output model paths');
  const named = (values.output ?? []).flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean);
  const outputs = named.length === 0 ? undefined : named.includes('all') ? 'all' as const : named;
  if (values['per-channel'] && values['per-tensor']) throw new UsageError('--per-channel and --per-tensor exclude each other');
  const mode = oneOf(values.mode, 'mode', ['static', 'dynamic'] as const, 'static');
  if (mode === 'static' && !values.calibration) throw new UsageError('static mode needs --calibration <dir> with representative images');
  const preprocessing: Partial<ImagePreprocessing> = {};
  if (values.size) {
    const match = /^(\d+)x(\d+)$/.exec(values.size);
    if (!match) throw badSetting('--size', 'WIDTHxHEIGHT, e.g. 640x640', values.size);
    preprocessing.width = Number(match[1]);
    preprocessing.height = Number(match[2]);
  }
  const mean = numberList(values.mean, 'mean');
  const std = numberList(values.std, 'std');
  if (mean) preprocessing.mean = mean;
  if (std) preprocessing.std = std;
  if (values.scale !== undefined) preprocessing.scale = positive(values.scale, 'scale', 1);
  if (values.layout) preprocessing.layout = oneOf(values.layout, 'layout', ['NCHW', 'NHWC'] as const, 'NCHW');
  return {
    inputPath: positionals[0]!,
    outputPath: positionals[1]!,
    calibrationDir: values.calibration,
    limit: positive(values.limit, 'limit', 100),
    preprocessing,
    options: {
      mode,
      method: oneOf(values.method, 'method', ['minmax', 'percentile', 'entropy', 'mse'] as const, 'percentile'),
      percentile: values.percentile === undefined ? undefined : positive(values.percentile, 'percentile', 99.999),
      perChannel: !values['per-tensor'],
      activationType: oneOf(values['activation-type'], 'activation-type', ['uint8', 'int8'] as const, 'uint8'),
      weightBits: weightBits(values['weight-bits']),
      ...(values['conv-integer'] ? { dynamicConvolutions: true } : {}),
      ...(values['bias-correction'] ? { biasCorrection: true } : {}),
      ...(values['max-memory'] !== undefined ? { maxMemoryMB: positive(values['max-memory'], 'max-memory', 256) } : {}),
      ...(outputs ? { outputs } : {}),
      ...(values.threshold !== undefined ? { threshold: finite(values.threshold, 'threshold') } : {}),
      ...(values['target-agreement'] !== undefined ? { targetAgreement: fraction(values['target-agreement'], 'target-agreement') } : {}),
      ...(values['max-float-nodes'] !== undefined ? { maxFloatNodes: positiveInteger(values['max-float-nodes'], '--max-float-nodes', 12) } : {}),
      exclude: (values.exclude ?? []).flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean),
    },
    compare: values['no-compare'] ? false : {
      runs: positive(values.runs, 'runs', 10),
      threads: positive(values.threads, 'threads', 1),
      threshold: values.threshold === undefined ? undefined : finite(values.threshold, 'threshold'),
    },
  };
}

const STAGE_TEXT = {
  load: 'reading model and images', calibrate: 'calibrating', sensitivity: 'measuring each node\'s sensitivity',
  tune: 'keeping sensitive nodes in float', write: 'writing model', compare: 'comparing float and int8',
};

/** A bar redrawn in place on a terminal; one line per stage and per tenth of the work otherwise. */
export function progressReporter(stream: NodeJS.WriteStream): JobProgress {
  let lastLine = '';
  return (stage, done, total) => {
    const text = STAGE_TEXT[stage];
    if (stream.isTTY) {
      const width = 30;
      const filled = total > 0 ? Math.round((done / total) * width) : 0;
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${text}   `);
      if (done === total) stream.write('\n');
      return;
    }
    const tenth = total > 0 ? Math.floor((done / total) * 10) : 10;
    const line = `${text}: ${tenth * 10}%`;
    if (line !== lastLine && (done === 0 || done === total || Math.floor(((done - 1) / total) * 10) !== tenth)) {
      stream.write(`${line}\n`);
      lastLine = line;
    }
  };
}

export async function quantizeCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${QUANTIZE_USAGE}\n`);
    return 0;
  }
  let job: QuantizeJob;
  try {
    job = parseQuantizeArgs(argv);
  } catch (err) {
    process.stderr.write(`edge-mlops quantize: ${(err as Error).message}\n\n${QUANTIZE_USAGE}\n`);
    return 2;
  }
  try {
    const summary = await runQuantizeJob(job, progressReporter(process.stderr), (estimate) => process.stderr.write(`${describeEstimate(estimate)}\n`));
    process.stdout.write(`${formatSummary(summary).join('\n')}\n`);
    return 0;
  } catch (err) {
    const message = isPipelineError(err) ? err.message : (err as Error).stack ?? String(err);
    process.stderr.write(`edge-mlops quantize: ${message}\n`);
    return 1;
  }
}
