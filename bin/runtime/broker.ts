// An MQTT broker for the demo: thin-edge's mosquitto when one listens, else an embedded aedes broker in its place.
import net from 'node:net';

export interface BrokerHandle {
  embedded: boolean;
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

export async function ensureBroker(host: string, port: number): Promise<BrokerHandle> {
  if (await isListening(host, port)) return { embedded: false, host, port, close: async () => undefined };
  let Aedes: { createBroker(): Promise<{ handle: (socket: net.Socket) => void; close(cb: () => void): void }> };
  try {
    Aedes = require('aedes').Aedes;
  } catch {
    throw new Error(`no MQTT broker listens on ${host}:${port} and the embedded broker (npm package aedes) is not installed: `
      + 'start thin-edge\'s mosquitto, set TEDGE_MQTT_HOST/TEDGE_MQTT_PORT, or npm install aedes');
  }
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    embedded: true,
    host,
    port,
    close: () => new Promise<void>((resolve) => {
      broker.close(() => server.close(() => resolve()));
    }),
  };
}
