// The editor side of mlops-image and mlops-tensor: the registration runs, every text it shows has a catalog entry,
// and every setting the runtime reads has an editor default.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { registeredDefinition } from '../helpers/editor-definition';
import { distNodes, repoRoot } from '../helpers/flow';

function catalogHas(catalog: Record<string, unknown>, key: string): boolean {
  let at: unknown = catalog;
  for (const part of key.split('.')) at = (at as Record<string, unknown> | undefined)?.[part];
  return typeof at === 'string';
}

const runtimeSettings: Record<string, string[]> = {
  'mlops-image': ['name', 'baseDir', 'maxMegabytes', 'maxMegapixels', 'timeout', 'decoder', 'alpha', 'background', 'damaged', 'allowUrls', 'urlHosts', 'httpBytesOnly', 'model', 'maxInFlight', 'showPreview'],
  'mlops-tensor': ['name', 'model', 'inputName', 'width', 'height', 'resizeMode', 'padColor', 'colorOrder', 'layout', 'dataType', 'scale', 'mean', 'std', 'resizer'],
};

describe('editor assets of mlops-image and mlops-tensor', () => {
  for (const type of Object.keys(runtimeSettings)) {
    describe(type, () => {
      const html = fs.readFileSync(path.join(distNodes, `${type}.html`), 'utf8');
      const catalog = JSON.parse(fs.readFileSync(path.join(distNodes, 'locales', 'en-US', `${type}.json`), 'utf8'));

      it('registers in the "edge ML" category with an existing icon and a default per runtime setting', () => {
        const definition = registeredDefinition(path.join(distNodes, `${type}.html`), type);
        assert.equal(definition.category, 'edge ML');
        assert.deepEqual([definition.inputs, definition.outputs], [1, 1]);
        assert.ok(fs.existsSync(path.join(distNodes, 'icons', definition.icon)), definition.icon);
        assert.deepEqual(Object.keys(definition.defaults).sort(), [...runtimeSettings[type]!].sort());
        for (const setting of Object.keys(definition.defaults)) assert.match(html, new RegExp(`id="node-input-${setting}"`), setting);
      });

      it('has a catalog entry for every text the form shows, and a help page', () => {
        const keys = [...html.matchAll(/data-i18n="(?:\[placeholder\])?([^"]+)"/g)].map((m) => m[1]!);
        keys.push(...[...html.matchAll(/this\._\('([^']+)'\)/g)].map((m) => m[1]!));
        assert.ok(keys.length > 10);
        for (const key of keys) assert.ok(catalogHas(catalog, key), `${key} missing from locales/en-US/${type}.json`);
        const help = fs.readFileSync(path.join(repoRoot, 'locales', 'en-US', `${type}.html`), 'utf8');
        assert.match(help, new RegExp(`data-help-name="${type}"`));
        for (const section of ['Inputs', 'Outputs', 'Details']) assert.match(help, new RegExp(`<h3>${section}</h3>`));
      });

      it('has a catalog entry for every error code its modules raise', () => {
        const sources = [`nodes/${type}.ts`, 'lib/settings.ts', ...(type === 'mlops-image' ? ['lib/image'] : ['lib/tensor', 'lib/image/libraries.ts'])];
        const files = sources.flatMap((source) => {
          const full = path.join(repoRoot, source);
          return fs.statSync(full).isDirectory() ? fs.readdirSync(full).map((f) => path.join(full, f)) : [full];
        });
        const codes = new Set(files.flatMap((file) => [...fs.readFileSync(file, 'utf8').matchAll(/PipelineError\(\s*'([a-z-]+)'/g)].map((m) => m[1]!)));
        codes.add('bad-setting'); // raised through badSetting()
        if (type === 'mlops-image') for (const code of ['too-large', 'corrupt']) assert.ok(codes.has(code), `scan found ${code}`);
        for (const code of codes) assert.ok(catalogHas(catalog, `${type}.errors.${code}`), `${type}.errors.${code}`);
      });
    });
  }
});
