// Finds Node-RED (and aedes) for `edge-mlops start` where a user has them: next to this package (a development
// checkout, or installed side by side), in the folder EDGE_MLOPS_NODE_RED names, in Node-RED's own install (the
// global npm folder, /usr/lib/node_modules, /usr/local/lib/node_modules, /opt/node-red), or in the user's
// ~/.node-red. Both are optional peer dependencies: the package's nodes run inside the user's Node-RED without them.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

function globalRoot(): string | undefined {
  try {
    return execFileSync('npm', ['root', '-g'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The folders searched, in order; each is a folder holding node_modules or a node_modules folder itself. */
export function searchPaths(env: NodeJS.ProcessEnv = process.env, from: string = __dirname): string[] {
  const home = os.homedir();
  const listed = [
    from,
    ...(env.EDGE_MLOPS_NODE_RED ? [env.EDGE_MLOPS_NODE_RED, path.dirname(env.EDGE_MLOPS_NODE_RED)] : []),
    globalRoot(), '/usr/lib/node_modules', '/usr/local/lib/node_modules', '/opt/node-red',
    path.join(home, '.node-red'),
  ];
  return [...new Set(listed.filter((p): p is string => typeof p === 'string' && p !== ''))];
}

/** The module's entry file, or an Error saying what is missing, where it was looked for and what to do. */
export function resolvePeer(name: 'node-red' | 'aedes', paths: string[] = searchPaths()): string | Error {
  for (const dir of paths) {
    try {
      return require.resolve(name, { paths: [dir] });
    } catch { /* not here */ }
  }
  const install = name === 'node-red'
    ? 'install Node-RED (npm install -g --unsafe-perm node-red, or npm install node-red next to this package), or set EDGE_MLOPS_NODE_RED to the folder of your Node-RED'
    : 'start thin-edge\'s mosquitto (or any MQTT broker on TEDGE_MQTT_HOST:TEDGE_MQTT_PORT), or npm install aedes next to this package';
  return new Error(`edge-mlops start needs the npm package ${name}, which was not found in ${paths.join(', ')}: ${install}`);
}

/** Loads the peer, or throws the Error from resolvePeer. */
export function requirePeer<T>(name: 'node-red' | 'aedes', paths?: string[]): T {
  const found = resolvePeer(name, paths);
  if (found instanceof Error) throw found;
  return require(found) as T;
}
