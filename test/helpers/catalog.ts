// node-red-node-test-helper gives nodes a RED._ that returns the key untranslated. This wraps a node module so its
// RED._ translates through the node's real locale catalog, the way a running Node-RED does, so tests can check texts.
import path from 'node:path';
import { distNodes } from './flow';

 
const { i18n } = require('@node-red/util') as {
  i18n: {
    init(settings: object): void;
    registerMessageCatalog(namespace: string, dir: string, file: string): Promise<void>;
    _(key: string, substitutions?: object): string;
  };
};

type NodeModule = (RED: object) => unknown;

/** The node module with RED._ translating from dist/nodes/locales/<lang>/<type>.json. */
export async function withCatalog(module: unknown, type: string): Promise<NodeModule> {
  i18n.init({ lang: 'en-US' }); // does nothing when the runtime initialised i18n already
  await i18n.registerMessageCatalog(type, path.join(distNodes, 'locales'), `${type}.json`);
  return (RED: object) => {
    const translating = Object.create(RED, {
      _: { value: (key: string, substitutions?: object) => i18n._(`${type}:${key}`, substitutions) },
    });
    return (module as NodeModule)(translating);
  };
}
