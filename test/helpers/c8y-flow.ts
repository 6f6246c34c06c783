// Flows and sample messages for the Cumulocity publishing tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConditionResult, SegmentationResult } from '../../lib/contract';
import { catchNode, nodeModule, testHelper, withCatch } from './flow';

export const c8yNodes = () => [nodeModule('mlops-c8y'), nodeModule('mlops-c8y-out'), catchNode];

export function tempUserDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-c8y-userdir-'));
}

/** The out node "pub" with a Catch node, its connection "conn", and a tab carrying thin-edge's flow env. */
export function publishFlow(connection: Record<string, unknown>, out: Record<string, unknown> = {}): object[] {
  const flow = withCatch({ id: 'pub', type: 'mlops-c8y-out', connection: 'conn', ...out });
  flow[0] = {
    id: 'tab', type: 'tab', label: 'vqi',
    env: [{ name: 'MODULE_NAME', value: 'tower-inspection', type: 'str' }, { name: 'MODULE_VERSION', value: '1.4.2', type: 'str' }],
  };
  return [...flow, { id: 'conn', type: 'mlops-c8y', name: 'edge', reconnectS: '0.1', timeoutS: '5', retryMinS: '0.05', retryMaxS: '0.5', ...connection }];
}

export function condition(state: ConditionResult['state'], overrides: Partial<ConditionResult> = {}): ConditionResult {
  const severity = state === 'CRITICAL' ? 'CRITICAL' : state === 'WARNING' ? 'MAJOR' : null;
  return {
    assetId: 'tower-17', assetType: 'lattice_tower', state, score: state === 'OK' ? 0.05 : 0.72,
    reasons: state === 'OK' ? [] : ['rust ratio 0.31 > 0.2'], severity,
    ratios: { rust: state === 'OK' ? 0.01 : 0.31, 'cable-damage': 0.02 },
    quality: { sharpness: 412.5, brightness: 118 }, previousState: null, changed: true, ...overrides,
  };
}

export function segmentation(overlay?: Buffer): SegmentationResult {
  return {
    classMap: Buffer.alloc(4), width: 2, height: 2, labels: ['background', 'tower', 'rust'], colors: ['#000000', '#00ff00', '#ff0000'],
    classes: [
      { index: 0, label: 'background', color: '#000000', pixels: 2, ratio: 0.5 },
      { index: 1, label: 'tower', color: '#00ff00', pixels: 1, ratio: 0.25 },
      { index: 2, label: 'rust', color: '#ff0000', pixels: 1, ratio: 0.25 },
    ],
    components: [
      { classIndex: 1, label: 'tower', area: 1, bbox: [0, 0, 1, 1] },
      { classIndex: 2, label: 'rust', area: 1, bbox: [1, 1, 1, 1] },
    ],
    ...(overlay ? { overlay, overlayFormat: 'png' as const } : {}),
  };
}

/** Resolves when node `id` shows a status whose text matches. */
export function statusMatching(id: string, pattern: RegExp, timeoutMs = 15000): Promise<{ fill?: string; shape?: string; text?: string }> {
  const node = testHelper.getNode(id);
  const seen: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeListener('call:status', listener);
      reject(new Error(`node ${id} never showed a status matching ${pattern}; it showed: ${seen.slice(-8).join(' | ')}`));
    }, timeoutMs);
    const listener = (call: { args: [{ text?: string }] }) => {
      seen.push(call.args[0]?.text ?? '');
      if (pattern.test(call.args[0]?.text ?? '')) {
        clearTimeout(timer);
        node.removeListener('call:status', listener);
        resolve(call.args[0]);
      }
    };
    node.on('call:status', listener);
  });
}

/** Resolves once the connection node "conn" has nothing queued (everything acknowledged) and is connected. */
export function connectionIdle(timeoutMs = 15000): Promise<void> {
  const conn = testHelper.getNode('conn') as unknown as { state?: { queued: number; connected?: boolean }; watch(l: (s: { queued: number; connected?: boolean }) => void): () => void };
  const idle = (s?: { queued: number; connected?: boolean }) => !!s && s.queued === 0 && s.connected === true;
  if (idle(conn.state)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`connection never became idle: ${JSON.stringify(conn.state)}`)); }, timeoutMs);
    const stop = conn.watch((s) => { if (idle(s)) { clearTimeout(timer); stop(); resolve(); } });
  });
}

/** Records node `id`'s statuses from now on; until() resolves with the first recorded or later one that matches. */
export function watchStatus(id: string): { seen: string[]; until(pattern: RegExp, timeoutMs?: number): Promise<string> } {
  const node = testHelper.getNode(id);
  const seen: string[] = [];
  const waiters = new Set<() => void>();
  node.on('call:status', (call: { args: [{ text?: string }] }) => {
    seen.push(call.args[0]?.text ?? '');
    for (const check of waiters) check();
  });
  return {
    seen,
    until(pattern, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no status of ${id} matched ${pattern}; seen: ${seen.slice(-8).join(' | ')}`)); }, timeoutMs);
        const check = () => {
          const hit = seen.find((text) => pattern.test(text));
          if (hit !== undefined) { clearTimeout(timer); waiters.delete(check); resolve(hit); }
        };
        waiters.add(check);
        check();
      });
    },
  };
}
