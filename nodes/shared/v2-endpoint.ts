// The V2 inference API on Node-RED's own HTTP server: mounted once per runtime on RED.httpNode, so the port,
// httpNodeRoot, httpNodeAuth and httpNodeMiddleware apply to it as to any http in node. Models join and leave
// (lib/serving/v2-service.ts) as mlops-model nodes with "serve" are deployed and closed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { PipelineError } from '../../lib/errors';
import { packageManifest } from '../../lib/package-root';
import { V2_PATH, V2Error, V2Service, type ServeOptions } from '../../lib/serving';
import { badSetting, booleanSetting, nonNegativeInteger, numberSetting, positiveInteger, textSetting } from '../../lib/settings';
import type { ModelConfigNode } from './model-node';
import type { Node, NodeAPI } from './red';

/** Infer bodies larger than this are refused with 413 while they stream in. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const services = new WeakMap<object, V2Service>();

type BodyRequest = IncomingMessage & { body?: unknown; _body?: boolean };

function readBody(req: BodyRequest): Promise<unknown> {
  // Read already when an app in front parsed it (under red.js with equal roots, the admin app's JSON parser).
  if (req._body) return Promise.resolve(req.body);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new V2Error(413, `the request body is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function packageVersion(): { name: string; version: string } {
  const { name, version } = packageManifest();
  return { name, version };
}

/** The runtime's V2 service, mounted at <httpNodeRoot>/v2 on first use. */
export function v2Service(RED: NodeAPI): V2Service {
  let service = services.get(RED.httpNode);
  if (service) return service;
  const created = new V2Service(packageVersion());
  services.set(RED.httpNode, created);
  RED.httpNode.use(V2_PATH, (req: BodyRequest, res: ServerResponse) => {
    // Mounted with use(): req.url is the path below /v2.
    void created.handle(req.method ?? 'GET', req.url ?? '/', () => readBody(req)).then(
      (reply) => send(res, reply.status, reply.body),
      (err: unknown) => send(res, err instanceof V2Error ? err.status : 500, { error: (err as Error).message }),
    );
  });
  // A body Node-RED's own parsers refused (malformed JSON, too large) reaches here as an error: answer it in V2 form.
  RED.httpNode.use(V2_PATH, (err: unknown, _req: BodyRequest, res: ServerResponse, next: (err?: unknown) => void) => {
    if (!err) return next();
    const status = (err as { status?: number }).status ?? 400;
    send(res, status >= 400 && status < 600 ? status : 400, { error: `the request body cannot be read: ${(err as Error).message}; send application/json` });
  });
  service = created;
  return service;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(status === 503 ? { 'retry-after': '1' } : {}) });
  res.end(text);
}

export interface ServeConfig {
  serve?: boolean | string;
  servedName?: string;
  serveQueueSize?: number | string;
  serveBatchSize?: number | string;
  serveBatchDelayMs?: number | string;
  name?: string;
}

/**
 * Serves an mlops-model on the V2 API when its "serve" setting is on: under its served name (else its node name,
 * else the file name), keeping the model loaded while served. Returns the problem when it cannot be served.
 */
export function serveOnV2(RED: NodeAPI, node: Node & ModelConfigNode, config: ServeConfig): PipelineError | undefined {
  let options: ServeOptions;
  let name: string;
  try {
    if (!booleanSetting(config.serve, 'serve', false)) return undefined;
    name = textSetting(config.servedName, 'servedName', '') || textSetting(config.name, 'name', '') || path.basename(node.modelPath, '.onnx');
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw badSetting('servedName', 'a name of letters, digits, ".", "_" or "-"', name);
    options = {
      queueSize: nonNegativeInteger(config.serveQueueSize, 'serveQueueSize', 64),
      batchSize: positiveInteger(config.serveBatchSize, 'serveBatchSize', 16),
      batchDelayMs: numberSetting(config.serveBatchDelayMs, 'serveBatchDelayMs', 2, { min: 0, max: 1000 }),
    };
  } catch (err) {
    return err as PipelineError;
  }
  let stop: () => void;
  try {
    stop = v2Service(RED).serve(name, node, options);
  } catch {
    return new PipelineError('served-name-taken', `another mlops-model already serves the name "${name}" on the V2 API; give this one another served name`, { name });
  }
  const user = `v2-api:${node.id}`;
  node.register(user);
  node.on('close', (_removed: boolean, done: () => void) => {
    stop();
    node.deregister(user);
    done();
  });
  return undefined;
}
