import assert from 'node:assert/strict';
import { editorDefinitions } from '../../../tools/scorecard';

describe('offline scorecard: editor definitions', () => {
  it('reads a literal registerType definition', () => {
    const html = `<script type="text/javascript">
      RED.nodes.registerType('mlops-x', { category: 'edge ML', color: '#a6bbcf', defaults: { name: { value: '' } },
        inputs: 1, outputs: 1, icon: 'x.svg', label: function () { return this.name || 'x'; } });
    </script><script type="text/html" data-template-name="mlops-x"></script>`;
    const [def] = editorDefinitions(html);
    assert.equal(def?.type, 'mlops-x');
    assert.equal(def?.category, 'edge ML');
    assert.deepEqual(
      Object.fromEntries(Object.entries(def!.literal).filter(([k]) => ['category', 'color', 'defaults', 'inputs', 'outputs', 'icon'].includes(k))),
      { category: true, color: true, defaults: true, inputs: true, outputs: true, icon: true },
    );
  });

  it('flags definitions built from variables', () => {
    const html = `<script type="text/javascript">
      const defaults = { name: { value: '' } }; const cat = 'edge ML';
      RED.nodes.registerType("mlops-y", { category: cat, defaults: defaults, inputs: 1, outputs: 1, icon: "y.svg" });
    </script>`;
    const [def] = editorDefinitions(html);
    assert.equal(def?.literal.category, false);
    assert.equal(def?.literal.defaults, false);
    assert.equal(def?.literal.inputs, true);
  });
});
