// What npm start's runtime does about secrets and exposure: credentials encrypted with a secret generated once per
// user directory (a file readable by its owner only), and a warning when the editor/Admin API is reachable from
// the network without authentication.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const CREDENTIAL_SECRET_FILE = '.credential-secret';

/**
 * The user directory's credential secret: read from <userDir>/.credential-secret, or generated (32 random bytes)
 * and written there with mode 0600. A file with wider permissions is narrowed to 0600.
 */
export function credentialSecret(userDir: string): string {
  const file = path.join(userDir, CREDENTIAL_SECRET_FILE);
  try {
    fs.writeFileSync(file, `${crypto.randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (secret.length < 16) throw new Error(`${file} holds no usable credential secret; delete it to have a new one generated (stored credentials then need to be entered again)`);
  return secret;
}

export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Warnings for a runtime listening on `host` with these settings; empty when it is safe enough. */
export function exposureWarnings(host: string, settings: Record<string, unknown>): string[] {
  if (isLoopback(host)) return [];
  const warnings: string[] = [];
  if (!settings.adminAuth) {
    warnings.push(`WARNING: the Node-RED editor and Admin API listen on ${host} without authentication: anyone who can reach this address can change flows and run code on this device. Set adminAuth in a settings file (--settings), or listen on 127.0.0.1.`);
  }
  if (!settings.httpNodeAuth) {
    warnings.push(`WARNING: the flows' HTTP endpoints (e.g. POST /vqi/inspect) on ${host} have no authentication; set httpNodeAuth in a settings file (--settings) if the network is not trusted.`);
  }
  if (!settings.https) warnings.push(`NOTE: ${host} is served over plain HTTP; set https in a settings file (--settings) for TLS.`);
  return warnings;
}
