// The package's public API: its domain modules for use outside Node-RED (scripts, the CLI, other runtimes).
// What is exported here is supported; members marked @internal are test hooks, left out of the type declarations
// (stripInternal). Node adapters (nodes/) and the command (bin/) are not part of it.
export * from './contract';
export * from './element-types';
export * from './errors';
export * from './settings';
export { SharedResource } from './shared-resource';
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
