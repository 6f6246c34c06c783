// `edge-mlops flow pack <flows.json> --name N --version V [--output F]`: a flow file for thin-edge's software
// management (types nodered-flows and mlops-flows), checked for what would break on a device.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { isPipelineError } from '../../lib/errors';
import { parseFlowText } from '../../lib/flows/flow-json';
import { formatModel, packFlows, storeReference, type ModelReference } from '../../lib/flows/pack';
import { ModelStore, STORE_ENV, storeRoot } from '../../lib/model-store';
import { packageManifest } from '../../lib/package-root';

export const FLOW_USAGE = `usage: edge-mlops flow pack <flows.json> --name <name> --version <version> [options]

  Writes a flow file that thin-edge's nodered-flows plugin (and this package's mlops-flows plugin) installs as it is:
  credentials and earlier MODULE_NAME/MODULE_VERSION env entries removed, loopback broker and proxy settings moved
  onto \${TEDGE_MQTT_HOST}, \${TEDGE_MQTT_PORT} and \${TEDGE_C8Y_PROXY_URL}. Refuses (exit 1, with a list) flows
  that would break on a device.

  --output <file>        write here instead of stdout
  --allow-type <type>    a node type the devices have installed besides Node-RED's and this package's (repeatable)
  --model <name[@ver]>   a model the flow needs, installed on the devices as onnx-model software (repeatable)
  --model-store <dir>    where to look for store: models (default: $${STORE_ENV}, else the model store of this machine)`;

class UsageError extends Error {}

/** Node types this package provides, from its package.json. */
export function packageNodeTypes(): string[] {
  return Object.keys(packageManifest()['node-red']?.nodes ?? {});
}

function modelArgument(text: string): ModelReference {
  const ref = storeReference(`store:${text.replace(/^store:/, '')}`);
  if (!ref) throw new UsageError(`--model takes <name> or <name>@<version>, got "${text}"`);
  return ref;
}

/** Whether the local model store holds a model; a store that does not exist holds nothing. */
function storeLookup(dir: string | undefined): (model: ModelReference) => boolean {
  const store = new ModelStore(dir ?? storeRoot());
  return (model) => {
    try {
      store.resolve(model.name, model.version);
      return true;
    } catch {
      return false;
    }
  };
}

async function pack(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' }, version: { type: 'string' }, output: { type: 'string' },
      'allow-type': { type: 'string', multiple: true }, model: { type: 'string', multiple: true }, 'model-store': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('give one flow file (an export from the Node-RED editor)');
  if (!values.name || !values.version) throw new UsageError('--name and --version are required: the module name and version thin-edge will list');
  const input = positionals[0]!;
  const result = packFlows(parseFlowText(fs.readFileSync(input, 'utf8'), input), {
    name: values.name,
    version: values.version,
    packageTypes: packageNodeTypes(),
    allowTypes: values['allow-type'] ?? [],
    declaredModels: (values.model ?? []).map(modelArgument),
    storeHas: storeLookup(values['model-store']),
  });
  for (const change of result.changes) process.stderr.write(`changed: ${change}\n`);
  if (result.problems.length > 0) {
    process.stderr.write(`edge-mlops flow pack: ${input} cannot be packed, ${result.problems.length} problem(s):\n`);
    for (const p of result.problems) process.stderr.write(`  - [${p.code}] ${p.message}\n`);
    return 1;
  }
  const text = `${JSON.stringify(result.flows, null, 4)}\n`;
  if (values.output) {
    const temporary = `${values.output}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, values.output);
    process.stderr.write(`wrote ${values.output}: ${values.name} ${values.version}, ${result.flows.length} nodes${result.models.length ? `, needs models ${result.models.map(formatModel).join(', ')}` : ''}\n`);
  } else process.stdout.write(text);
  return 0;
}

export async function flowCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || rest.includes('--help')) {
    process.stdout.write(`${FLOW_USAGE}\n`);
    return sub ? 0 : 2;
  }
  try {
    if (sub !== 'pack') throw new UsageError(`unknown flow command "${sub}"`);
    return await pack(rest);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`edge-mlops flow: ${(err as Error).message}\n\n${FLOW_USAGE}\n`);
      return 2;
    }
    process.stderr.write(`edge-mlops flow pack: ${isPipelineError(err) || err instanceof Error ? (err as Error).message : String(err)}\n`);
    return 1;
  }
}
