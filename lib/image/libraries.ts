// sharp is a native module that may not load on every device (missing prebuilt binary, old libc);
// jimp is pure JS and always loads. Both are required lazily so a broken sharp never breaks the package.
import { PipelineError } from '../errors';

// With moduleResolution "node" TypeScript reads sharp's ESM typings; require() returns that default export.
export type SharpModule = typeof import('sharp').default;
export type JimpModule = typeof import('jimp');
export type DecoderChoice = 'auto' | 'sharp' | 'jimp';

/** @internal Test hook: how the libraries are loaded; tests replace `sharp` to simulate a device where it cannot load. */
export const libraryLoaders = {
  // Loaded on first use, not at import: a device without a working sharp must still load this package.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sharp: (): SharpModule => require('sharp') as SharpModule,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  jimp: (): JimpModule => require('jimp') as JimpModule,
};

let sharpCache: { module?: SharpModule; error?: Error } | undefined;
let jimpCache: JimpModule | undefined;

/** Forgets loaded libraries so the next use calls the loaders again. */
export function resetLibraryCache(): void {
  sharpCache = undefined;
  jimpCache = undefined;
}

/** sharp, or undefined with the reason when it cannot be loaded on this device. */
export function trySharp(): { module?: SharpModule; error?: Error } {
  if (!sharpCache) {
    try {
      sharpCache = { module: libraryLoaders.sharp() };
    } catch (err) {
      sharpCache = { error: err instanceof Error ? err : new Error(String(err)) };
    }
  }
  return sharpCache;
}

export function loadJimp(): JimpModule {
  jimpCache ??= libraryLoaders.jimp();
  return jimpCache;
}

/** Which library does the work: sharp when it loads (or is forced), else jimp. */
export function chooseLibrary(choice: DecoderChoice): 'sharp' | 'jimp' {
  if (choice === 'jimp') return 'jimp';
  const sharp = trySharp();
  if (sharp.module) return 'sharp';
  if (choice === 'sharp') {
    throw new PipelineError(
      'sharp-unavailable',
      `sharp cannot be loaded on this device (${sharp.error?.message.split('\n')[0]}); choose "auto" or "jimp"`,
      { reason: sharp.error?.message.split('\n')[0] ?? '' },
    );
  }
  return 'jimp';
}

export function loadSharp(): SharpModule {
  const sharp = trySharp();
  if (!sharp.module) {
    const reason = sharp.error?.message.split('\n')[0] ?? '';
    throw new PipelineError('sharp-unavailable', `sharp cannot be loaded on this device (${reason}); choose "auto" or "jimp"`, { reason });
  }
  return sharp.module;
}
