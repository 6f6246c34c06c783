'use strict';
// Compiles TypeScript to CommonJS under dist/ and lays the editor assets out the way
// Node-RED looks them up: <dir of node .js>/<type>.html, ./locales/<lang>/, ./icons/.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const distNodes = path.join(dist, 'nodes');

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });

fs.mkdirSync(distNodes, { recursive: true });
for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
  if (file.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', file), path.join(distNodes, file));
}
for (const dir of ['locales', 'icons']) {
  if (fs.existsSync(path.join(root, dir))) fs.cpSync(path.join(root, dir), path.join(distNodes, dir), { recursive: true });
}
