// Checks of `flow pack` that look at node settings: broker/proxy endpoints must come from the device's environment,
// and no absolute file paths may be baked into nodes (they differ between devices and containers).
import { describeNode, type FlowNode } from './flow-json';

export type ProblemCode = 'unknown-node-type' | 'model-not-available' | 'absolute-path' | 'endpoint-not-on-env';

export interface PackProblem { code: ProblemCode; nodeId: string; nodeType: string; message: string }

const LOOPBACK = /^(127\.0\.0\.1|localhost|::1|\[::1\])$/i;
const ENV_REFERENCE = /\$\{[^}]+\}/;
// Node-RED substitutes ${NAME} only when it is the whole value (flows/util.js mapEnvVarProperties).
const WHOLE_ENV_REFERENCE = /^\$\{\S+\}$/;
/** The proxy URL the mlops-c8y node uses when its setting is empty. */
const DEFAULT_PROXY = /^https?:\/\/(127\.0\.0\.1|localhost):8001\/c8y\/?$/i;

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value).trim();
}

function onEnv(value: string): boolean {
  return value === '' || WHOLE_ENV_REFERENCE.test(value);
}

function problem(node: FlowNode, message: string): PackProblem {
  return { code: 'endpoint-not-on-env', nodeId: node.id, nodeType: node.type, message: `${describeNode(node)}: ${message}` };
}

/** Moves loopback broker/proxy settings onto thin-edge's env names; refuses other literal addresses. */
export function checkEndpoints(nodes: FlowNode[], changes: string[], problems: PackProblem[]): void {
  for (const node of nodes) {
    if (node.type === 'mqtt-broker') {
      const host = text(node.broker);
      if (!onEnv(host)) {
        if (LOOPBACK.test(host)) {
          node.broker = '${TEDGE_MQTT_HOST}';
          changes.push(`${describeNode(node)}: broker ${host} → \${TEDGE_MQTT_HOST} (set TEDGE_MQTT_HOST in Node-RED's environment)`);
        } else problems.push(problem(node, `broker "${host}" is a fixed address; set it to \${TEDGE_MQTT_HOST} so each device uses its own thin-edge broker`));
      }
      const port = text(node.port);
      if (!onEnv(port)) {
        if (port === '1883') {
          node.port = '${TEDGE_MQTT_PORT}';
          changes.push(`${describeNode(node)}: port 1883 → \${TEDGE_MQTT_PORT} (set TEDGE_MQTT_PORT in Node-RED's environment)`);
        } else problems.push(problem(node, `port "${port}" is fixed; set it to \${TEDGE_MQTT_PORT}`));
      }
    }
    if (node.type === 'mlops-c8y' && text(node.transport || 'thin-edge') === 'thin-edge') {
      const host = text(node.mqttHost);
      if (!onEnv(host)) {
        if (LOOPBACK.test(host)) {
          node.mqttHost = '';
          changes.push(`${describeNode(node)}: MQTT host ${host} → empty (the node reads TEDGE_MQTT_HOST)`);
        } else problems.push(problem(node, `MQTT host "${host}" is a fixed address; leave it empty (TEDGE_MQTT_HOST) or use \${...}`));
      }
      const port = text(node.mqttPort);
      if (!onEnv(port)) {
        if (port === '1883') {
          node.mqttPort = '';
          changes.push(`${describeNode(node)}: MQTT port 1883 → empty (the node reads TEDGE_MQTT_PORT)`);
        } else problems.push(problem(node, `MQTT port "${port}" is fixed; leave it empty (TEDGE_MQTT_PORT) or use \${...}`));
      }
      // The main device's topic id names one device; thin-edge's default (device/main//) is every device's own.
      const device = text(node.deviceTopicId);
      if (!onEnv(device) && !/^device\/main(\/\/)?$/.test(device)) {
        problems.push(problem(node, `device topic id "${device}" names one device; leave it empty (each device's TEDGE_MQTT_DEVICE_TOPIC_ID, else device/main//) or use \${...}`));
      }
      const proxy = text(node.proxyUrl);
      if (!onEnv(proxy)) {
        if (DEFAULT_PROXY.test(proxy)) {
          node.proxyUrl = '';
          changes.push(`${describeNode(node)}: proxy ${proxy} → empty (the node reads TEDGE_C8Y_PROXY_URL, else ${proxy})`);
        } else problems.push(problem(node, `proxy URL "${proxy}" is fixed; leave it empty (TEDGE_C8Y_PROXY_URL) or use \${...}`));
      }
    }
    if (node.type === 'http request') {
      const url = text(node.url);
      const host = /^https?:\/\/([^/:]+|\[[^\]]+\])/i.exec(url)?.[1];
      if (host && LOOPBACK.test(host) && !onEnv(url)) {
        problems.push(problem(node, `URL "${url}" points at this machine; put the address in env (e.g. \${TEDGE_C8Y_PROXY_URL}/...)`));
      }
    }
  }
}

/** Properties that hold code, text or URL paths rather than file paths. */
const NOT_FILE_PATHS = new Set(['name', 'info', 'func', 'initialize', 'finalize', 'template', 'topic', 'url', 'label', 'env']);
// Only plain path characters: regular expressions and JSONata such as /\.[^.]+$/ are not paths.
const ABSOLUTE_PATH = /^(\/[\w.~@+-]+)+\/?$|^[A-Za-z]:[\\/][\w.~@+\\/ -]*$/;

function visit(value: unknown, at: string, found: (at: string, value: string) => void): void {
  if (typeof value === 'string') {
    for (const part of value.split(',')) if (ABSOLUTE_PATH.test(part.trim()) && !ENV_REFERENCE.test(part)) found(at, part.trim());
  } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${at}[${i}]`, found));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, `${at}.${k}`, found);
}

export function checkPaths(nodes: readonly FlowNode[], problems: PackProblem[]): void {
  for (const node of nodes) {
    if (node.type === 'tab' || node.type === 'comment' || node.type === 'subflow' || node.type === 'group') continue;
    for (const [key, value] of Object.entries(node)) {
      // A websocket listener's path is a URL path (/ws/...), not a file.
      if (NOT_FILE_PATHS.has(key) || (key === 'path' && node.type === 'websocket-listener')) continue;
      visit(value, key, (at, path) => problems.push({
        code: 'absolute-path', nodeId: node.id, nodeType: node.type,
        message: `${describeNode(node)}: ${at} is the absolute path "${path}"; devices differ, so take it from env (\${NAME} with a tab or device env), or for models use store:<name> or bundled:<file>`,
      }));
    }
  }
}
