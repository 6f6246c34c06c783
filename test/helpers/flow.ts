// Test harness around node-red-node-test-helper: a real Node-RED runtime with our built nodes,
// plus a Catch node, so tests observe errors exactly as a user's flow would.
import path from 'node:path';
 
const helper = require('node-red-node-test-helper');

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const distNodes = path.join(repoRoot, 'dist', 'nodes');

helper.init(require.resolve('node-red'));

export function nodeModule(type: string): unknown {
  return require(path.join(distNodes, `${type}.js`));
}

export const catchNode = require(
  path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core', 'common', '25-catch.js'),
);

export interface TestNode {
  id: string;
  receive(msg: object): void;
  on(event: string, listener: (arg: any) => void): void;
  once(event: string, listener: (arg: any) => void): void;
  [key: string]: any;
}

export const testHelper: {
  load(nodes: unknown[], flow: object[], credentials?: object): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  settings(settings: object): void;
  request(): any;
  clearFlows(): Promise<void>;
  /** The spy on Node-RED's log: args[i][0] is { level, id, type, msg } (level 30: warn). */
  log(): { args: [{ id?: string; level?: number; msg?: unknown }][] };
} = helper;

/** What the node with this id logged as warnings (node.warn) since the flow was loaded. */
export function loggedWarnings(nodeId: string): string[] {
  return testHelper.log().args.map((a) => a[0]).filter((m) => m.id === nodeId && m.level === 30).map((m) => String(m.msg));
}

/** Resolves with the next message a helper node receives. */
export function nextMessage<T = any>(helperNodeId: string, timeoutMs = 20000): Promise<T> {
  const node = testHelper.getNode(helperNodeId);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message reached ${helperNodeId} within ${timeoutMs} ms`)), timeoutMs);
    node.once('input', (msg: T) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

/** Collects the next n messages a helper node receives. */
export function nextMessages<T = any>(helperNodeId: string, count: number, timeoutMs = 20000): Promise<T[]> {
  const node = testHelper.getNode(helperNodeId);
  const received: T[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${received.length} of ${count} messages reached ${helperNodeId} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const listener = (msg: T) => {
      received.push(msg);
      if (received.length === count) {
        clearTimeout(timer);
        node.removeListener('input', listener);
        resolve(received);
      }
    };
    node.on('input', listener);
  });
}

/** Status calls a node makes, recorded from now on. */
export function recordStatus(nodeId: string): { fill?: string; shape?: string; text?: string }[] {
  const seen: { fill?: string; shape?: string; text?: string }[] = [];
  testHelper.getNode(nodeId).on('call:status', (call: { args: [{ fill?: string; text?: string }] }) => seen.push(call.args[0]));
  return seen;
}

/**
 * A flow fragment: the node under test wired to helper "out" (unless it brings its own wires), and a Catch node
 * scoped to it wired to helper "caught". Extra flow nodes need x and y; extra config nodes must not have them.
 * Catch output carries msg.error.message.
 */
export function withCatch(nodeUnderTest: Record<string, unknown>, extra: object[] = []): object[] {
  const id = String(nodeUnderTest.id);
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    // x and y make these flow nodes: Node-RED treats a node without a position as a config node.
    { wires: [['out']], ...nodeUnderTest, z: 'tab', x: 100, y: 100 },
    { id: 'out', type: 'helper', z: 'tab', x: 300, y: 100 },
    { id: 'catch', type: 'catch', z: 'tab', scope: [id], uncaught: false, wires: [['caught']], x: 100, y: 200 },
    { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 200 },
    ...extra.map((n) => ({ z: 'tab', ...n })),
  ];
}
