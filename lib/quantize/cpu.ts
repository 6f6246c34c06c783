// Whether int8 weights should use 7 bits on this machine. ONNX Runtime's x86 u8×s8 kernels without VNNI
// (AVX2, AVX-512 without VNNI) add pairs of products in 16 bits (vpmaddubsw), which saturates with full-range
// weights (255·127·2 > 32767); VNNI and ARM kernels accumulate in 32 bits.
import fs from 'node:fs';

let cached: boolean | undefined;

export function cpuFlags(): Set<string> {
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

export function needsReducedRange(): boolean {
  if (cached === undefined) {
    if (process.arch !== 'x64' && process.arch !== 'ia32') cached = false;
    else {
      const flags = cpuFlags();
      // Unknown flags (no /proc/cpuinfo): be safe.
      cached = flags.size === 0 || !(flags.has('avx512_vnni') || flags.has('avx_vnni'));
    }
  }
  return cached;
}
