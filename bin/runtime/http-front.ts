// The embedded runtime's HTTP front: what Node-RED's launcher (red.js) builds with an outer express app — the
// editor/admin app at httpAdminRoot, then httpNodeAuth and the flows' app (RED.httpNode) at httpNodeRoot — done by
// hand, so that a request pays for no third express app. One shortcut: the V2 inference API (<httpNodeRoot>v2/…),
// which lives on RED.httpNode, goes there first instead of passing the admin app, which has no route under /v2 but
// costs a full express pass (its init, query and JSON body parsers, every admin route's pattern) on every request.
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { V2_PATH } from '../../lib/serving';

type Next = (err?: unknown) => void;
type Handler = (req: IncomingMessage, res: ServerResponse, next: Next) => void;
type MountedRequest = IncomingMessage & { baseUrl?: string; originalUrl?: string };

export interface FrontSettings {
  httpAdminRoot?: string | false;
  httpNodeRoot?: string | false;
  /** As in Node-RED's settings.js: { user, pass: bcrypt hash (or legacy md5) }, or middleware (a function or a list). */
  httpNodeAuth?: unknown;
}

function normalRoot(root: string): string {
  const withSlash = root.startsWith('/') ? root : `/${root}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, '') : '/';
}

/** `app` mounted at `root` the way express mounts a sub-app: req.url below the root, req.baseUrl the root. */
function mounted(root: string | false | undefined, app: Handler): Handler | undefined {
  if (root === false) return undefined;
  const base = normalRoot(root ?? '/');
  if (base === '/') return app;
  return (req: MountedRequest, res, next) => {
    const url = req.url ?? '/';
    if (url !== base && !url.startsWith(`${base}/`) && !url.startsWith(`${base}?`)) return next();
    const saved = { url, baseUrl: req.baseUrl };
    req.originalUrl ??= url;
    req.baseUrl = (saved.baseUrl ?? '') + base;
    req.url = url.slice(base.length) || '/';
    if (req.url.startsWith('?')) req.url = `/${req.url}`;
    app(req, res, (err) => {
      req.url = saved.url;
      req.baseUrl = saved.baseUrl;
      next(err);
    });
  };
}

/** Node-RED's basic auth for httpNodeAuth: bcrypt (or a legacy md5) hash; the last good password is remembered. */
function basicAuth(user: string, hash: string, nodeRedEntry: string): Handler {
  let check: (password: string) => boolean;
  if (/^[0-9a-f]{32}$/i.test(hash)) {
    check = (p) => crypto.createHash('md5').update(p, 'utf8').digest('hex') === hash;
  } else {
    // Node-RED's own bcrypt (it depends on bcryptjs); resolved from where Node-RED is, as this package has no copy.
    const bcryptPath = require.resolve('bcryptjs', { paths: [path.dirname(nodeRedEntry)] });
    const bcrypt = require(bcryptPath) as { compareSync(p: string, h: string): boolean };
    check = (p) => bcrypt.compareSync(p, hash);
  }
  let remembered: string | undefined;
  return (req, res, next) => {
    if (req.method === 'OPTIONS') return next();
    const header = String(req.headers.authorization ?? '');
    const decoded = /^basic\s+(\S+)$/i.test(header) ? Buffer.from(header.replace(/^basic\s+/i, ''), 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const name = colon >= 0 ? decoded.slice(0, colon) : '';
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    if (colon >= 0 && name === user && (password === remembered || check(password))) {
      remembered = password;
      return next();
    }
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="Authorization Required"', 'content-type': 'text/plain' });
    res.end('Unauthorized');
  };
}

/**
 * Handlers one after the other. `stopOnError`: an error ends the chain (an auth middleware that refuses); otherwise
 * the next app still gets the request, as before this front (an admin-app parser error on a flow's path).
 */
function chain(handlers: Handler[], stopOnError: boolean): Handler {
  return (req, res, done) => {
    let i = 0;
    let failure: unknown;
    const step: Next = (err) => {
      failure = err ?? failure;
      if ((err && stopOnError) || i === handlers.length) return done(failure);
      handlers[i++]!(req, res, step);
    };
    step();
  };
}

export function nodeAuthHandlers(auth: unknown, nodeRedEntry: string): Handler[] {
  if (!auth) return [];
  if (typeof auth === 'function') return [auth as Handler];
  if (Array.isArray(auth)) return auth as Handler[];
  const { user, pass } = auth as { user?: unknown; pass?: unknown };
  if (typeof user !== 'string' || typeof pass !== 'string') throw new Error('httpNodeAuth needs { user, pass } with pass a bcrypt hash (node-red admin hash-pw), or a middleware function');
  return [basicAuth(user, pass, nodeRedEntry)];
}

/**
 * The request handler for the runtime's server. `red` is Node-RED after RED.init (httpAdmin, httpNode);
 * `nodeRedEntry` is Node-RED's resolved entry file (to find its bcrypt).
 */
export function httpFront(red: { httpAdmin: Handler; httpNode: Handler }, settings: FrontSettings, nodeRedEntry: string): (req: IncomingMessage, res: ServerResponse) => void {
  const admin = mounted(settings.httpAdminRoot, red.httpAdmin);
  const nodeRoot = settings.httpNodeRoot;
  const node = mounted(nodeRoot, chain([...nodeAuthHandlers(settings.httpNodeAuth, nodeRedEntry), red.httpNode], true));
  const v2 = nodeRoot === false ? undefined : `${normalRoot(nodeRoot ?? '/').replace(/\/$/, '')}${V2_PATH}`;
  const order = (first: Handler | undefined, second: Handler | undefined): Handler => chain([first, second].filter((h): h is Handler => h !== undefined), false);
  const normal = order(admin, node);
  const v2First = order(node, admin);
  const notFound = (res: ServerResponse) => () => {
    if (res.headersSent) return;
    res.statusCode = 404;
    res.end();
  };
  return (req, res) => {
    const url = req.url ?? '/';
    const isV2 = v2 !== undefined && (url === v2 || url.startsWith(`${v2}/`) || url.startsWith(`${v2}?`));
    (isV2 ? v2First : normal)(req, res, notFound(res));
  };
}
