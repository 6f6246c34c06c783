// What the publisher last decided per asset (alarm severity, twin fragments, units, registration), so alarms are
// raised on change and cleared once and twins are re-sent only when they changed. Bounded: at most `maxAssets`
// assets are remembered; the least recently published one is forgotten first (counted). A forgotten asset is only
// re-announced on its next publication (registration and twin again, the alarm raised or cleared again: all
// retained and idempotent in thin-edge), never lost. After a restart nothing is known, with the same effect.
import type { AlarmSeverity } from '../contract';
import type { AlarmDecision, Publication } from './inspection';

export const DEFAULT_MAX_ASSETS = 10_000;

interface AssetMemory {
  alarms: Map<string, AlarmSeverity | 'cleared'>;
  twins: Map<string, string>;
  units: Map<string, string>;
}

export class PublishMemory {
  private readonly assets = new Map<string, AssetMemory>();
  /** Assets forgotten to stay within maxAssets. */
  evicted = 0;

  constructor(private readonly maxAssets = DEFAULT_MAX_ASSETS, private readonly onEvict?: (assetId: string) => void) {}

  get size(): number { return this.assets.size; }

  /** The asset's memory, made the most recently used (a Map keeps insertion order: the first key is the oldest). */
  private entry(assetId: string): AssetMemory {
    let memory = this.assets.get(assetId);
    if (memory) {
      this.assets.delete(assetId);
    } else {
      memory = { alarms: new Map(), twins: new Map(), units: new Map() };
      while (this.assets.size >= this.maxAssets) {
        const oldest = this.assets.keys().next().value as string;
        this.assets.delete(oldest);
        this.evicted++;
        this.onEvict?.(oldest);
      }
    }
    this.assets.set(assetId, memory);
    return memory;
  }

  alarmDecision(publication: Publication, alarmType: string): AlarmDecision | undefined {
    if (publication.alarmSeverity === undefined) return undefined;
    const { alarms } = this.entry(publication.asset.id);
    const last = alarms.get(alarmType);
    if (publication.alarmSeverity === null) {
      if (last === 'cleared') return undefined;
      alarms.set(alarmType, 'cleared');
      return { action: 'clear', type: alarmType };
    }
    if (last === publication.alarmSeverity) return undefined;
    alarms.set(alarmType, publication.alarmSeverity);
    const condition = publication.event?.fragments.mlops_Condition;
    return { action: 'raise', type: alarmType, severity: publication.alarmSeverity, text: publication.alarmText ?? '', fragments: condition ? { mlops_Condition: condition } : {} };
  }

  /** Twin fragments whose value differs from what was last sent for this asset. */
  changedTwin(publication: Publication): Record<string, unknown> {
    const { twins } = this.entry(publication.asset.id);
    const changed: Record<string, unknown> = {};
    for (const [fragment, value] of Object.entries(publication.twin)) {
      const comparable = JSON.stringify(fragment === 'mlops_Condition' ? { ...(value as object), score: undefined, time: undefined } : value);
      if (twins.get(fragment) === comparable) continue;
      twins.set(fragment, comparable);
      changed[fragment] = value;
    }
    return changed;
  }

  /** True the first time an asset is seen since start (or since it was forgotten). */
  firstSighting(assetId: string): boolean {
    const known = this.assets.has(assetId);
    this.entry(assetId);
    return !known;
  }

  /** True when these units were not yet announced for the asset's measurement type. */
  unitsChanged(assetId: string, type: string, units: Record<string, string>): boolean {
    const memory = this.entry(assetId).units;
    const text = JSON.stringify(units);
    if (memory.get(type) === text) return false;
    memory.set(type, text);
    return true;
  }

  /**
   * Forgets everything about an asset: what was decided for it did not reach the receiver (not queued, dropped by
   * the queue, set aside), so its next publication sends its whole state again.
   */
  forget(assetId: string): void {
    this.assets.delete(assetId);
  }
}
