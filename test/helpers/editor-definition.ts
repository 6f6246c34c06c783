// A node's editor definition as RED.nodes.registerType receives it, from the node's .html, run in a sandbox whose RED
// accepts any call (validators, events, utils) so that a script is read, not judged, here.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

export interface EditorDefinition {
  category: string;
  defaults: Record<string, { value: unknown; type?: string }>;
  credentials?: Record<string, unknown>;
  icon: string;
  inputs?: number;
  outputs?: number;
}

/** Stands for any object and any function: every property read and every call gives another such stand-in. */
function anything(): unknown {
  const target = function () { /* stand-in */ };
  return new Proxy(target, { get: (_t, key) => (key === Symbol.toPrimitive ? () => '' : anything()), apply: () => anything() });
}

/** The definitions that the `text/javascript` scripts of `htmlFile` register, by type. */
export function registeredDefinitions(htmlFile: string): Record<string, EditorDefinition> {
  const html = fs.readFileSync(htmlFile, 'utf8');
  const registered: Record<string, EditorDefinition> = {};
  const RED = new Proxy({}, {
    get: (_t, key) => (key === 'nodes'
      ? new Proxy({}, { get: (_n, fn) => (fn === 'registerType' ? (name: string, def: EditorDefinition) => { registered[name] = def; } : anything()) })
      : anything()),
  });
  for (const match of html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)) {
    vm.runInNewContext(match[1]!, { RED, $: anything(), jQuery: anything(), window: anything(), document: anything() }, { filename: path.basename(htmlFile) });
  }
  return registered;
}

export function registeredDefinition(htmlFile: string, type: string): EditorDefinition {
  const definition = registeredDefinitions(htmlFile)[type];
  if (!definition) throw new Error(`${htmlFile} does not register ${type}`);
  return definition;
}
