// Whether int8 weights should use 7 bits on this machine. ONNX Runtime's x86 u8×s8 kernels without VNNI
// (AVX2, AVX-512 without VNNI) add pairs of products in 16 bits (vpmaddubsw), which saturates with full-range
// weights (255·127·2 > 32767); VNNI and ARM kernels accumulate in 32 bits.
import fs from 'node:fs';

export interface CpuDescription {
  arch: string;
  /** The flags line of /proc/cpuinfo; empty when unknown. */
  flags: Set<string>;
}

function readCpuinfoFlags(): Set<string> {
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

const systemCpu = (): CpuDescription => ({ arch: process.arch, flags: readCpuinfoFlags() });
let reader: () => CpuDescription = systemCpu;
let cached: CpuDescription | undefined;

/** Replaces how the CPU is read (tests); no argument restores /proc/cpuinfo. */
export function setCpuReader(read?: () => CpuDescription): void {
  reader = read ?? systemCpu;
  cached = undefined;
}

export function currentCpu(): CpuDescription {
  cached ??= reader();
  return cached;
}

export function cpuFlags(): Set<string> {
  return currentCpu().flags;
}

export function hasVnni(cpu: CpuDescription = currentCpu()): boolean {
  return cpu.flags.has('avx512_vnni') || cpu.flags.has('avx_vnni');
}

/** x86 without VNNI: full-range int8 weights saturate. Unknown flags on x86 count as saturating (be safe). */
export function int8KernelsSaturate(cpu: CpuDescription = currentCpu()): boolean {
  if (cpu.arch !== 'x64' && cpu.arch !== 'ia32') return false;
  return !hasVnni(cpu);
}

export function needsReducedRange(): boolean {
  return int8KernelsSaturate();
}

/** Short description for messages and reports: "x64, AVX-512 VNNI", "x64, AVX2 without VNNI", "arm64". */
export function describeCpu(cpu: CpuDescription = currentCpu()): string {
  if (cpu.arch !== 'x64' && cpu.arch !== 'ia32') return cpu.arch;
  if (cpu.flags.size === 0) return `${cpu.arch}, CPU flags unknown`;
  if (cpu.flags.has('avx512_vnni')) return `${cpu.arch}, AVX-512 VNNI`;
  if (cpu.flags.has('avx_vnni')) return `${cpu.arch}, AVX-VNNI`;
  return `${cpu.arch}, ${cpu.flags.has('avx512bw') ? 'AVX-512' : cpu.flags.has('avx2') ? 'AVX2' : 'SSE'} without VNNI`;
}

/**
 * A warning when a model quantized with full-range int8 weights (its `quantization` metadata says
 * needsVnniOnX86, or reduceRange false with int8 weights for records written before that field) runs on a CPU
 * whose kernels saturate; undefined when the model is not such a model or the CPU is fine.
 */
export function saturationWarning(metadata: Record<string, string>, cpu: CpuDescription = currentCpu()): string | undefined {
  const text = metadata.quantization;
  if (!text || !int8KernelsSaturate(cpu)) return undefined;
  let record: { mode?: string; needsVnniOnX86?: boolean; reduceRange?: boolean; weightType?: string };
  try {
    record = JSON.parse(text) as typeof record;
  } catch {
    return undefined;
  }
  const fullRange = record.needsVnniOnX86 ?? (record.weightType !== 'uint8' && record.reduceRange === false);
  if (!fullRange) return undefined;
  const kernels = record.mode === 'dynamic' ? 'MatMul' : 'Conv/MatMul';
  return `this model was quantized with full-range 8-bit weights, made for CPUs with VNNI or ARM; this CPU (${describeCpu(cpu)}) `
    + `adds pairs of int8 products in 16 bits in its ${kernels} kernels and saturates with such weights, so outputs can be far from the float model's `
    + '(a generated Conv model was off by 30 % of its output range): quantize it again with 7-bit weights '
    + '(edge-mlops quantize --weight-bits 7, or mlops-quantize on this device)';
}
