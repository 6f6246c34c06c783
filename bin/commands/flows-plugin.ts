// edge-mlops flows-plugin <command>: thin-edge's software-management plugin API for Node-RED flows installed as
// modules (software type mlops-flows): only the module's own tabs are replaced, versions are kept for rollback.
// Exit codes: 0 done, 1 usage (update-list: "not supported", so thin-edge installs module by module), 2 failed.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isPipelineError } from '../../lib/errors';
import { FlowModules } from '../../lib/flows/flow-modules';
import { NodeRedAdmin } from '../../lib/flows/node-red-admin';
import { positiveNumber } from '../../lib/settings';

const SOFTWARE_TYPE = 'mlops-flows';
const LINK_MARKER = '# written by: edge-mlops flows-plugin link';
const ENV = { api: 'EDGE_MLOPS_NODE_RED_API', token: 'EDGE_MLOPS_NODE_RED_TOKEN', store: 'EDGE_MLOPS_FLOW_STORE', timeout: 'EDGE_MLOPS_FLOW_START_TIMEOUT', settle: 'EDGE_MLOPS_FLOW_SETTLE_TIMEOUT' } as const;

export const FLOWS_PLUGIN_USAGE = `usage: edge-mlops flows-plugin <command> [args]

thin-edge software-management plugin for Node-RED flows as modules (software type ${SOFTWARE_TYPE}); the files are
what edge-mlops flow pack writes. Settings from env: $${ENV.api} (default http://127.0.0.1:1880), $${ENV.token}
(an adminAuth bearer token, from POST /auth/token), $${ENV.store} (default /var/lib/edge-mlops/flows),
$${ENV.timeout} (s until the flows start, default 30), $${ENV.settle} (s that nodes still loading or connecting
after the start may take, default 10).

  list                                          name<TAB>version per module on the instance
  install NAME --module-version V [--file F]    replace only NAME's tabs with F (without F: a stored V, rollback);
                                                refused when node types are missing; the previous flows are restored when
                                                the flows do not start or a node of the module reports an error (listed)
  remove NAME [--module-version V]              the active version rolls back to the one before it, else the tabs go
  prepare | finalize                            nothing;  update-list: exit 1 (not supported)
  link [--dir D] [--remove]                     write the executable D/${SOFTWARE_TYPE} (default /etc/tedge/sm-plugins) with
                                                the current settings baked in (sudo resets the environment)

exit codes: 0 done, 1 usage, 2 failed (the reason is on stderr)`;

class UsageError extends Error {}

function seconds(name: string, fallback: number): number {
  try {
    return positiveNumber(process.env[name], name, fallback) * 1000;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function modules(): FlowModules {
  const admin = new NodeRedAdmin({ api: process.env[ENV.api] || 'http://127.0.0.1:1880', token: process.env[ENV.token] || undefined, timeoutMs: 30000 });
  return new FlowModules({
    dir: process.env[ENV.store] || '/var/lib/edge-mlops/flows', admin,
    startTimeoutMs: seconds(ENV.timeout, 30), settleTimeoutMs: seconds(ENV.settle, 10),
    notice: (line) => process.stderr.write(`${SOFTWARE_TYPE}: ${line}\n`),
  });
}

function moduleArgs(argv: string[]): { name: string; version?: string; file?: string } {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'module-version': { type: 'string' }, file: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError(`expected one module name, got ${positionals.length}`);
  return { name: positionals[0]!, version: values['module-version'] || undefined, file: values.file || undefined };
}

function link(argv: string[]): string {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string' }, remove: { type: 'boolean' } } });
  const target = path.join(path.resolve(values.dir ?? '/etc/tedge/sm-plugins'), SOFTWARE_TYPE);
  const ours = fs.existsSync(target) && fs.readFileSync(target, 'utf8').includes(LINK_MARKER);
  if (fs.existsSync(target) && !ours) throw new UsageError(`${target} was not written by edge-mlops flows-plugin link; move it away first`);
  if (values.remove) {
    fs.rmSync(target, { force: true });
    return `removed ${target}\n`;
  }
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const settings = Object.values(ENV).filter((name) => process.env[name]).map((name) => `${name}=${quote(process.env[name]!)}`).join(' ');
  fs.writeFileSync(target, `#!/bin/sh\n${LINK_MARKER}\nexec env ${settings} ${quote(process.execPath)} ${quote(path.resolve(__dirname, '..', 'edge-mlops.js'))} flows-plugin "$@"\n`, { mode: 0o755 });
  return `wrote ${target}\n`;
}

export async function flowsPluginCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'list':
        try {
          process.stdout.write(await modules().list());
        } catch (err) {
          // A refused token is a setting to fix, not Node-RED starting up: fail loudly.
          if (isPipelineError(err) && err.code === 'node-red-unauthorized') throw err;
          // Node-RED not (yet) up: an empty list keeps the plugin registered, as thin-edge's own Node-RED plugin does.
          process.stderr.write(`${SOFTWARE_TYPE} list: ${(err as Error).message}\n`);
        }
        return 0;
      case 'prepare': case 'finalize': return 0;
      case 'update-list': return 1;
      case 'install': {
        const { name, version, file } = moduleArgs(rest);
        if (!version) throw new UsageError('install needs --module-version (the version Cumulocity lists)');
        process.stdout.write(`${SOFTWARE_TYPE}: ${await modules().install(name, version, file)}\n`);
        return 0;
      }
      case 'remove': {
        const { name, version } = moduleArgs(rest);
        process.stdout.write(`${SOFTWARE_TYPE}: ${await modules().remove(name, version)}\n`);
        return 0;
      }
      case 'link': process.stdout.write(link(rest)); return 0;
      default:
        process.stdout.write(`${FLOWS_PLUGIN_USAGE}\n`);
        return command === '--help' || command === '-h' ? 0 : 1;
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${SOFTWARE_TYPE} ${command}: ${(err as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`${SOFTWARE_TYPE} ${command}: ${isPipelineError(err) || err instanceof Error ? (err as Error).message : String(err)}\n`);
    return 2;
  }
}
