// Reads the connection node's configuration into publisher options, with thin-edge's defaults.
import fs from 'node:fs';
import { PipelineError } from '../errors';
import type { PublisherOptions, Transport } from './publisher';
import { OVERFLOW_POLICIES, type OverflowPolicy } from './queue';

export const DEFAULT_PROXY_URL = 'http://127.0.0.1:8001/c8y';
export const DEFAULT_SERVICE_NAME = 'node-red-mlops';

export interface ConnectionConfig {
  transport?: string;
  mqttHost?: string;
  mqttPort?: string | number;
  mqttTls?: boolean;
  mqttVerify?: boolean;
  /** PEM files for TLS: CA bundle, and a client certificate and key when the broker wants mutual TLS (as tedge can). */
  mqttCaFile?: string;
  mqttCertFile?: string;
  mqttKeyFile?: string;
  proxyUrl?: string;
  tenantUrl?: string;
  serviceName?: string;
  queueLimitMb?: string | number;
  queuePolicy?: string;
  queueSync?: boolean;
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

function positive(value: string | number | undefined, fallback: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new PipelineError('bad-setting', `${what} must be a positive number, got "${value}"`, { what, value: String(value) });
  return n;
}

function pemFile(file: string | undefined, what: string): string | undefined {
  if (!file || !file.trim()) return undefined;
  try {
    return fs.readFileSync(file.trim(), 'utf8');
  } catch (err) {
    throw new PipelineError('bad-setting', `cannot read the ${what} file "${file}": ${(err as Error).message}`, { what, value: file });
  }
}

/** Options for a Publisher, without the queue directory (that comes from Node-RED's userDir). */
export function publisherOptions(
  config: ConnectionConfig, credentials: ConnectionCredentials, env: NodeJS.ProcessEnv, clientId: string,
): Omit<PublisherOptions, 'queueDir'> {
  const transport = (config.transport || 'thin-edge') as Transport;
  if (transport !== 'thin-edge' && transport !== 'cumulocity') {
    throw new PipelineError('bad-setting', `transport must be "thin-edge" or "cumulocity", got "${transport}"`, { what: 'transport', value: transport });
  }
  const policy = (config.queuePolicy || 'drop-oldest') as OverflowPolicy;
  if (!OVERFLOW_POLICIES.includes(policy)) {
    throw new PipelineError('bad-setting', `queue policy must be one of ${OVERFLOW_POLICIES.join(', ')}, got "${policy}"`, { what: 'queue policy', value: policy });
  }
  const timeoutMs = positive(config.timeoutS, 30, 'request timeout (s)') * 1000;
  const common = {
    transport,
    queueMaxBytes: Math.round(positive(config.queueLimitMb, 50, 'queue size limit (MB)') * 1024 * 1024),
    queuePolicy: policy,
    fsync: config.queueSync !== false,
    retryMinMs: positive(config.retryMinS, 0.5, 'first retry delay (s)') * 1000,
    retryMaxMs: positive(config.retryMaxS, 30, 'longest retry delay (s)') * 1000,
  };
  if (transport === 'cumulocity') {
    const baseUrl = (config.tenantUrl ?? '').trim().replace(/\/+$/, '');
    if (!/^https?:\/\//.test(baseUrl)) {
      throw new PipelineError('bad-setting', `the Cumulocity tenant URL must start with https:// or http:// (e.g. https://example.cumulocity.com), got "${baseUrl}"`, { what: 'tenant URL', value: baseUrl });
    }
    if (!credentials.token && !(credentials.user && credentials.password)) {
      throw new PipelineError('no-credentials', 'the cumulocity transport needs a user and password (user as tenant/user) or a token in the connection node', {});
    }
    return { ...common, rest: { baseUrl, user: credentials.user, password: credentials.password, token: credentials.token, timeoutMs } };
  }
  const host = (config.mqttHost || env.TEDGE_MQTT_HOST || '127.0.0.1').trim();
  const port = positive(config.mqttPort || env.TEDGE_MQTT_PORT, 1883, 'MQTT port');
  return {
    ...common,
    mqtt: {
      host, port, tls: config.mqttTls === true, rejectUnauthorized: config.mqttVerify !== false, clientId,
      ...(config.mqttTls ? { ca: pemFile(config.mqttCaFile, 'CA certificate'), cert: pemFile(config.mqttCertFile, 'client certificate'), key: pemFile(config.mqttKeyFile, 'client key') } : {}),
      serviceName: (config.serviceName || DEFAULT_SERVICE_NAME).trim(),
      reconnectPeriodMs: positive(config.reconnectS, 5, 'reconnect period (s)') * 1000,
    },
    // Empty proxy URL: TEDGE_C8Y_PROXY_URL (a container reaches thin-edge's proxy on its host), else the local proxy.
    rest: { baseUrl: (config.proxyUrl || env.TEDGE_C8Y_PROXY_URL || DEFAULT_PROXY_URL).trim().replace(/\/+$/, ''), timeoutMs },
  };
}
