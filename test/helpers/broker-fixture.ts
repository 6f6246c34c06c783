// One shared fixture for tests against thin-edge's side of the world: a real mosquitto (and, when asked, the fake
// Cumulocity proxy) for a describe block; per test a fresh broker without retained messages, a subscriber that
// records what arrives, and a Node-RED user directory of its own (removed afterwards, with the flow unloaded).
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
}

/** Registers the mocha hooks in the calling describe block; the returned object's fields are set by them. */
export function useBrokerFixture(options: BrokerFixtureOptions = {}): BrokerFixture {
  const state: { broker?: Mosquitto; proxy?: FakeCumulocity; recorder?: Recorder; userDir?: string } = {};
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the broker fixture has no ${what} (outside a test, or not asked for)`);
    return value;
  };
  before(async () => {
    state.broker = await Mosquitto.start();
    if (options.proxy) {
      state.proxy = new FakeCumulocity({ prefix: '/c8y' });
      await state.proxy.start();
    }
  });
  after(async () => {
    await state.broker?.dispose();
    await state.proxy?.stop();
  });
  beforeEach(async () => {
    state.userDir = tempUserDir();
    testHelper.settings({ userDir: state.userDir });
    await state.broker!.restart(); // forget retained messages of the previous test
    state.recorder = await Recorder.connect(state.broker!.url, options.topics ?? ['te/#']);
  });
  afterEach(async () => {
    await testHelper.unload();
    await state.recorder?.close();
    if (state.userDir) fs.rmSync(state.userDir, { recursive: true, force: true });
    state.recorder = undefined;
    state.userDir = undefined;
  });
  return {
    get broker() { return need(state.broker, 'broker'); },
    get proxy() { return need(state.proxy, 'proxy'); },
    get recorder() { return need(state.recorder, 'recorder'); },
    get userDir() { return need(state.userDir, 'user directory'); },
  };
}
