// The Admin API calls thin-edge's nodered-flows plugin makes (API v2, full deployment), plus the rev check it leaves
// out and a bearer token for an instance with adminAuth.
import { PipelineError } from '../errors';
import type { FlowNode } from './flow-json';
import { openComms, type CommsListener } from './node-red-comms';

export interface AdminTarget { api: string; token?: string; timeoutMs: number }

export class NodeRedAdmin {
  constructor(readonly target: AdminTarget) {}

  // Node-RED's admin API answers are read field by field where used.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async request(method: string, route: string, body?: unknown, extra: Record<string, string> = {}): Promise<{ status: number; json: any }> {
    const headers: Record<string, string> = { 'Node-RED-API-Version': 'v2', 'Content-Type': 'application/json', ...extra };
    if (this.target.token) headers.Authorization = `Bearer ${this.target.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.target.api.replace(/\/+$/, '')}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.target.timeoutMs) });
    } catch (err) {
      throw new PipelineError('node-red-unreachable', `Node-RED at ${this.target.api} cannot be reached (${(err as Error).message}); check that it runs and the api setting`, { api: this.target.api });
    }
    const text = await res.text();
    let json: unknown;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    if (res.status === 401 || res.status === 403) {
      throw new PipelineError('node-red-unauthorized', this.target.token
        ? `Node-RED refused the admin token for ${method} ${route} (HTTP ${res.status}): it is wrong, expired or lacks the permission; get a new one with POST /auth/token and set it`
        : `Node-RED refused ${method} ${route} with HTTP ${res.status}: adminAuth is on, set an admin token (POST /auth/token)`, { status: res.status });
    }
    return { status: res.status, json };
  }

  async getFlows(): Promise<{ rev: string; flows: FlowNode[] }> {
    const { status, json } = await this.request('GET', '/flows');
    if (status !== 200 || !Array.isArray(json?.flows)) throw new PipelineError('node-red-refused', `GET /flows answered HTTP ${status}`, { status });
    return { rev: String(json.rev ?? ''), flows: json.flows as FlowNode[] };
  }

  /** Deploys all flows against `rev`; undefined when Node-RED reports that the flows changed meanwhile (409). */
  async setFlows(rev: string, flows: FlowNode[]): Promise<string | undefined> {
    const { status, json } = await this.request('POST', '/flows', { rev, flows }, { 'Node-RED-Deployment-Type': 'full' });
    if (status === 409) return undefined;
    if (status !== 200 && status !== 204) {
      throw new PipelineError('node-red-refused', `Node-RED refused the flows with HTTP ${status}${json?.message ? `: ${json.message}` : ''}`, { status });
    }
    return String(json?.rev ?? '');
  }

  /** Node types the instance has installed. */
  async nodeTypes(): Promise<Set<string>> {
    const { status, json } = await this.request('GET', '/nodes', undefined, { Accept: 'application/json' });
    if (status !== 200 || !Array.isArray(json)) throw new PipelineError('node-red-refused', `GET /nodes answered HTTP ${status}`, { status });
    return new Set((json as { types?: string[]; enabled?: boolean }[]).filter((s) => s.enabled !== false).flatMap((s) => s.types ?? []));
  }

  /** The editor comms websocket: node statuses and error logs, which the Admin API does not show. */
  events(): Promise<CommsListener> { return openComms(this.target); }

  /** "start" once the flows run; "stop" when they could not start (e.g. missing node types). */
  async flowsState(): Promise<string> {
    const { status, json } = await this.request('GET', '/flows/state');
    return status === 200 ? String(json?.state ?? '') : '';
  }
}
