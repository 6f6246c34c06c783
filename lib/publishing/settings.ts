// Reads the connection node's configuration into publisher options, with thin-edge's defaults.
import fs from 'node:fs';
import { PipelineError } from '../errors';
import { badSetting, booleanSetting, enumSetting, integerSetting, isUnset, positiveNumber, textSetting } from '../settings';
import type { PublisherOptions, Transport } from './publisher';
import { OVERFLOW_POLICIES } from './queue';
import { topicSchema } from './topics';

export const DEFAULT_PROXY_URL = 'http://127.0.0.1:8001/c8y';
export const DEFAULT_SERVICE_NAME = 'node-red-mlops';
const PORT_RANGE = { min: 1, max: 65535 };

export interface ConnectionConfig {
  transport?: string;
  mqttHost?: string;
  mqttPort?: string | number;
  mqttTls?: boolean | string;
  mqttVerify?: boolean | string;
  /** PEM files for TLS: CA bundle, and a client certificate and key when the broker wants mutual TLS (as tedge can). */
  mqttCaFile?: string;
  mqttCertFile?: string;
  mqttKeyFile?: string;
  proxyUrl?: string;
  tenantUrl?: string;
  serviceName?: string;
  /** thin-edge's mqtt.topic_root; empty: TEDGE_MQTT_TOPIC_ROOT, else te. */
  topicRoot?: string;
  /** thin-edge's mqtt.device_topic_id (device/<name>//); empty: TEDGE_MQTT_DEVICE_TOPIC_ID, else device/main//. */
  deviceTopicId?: string;
  queueLimitMb?: string | number;
  queuePolicy?: string;
  queueSync?: boolean | string;
  timeoutS?: string | number;
  reconnectS?: string | number;
  retryMinS?: string | number;
  retryMaxS?: string | number;
}

export interface ConnectionCredentials {
  user?: string;
  password?: string;
  token?: string;
}

function pemFile(file: unknown, setting: string): string | undefined {
  const name = textSetting(file, setting, undefined);
  if (name === undefined) return undefined;
  try {
    return fs.readFileSync(name, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw badSetting(setting, `a readable PEM file (${code ?? (err as Error).message})`, name);
  }
}

const TRANSPORTS: readonly Transport[] = ['thin-edge', 'cumulocity'];

/** Options for a Publisher, without the queue directory (that comes from Node-RED's userDir). */
export function publisherOptions(
  config: ConnectionConfig, credentials: ConnectionCredentials, env: NodeJS.ProcessEnv, clientId: string,
): Omit<PublisherOptions, 'queueDir'> {
  const transport = enumSetting(config.transport, 'transport', TRANSPORTS, 'thin-edge');
  const timeoutMs = positiveNumber(config.timeoutS, 'timeoutS', 30) * 1000;
  const common = {
    transport,
    queueMaxBytes: Math.round(positiveNumber(config.queueLimitMb, 'queueLimitMb', 50) * 1024 * 1024),
    queuePolicy: enumSetting(config.queuePolicy, 'queuePolicy', OVERFLOW_POLICIES, 'drop-oldest'),
    fsync: booleanSetting(config.queueSync, 'queueSync', true),
    retryMinMs: positiveNumber(config.retryMinS, 'retryMinS', 0.5) * 1000,
    retryMaxMs: positiveNumber(config.retryMaxS, 'retryMaxS', 30) * 1000,
  };
  if (transport === 'cumulocity') {
    const baseUrl = textSetting(config.tenantUrl, 'tenantUrl', '').replace(/\/+$/, '');
    if (!/^https?:\/\//.test(baseUrl)) {
      throw badSetting('tenantUrl', 'a tenant URL that starts with https:// or http:// (e.g. https://example.cumulocity.com)', config.tenantUrl ?? '');
    }
    if (!credentials.token && !(credentials.user && credentials.password)) {
      throw new PipelineError('no-credentials', 'the cumulocity transport needs a user and password (user as tenant/user) or a token in the connection node', {});
    }
    return { ...common, rest: { baseUrl, user: credentials.user, password: credentials.password, token: credentials.token, timeoutMs } };
  }
  // Empty broker fields: thin-edge's own settings from the environment (tedge config's TEDGE_* names), else defaults.
  const host = textSetting(config.mqttHost, 'mqttHost', undefined) ?? textSetting(env.TEDGE_MQTT_HOST, 'TEDGE_MQTT_HOST', '127.0.0.1');
  const port = isUnset(config.mqttPort)
    ? integerSetting(env.TEDGE_MQTT_PORT, 'TEDGE_MQTT_PORT', 1883, PORT_RANGE)
    : integerSetting(config.mqttPort, 'mqttPort', 1883, PORT_RANGE);
  const topics = topicSchema(
    isUnset(config.topicRoot) ? env.TEDGE_MQTT_TOPIC_ROOT : config.topicRoot,
    isUnset(config.deviceTopicId) ? env.TEDGE_MQTT_DEVICE_TOPIC_ID : config.deviceTopicId,
  );
  const tls = booleanSetting(config.mqttTls, 'mqttTls', false);
  return {
    ...common,
    mqtt: {
      host, port, tls, rejectUnauthorized: booleanSetting(config.mqttVerify, 'mqttVerify', true), clientId,
      ...(tls ? { ca: pemFile(config.mqttCaFile, 'mqttCaFile'), cert: pemFile(config.mqttCertFile, 'mqttCertFile'), key: pemFile(config.mqttKeyFile, 'mqttKeyFile') } : {}),
      serviceName: textSetting(config.serviceName, 'serviceName', DEFAULT_SERVICE_NAME),
      reconnectPeriodMs: positiveNumber(config.reconnectS, 'reconnectS', 5) * 1000,
      topics,
    },
    // Empty proxy URL: TEDGE_C8Y_PROXY_URL (a container reaches thin-edge's proxy on its host), else the local proxy.
    rest: { baseUrl: (textSetting(config.proxyUrl, 'proxyUrl', undefined) ?? textSetting(env.TEDGE_C8Y_PROXY_URL, 'TEDGE_C8Y_PROXY_URL', DEFAULT_PROXY_URL)).replace(/\/+$/, ''), timeoutMs },
  };
}
