// `edge-mlops start`: a real Node-RED runtime with this package and the VQI example flow, an MQTT broker standing in
// for thin-edge's when none listens, and the bundled sample pictures inspected at start through the flow's HTTP endpoint.
// `--once` inspects the samples through the flow's HTTP endpoint, prints one JSON line each and exits.
import { resolvePeer } from '../runtime/resolve-peer';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { currentSituation, ensureBroker, mayEmbedBroker, thinEdgeEvidence, type BrokerHandle } from '../runtime/broker';
import { packageRoot, startEmbeddedNodeRed, type EmbeddedNodeRed } from '../runtime/embedded-node-red';

/** Deployed side by side, each on its own tab: picture inspection and predictive maintenance (served on the V2 API). */
const EXAMPLE_FLOWS = ['vqi-inspection.json', 'predictive-maintenance.json'].map((f) => path.join(packageRoot, 'examples', f));
const SAMPLES_DIR = path.join(packageRoot, 'samples');
const IMAGE_TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

const HELP = `usage: edge-mlops start [options]
  --once              inspect the samples, print one JSON line per picture, exit
  --port <n>          editor and HTTP port (default 1880; --once picks a free one)
  --host <addr>       address to listen on (default 127.0.0.1)
  --user-dir <dir>    Node-RED user directory (default ./.edge-mlops)
  --samples <dir>     pictures to inspect at start (default: the bundled samples)
  --reset-flow        deploy the example flow again even if the user directory has flows
  --settings <file>   a Node-RED settings file (module.exports = {…}) merged over the defaults: adminAuth,
                      httpNodeAuth, https, … (needed before listening beyond 127.0.0.1)
  --embedded-broker   run an embedded MQTT broker (aedes) when none listens, even where thin-edge is configured;
                      without it the embedded broker runs only when no thin-edge is configured (no TEDGE_MQTT_*
                      variable, no /etc/tedge)
environment: VQI_INBOX (default <user-dir>/inbox), TEDGE_MQTT_HOST (127.0.0.1), TEDGE_MQTT_PORT (1883)`;

export interface InspectionLine {
  file: string;
  assetType?: string;
  state?: string;
  reasons?: string[];
  ratios?: Record<string, number>;
  latencyMs?: number;
  error?: string;
}

export function samplePictures(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => IMAGE_TYPES[path.extname(f).toLowerCase()]).sort().map((f) => path.join(dir, f));
}

/** POSTs one picture to the flow's /vqi/inspect endpoint and condenses the answer to one line. */
export async function inspectOverHttp(baseUrl: string, file: string): Promise<InspectionLine> {
  const asset = path.basename(file, path.extname(file));
  const started = performance.now();
  const res = await fetch(`${baseUrl}/vqi/inspect?asset=${encodeURIComponent(asset)}`, {
    method: 'POST',
    headers: { 'content-type': IMAGE_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream' },
    body: fs.readFileSync(file),
  });
  const body = (await res.json()) as Omit<InspectionLine, 'file' | 'latencyMs' | 'error'> & { error?: unknown };
  const name = path.basename(file);
  if (res.status !== 200) return { file: name, error: String(body.error ?? `HTTP ${res.status}`) };
  return {
    file: name, assetType: body.assetType, state: body.state, reasons: body.reasons, ratios: body.ratios,
    latencyMs: Math.round((performance.now() - started) * 10) / 10,
  };
}

function brokerLog(broker: BrokerHandle, situation: ReturnType<typeof currentSituation>): string {
  const where = `${broker.host}:${broker.port}`;
  if (broker.embedded) {
    return situation.embeddedRequested
      ? `MQTT: no broker on ${where}; started the embedded broker there (--embedded-broker)`
      : `MQTT: no broker on ${where} and no thin-edge configured; started the embedded broker there (a demo stand-in for thin-edge's mosquitto)`;
  }
  const evidence = thinEdgeEvidence(situation);
  if (broker.listening) return `MQTT: using the broker on ${where}`;
  return `MQTT: no broker on ${where} yet; thin-edge is configured (${evidence ?? 'unknown'}), so the embedded broker is not started on its port: data waits in the queue until thin-edge's broker is up (--embedded-broker overrides)`;
}

function deployFlow(userDir: string, reset: boolean): void {
  const flowFile = path.join(userDir, 'flows.json');
  if (reset || !fs.existsSync(flowFile)) {
    const nodes = EXAMPLE_FLOWS.flatMap((file) => JSON.parse(fs.readFileSync(file, 'utf8')) as unknown[]);
    fs.writeFileSync(flowFile, JSON.stringify(nodes, null, 1));
  }
}

export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      once: { type: 'boolean', default: false }, port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' },
      'user-dir': { type: 'string' }, samples: { type: 'string', default: SAMPLES_DIR }, 'reset-flow': { type: 'boolean', default: false },
      'embedded-broker': { type: 'boolean', default: false }, settings: { type: 'string' }, help: { type: 'boolean', default: false },
    },
  });
  if (values.help) { console.log(HELP); return 0; }
  // Before anything starts: without Node-RED there is nothing to run, and the user should hear why at once.
  const nodeRed = resolvePeer('node-red');
  if (nodeRed instanceof Error) {
    console.error(nodeRed.message);
    return 1;
  }
  const once = values.once!;
  const userDir = path.resolve(values['user-dir'] ?? (once ? fs.mkdtempSync(path.join(os.tmpdir(), 'edge-mlops-once-')) : '.edge-mlops'));
  fs.mkdirSync(userDir, { recursive: true });
  // Decided before the defaults below fill in TEDGE_MQTT_*: only what the user set counts as thin-edge's.
  const situation = currentSituation(values['embedded-broker']!);
  process.env.VQI_INBOX ||= path.join(userDir, 'inbox');
  process.env.TEDGE_MQTT_HOST ||= '127.0.0.1';
  process.env.TEDGE_MQTT_PORT ||= '1883';
  fs.mkdirSync(process.env.VQI_INBOX, { recursive: true });
  const samples = samplePictures(values.samples!);

  let broker: BrokerHandle | undefined;
  let runtime: EmbeddedNodeRed | undefined;
  try {
    broker = await ensureBroker(process.env.TEDGE_MQTT_HOST, Number(process.env.TEDGE_MQTT_PORT), mayEmbedBroker(situation));
    if (!once) console.log(brokerLog(broker, situation));
    deployFlow(userDir, once || values['reset-flow']!);
    runtime = await startEmbeddedNodeRed({
      userDir, port: values.port !== undefined ? Number(values.port) : once ? 0 : 1880, host: values.host, quiet: once,
      ...(values.settings ? { settings: require(path.resolve(values.settings)) as Record<string, unknown> } : {}),
    });
    if (!once) console.log(`Node-RED editor: ${runtime.url}  (user directory ${userDir})\nInspecting ${samples.length} sample pictures:`);
    // Through the flow's own HTTP endpoint: the same path a camera upload takes, and it answers when done.
    let failures = 0;
    for (const file of samples) {
      const line = await inspectOverHttp(runtime.url, file);
      if (line.error) failures++;
      console.log(JSON.stringify(line));
    }
    if (once) return failures === 0 ? 0 : 1;
    console.log(`Predictive maintenance: two replayed trucks → ${runtime.url}/v2/models/aps-demo (V2 inference API); alarms go to thin-edge.`);
    console.log(`Try it in the editor: ${runtime.url}, tab "VQI inspection", the "try …" buttons inspect the bundled samples (results in the debug sidebar).`);
    console.log(`Drop more pictures into ${process.env.VQI_INBOX} (the file name is the asset id) or POST one to ${runtime.url}/vqi/inspect?asset=<id>; Ctrl-C stops.`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return 0;
  } finally {
    await runtime?.stop();
    await broker?.close();
    if (once && !values['user-dir']) fs.rmSync(userDir, { recursive: true, force: true });
  }
}
