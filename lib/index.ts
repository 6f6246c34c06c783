// The package's domain modules for use outside Node-RED (scripts, the CLI, other runtimes).
export * from './contract';
export * from './errors';
export * as onnx from './onnx';
export * as image from './image';
export * as tensor from './tensor';
export * as inference from './inference';
export * as segmentation from './segmentation';
export * as publishing from './publishing';
export * as quantize from './quantize';
export * as condition from './condition';
export * as modelStore from './model-store';
export * as align from './align';
export * as classify from './classify';
export * as aps from './aps';
export * as http from './http';
export * as serving from './serving';
