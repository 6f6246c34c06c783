// A listener on Node-RED's editor comms websocket (<admin root>/comms), the channel the editor's debug sidebar and
// node statuses arrive on. Every connection receives every published message; a `subscribe` only replays retained
// ones, which is used here once to know that the connection is live (runtime-state is always retained).
import path from 'node:path';
import type WebSocketModule from 'ws';
import { PipelineError } from '../errors';
import type { CommsMessage } from './deploy-outcome';
import type { AdminTarget } from './node-red-admin';

export interface CommsListener {
  onMessage(listener: (message: CommsMessage) => void): void;
  close(): void;
}

/**
 * The `ws` client that mqtt.js (a dependency, for MQTT over websockets) brings with it: Node 20 has no WebSocket
 * client of its own, and a dependency of ours for it would pass the Flow Library's limit of 6.
 */
function webSocketClass(): typeof WebSocketModule {
  const fromMqtt = require.resolve('ws', { paths: [path.dirname(require.resolve('mqtt'))] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path found at run time
  return require(fromMqtt) as typeof WebSocketModule;
}

export function commsUrl(api: string): string {
  return `${api.replace(/\/+$/, '').replace(/^http/, 'ws')}/comms`;
}

/** Opens the comms websocket, authenticates with the admin token when there is one, resolves once messages flow. */
export function openComms(target: AdminTarget): Promise<CommsListener> {
  const url = commsUrl(target.api);
  return new Promise<CommsListener>((resolve, reject) => {
    const WebSocket = webSocketClass();
    const ws = new WebSocket(url, { handshakeTimeout: target.timeoutMs });
    const listeners: ((message: CommsMessage) => void)[] = [];
    let live = false;
    const subscribe = () => ws.send(JSON.stringify({ subscribe: 'notification/runtime-state' }));
    const timer = setTimeout(() => fail(`no answer within ${target.timeoutMs / 1000} s`), target.timeoutMs);
    function fail(reason: string, code: 'node-red-unreachable' | 'node-red-unauthorized' = 'node-red-unreachable'): void {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => { /* closing */ });
      ws.terminate();
      reject(new PipelineError(code, `Node-RED's editor comms at ${url}: ${reason}`, { url }));
    }
    ws.on('error', (err) => fail(err.message));
    ws.on('unexpected-response', (_req, res) => fail(`HTTP ${res.statusCode} (is the editor disabled? disableEditor turns the comms off)`));
    ws.on('open', () => {
      // With a token, subscribe only after "auth ok": a message that arrives while the token is checked is read as
      // an anonymous one and closes the connection when adminAuth has no default user.
      if (target.token) ws.send(JSON.stringify({ auth: target.token }));
      else subscribe();
    });
    ws.on('close', () => { if (!live) fail('closed before any message'); });
    ws.on('message', (raw) => {
      let parsed: unknown;
      try { parsed = JSON.parse(String(raw)); } catch { return; }
      if (!Array.isArray(parsed)) {
        const auth = (parsed as { auth?: string })?.auth;
        if (auth === 'ok') subscribe();
        else if (auth === 'fail') fail('the admin token was refused; set a valid token (POST /auth/token)', 'node-red-unauthorized');
        return;
      }
      for (const item of parsed as CommsMessage[]) {
        if (!item || typeof item.topic !== 'string') continue;
        if (!live) {
          // The replayed runtime-state says the connection is registered; what it replays is older than this call.
          if (item.topic !== 'notification/runtime-state') continue;
          live = true;
          clearTimeout(timer);
          resolve({ onMessage: (listener) => listeners.push(listener), close: () => { ws.removeAllListeners(); ws.on('error', () => { /* closing */ }); ws.close(); } });
          continue;
        }
        for (const listener of listeners) listener(item);
      }
    });
  });
}
