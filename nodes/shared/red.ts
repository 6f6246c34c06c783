// The slice of the Node-RED runtime API these nodes use, typed locally so the adapters stay strict
// without depending on third-party typings that lag behind Node-RED 4/5.

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  topic?: string;
  [key: string]: unknown;
}

export type SendFunction = (msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[] | null) => void;
export type DoneFunction = (err?: Error) => void;

export interface NodeDefinition {
  id: string;
  type: string;
  name?: string;
  z?: string;
  [key: string]: unknown;
}

export interface Node<Credentials = Record<string, string>> {
  id: string;
  type: string;
  name?: string;
  z?: string;
  credentials: Credentials;
  status(status: NodeStatus): void;
  send(msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[] | null): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(message: unknown): void;
  log(message: unknown): void;
  debug(message: unknown): void;
  trace(message: unknown): void;
  on(event: 'input', listener: (msg: NodeMessage, send: SendFunction, done: DoneFunction) => void): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  on(event: string, listener: (...args: never[]) => void): void;
}

export interface Request { params: Record<string, string>; query: Record<string, unknown>; body?: unknown }
export interface Response { json(body: unknown): void; status(code: number): Response; send(body?: unknown): void }
type Handler = (req: Request, res: Response) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: object, config: NodeDefinition): void;
    registerType(type: string, constructor: (this: never, config: never) => void, options?: { credentials?: Record<string, { type: string }>; settings?: object }): void;
    getNode(id: string): unknown;
    /** Calls back with the deployed configuration of every node. */
    eachNode(callback: (config: NodeDefinition) => void): void;
  };
  _(key: string, substitutions?: Record<string, string | number>): string;
  settings: Record<string, unknown> & { userDir?: string };
  /** Node-RED's express app for flow endpoints (under httpNodeRoot, behind httpNodeAuth). */
  // Express middleware: Node-RED passes its own request and response objects (typed by express, which this package does not use).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  httpNode: { use(path: string, handler: ((req: any, res: any, next: () => void) => void) | ((err: unknown, req: any, res: any, next: (err?: unknown) => void) => void)): void };
  httpAdmin: { get(path: string, ...handlers: (Handler | object)[]): void; post(path: string, ...handlers: (Handler | object)[]): void };
  auth: { needsPermission(permission: string): object };
  /** Messages to every open editor (topic, data; retained: sent again to editors that connect later). */
  comms: { publish(topic: string, data: unknown, retain?: boolean): void };
  plugins: { registerPlugin(id: string, definition: object): void };
  /** Runtime events, e.g. 'flows:started' once every node of a deploy has started. */
  events: { on(event: string, listener: () => void): void; removeListener(event: string, listener: () => void): void };
  util: {
    getMessageProperty(msg: NodeMessage, path: string): unknown;
    setMessageProperty(msg: NodeMessage, path: string, value: unknown, createMissing?: boolean): boolean;
    evaluateNodeProperty(value: string, type: string, node: object, msg: NodeMessage): unknown;
  };
}
