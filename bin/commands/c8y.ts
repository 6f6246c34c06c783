// `edge-mlops c8y publish model|flow` and `edge-mlops c8y deploy`: Cumulocity's software repository and software
// updates for models and flows. Connection from env or a go-c8y-cli session file; one JSON line on stdout.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isPipelineError } from '../../lib/errors';
import { MODULE_NAME, firstEnv, parseFlowText, tabsOf } from '../../lib/flows/flow-json';
import { tenantServices, type TenantServices } from '../../lib/software-repository/client';
import { tenantConnection } from '../../lib/software-repository/connection';
import { groupDevices, resolveDevice, rollout, type Device } from '../../lib/software-repository/deploy';
import { publishSoftware } from '../../lib/software-repository/publish';
import { positiveInteger, positiveNumber } from '../../lib/settings';

export const C8Y_USAGE = `usage:
  edge-mlops c8y publish model <file> --name <name> --version <version> [--description <text>] [--replace]
  edge-mlops c8y publish flow <file> --name <name> --version <version> [--type nodered-flows|mlops-flows] [--replace]
  edge-mlops c8y deploy --device <id|external id> --software <name> --version <version> [--type <softwareType>]
  edge-mlops c8y deploy --group <id|name> [--canary <k>] [--wave <n>] --software <name> --version <version>

  publish: finds or creates the software item (softwareType onnx-model, nodered-flows or mlops-flows), uploads the
    file as a binary, adds the version under the item and links the binary under the version. An existing version
    is refused unless --replace. --device-type <type> limits the software to devices of that type.
  deploy: creates a c8y_SoftwareUpdate operation (action install) per device and waits for each outcome, with a
    progress line per status change on stderr. --group deploys to --canary devices first, waits for their success,
    then to the rest in waves of --wave (default: all at once), and stops at the first wave with a failure.
    --device is repeatable; --id-type (default c8y_Serial) is the external id type; --wait <s> (default 600) is how
    long to wait for a device; --poll <s> (default 2) how often to look.

  Connection (never from arguments): C8Y_BASEURL or C8Y_HOST, C8Y_TENANT, C8Y_USER, C8Y_PASSWORD or C8Y_TOKEN, or
  C8Y_SESSION / --session <file> (a go-c8y-cli session file). --timeout <s> per request (default 60).
  stdout: one JSON line with the result; exit 0 on success, 1 on failure, 2 on wrong usage.`;

class UsageError extends Error {}

const OPTIONS = {
  name: { type: 'string' }, version: { type: 'string' }, description: { type: 'string' }, type: { type: 'string' },
  'device-type': { type: 'string' }, replace: { type: 'boolean' }, session: { type: 'string' }, timeout: { type: 'string' },
  device: { type: 'string', multiple: true }, group: { type: 'string' }, canary: { type: 'string' }, wave: { type: 'string' },
  software: { type: 'string' }, 'id-type': { type: 'string' }, wait: { type: 'string' }, poll: { type: 'string' },
} as const;

/** A flag read with the settings toolkit; what it refuses is a usage mistake (exit code 2). */
function flag<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const seconds = (text: string | undefined, name: string, fallback: number) => flag(() => positiveNumber(text, `--${name}`, fallback)) * 1000;
const count = (text: string | undefined, name: string) => flag(() => positiveInteger(text, `--${name}`, undefined));

function connect(values: { session?: string; timeout?: string }): TenantServices {
  return tenantServices(tenantConnection(process.env, {
    sessionFile: values.session, timeoutMs: seconds(values.timeout, 'timeout', 60), readFile: (file) => fs.readFileSync(file, 'utf8'),
  }));
}

const FLOW_TYPES = ['nodered-flows', 'mlops-flows'];

/** The option values parseArgs gives for OPTIONS. */
interface C8yValues {
  name?: string; version?: string; description?: string; type?: string; 'device-type'?: string; replace?: boolean;
  session?: string; timeout?: string; device?: string[]; group?: string; canary?: string; wave?: string;
  software?: string; 'id-type'?: string; wait?: string; poll?: string;
}

async function publish(kind: string | undefined, positionals: string[], values: C8yValues): Promise<number> {
  if (kind !== 'model' && kind !== 'flow') throw new UsageError('publish what: "model" or "flow"');
  if (positionals.length !== 1) throw new UsageError(`give one ${kind} file`);
  if (!values.name || !values.version) throw new UsageError('--name and --version are required');
  const file = positionals[0]!;
  const data = fs.readFileSync(file);
  let softwareType = 'onnx-model';
  let contentType = 'application/octet-stream';
  if (kind === 'flow') {
    softwareType = values.type ?? 'nodered-flows';
    if (!FLOW_TYPES.includes(softwareType)) throw new UsageError(`--type for flows is one of ${FLOW_TYPES.join(', ')}`);
    const tabs = tabsOf(parseFlowText(data.toString('utf8'), file));
    if (tabs.length === 0) throw new UsageError(`${file} holds no flow tab; thin-edge installs tabs only`);
    if (tabs.some((t) => firstEnv(t, MODULE_NAME) !== undefined)) throw new UsageError(`${file} still carries ${MODULE_NAME} env entries, so devices would list the old version: run edge-mlops flow pack first`);
    contentType = 'application/json';
  } else if (values.type && values.type !== 'onnx-model') throw new UsageError('models are published as softwareType onnx-model');
  const c8y = connect(values);
  const result = await publishSoftware(c8y, {
    softwareType, name: values.name, version: values.version, description: values.description, deviceType: values['device-type'],
    fileName: path.basename(file), contentType, data, replace: values.replace === true,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

async function deploy(values: C8yValues): Promise<number> {
  if (!values.software || !values.version) throw new UsageError('--software and --version are required');
  const devicesGiven = values.device ?? [];
  if ((devicesGiven.length > 0) === Boolean(values.group)) throw new UsageError('give --device (repeatable) or --group, not both');
  const canary = count(values.canary, 'canary');
  if (canary !== undefined && !values.group) throw new UsageError('--canary needs --group');
  const c8y = connect(values);
  const devices: Device[] = values.group ? await groupDevices(c8y, values.group) : [];
  for (const reference of devicesGiven) devices.push(await resolveDevice(c8y, reference, values['id-type'] ?? 'c8y_Serial'));
  const report = await rollout(c8y, devices, {
    name: values.software, version: values.version, softwareType: values.type, canary, waveSize: count(values.wave, 'wave'),
    pollMs: seconds(values.poll, 'poll', 2), waitMs: seconds(values.wait, 'wait', 600),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  const summary = (o: { device: Device; operationId?: string; status: string; reason?: string }) => ({ device: o.device.id, name: o.device.name, operationId: o.operationId, status: o.status, ...(o.reason ? { reason: o.reason } : {}) });
  process.stdout.write(`${JSON.stringify({
    software: report.name, version: report.version, softwareType: report.softwareType,
    succeeded: report.succeeded.map(summary), failed: report.failed.map(summary), skipped: report.skipped.map((d) => ({ device: d.id, name: d.name })),
  })}\n`);
  if (report.failed.length > 0) {
    process.stderr.write(`edge-mlops c8y deploy: failed on ${report.failed.map((o) => `${o.device.name} (${o.reason})`).join(', ')}${report.skipped.length ? `; not attempted: ${report.skipped.map((d) => d.name).join(', ')}` : ''}\n`);
    return 1;
  }
  return 0;
}

export async function c8yCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || rest.includes('--help')) {
    process.stdout.write(`${C8Y_USAGE}\n`);
    return sub ? 0 : 2;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: OPTIONS });
    if (sub === 'publish') return await publish(positionals[0], positionals.slice(1), values);
    if (sub === 'deploy') {
      if (positionals.length) throw new UsageError(`deploy takes no positional arguments (got ${positionals.join(' ')})`);
      return await deploy(values);
    }
    throw new UsageError(`unknown c8y command "${sub}"`);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`edge-mlops c8y: ${(err as Error).message}\n\n${C8Y_USAGE}\n`);
      return 2;
    }
    process.stderr.write(`edge-mlops c8y ${sub}: ${isPipelineError(err) || err instanceof Error ? (err as Error).message : String(err)}\n`);
    return 1;
  }
}
