// Loaded with `node --require` (through NODE_OPTIONS, so child processes get it too) when the suite runs against
// another Node-RED than the one in devDependencies: every `node-red`, `node-red/…` and `@node-red/…` request
// resolves from EDGE_MLOPS_NODE_RED_DIR (a directory whose node_modules holds that Node-RED).
import Module from 'node:module';

const nodeRedDir = process.env.EDGE_MLOPS_NODE_RED_DIR;
type Resolve = (request: string, parent: unknown, isMain: boolean, options?: { paths?: string[] }) => string;

if (nodeRedDir) {
  const loader = Module as unknown as { _resolveFilename: Resolve };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = function (request, parent, isMain, options) {
    const ofNodeRed = request === 'node-red' || request.startsWith('node-red/') || request.startsWith('@node-red/');
    // A caller that names its own search paths (edge-mlops start looking for the user's Node-RED) keeps them.
    return resolve.call(this, request, parent, isMain, ofNodeRed && !options?.paths ? { paths: [nodeRedDir] } : options);
  };
}
