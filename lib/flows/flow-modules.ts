// The mlops-flows software type: flows installed as modules, with their versions kept on disk so that a module that
// fails to start, or whose active version is removed, goes back to the version before it.
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors';
import { readJson, replaceFileAtomic } from '../model-store/durable';
import { checkVersion, checkModelName } from '../model-store/names';
import { deployWatched, type DeployTimeouts } from './deploy-watch';
import { STRUCTURAL_TYPES, parseFlowText } from './flow-json';
import { flowModules, removeModule, replaceModule } from './modules';
import type { NodeRedAdmin } from './node-red-admin';

interface ActiveRecord { version: string; history: string[] }

export interface FlowModuleOptions extends DeployTimeouts {
  /** Where packed files and active records are kept: <dir>/<module>/<version>.json, active.json. */
  dir: string;
  admin: NodeRedAdmin;
  /** Lines for the operator that do not fail the command (stderr in the plugin). */
  notice?: (line: string) => void;
}

export class FlowModules {
  constructor(private readonly options: FlowModuleOptions) {}

  private readonly notice = (line: string) => (this.options.notice ?? (() => undefined))(line);

  private moduleDir(name: string): string { return path.join(this.options.dir, checkModelName(name)); }
  private activePath(name: string): string { return path.join(this.moduleDir(name), 'active.json'); }
  private active(name: string): ActiveRecord | undefined { return readJson<ActiveRecord>(this.activePath(name)); }
  private versionFile(name: string, version: string): string { return path.join(this.moduleDir(name), `${checkVersion(version)}.json`); }

  /** `name\tversion` per module on the instance (hand-made tabs without MODULE_NAME are not modules). */
  async list(): Promise<string> {
    const { flows } = await this.options.admin.getFlows();
    return flowModules(flows).map((m) => `${m.name}\t${m.version}\n`).join('');
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
    const { waiting } = await deployWatched(admin, await admin.getFlows(), (flows) => replaceModule(flows, name, version, packed), `${name} ${version}`, packed, this.options, this.notice);
    const record = this.active(name);
    const history = record && record.version !== version ? [record.version, ...record.history.filter((v) => v !== version)] : record?.history ?? [];
    replaceFileAtomic(this.activePath(name), JSON.stringify({ version, history }));
    const still = waiting.length ? ` (still loading or connecting after ${this.options.settleTimeoutMs / 1000} s: ${waiting.map((w) => `${w.id} ${w.type} "${w.message}"`).join(', ')})` : '';
    return `installed ${name} ${version}${still}`;
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
    await deployWatched(admin, await admin.getFlows(), (flows) => removeModule(flows, name), `removing ${name}`, [], this.options, this.notice);
    fs.rmSync(this.moduleDir(name), { recursive: true, force: true });
    return `removed ${name}`;
  }
}
