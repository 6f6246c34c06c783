// Offline form of the Node-RED Flow Library scorecard (node-red-dev validate): the same rules, checked without the
// online catalogue. Rules that need the catalogue say so instead of passing silently.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import ts from 'typescript';

export type Outcome = 'pass' | 'fail' | 'skipped';
export interface CheckResult { id: string; title: string; outcome: Outcome; detail: string }

interface PackageJson {
  name: string;
  license?: string;
  repository?: unknown;
  bugs?: unknown;
  keywords?: string[];
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  'node-red'?: { version?: string; nodes?: Record<string, string> };
}

export interface EditorDefinition {
  type: string;
  /** Property name → whether its value is written as a literal in the registerType call. */
  literal: Record<string, boolean>;
  category?: string;
}

const LITERAL_KINDS = new Set([
  ts.SyntaxKind.StringLiteral, ts.SyntaxKind.NumericLiteral, ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword,
]);

/** The registerType(...) calls in an editor .html file's text/javascript blocks. */
export function editorDefinitions(html: string): EditorDefinition[] {
  const definitions: EditorDefinition[] = [];
  const scripts = html.matchAll(/<script[^>]*type=["']text\/javascript["'][^>]*>([\s\S]*?)<\/script>/gi);
  for (const [, code] of scripts) {
    const source = ts.createSourceFile('editor.js', code ?? '', ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)
        && node.expression.name.text === 'registerType') {
        const [typeArg, defArg] = node.arguments;
        if (typeArg && ts.isStringLiteral(typeArg) && defArg && ts.isObjectLiteralExpression(defArg)) {
          const literal: Record<string, boolean> = {};
          let category: string | undefined;
          for (const prop of defArg.properties) {
            if (!ts.isPropertyAssignment(prop) || !prop.name) continue;
            const key = prop.name.getText(source).replace(/['"]/g, '');
            const init = prop.initializer;
            literal[key] = LITERAL_KINDS.has(init.kind) || ((key === 'defaults' || key === 'credentials') && ts.isObjectLiteralExpression(init));
            if (key === 'category' && ts.isStringLiteral(init)) category = init.text;
          }
          definitions.push({ type: typeArg.text, literal, category });
        } else {
          definitions.push({ type: typeArg && ts.isStringLiteral(typeArg) ? typeArg.text : '?', literal: {} });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return definitions;
}

function parseMinimum(range: string): number[] | null {
  const match = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
  return match ? match.slice(1).map(Number) : null;
}

function atLeast(version: number[], minimum: number[]): boolean {
  for (let i = 0; i < 3; i++) if (version[i] !== minimum[i]) return (version[i] ?? 0) > (minimum[i] ?? 0);
  return true;
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)]);
}

export function checkPackage(root: string, options: { online?: boolean } = {}): CheckResult[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;
  const results: CheckResult[] = [];
  const add = (id: string, title: string, ok: boolean, detail: string) =>
    results.push({ id, title, outcome: ok ? 'pass' : 'fail', detail });
  const skip = (id: string, title: string, detail: string) => results.push({ id, title, outcome: 'skipped', detail });

  add('P01', 'licence', Boolean(pkg.license), pkg.license ?? 'no "license" in package.json');
  add('P03', 'repository or bugs URL', Boolean(pkg.repository || pkg.bugs), pkg.repository ? 'repository set' : 'add "repository"');
  skip('P02', 'package name matches the repository', 'needs a clone of the repository');
  add('P04', 'scoped name', /^@[a-z\d][\w.-]*\/[a-z\d][\w.-]*$/.test(pkg.name), pkg.name);
  add('P05', '"node-red" keyword', Boolean(pkg.keywords?.includes('node-red')), (pkg.keywords ?? []).join(', '));
  const redMinimum = parseMinimum(pkg['node-red']?.version ?? '');
  add('P06', 'Node-RED version range', redMinimum !== null && atLeast([4, 1, 0], redMinimum) && atLeast([5, 0, 0], redMinimum),
    `node-red.version ${pkg['node-red']?.version ?? 'missing'} (must admit 4.1 and 5.x, written as >=x.y.z)`);
  const nodeMinimum = parseMinimum(pkg.engines?.node ?? '');
  add('P07', 'Node.js version range', nodeMinimum !== null && atLeast([20, 19, 0], nodeMinimum) && atLeast([22, 9, 0], nodeMinimum),
    `engines.node ${pkg.engines?.node ?? 'missing'} (must admit Node 20 for Node-RED 4.1 and Node 22.9 for Node-RED 5)`);
  skip('P08', 'no similarly named package', 'needs the online Flow Library catalogue');

  const nodes = pkg['node-red']?.nodes ?? {};
  const definitions: EditorDefinition[] = [];
  for (const [setName, jsFile] of Object.entries(nodes)) {
    const htmlFile = path.join(root, jsFile.replace(/\.js$/, '.html'));
    if (!fs.existsSync(path.join(root, jsFile))) add('E01', `${setName}: runtime file`, false, `${jsFile} missing (run npm run build)`);
    if (!fs.existsSync(htmlFile)) { add('E02', `${setName}: editor file`, false, `${htmlFile} missing`); continue; }
    const defs = editorDefinitions(fs.readFileSync(htmlFile, 'utf8'));
    if (defs.length === 0) add('E02', `${setName}: registerType`, false, 'no registerType call with a literal type found');
    for (const def of defs) {
      definitions.push(def);
      const isConfig = def.category === 'config';
      const required = isConfig ? ['category', 'defaults'] : ['category', 'defaults', 'inputs', 'outputs', 'icon', 'color'];
      const missing = required.filter((key) => !def.literal[key]);
      const nonLiteral = Object.entries(def.literal).filter(([key, lit]) =>
        ['category', 'defaults', 'credentials', 'inputs', 'outputs', 'icon', 'color'].includes(key) && !lit).map(([k]) => k);
      add('E03', `${def.type}: literal definition`, missing.length === 0 && nonLiteral.length === 0,
        missing.length || nonLiteral.length ? `missing ${missing.join(', ') || '-'}; not literal ${nonLiteral.join(', ') || '-'}` : 'ok');
      const nodeDir = path.dirname(htmlFile);
      const base = path.basename(jsFile, '.js');
      const catalog = path.join(nodeDir, 'locales', 'en-US', `${base}.json`);
      const help = path.join(nodeDir, 'locales', 'en-US', `${base}.html`);
      const helpOk = fs.existsSync(help) && fs.readFileSync(help, 'utf8').includes(`data-help-name="${def.type}"`);
      add('E04', `${def.type}: en-US catalog and help`, fs.existsSync(catalog) && helpOk,
        `${path.relative(root, catalog)}, ${path.relative(root, help)}`);
      if (!isConfig) {
        const htmlText = fs.readFileSync(htmlFile, 'utf8');
        const icon = new RegExp(`icon\\s*:\\s*["']([^"']+)["']`).exec(htmlText)?.[1] ?? '';
        const iconOk = icon.startsWith('font-awesome/') || fs.existsSync(path.join(nodeDir, 'icons', icon));
        add('E05', `${def.type}: icon`, iconOk, icon || 'no icon');
      }
    }
  }
  const badNames = definitions.filter((d) => !d.type.startsWith('mlops-')).map((d) => d.type);
  add('N01', 'node types unique (mlops- prefix)', badNames.length === 0,
    badNames.length ? `not prefixed: ${badNames.join(', ')}` : `${definitions.length} types, all mlops-*; catalogue comparison needs network`);

  const exampleTypes = new Set<string>();
  for (const file of listFiles(path.join(root, 'examples')).filter((f) => f.endsWith('.json'))) {
    for (const node of JSON.parse(fs.readFileSync(file, 'utf8')) as { type: string }[]) exampleTypes.add(node.type);
  }
  const withoutExample = definitions.filter((d) => d.category !== 'config' && !exampleTypes.has(d.type)).map((d) => d.type);
  add('N02', 'every node used in an example', withoutExample.length === 0,
    withoutExample.length ? `no example uses ${withoutExample.join(', ')}` : 'all covered');

  const deps = Object.keys(pkg.dependencies ?? {});
  add('D01', 'at most 6 dependencies', deps.length <= 6, `${deps.length}: ${deps.join(', ')}`);
  add('D04', 'node-red is not a runtime dependency', !deps.includes('node-red'), 'node-red belongs in devDependencies');
  results.push(checkBadPackages(root));
  if (options.online) results.push(...checkLatest(root, pkg.dependencies ?? {}));
  else skip('D03', 'dependencies admit their latest version', 'run with --online to ask the npm registry');
  return results;
}

function checkBadPackages(root: string): CheckResult {
  // The scorecard's list of packages known to break Node-RED: agent-base < 6 in the production tree.
  try {
    const out = execFileSync('npm', ['ls', 'agent-base', '--omit=dev', '--all', '--parseable', '--long'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const bad = out.split('\n').filter((line) => /agent-base@[0-5]\./.test(line));
    return { id: 'D02', title: 'no incompatible packages in the tree', outcome: bad.length ? 'fail' : 'pass', detail: bad.join('; ') || 'agent-base < 6 absent' };
  } catch (err) {
    const out = String((err as { stdout?: string }).stdout ?? '');
    const bad = out.split('\n').filter((line) => /agent-base@[0-5]\./.test(line));
    return { id: 'D02', title: 'no incompatible packages in the tree', outcome: bad.length ? 'fail' : 'pass', detail: bad.join('; ') || 'agent-base < 6 absent' };
  }
}

function checkLatest(root: string, deps: Record<string, string>): CheckResult[] {
  return Object.entries(deps).map(([name, range]) => {
    try {
      const latest = execFileSync('npm', ['view', `${name}@latest`, 'version'], { cwd: root, encoding: 'utf8', timeout: 20000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      const admitted = execFileSync('npm', ['view', `${name}@${range}`, 'version', '--json'], { cwd: root, encoding: 'utf8', timeout: 20000, stdio: ['ignore', 'pipe', 'ignore'] });
      const ok = admitted.includes(`"${latest}"`);
      return { id: 'D03', title: `${name} admits its latest version`, outcome: ok ? 'pass' : 'fail', detail: `${range} vs latest ${latest}` } as CheckResult;
    } catch {
      return { id: 'D03', title: `${name} admits its latest version`, outcome: 'skipped', detail: 'npm registry not reachable' } as CheckResult;
    }
  });
}
