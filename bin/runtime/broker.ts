// An MQTT broker for the demo: thin-edge's mosquitto when one listens; an embedded aedes broker only when asked for
// (--embedded-broker) or when no thin-edge is configured on this machine. On a thin-edge device the broker port is
// mosquitto's: an aedes there would swallow the queued data and keep mosquitto from starting again.
import { resolvePeer } from './resolve-peer';
import fs from 'node:fs';
import net from 'node:net';

export const TEDGE_CONFIG_DIR = '/etc/tedge';

export interface BrokerSituation {
  /** --embedded-broker was given. */
  embeddedRequested: boolean;
  /** The environment as the user started us, before any defaults are filled in. */
  env: NodeJS.ProcessEnv;
  /** thin-edge's configuration directory exists. */
  tedgeInstalled: boolean;
}

/** Why thin-edge counts as configured here, or undefined when it does not. */
export function thinEdgeEvidence(situation: Pick<BrokerSituation, 'env' | 'tedgeInstalled'>): string | undefined {
  const vars = Object.keys(situation.env).filter((name) => name.startsWith('TEDGE_MQTT_')).sort();
  if (vars.length) return `${vars.join(', ')} set`;
  if (situation.tedgeInstalled) return `${TEDGE_CONFIG_DIR} exists`;
  return undefined;
}

/** May `start` run an embedded broker when nothing listens? Never on thin-edge's port unless asked. */
export function mayEmbedBroker(situation: BrokerSituation): boolean {
  return situation.embeddedRequested || thinEdgeEvidence(situation) === undefined;
}

export function currentSituation(embeddedRequested: boolean, env: NodeJS.ProcessEnv = process.env): BrokerSituation {
  return { embeddedRequested, env: { ...env }, tedgeInstalled: fs.existsSync(TEDGE_CONFIG_DIR) };
}

export interface BrokerHandle {
  embedded: boolean;
  /** A broker answered on host:port when we looked (always true for the embedded one). */
  listening: boolean;
  host: string;
  port: number;
  close(): Promise<void>;
}

export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (listening: boolean) => { socket.destroy(); resolve(listening); };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * The broker on host:port when one listens; else an embedded one when `mayEmbed`, else none (the connection node
 * queues and keeps reconnecting until thin-edge's broker is up).
 */
export async function ensureBroker(host: string, port: number, mayEmbed = true): Promise<BrokerHandle> {
  const external = (listening: boolean) => ({ embedded: false, listening, host, port, close: async () => undefined });
  if (await isListening(host, port)) return external(true);
  if (!mayEmbed) return external(false);
  const found = resolvePeer('aedes');
  if (found instanceof Error) throw new Error(`no MQTT broker listens on ${host}:${port}; for the embedded one, ${found.message}`);
  const Aedes: { createBroker(): Promise<{ handle: (socket: net.Socket) => void; close(cb: () => void): void }> } = require(found).Aedes;
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    embedded: true,
    listening: true,
    host,
    port,
    close: () => new Promise<void>((resolve) => {
      broker.close(() => server.close(() => resolve()));
    }),
  };
}
