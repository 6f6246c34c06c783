// Writes examples/predictive-maintenance.json: replayed APS-shaped sensor readings of two trucks at three rates →
// mlops-align → mlops-infer (aps-demo, also served on the V2 inference API) → mlops-classify → mlops-condition →
// mlops-c8y-out. The replay rows come from the generator's test split, chosen with the shipped model so that one
// truck is clearly failing at first and healthy later. Run: node dist/tools/make-pm-example.js
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { APS_FEATURES, APS_SPECS, generateAps } from '../lib/aps';

const root = path.resolve(__dirname, '..', '..');
const id = (n: number) => `b7c4a1d2e3f4${n.toString(16).padStart(4, '0')}`;
const TAB = id(1);
/** Readings per group: counters fast, histograms medium, the rest slow (ms). */
const GROUPS = { counters: 500, histograms: 1000, rest: 2000 } as const;

function groupOf(feature: string): keyof typeof GROUPS {
  const spec = APS_SPECS.find((s) => (s.kind === 'counter' ? s.name === feature : s.names.includes(feature)))!;
  if (spec.kind === 'histogram') return 'histograms';
  return APS_FEATURES.indexOf(feature) % 2 === 0 ? 'counters' : 'rest';
}

async function replayRows(): Promise<{ normal: number[][]; failing: number[][] }> {
  const test = generateAps('test', 14, 3000);
  const session = await ort.InferenceSession.create(path.join(root, 'models', 'aps-demo.onnx'));
  const { logits } = await session.run({ features: new ort.Tensor('float32', test.features, [test.rows, 171]) });
  const values = logits!.data as Float32Array;
  const normal: number[][] = [];
  const failing: number[][] = [];
  for (let r = 0; r < test.rows && (normal.length < 4 || failing.length < 2); r++) {
    const failure = 1 / (1 + Math.exp(values[2 * r]! - values[2 * r + 1]!));
    const row = Array.from(test.features.subarray(r * 171, (r + 1) * 171));
    if (test.labels[r] === 0 && failure < 0.002 && normal.length < 4) normal.push(row);
    if (test.labels[r] === 1 && failure > 0.98 && failing.length < 2) failing.push(row);
  }
  await session.release();
  return { normal, failing };
}

function replayFunction(rows: Record<string, (number | null)[][]>): string {
  const groups: Record<string, number[]> = {};
  APS_FEATURES.forEach((f, i) => (groups[groupOf(f)] ??= []).push(i));
  // Missing values (null) are not sent: the aligner holds the last value until it is stale, then the model imputes.
  return [
    '// Replays recorded truck counters; each inject node sends one group at its own rate.',
    `const FEATURES = ${JSON.stringify(APS_FEATURES)};`,
    `const GROUPS = ${JSON.stringify(groups)};`,
    `const TRUCKS = ${JSON.stringify(rows)};`,
    'const STEP_MS = 12000; // each recorded row is replayed for 12 s, then the next one',
    "const started = context.get('started') ?? Date.now();",
    "context.set('started', started);",
    'const step = Math.floor((Date.now() - started) / STEP_MS);',
    'const out = [];',
    'for (const [truck, truckRows] of Object.entries(TRUCKS)) {',
    '  const row = truckRows[Math.min(step, truckRows.length - 1)];',
    '  for (const i of GROUPS[msg.group] || []) {',
    '    if (row[i] !== null) out.push({ topic: `truck/${truck}/${FEATURES[i]}`, payload: row[i] });',
    '  }',
    '}',
    'return [out];',
  ].join('\n');
}

/** A function node's own pre-processing: named features in the model's order into msg.tensor; absent = missing (NaN). */
function tensorFunction(): string {
  return [
    `const FEATURES = ${JSON.stringify(APS_FEATURES)};`,
    'const given = msg.payload && typeof msg.payload.features === "object" ? msg.payload.features : null;',
    'if (!given) { throw new Error(\'send {"features": {"aa_000": 12, …}}: feature name → number; absent features count as missing\'); }',
    'const unknown = Object.keys(given).filter((k) => !FEATURES.includes(k));',
    'if (unknown.length) { throw new Error(`unknown features ${unknown.slice(0, 5).join(", ")}; the model reads ${FEATURES.length} features named like aa_000`); }',
    'const values = new Float32Array(FEATURES.length);',
    'FEATURES.forEach((name, i) => { const v = given[name]; values[i] = typeof v === "number" && Number.isFinite(v) ? v : NaN; });',
    'msg.tensor = { data: Buffer.from(values.buffer), type: "float32", dims: [1, FEATURES.length] };',
    'return msg;',
  ].join('\n');
}

async function main(): Promise<void> {
  const { normal, failing } = await replayRows();
  if (normal.length < 4 || failing.length < 2) throw new Error('not enough clear replay rows in the first 3000 test rows');
  const toJson = (row: number[]) => row.map((v) => (Number.isNaN(v) ? null : v));
  // truck-12 starts failing and is repaired after two rows; truck-07 stays healthy.
  const rows = { 'truck-07': [normal[0]!, normal[1]!, normal[2]!].map(toJson), 'truck-12': [failing[0]!, failing[1]!, normal[3]!].map(toJson) };
  const signals = APS_FEATURES.map((name) => ({ name, match: `truck/+/${name}`, fill: 'hold', maxAgeMs: 6000, aggregate: 'last', defaultValue: 'NaN' }));
  const injects = Object.entries(GROUPS).map(([group, ms], i) => ({
    id: id(3 + i), type: 'inject', z: TAB, name: `${group} every ${ms / 1000} s`, props: [{ p: 'group', v: group, vt: 'str' }],
    repeat: String(ms / 1000), crontab: '', once: true, onceDelay: 0.5, topic: '', x: 150, y: 120 + 60 * i, wires: [[id(6)]],
  }));
  const flow = [
    { id: TAB, type: 'tab', label: 'Predictive maintenance', disabled: false,
      info: 'APS-shaped truck counters replayed at three rates, time-aligned per truck, classified by the bundled aps-demo MLP, judged and published to thin-edge. The model is also served on the KServe V2 inference API as aps-demo.' },
    { id: id(2), type: 'comment', z: TAB, name: 'Predictive maintenance: sensors at different rates → align → infer → classify → condition → thin-edge / Cumulocity', info: '', x: 440, y: 40, wires: [] },
    ...injects,
    { id: id(6), type: 'function', z: TAB, name: 'replay truck sensors', func: replayFunction(rows), outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 380, y: 180, wires: [[id(7)]] },
    { id: id(7), type: 'mlops-align', z: TAB, name: '171 APS signals', signals, matchProperty: 'topic', valueProperty: 'payload', emitMode: 'interval',
      intervalMs: 2000, trigger: '', incomplete: 'default', assetFrom: 'topic', assetProperty: 'assetId', assetSegment: 1, assetId: '', maxAssets: 100,
      sequenceLength: 1, unknownSignals: 'error', inputName: '', outputs: 1, x: 590, y: 180, wires: [[id(8)]] },
    { id: id(8), type: 'mlops-infer', z: TAB, name: '', model: id(20), queueSize: 16, queuePolicy: 'drop-oldest', x: 790, y: 240, wires: [[id(9)]] },
    { id: id(9), type: 'mlops-classify', z: TAB, name: '', model: id(20), output: '', scores: 'auto', labels: '', threshold: '', x: 560, y: 300, wires: [[id(10)]] },
    { id: id(10), type: 'mlops-condition', z: TAB, name: 'failure risk', assetId: '', assetClasses: 'truck', minAssetRatio: 0.005, minSharpness: 0, minBrightness: 0, maxBrightness: 255,
      rules: [
        { numerator: 'failure', denominator: 'image', operator: '>', threshold: 0.8, state: 'CRITICAL' },
        { numerator: 'failure', denominator: 'image', operator: '>', threshold: 0.3, state: 'WARNING' },
      ],
      debounce: 2, severityCRITICAL: 'CRITICAL', severityWARNING: 'MINOR', severityRETAKE: 'WARNING', severityOK: '', x: 740, y: 300, wires: [[id(11), id(12)]] },
    { id: id(11), type: 'change', z: TAB, name: 'drop raw features', rules: [{ t: 'delete', p: 'payload', pt: 'msg' }], x: 950, y: 220, wires: [[id(13)]] },
    { id: id(12), type: 'debug', z: TAB, name: 'condition', active: true, tosidebar: true, console: false, tostatus: false, complete: 'condition', targetType: 'msg', statusVal: '', statusType: 'auto', x: 940, y: 390, wires: [] },
    { id: id(13), type: 'mlops-c8y-out', z: TAB, name: 'to thin-edge', connection: id(21), assetId: '', measurementType: 'mlops_Prediction', eventType: 'mlops_Prediction',
      alarmType: 'mlops_AssetCondition', sendMeasurements: true, sendEvent: false, sendAlarm: true, sendTwin: true, sendOriginal: false, sendOverlay: false,
      modelName: '', modelVersion: '', x: 990, y: 330, wires: [[]] },
    { id: id(16), type: 'comment', z: TAB, name: 'Custom pre-processing over HTTP: POST /pm/predict {"features": {"aa_000": 12, …}} (absent = missing)', info: '', x: 410, y: 440, wires: [] },
    { id: id(17), type: 'http in', z: TAB, name: '', url: '/pm/predict', method: 'post', upload: false, swaggerDoc: '', x: 110, y: 500, wires: [[id(18)]] },
    { id: id(18), type: 'function', z: TAB, name: 'features → tensor', func: tensorFunction(), outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 300, y: 500, wires: [[id(19)]] },
    { id: id(19), type: 'mlops-infer', z: TAB, name: '', model: id(20), queueSize: 16, queuePolicy: 'queue', batchSize: 8, batchDelayMs: 2, x: 470, y: 500, wires: [[id(22)]] },
    { id: id(22), type: 'mlops-classify', z: TAB, name: '', model: id(20), output: '', scores: 'auto', labels: '', threshold: '', x: 620, y: 550, wires: [[id(23)]] },
    { id: id(23), type: 'change', z: TAB, name: 'prediction as the answer', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'prediction', tot: 'msg' }], x: 800, y: 500, wires: [[id(24)]] },
    { id: id(24), type: 'http response', z: TAB, name: '', statusCode: '', headers: {}, x: 990, y: 500, wires: [] },
    { id: id(14), type: 'catch', z: TAB, name: 'pipeline errors', scope: null, uncaught: false, x: 140, y: 620, wires: [[id(15), id(25)]] },
    { id: id(25), type: 'switch', z: TAB, name: 'came by HTTP?', property: 'res', propertyType: 'msg', rules: [{ t: 'nnull' }], checkall: 'true', repair: false, outputs: 1, x: 340, y: 620, wires: [[id(26)]] },
    { id: id(26), type: 'function', z: TAB, name: 'error JSON (400)', func: 'msg.statusCode = 400;\nmsg.payload = { error: msg.error.message };\nreturn msg;', outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 540, y: 620, wires: [[id(24)]] },
    { id: id(15), type: 'debug', z: TAB, name: 'errors', active: true, tosidebar: true, console: true, tostatus: false, complete: 'error', targetType: 'msg', statusVal: '', statusType: 'auto', x: 340, y: 680, wires: [] },
    { id: id(20), type: 'mlops-model', name: 'APS demo model', path: 'bundled:aps-demo.onnx', intraOpThreads: 1, optimization: 'all', executionMode: 'sequential', workers: 1, warmup: true,
      serve: true, servedName: 'aps-demo', serveQueueSize: 64, serveBatchSize: 16, serveBatchDelayMs: 2 },
    { id: id(21), type: 'mlops-c8y', name: 'thin-edge (predictive maintenance)', transport: 'thin-edge', mqttHost: '', mqttPort: '', mqttTls: false, mqttVerify: true,
      proxyUrl: 'http://127.0.0.1:8001/c8y', serviceName: 'node-red-pm', tenantUrl: '', externalIdPrefix: '', queueLimitMb: 20, queuePolicy: 'drop-oldest',
      queueSync: true, timeoutS: 30, reconnectS: 5, retryMinS: 0.5, retryMaxS: 30 },
  ];
  const file = path.join(root, 'examples', 'predictive-maintenance.json');
  fs.writeFileSync(file, `${JSON.stringify(flow, null, 1)}\n`);
  console.log(`wrote ${file} (${flow.length} nodes, ${fs.statSync(file).size} bytes)`);
}

main().catch((err) => { console.error(err); process.exit(1); });
