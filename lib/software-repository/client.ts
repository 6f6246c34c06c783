// @c8y/client services for one tenant, with a timeout on every request and errors that say what failed.
import { BasicAuth, BearerAuth, FetchClient, IdentityService, InventoryBinaryService, InventoryService, OperationService, type IFetchOptions, type IFetchResponse } from '@c8y/client';
import { PipelineError } from '../errors';
import type { TenantConnection } from './connection';

/** FetchClient that aborts requests the tenant does not answer in time (the services have no timeout of their own). */
class TimedFetchClient extends FetchClient {
  constructor(connection: TenantConnection, private readonly timeoutMs: number) {
    super(connection.token
      ? new BearerAuth(connection.token)
      : new BasicAuth({ tenant: connection.tenant, user: connection.user, password: connection.password }), connection.baseUrl);
  }

  override fetch(url: string, init: IFetchOptions = {}): Promise<IFetchResponse> {
    return super.fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(this.timeoutMs) } as IFetchOptions);
  }
}

export interface TenantServices {
  baseUrl: string;
  inventory: InventoryService;
  binaries: InventoryBinaryService;
  operations: OperationService;
  identity: IdentityService;
  /** Runs one request; turns @c8y/client's `{ res, data }` rejections, timeouts and network errors into PipelineErrors. */
  call<T>(what: string, request: () => Promise<T>): Promise<T>;
}

export function tenantServices(connection: TenantConnection): TenantServices {
  const client = new TimedFetchClient(connection, connection.timeoutMs);
  return {
    baseUrl: connection.baseUrl,
    inventory: new InventoryService(client),
    binaries: new InventoryBinaryService(client),
    operations: new OperationService(client),
    identity: new IdentityService(client),
    async call(what, request) {
      try {
        return await request();
      } catch (err) {
        throw requestError(what, err, connection);
      }
    },
  };
}

export function requestError(what: string, err: unknown, connection: Pick<TenantConnection, 'baseUrl' | 'timeoutMs'>): PipelineError {
  if (err instanceof PipelineError) return err;
  const rejected = err as { res?: { status?: number }; data?: { message?: string; error?: string } };
  const status = rejected?.res?.status;
  if (typeof status === 'number') {
    const detail = rejected.data?.message ?? rejected.data?.error ?? '';
    const hint = status === 401 ? ' (check C8Y_USER, C8Y_PASSWORD and C8Y_TENANT, or C8Y_TOKEN)'
      : status === 403 ? ' (the user lacks the inventory or device control permission this needs)' : '';
    return new PipelineError(status === 401 ? 'c8y-unauthorized' : 'c8y-request-failed', `${what} failed with HTTP ${status}${detail ? `: ${detail}` : ''}${hint}`, { what, status });
  }
  const name = (err as Error)?.name;
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new PipelineError('c8y-timeout', `${what}: ${connection.baseUrl} did not answer within ${connection.timeoutMs / 1000} s`, { what });
  }
  return new PipelineError('c8y-unreachable', `${what}: ${connection.baseUrl} is unreachable: ${(err as Error)?.message ?? String(err)}`, { what });
}
