// Debounce per asset: the reported health state changes only after N consecutive inspections agree.
import type { HealthState } from '../contract';

export interface DebouncedState {
  state: HealthState;
  previousState: HealthState | null;
  changed: boolean;
  /** When a different state is waiting for confirmation: which, and how often it was seen in a row. */
  pending?: { state: HealthState; seen: number; needed: number };
}

interface AssetMemory {
  state: HealthState;
  candidate?: HealthState;
  seen: number;
}

/** Oldest assets are forgotten beyond this many, so a stream of ever-new ids cannot grow memory without bound. */
const MAX_ASSETS = 10000;

export class StateDebouncer {
  private readonly assets = new Map<string, AssetMemory>();

  /** `consecutive` = 1 reports every state at once. */
  constructor(readonly consecutive: number) {
    if (!Number.isInteger(consecutive) || consecutive < 1) throw new RangeError(`consecutive must be a whole number ≥ 1, got ${consecutive}`);
  }

  /**
   * RETAKE is reported at once and leaves the remembered state alone: a bad picture says nothing about the asset.
   * The first inspection of an asset sets its state at once.
   */
  update(assetId: string, observed: HealthState): DebouncedState {
    const memory = this.assets.get(assetId);
    if (observed === 'RETAKE') {
      return { state: 'RETAKE', previousState: memory?.state ?? null, changed: false };
    }
    if (!memory) {
      this.remember(assetId, { state: observed, seen: 0 });
      return { state: observed, previousState: null, changed: true };
    }
    const previousState = memory.state;
    if (observed === memory.state) {
      memory.candidate = undefined;
      memory.seen = 0;
      return { state: previousState, previousState, changed: false };
    }
    memory.seen = memory.candidate === observed ? memory.seen + 1 : 1;
    memory.candidate = observed;
    if (memory.seen >= this.consecutive) {
      memory.state = observed;
      memory.candidate = undefined;
      memory.seen = 0;
      return { state: observed, previousState, changed: true };
    }
    return {
      state: previousState,
      previousState,
      changed: false,
      pending: { state: observed, seen: memory.seen, needed: this.consecutive },
    };
  }

  forget(assetId?: string): void {
    if (assetId === undefined) this.assets.clear();
    else this.assets.delete(assetId);
  }

  private remember(assetId: string, memory: AssetMemory): void {
    if (this.assets.size >= MAX_ASSETS) this.assets.delete(this.assets.keys().next().value!);
    this.assets.set(assetId, memory);
  }
}
