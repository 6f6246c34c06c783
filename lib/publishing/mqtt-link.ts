// The connection to thin-edge's local MQTT broker: QoS 1 publishing, the pipeline registered as a thin-edge service
// with retained health ("up" on connect, "down" as last will and on a clean stop).
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { PipelineError } from '../errors';
import { INTERRUPTED, RetryableError } from './forwarder';
import type { QueueRecord } from './queue';
import { healthMessage, serviceRegistration, type MqttMessage } from './thin-edge';
import { topicProblem } from './topic-rules';
import type { TopicSchema } from './topics';

export interface MqttLinkOptions {
  host: string;
  port: number;
  tls: boolean;
  /** Verify the broker's certificate when using TLS. */
  rejectUnauthorized?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  clientId: string;
  serviceName: string;
  reconnectPeriodMs: number;
  /** thin-edge's topic root and this device's topic id (mqtt.topic_root, mqtt.device_topic_id). */
  topics: TopicSchema;
}

/** Events: 'up', 'down' (reason). */
export class MqttLink extends EventEmitter {
  private readonly client: MqttClient;
  private readonly pending = new Set<(err: Error) => void>();
  private closing = false;

  constructor(private readonly options: MqttLinkOptions) {
    super();
    const will = healthMessage(options.topics, options.serviceName, 'down');
    const clientOptions: IClientOptions = {
      host: options.host,
      port: options.port,
      protocol: options.tls ? 'mqtts' : 'mqtt',
      clientId: options.clientId,
      clean: true,
      reconnectPeriod: options.reconnectPeriodMs,
      connectTimeout: 10_000,
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.cert && options.key ? { cert: options.cert, key: options.key } : {}),
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true },
    };
    this.client = mqtt.connect(clientOptions);
    this.client.on('connect', () => {
      // Service registration and health describe the present, so they are sent on every connect, not queued.
      for (const message of [serviceRegistration(options.topics, options.serviceName), healthMessage(options.topics, options.serviceName, 'up')]) {
        this.client.publish(message.topic, message.payload, { qos: 1, retain: message.retain });
      }
      this.emit('up');
    });
    // One stable reason per kind of trouble, so a status does not flicker with every reconnect attempt.
    this.client.on('close', () => {
      // mqtt.js would send its unacknowledged publishes first on the next connection, by itself: a record the
      // broker disconnects on would then block everything behind it for good. The forwarder re-sends instead
      // (at least once), so it can count such a record and set it aside.
      for (const messageId of Object.keys(this.client.outgoing)) this.client.removeOutgoingMessage(Number(messageId));
      if (!this.closing) this.emit('down', 'broker unreachable');
    });
    this.client.on('error', (err: Error & { code?: number | string }) => {
      this.emit('down', err.code === 4 || err.code === 5 || err.code === 134 || err.code === 135 ? 'not authorized by the broker' : 'broker unreachable');
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  get address(): string {
    return `${this.options.tls ? 'mqtts' : 'mqtt'}://${this.options.host}:${this.options.port}`;
  }

  /** Publishes with QoS 1 and resolves on the broker's PUBACK. */
  publish(message: MqttMessage): Promise<void> {
    if (this.closing || !this.client.connected) {
      return Promise.reject(new RetryableError(`the MQTT broker at ${this.address} is not connected`, 'offline'));
    }
    return new Promise((resolve, reject) => {
      const abandon = (err: Error) => reject(err);
      this.pending.add(abandon);
      this.client.publish(message.topic, message.payload, { qos: 1, retain: message.retain }, (err) => {
        this.pending.delete(abandon);
        const reasonCode = (err as { code?: unknown } | undefined)?.code;
        if (!err) resolve();
        // MQTT 5 brokers say why they refuse a publish (reason code >= 0x80): that will not change on a retry.
        else if (typeof reasonCode === 'number' && reasonCode >= 0x80) {
          reject(new PipelineError('broker-rejected', `the MQTT broker refused the message for ${JSON.stringify(message.topic)}: ${err.message}`, { topic: message.topic, reasonCode }));
        } else reject(new RetryableError(`the connection closed before the broker acknowledged the message for ${JSON.stringify(message.topic)} (${err.message})`, INTERRUPTED));
      });
    });
  }

  /** Delivery of a queued { kind: 'mqtt' } record. */
  readonly deliver = async (record: QueueRecord): Promise<void> => {
    const message = record.header as MqttMessage;
    // Records queued before topics were checked (older versions) must not reach the broker either.
    const problem = topicProblem(message.topic);
    if (problem) throw new PipelineError('invalid-topic-segment', `queued message for topic ${JSON.stringify(message.topic)} cannot be sent: ${problem}`, { topic: String(message.topic) });
    return this.publish(message);
  };

  /** Reports "down" when still connected, then disconnects. Publishes still waiting for an ack stay queued. */
  async close(): Promise<void> {
    if (this.client.connected && !this.closing) {
      const down = healthMessage(this.options.topics, this.options.serviceName, 'down');
      await this.publishWithin(down, 2000);
    }
    this.closing = true;
    for (const abandon of this.pending) abandon(new RetryableError('the connection node is stopping', 'stopping'));
    this.pending.clear();
    await new Promise<void>((resolve) => this.client.end(true, {}, () => resolve()));
  }

  private publishWithin(message: MqttMessage, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.client.publish(message.topic, message.payload, { qos: 1, retain: message.retain }, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
