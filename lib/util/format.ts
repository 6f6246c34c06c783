// Numbers as people read them in statuses, errors and reports, one formula each.

/** Binary units, named as such: 1 KiB = 1024 bytes, 1 MiB = 1048576 bytes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Milliseconds for a status or a table: one decimal below 10 ms (0.4, 3.2), whole numbers above (12, 140). */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  return ms < 9.95 ? ms.toFixed(1) : String(Math.round(ms));
}
