// Where the Cumulocity tenant is and how to log in, read the way go-c8y-cli reads it: environment variables
// (C8Y_BASEURL or C8Y_HOST, C8Y_TENANT, C8Y_USER, C8Y_PASSWORD, C8Y_TOKEN) or a go-c8y-cli session file
// (C8Y_SESSION, or --session). Never from command-line values, which end up in the shell history.
import { PipelineError } from '../errors';

export interface TenantConnection {
  baseUrl: string;
  tenant?: string;
  user?: string;
  password?: string;
  token?: string;
  timeoutMs: number;
}

interface SessionFile { host?: string; tenant?: string; username?: string; password?: string; token?: string }

function clean(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value.trim() : '';
  return text === '' ? undefined : text;
}

function withScheme(host: string): string {
  const url = /^[a-z]+:\/\//i.test(host) ? host : `https://${host}`;
  return url.replace(/\/+$/, '');
}

/**
 * The connection from env, with values of the session file filling what env leaves unset.
 * readFile is injected so that this stays free of the file system.
 */
export function tenantConnection(env: NodeJS.ProcessEnv, options: { sessionFile?: string; timeoutMs?: number; readFile?: (file: string) => string } = {}): TenantConnection {
  const sessionPath = clean(options.sessionFile) ?? clean(env.C8Y_SESSION);
  let session: SessionFile = {};
  if (sessionPath) {
    if (!options.readFile) throw new PipelineError('c8y-no-connection', 'a session file is set but cannot be read here', {});
    let text: string;
    try {
      text = options.readFile(sessionPath);
    } catch (err) {
      throw new PipelineError('c8y-no-connection', `cannot read the session file ${sessionPath}: ${(err as Error).message}`, { file: sessionPath });
    }
    try {
      session = JSON.parse(text) as SessionFile;
    } catch {
      throw new PipelineError('c8y-no-connection', `the session file ${sessionPath} is not JSON (go-c8y-cli sessions look like {"host": ..., "tenant": ..., "username": ..., "password": ...})`, { file: sessionPath });
    }
  }
  const host = clean(env.C8Y_BASEURL) ?? clean(env.C8Y_HOST) ?? clean(session.host);
  if (!host) throw new PipelineError('c8y-no-connection', 'no Cumulocity tenant: set C8Y_BASEURL (or C8Y_HOST) and C8Y_USER/C8Y_PASSWORD or C8Y_TOKEN, or C8Y_SESSION to a go-c8y-cli session file', {});
  const connection: TenantConnection = {
    baseUrl: withScheme(host),
    tenant: clean(env.C8Y_TENANT) ?? clean(session.tenant),
    user: clean(env.C8Y_USER) ?? clean(env.C8Y_USERNAME) ?? clean(session.username),
    password: clean(env.C8Y_PASSWORD) ?? clean(session.password),
    token: clean(env.C8Y_TOKEN) ?? clean(session.token),
    timeoutMs: options.timeoutMs ?? 60000,
  };
  if (!connection.token && !(connection.user && connection.password)) {
    throw new PipelineError('c8y-no-connection', `no credentials for ${connection.baseUrl}: set C8Y_USER and C8Y_PASSWORD (and C8Y_TENANT), or C8Y_TOKEN`, {});
  }
  return connection;
}
