// Sends RestRequests through @c8y/client's FetchClient, to a tenant (with credentials) or to thin-edge's local
// Cumulocity proxy (no credentials: the proxy authenticates with the device's token).
import { BasicAuth, BearerAuth, FetchClient } from '@c8y/client';
import { PipelineError } from '../errors';
import type { RestRequest } from './cumulocity-rest';
import { RetryableError } from './forwarder';

export interface RestResponse {
  status: number;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- Cumulocity's JSON answers, read field by field
}

export interface RestClient {
  send(request: RestRequest): Promise<RestResponse>;
}

export interface RestTarget {
  baseUrl: string;
  /** Basic authentication (user may be "tenant/user"). */
  user?: string;
  password?: string;
  /** Bearer token (OAI-Secure / JWT) instead of user and password. */
  token?: string;
  timeoutMs: number;
}

export function restClient(target: RestTarget): RestClient {
  const auth = target.token
    ? new BearerAuth(target.token)
    : target.user && target.password ? new BasicAuth({ user: target.user, password: target.password }) : undefined;
  const fetchClient = auth ? new FetchClient(auth, target.baseUrl) : new FetchClient(target.baseUrl);
  return {
    async send(request) {
      let response;
      try {
        response = await fetchClient.fetch(request.path, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          params: request.query,
          signal: AbortSignal.timeout(target.timeoutMs),
        });
      } catch (err) {
        const reason = (err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable';
        throw new RetryableError(`Cumulocity at ${target.baseUrl} ${reason === 'timeout' ? `did not answer within ${target.timeoutMs} ms` : `is unreachable: ${(err as Error).message}`}`, reason);
      }
      const text = await response.text().catch(() => '');
      let json: unknown;
      try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
      return { status: response.status, text, json };
    },
  };
}

/**
 * Accepts the expected statuses; everything else becomes an error that says whether to retry.
 * 5xx, 408, 429 and 401/403 are retried: the proxy answers 401 spuriously while it renews its token, and with wrong
 * credentials the data waits in the queue until the user fixes them rather than being thrown away.
 */
export function expectStatus(response: RestResponse, expected: number[], what: string): RestResponse {
  if (expected.includes(response.status)) return response;
  const detail = typeof response.json?.message === 'string' ? response.json.message : response.text.slice(0, 200);
  const message = `${what} failed with HTTP ${response.status}${detail ? `: ${detail}` : ''}`;
  if (response.status === 401 || response.status === 403) throw new RetryableError(`${message} (check the credentials)`, 'unauthorized');
  if (response.status >= 500 || response.status === 408 || response.status === 429) throw new RetryableError(message, 'server');
  throw new PipelineError('c8y-rejected', `${message}; the data was not accepted and is dropped`, { status: response.status, what });
}
