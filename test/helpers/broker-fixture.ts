// One shared fixture for tests against thin-edge's side of the world: a real mosquitto (and, when asked, the fake
// Cumulocity proxy) for a describe block, and a subscriber that records what arrives. scope 'test' (default): per
// test a fresh broker without retained messages, a new recorder and a Node-RED user directory of its own (removed
// afterwards, with the test helper's flow unloaded). scope 'block': one broker and recorder for the whole block, for
// tests that run Node-RED themselves (the example flows in a runtime process).
import fs from 'node:fs';
import { FakeCumulocity } from '../fixtures/c8y-server';
import { tempUserDir } from './c8y-flow';
import { testHelper } from './flow';
import { Mosquitto, Recorder } from './mosquitto';

export interface BrokerFixture {
  readonly broker: Mosquitto;
  /** Only with `proxy: true`. */
  readonly proxy: FakeCumulocity;
  readonly recorder: Recorder;
  readonly userDir: string;
}

export interface BrokerFixtureOptions {
  /** Topic filters the recorder subscribes to (default te/#). */
  topics?: string[];
  /** Start the fake Cumulocity proxy (prefix /c8y) too. */
  proxy?: boolean;
  scope?: 'test' | 'block';
}

/** Registers the mocha hooks in the calling describe block; the returned object's fields are set by them. */
export function useBrokerFixture(options: BrokerFixtureOptions = {}): BrokerFixture {
  const state: { broker?: Mosquitto; proxy?: FakeCumulocity; recorder?: Recorder; userDir?: string } = {};
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the broker fixture has no ${what} (outside a test, or not asked for)`);
    return value;
  };
  const connectRecorder = async () => { state.recorder = await Recorder.connect(state.broker!.url, options.topics ?? ['te/#']); };
  before(async () => {
    state.broker = await Mosquitto.start();
    if (options.proxy) {
      state.proxy = new FakeCumulocity({ prefix: '/c8y' });
      await state.proxy.start();
    }
    if (options.scope === 'block') await connectRecorder();
  });
  after(async () => {
    await state.recorder?.close();
    await state.broker?.dispose();
    await state.proxy?.stop();
  });
  if (options.scope !== 'block') perTest(state, connectRecorder);
  return {
    get broker() { return need(state.broker, 'broker'); },
    get proxy() { return need(state.proxy, 'proxy'); },
    get recorder() { return need(state.recorder, 'recorder'); },
    get userDir() { return need(state.userDir, 'user directory'); },
  };
}

function perTest(state: { broker?: Mosquitto; recorder?: Recorder; userDir?: string }, connectRecorder: () => Promise<void>): void {
  beforeEach(async () => {
    state.userDir = tempUserDir();
    testHelper.settings({ userDir: state.userDir });
    await state.broker!.restart(); // forget retained messages of the previous test
    await connectRecorder();
  });
  afterEach(async () => {
    await testHelper.unload();
    await state.recorder?.close();
    if (state.userDir) fs.rmSync(state.userDir, { recursive: true, force: true });
    state.recorder = undefined;
    state.userDir = undefined;
  });
}
