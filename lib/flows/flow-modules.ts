// The mlops-flows software type: flows installed as modules, with their versions kept on disk so that a module that
// fails to start, or whose active version is removed, goes back to the version before it.
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors';
import { readJson, replaceFileAtomic } from '../model-store/durable';
import { checkVersion, checkModelName } from '../model-store/names';
import { STRUCTURAL_TYPES, parseFlowText, type FlowNode } from './flow-json';
import { flowModules, removeModule, replaceModule } from './modules';
import type { NodeRedAdmin } from './node-red-admin';

interface ActiveRecord { version: string; history: string[] }

export interface FlowModuleOptions {
  /** Where packed files and active records are kept: <dir>/<module>/<version>.json, active.json. */
  dir: string;
  admin: NodeRedAdmin;
  /** How long to wait for the flows to report "start" after a deployment. */
  startTimeoutMs: number;
  pollMs?: number;
}

export class FlowModules {
  constructor(private readonly options: FlowModuleOptions) {}

  private moduleDir(name: string): string { return path.join(this.options.dir, checkModelName(name)); }
  private activePath(name: string): string { return path.join(this.moduleDir(name), 'active.json'); }
  private active(name: string): ActiveRecord | undefined { return readJson<ActiveRecord>(this.activePath(name)); }
  private versionFile(name: string, version: string): string { return path.join(this.moduleDir(name), `${checkVersion(version)}.json`); }

  /** `name\tversion` per module on the instance (hand-made tabs without MODULE_NAME are not modules). */
  async list(): Promise<string> {
    const { flows } = await this.options.admin.getFlows();
    return flowModules(flows).map((m) => `${m.name}\t${m.version}\n`).join('');
  }

  /** Deploys `next`, waits for the flows to start; on failure deploys `before` again and throws. */
  private async deploy(before: { rev: string; flows: FlowNode[] }, next: (flows: FlowNode[]) => FlowNode[], what: string): Promise<void> {
    const { admin } = this.options;
    let current = before;
    let rev = await admin.setFlows(current.rev, next(current.flows));
    if (rev === undefined) {
      // Someone deployed in between: build on what is there now, once.
      current = await admin.getFlows();
      rev = await admin.setFlows(current.rev, next(current.flows));
      if (rev === undefined) throw new PipelineError('node-red-refused', `${what}: the flows kept changing while deploying (HTTP 409 twice); try again`, {});
    }
    const deadline = Date.now() + this.options.startTimeoutMs;
    let state = await admin.flowsState();
    while (state !== 'start' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 200));
      state = await admin.flowsState();
    }
    if (state === 'start') return;
    const restored = await admin.setFlows(rev, current.flows);
    throw new PipelineError('flow-start-failed', `${what}: the flows did not start within ${this.options.startTimeoutMs / 1000} s (state "${state || 'unknown'}"); ${restored === undefined ? 'restoring the previous flows failed' : 'the previous flows were restored'}`, { state });
  }

  async install(name: string, version: string, file: string | undefined): Promise<string> {
    checkModelName(name);
    checkVersion(version);
    const stored = this.versionFile(name, version);
    let text: string;
    if (file) text = fs.readFileSync(file, 'utf8');
    else if (fs.existsSync(stored)) text = fs.readFileSync(stored, 'utf8');
    else throw new PipelineError('flow-version-not-found', `no file given and version ${version} of ${name} is not stored; install it with its file`, { name, version });
    const packed = parseFlowText(text, `the flow file of ${name} ${version}`);
    const { admin } = this.options;
    const installed = await admin.nodeTypes();
    const missing = [...new Set(packed.map((n) => n.type).filter((t) => !STRUCTURAL_TYPES.includes(t) && !t.startsWith('subflow:') && !installed.has(t)))];
    if (missing.length) throw new PipelineError('flow-start-failed', `${name} ${version} needs node types this Node-RED does not have: ${missing.join(', ')}; install their packages first`, { name, version });
    fs.mkdirSync(this.moduleDir(name), { recursive: true });
    // Kept before deploying: the file thin-edge passed is deleted after the run, and a later rollback needs it.
    if (file) replaceFileAtomic(stored, text);
    await this.deploy(await admin.getFlows(), (flows) => replaceModule(flows, name, version, packed), `${name} ${version}`);
    const record = this.active(name);
    const history = record && record.version !== version ? [record.version, ...record.history.filter((v) => v !== version)] : record?.history ?? [];
    replaceFileAtomic(this.activePath(name), JSON.stringify({ version, history }));
    return `installed ${name} ${version}`;
  }

  /** Removes a version; removing the active one rolls back to the version before it, or removes the module's tabs. */
  async remove(name: string, version?: string): Promise<string> {
    const record = this.active(name);
    const target = version ?? record?.version;
    if (version && record && version !== record.version) {
      fs.rmSync(this.versionFile(name, version), { force: true });
      replaceFileAtomic(this.activePath(name), JSON.stringify({ ...record, history: record.history.filter((v) => v !== version) }));
      return `removed the stored version ${version} of ${name}`;
    }
    const previous = record?.history.find((v) => fs.existsSync(this.versionFile(name, v)));
    if (previous) {
      await this.install(name, previous, undefined);
      if (target) fs.rmSync(this.versionFile(name, target), { force: true });
      const after = this.active(name)!;
      replaceFileAtomic(this.activePath(name), JSON.stringify({ version: after.version, history: after.history.filter((v) => v !== target) }));
      return `removed ${name} ${target}; rolled back to ${previous}`;
    }
    const { admin } = this.options;
    await this.deploy(await admin.getFlows(), (flows) => removeModule(flows, name), `removing ${name}`);
    fs.rmSync(this.moduleDir(name), { recursive: true, force: true });
    return `removed ${name}`;
  }
}
