// Runs a real Node-RED runtime in this process with this package installed into its user directory,
// the way a device would have it after `npm install @edge-mlops/node-red-vision`.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { bodyLimit, DEFAULT_BODY_LIMIT_BYTES } from '../../lib/http/body-limit';
import { PACKAGE_NAME, PACKAGE_ROOT } from '../../lib/package-root';
import { httpFront } from './http-front';
import { resolvePeer } from './resolve-peer';
import { credentialSecret, exposureWarnings } from './runtime-security';

export const packageRoot = PACKAGE_ROOT;
const packageName = PACKAGE_NAME;

export interface EmbeddedOptions {
  userDir: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  flowFile?: string;
  /** Extra Node-RED settings. */
  settings?: Record<string, unknown>;
  quiet?: boolean;
}

type FrontRed = Parameters<typeof httpFront>[0];

/** What this package uses of the node-red module it embeds (RED). */
export interface EmbeddedRed extends FrontRed {
  init(server: http.Server, settings: object): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  events: { once(event: string, listener: () => void): void };
  nodes: { getNode(id: string): RuntimeNode | null };
}

/** A node of the running flows, as benches and tests drive it. */
export interface RuntimeNode {
  receive(msg: object): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

export interface EmbeddedNodeRed {
  url: string;
  port: number;
  red: EmbeddedRed;
  stop(): Promise<void>;
}

/** Makes userDir/node_modules/<package> point at this package, as `npm install` would place it. */
export function installIntoUserDir(userDir: string): void {
  const target = path.join(userDir, 'node_modules', ...packageName.split('/'));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  try {
    if (fs.realpathSync(target) === fs.realpathSync(packageRoot)) return;
    fs.rmSync(target, { recursive: true, force: true });
  } catch { /* not there yet */ }
  fs.symlinkSync(packageRoot, target, 'dir');
}

export async function startEmbeddedNodeRed(options: EmbeddedOptions): Promise<EmbeddedNodeRed> {
  fs.mkdirSync(options.userDir, { recursive: true });
  installIntoUserDir(options.userDir);
  // node-red keeps one runtime per process; a second start in the same process reuses the module.
  const nodeRedEntry = resolvePeer('node-red');
  if (nodeRedEntry instanceof Error) throw nodeRedEntry;
  const RED = require(nodeRedEntry) as EmbeddedRed;
  // Requests are handled once RED.init has made the admin and flow apps (below), before listen().
  const server = http.createServer();
  const settings = {
    userDir: options.userDir,
    flowFile: options.flowFile ?? 'flows.json',
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    uiHost: options.host ?? '127.0.0.1',
    // Credentials (passwords, tokens) encrypted in flows_cred.json with a per-user-directory secret (file mode 0600).
    credentialSecret: credentialSecret(options.userDir),
    logging: { console: { level: options.quiet ? 'error' : 'info', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    // No update-notification question on the first editor visit: this runtime is a demo or a test, not an install.
    telemetry: { enabled: false },
    // Request bodies capped while they stream in (413 above), as the VQI example's image limit (25 MB); JSON and
    // forms stop at apiMaxLength. Node-RED's http in has no streaming cap of its own for other bodies.
    httpNodeMiddleware: bodyLimit({ maxBytes: DEFAULT_BODY_LIMIT_BYTES }),
    apiMaxLength: '5mb',
    ...options.settings,
  };
  for (const warning of exposureWarnings(options.host ?? '127.0.0.1', settings)) console.warn(warning);
  RED.init(server, settings);
  // httpNodeAuth applies to RED.httpNode (flows' endpoints and the V2 API), as red.js applies it.
  server.on('request', httpFront(RED, settings, nodeRedEntry));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  // RED.start() resolves before the flows have started; HTTP routes of the flow exist only after "flows:started".
  const flowsStarted = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
  await RED.start();
  await flowsStarted;
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    red: RED,
    async stop() {
      await RED.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
