// The VQI pipeline as a test flow: image → tensor → infer → segment → condition → collect → helper "out",
// with a Catch node → helper "caught", on a tab carrying thin-edge's MODULE_NAME/MODULE_VERSION env.
import fs from 'node:fs';
import path from 'node:path';
import { catchNode, nodeModule, repoRoot } from './flow';

export const VQI_PICTURES = ['tower-rusty.jpg', 'tower-healthy.jpg', 'tower-rust-spots.jpg'].map((f) => fs.readFileSync(path.join(repoRoot, 'samples', f)));
export const vqiNodes = () => [...['mlops-image', 'mlops-tensor', 'mlops-model', 'mlops-infer', 'mlops-segment', 'mlops-condition', 'mlops-collect', 'mlops-c8y'].map(nodeModule), catchNode];

export function vqiPipeline(collect: Record<string, unknown>, extra: object[] = [], modelPath = 'bundled:vqi-demo.onnx'): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'vqi', env: [{ name: 'MODULE_NAME', value: 'vqi-flow', type: 'str' }, { name: 'MODULE_VERSION', value: '1.2.0', type: 'str' }] },
    { id: 'model', type: 'mlops-model', path: modelPath, workers: 1, warmup: false },
    { id: 'image', type: 'mlops-image', z: 'tab', x: 1, y: 1, wires: [['tensor']] },
    { id: 'tensor', type: 'mlops-tensor', z: 'tab', x: 1, y: 1, model: 'model', resizeMode: 'fill', layout: 'auto', wires: [['infer']] },
    { id: 'infer', type: 'mlops-infer', z: 'tab', x: 1, y: 1, model: 'model', queueSize: 8, queuePolicy: 'queue', wires: [['segment']] },
    { id: 'segment', type: 'mlops-segment', z: 'tab', x: 1, y: 1, model: 'model', minArea: 20, maxComponents: 50, overlay: false, wires: [['condition']] },
    { id: 'condition', type: 'mlops-condition', z: 'tab', x: 1, y: 1, assetClasses: 'tower, cable', minAssetRatio: 0.005, minSharpness: 0, minBrightness: 0, maxBrightness: 255, wires: [['collect']] },
    { id: 'collect', type: 'mlops-collect', z: 'tab', x: 1, y: 1, wires: [['out']], ...collect },
    { id: 'out', type: 'helper', z: 'tab', x: 1, y: 1 },
    { id: 'catch', type: 'catch', z: 'tab', x: 1, y: 1, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab', x: 1, y: 1 },
    ...extra,
  ];
}
