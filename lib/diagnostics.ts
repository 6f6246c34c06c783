// Field diagnostics for support engineers, off unless asked for: NODE_DEBUG=edge-mlops node-red (Node's
// util.debuglog; lines go to stderr as "EDGE-MLOPS <pid>: …"). Nodes add node.debug/node.trace lines of their own,
// shown with Node-RED's logging level "debug"/"trace". Nothing here changes behaviour.
import { debuglog } from 'node:util';

/** Writes one diagnostic line when NODE_DEBUG includes edge-mlops; printf-style like console.log. */
export const diagnostic = debuglog('edge-mlops');

/** A synchronous disk write slower than this is reported as slow disk (ms). */
export const SLOW_DISK_MS = 50;

/** Runs a synchronous durable write and reports it when it blocked the event loop longer than SLOW_DISK_MS. */
export function timedDiskWrite<T>(what: string, write: () => T): T {
  const started = performance.now();
  const result = write();
  const ms = performance.now() - started;
  if (ms > SLOW_DISK_MS) diagnostic('slow disk: %s took %s ms on the event loop', what, ms.toFixed(1));
  return result;
}
