// Node types that ship with Node-RED itself (@node-red/nodes, Node-RED 3 to 5). A flow that uses only these and this
// package's nodes runs on any device with the package installed; test/unit/flows/flow-pack.test.ts compares the list with the
// installed Node-RED so it cannot drift silently.
export const NODE_RED_CORE_TYPES: readonly string[] = [
  'inject', 'debug', 'complete', 'catch', 'status', 'link in', 'link out', 'link call', 'comment', 'unknown',
  'function', 'switch', 'change', 'range', 'template', 'delay', 'trigger', 'exec', 'rbe', 'global-config',
  'tls-config', 'http proxy', 'mqtt in', 'mqtt out', 'mqtt-broker', 'http in', 'http response', 'http request',
  'websocket in', 'websocket out', 'websocket-listener', 'websocket-client', 'tcp in', 'tcp out', 'tcp request',
  'udp in', 'udp out', 'split', 'join', 'sort', 'batch', 'csv', 'html', 'json', 'xml', 'yaml', 'file', 'file in',
  'watch', 'junction',
];
