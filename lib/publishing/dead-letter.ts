// Records the forwarder had to set aside so they stop blocking the ones behind them: refused for good by the
// receiver, or the broker closed the connection every time one was sent. One JSON line each in dead-letter.jsonl
// next to the queue (blobs as base64), so an operator can read, fix and re-send them; bounded in size.
import fs from 'node:fs';
import path from 'node:path';
import type { QueueRecord } from './queue';

export const DEAD_LETTER_FILE = 'dead-letter.jsonl';

export interface SetAsideResult {
  /** False when the file had reached its size limit: the record is counted but not kept. */
  kept: boolean;
  file: string;
}

export class DeadLetterFile {
  readonly file: string;
  private size: number;

  constructor(dir: string, private readonly maxBytes: number) {
    this.file = path.join(dir, DEAD_LETTER_FILE);
    try { this.size = fs.statSync(this.file).size; } catch { this.size = 0; }
  }

  add(record: QueueRecord, reason: string, now = new Date()): SetAsideResult {
    const line = `${JSON.stringify({
      time: now.toISOString(), seq: record.seq, reason, header: record.header, blobs: record.blobs.map((b) => b.toString('base64')),
    })}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.size + bytes > this.maxBytes) return { kept: false, file: this.file };
    fs.appendFileSync(this.file, line, { mode: 0o600 });
    this.size += bytes;
    return { kept: true, file: this.file };
  }
}
