// The VQI example as the integration tests run it: the shipped flow (examples/vqi-inspection.json) on a Node-RED
// runtime process or in the real editor, with a real mosquitto in place of thin-edge's broker, a recorder of what
// arrives there, and an inbox folder of its own. One fixture for what each test file used to set up by itself.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBrokerFixture } from './broker-fixture';
import { repoRoot } from './flow';
import type { Mosquitto, Recorder } from './mosquitto';
import { startRuntimeProcess, type RuntimeProcess } from './runtime-process';

export const VQI_EXAMPLE_FILE = path.join(repoRoot, 'examples', 'vqi-inspection.json');
export const VQI_TAB = 'a1b2c3d4e5f60001';
/** The example's watch node (`inbox`): in the editor's workspace once the flow is. */
export const VQI_INBOX_NODE = 'a1b2c3d4e5f60003';
export const VQI_ROUTE = '/vqi/inspect';
export const RUSTY_TOWER = fs.readFileSync(path.join(repoRoot, 'samples', 'tower-rusty.jpg'));
/** The state each bundled sample gets (samples/expected.json). */
export const EXPECTED_STATES = JSON.parse(fs.readFileSync(path.join(repoRoot, 'samples', 'expected.json'), 'utf8')) as Record<string, string>;

/** The example's nodes, parsed afresh (a test may change its copy). */
export function vqiExample(): Record<string, any>[] {
  return JSON.parse(fs.readFileSync(VQI_EXAMPLE_FILE, 'utf8')) as Record<string, any>[];
}

export interface ThinEdgeSide {
  readonly broker: Mosquitto;
  readonly recorder: Recorder;
  /** A fresh folder for the example's VQI_INBOX (its real path: the watch node reports real paths). */
  readonly inbox: string;
  /** VQI_INBOX and TEDGE_MQTT_HOST/PORT for the runtime, pointing at the above (`overrides` on top). */
  env(overrides?: Record<string, string>): Record<string, string>;
}

/**
 * Registers the mocha hooks of the calling describe block: the broker fixture for the whole block (mosquitto and a
 * recorder of `topics`, default te/#) and an inbox folder.
 */
export function useThinEdgeSide({ topics }: { topics?: string[] } = {}): ThinEdgeSide {
  const fixture = useBrokerFixture({ scope: 'block', ...(topics ? { topics } : {}) });
  let inbox: string | undefined;
  const folder = () => {
    if (inbox === undefined) throw new Error('no inbox yet: use it inside the tests or later hooks');
    return inbox;
  };
  before(() => { inbox = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'vqi-inbox-')); });
  after(() => { if (inbox) fs.rmSync(inbox, { recursive: true, force: true }); });
  return {
    get broker() { return fixture.broker; },
    get recorder() { return fixture.recorder; },
    get inbox() { return folder(); },
    env: (overrides = {}) => ({ VQI_INBOX: folder(), TEDGE_MQTT_HOST: '127.0.0.1', TEDGE_MQTT_PORT: String(fixture.broker.port), ...overrides }),
  };
}

/** What a camera upload gets back from the example's HTTP route. */
export async function postPicture(baseUrl: string, asset: string, { picture = RUSTY_TOWER as Buffer, route = VQI_ROUTE }: { picture?: Buffer; route?: string } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${route}?asset=${encodeURIComponent(asset)}`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: picture });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    throw new Error(`POST ${route}?asset=${asset} answered ${res.status} with ${JSON.stringify(text.slice(0, 300))}`);
  }
}

export interface VqiRuntime {
  readonly runtime: RuntimeProcess;
  /** POST a picture (default: the rusty tower) to the example's route. */
  inspect(asset: string, options?: { picture?: Buffer; route?: string }): Promise<{ status: number; body: any }>;
}

/** Registers hooks that run the shipped example on a runtime process wired to `side` (after side's own hooks). */
export function useVqiRuntime(side: ThinEdgeSide): VqiRuntime {
  let runtime: RuntimeProcess | undefined;
  before(async () => { runtime = await startRuntimeProcess(VQI_EXAMPLE_FILE, side.env()); });
  after(async () => { await runtime?.stop(); });
  const started = () => {
    if (!runtime) throw new Error('the VQI runtime has not started');
    return runtime;
  };
  return {
    get runtime() { return started(); },
    inspect: (asset, options) => postPicture(started().url, asset, options),
  };
}
