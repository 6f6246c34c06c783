'use strict';
// Compiles TypeScript to CommonJS under dist/ and lays the editor assets out the way
// Node-RED looks them up: <dir of node .js>/<type>.html, ./locales/<lang>/, ./icons/.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const distNodes = path.join(dist, 'nodes');

// Compiled tests whose source is gone (moved or deleted) would still be found by mocha's glob: remove them.
function removeStale(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) removeStale(full);
    else if (entry.name.endsWith('.test.js')) {
      const source = path.join(root, path.relative(dist, full)).replace(/\.js$/, '.ts');
      if (!fs.existsSync(source)) for (const suffix of ['.js', '.js.map', '.d.ts']) fs.rmSync(full.replace(/\.js$/, suffix), { force: true });
    }
  }
}
removeStale(path.join(dist, 'test'));

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });

fs.mkdirSync(distNodes, { recursive: true });
for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
  if (file.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', file), path.join(distNodes, file));
}
for (const dir of ['locales', 'icons']) {
  if (fs.existsSync(path.join(root, dir))) fs.cpSync(path.join(root, dir), path.join(distNodes, dir), { recursive: true });
}
