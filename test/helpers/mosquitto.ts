// A real mosquitto broker for tests: started on a free port with a generated config, stopped and restarted on the
// same port. Readiness is taken from the broker's own log line, never from a sleep.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from '../../tools/free-port';

export const MOSQUITTO_BIN = fs.existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';

export { freePort };

export class Mosquitto {
  private process: ChildProcess | undefined;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-mosquitto-'));

  private constructor(readonly port: number) {}

  static async start(port?: number): Promise<Mosquitto> {
    const broker = new Mosquitto(port ?? await freePort());
    await broker.start();
    return broker;
  }

  get url(): string { return `mqtt://127.0.0.1:${this.port}`; }
  get running(): boolean { return this.process !== undefined; }

  async start(): Promise<void> {
    if (this.process) return;
    const config = path.join(this.dir, 'mosquitto.conf');
    fs.writeFileSync(config, [
      `listener ${this.port} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
      'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice', 'log_type information', '',
    ].join('\n'));
    const child = spawn(MOSQUITTO_BIN, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (/ running/.test(log)) { cleanup(); resolve(); }
      };
      const onExit = (code: number | null) => { cleanup(); reject(new Error(`mosquitto exited with ${code} before it was ready:\n${log}`)); };
      const onError = (err: Error) => { cleanup(); reject(new Error(`cannot start ${MOSQUITTO_BIN} (${err.message}); install it: apt-get install mosquitto`)); };
      const timer = setTimeout(() => { cleanup(); child.kill('SIGKILL'); reject(new Error(`mosquitto on port ${this.port} did not report running within 10 s:\n${log}`)); }, 10_000);
      const cleanup = () => { clearTimeout(timer); child.stdout!.off('data', onData); child.stderr!.off('data', onData); child.off('exit', onExit); child.off('error', onError); };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', onExit);
      child.on('error', onError);
    });
    child.stdout!.resume();
    child.stderr!.resume();
    this.process = child;
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    // Killed outright, like a crash or power cut: mosquitto occasionally takes seconds to act on SIGTERM.
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A TCP pass-through in front of the broker. Closing it refuses connections, so a test decides when a client may
 * reconnect (e.g. only after the test's own subscriber is subscribed again).
 */
export class TcpGate {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  private constructor(readonly port: number, private readonly target: number) {}

  static async create(target: number): Promise<TcpGate> {
    return new TcpGate(await freePort(), target);
  }

  async open(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

export interface Received { topic: string; payload: string; retain: boolean }

/** A test subscriber that records every message, and resolves waits on message counts or predicates. */
export class Recorder {
  readonly messages: Received[] = [];
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString(), retain: packet.retain });
      this.waiters = this.waiters.filter((w) => (w.test() ? (w.resolve(), false) : true));
    });
  }

  /** Connects and subscribes (QoS 1); resolves once the broker acknowledged the subscription. */
  static async connect(url: string, topics: string[] = ['te/#']): Promise<Recorder> {
    // MQTT 5 "retain as published", so the retain flag of live messages is visible too.
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, clean: true, protocolVersion: 5, connectTimeout: 5000 });
    await client.subscribeAsync(topics, { qos: 1, rap: true });
    return new Recorder(client);
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  waitFor(test: (messages: Received[]) => boolean, what: string, timeoutMs = 15000): Promise<void> {
    if (test(this.messages)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${this.messages.length} messages: ${this.messages.map((m) => m.topic).join(', ')}`)), timeoutMs);
      this.waiters.push({ test: () => test(this.messages), resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  waitForCount(topic: string, count: number, timeoutMs?: number): Promise<void> {
    return this.waitFor((all) => all.filter((m) => m.topic === topic).length >= count, `${count} messages on ${topic}`, timeoutMs);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
