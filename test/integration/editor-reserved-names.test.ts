// Every node's editor `defaults` (and credential) names against the properties the Node-RED editor keeps on a node
// object for itself. A setting with such a name is overwritten by the editor (mlops-tensor's old `resize` became
// `false` after the first redraw and broke every pipeline on the next Deploy).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { registeredDefinitions, type EditorDefinition } from '../helpers/editor-definition';
import { repoRoot } from '../helpers/flow';

/** Set by the editor on node objects (Node-RED 4 editor-client): position, identity, redraw and selection state. */
const EDITOR_OWNED = [
  'x', 'y', 'z', 'g', 'w', 'h', 'l', 'd', 'id', 'type', 'wires', 'resize', 'dirty', 'dirtyStatus', 'changed', 'valid',
  'validationErrors', 'selected', 'highlighted', 'moved', 'status', 'users', 'info', 'icon', 'inputLabels',
  'outputLabels', 'credentials',
];
/** `inputs`/`outputs` in defaults make the port count a setting; allowed only for the types listed here. */
const PORT_COUNT_SETTINGS: Record<string, string[]> = {
  'mlops-align': ['outputs'], // a second output for incomplete samples, chosen in the dialog
};

function clashingNames(type: string, definition: Pick<EditorDefinition, 'defaults' | 'credentials'>): string[] {
  const names = [...Object.keys(definition.defaults), ...Object.keys(definition.credentials ?? {})];
  return names.filter((name) => EDITOR_OWNED.includes(name) || name.startsWith('_')
    || (['inputs', 'outputs'].includes(name) && !PORT_COUNT_SETTINGS[type]?.includes(name)));
}

const htmlFiles = fs.readdirSync(path.join(repoRoot, 'nodes')).filter((f) => f.endsWith('.html'));
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

describe('editor setting names do not collide with what the editor keeps on a node', () => {
  const definitions = Object.assign({}, ...htmlFiles.map((f) => registeredDefinitions(path.join(repoRoot, 'nodes', f))));

  it('reads a definition for every node type of the package', () => {
    assert.deepEqual(Object.keys(definitions).sort(), Object.keys(pkg['node-red'].nodes).sort());
  });

  for (const type of Object.keys(pkg['node-red'].nodes)) {
    it(`${type}: no default or credential named like an editor property`, () => {
      const definition = definitions[type];
      assert.ok(definition?.defaults, `${type} has no defaults`);
      const clashes = clashingNames(type, definition);
      assert.deepEqual(clashes, [], `${type}: rename ${clashes.join(', ')} (the editor overwrites these); keep reading the old name at runtime`);
    });
  }

  it('catches the old mlops-tensor setting, private names and an unintended port count', () => {
    const defaults = { name: { value: '' }, resize: { value: 'fill' }, _cache: { value: '' }, outputs: { value: 1 } };
    assert.deepEqual(clashingNames('mlops-tensor', { defaults, credentials: { selected: {} } }), ['resize', '_cache', 'outputs', 'selected']);
  });
});
