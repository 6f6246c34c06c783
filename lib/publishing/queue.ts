// A bounded, crash-safe, on-disk FIFO for outgoing data (store and forward).
//
// Layout of the queue directory:
//   seg-<first seq>.log   append-only segments of framed records
//   state.json            last acknowledged sequence number and the overflow counters
//   progress.json         what a multi-step delivery of the head record has already done
//
// A frame is [u32 body length][u32 crc32 of body][body]; body is [f64 seq][u32 header length][header JSON]
// [u32 blob count]([u32 blob length][blob bytes])*. A torn write at the end of a segment (power cut, crash) fails
// the length or CRC check on recovery and is cut off; everything before it survives. state.json and progress.json
// are replaced atomically (write to a temporary file, fsync, rename), so they are either old or new, never half.
// Delivery is at least once: a record is acknowledged only after the receiver confirmed it.
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { PipelineError } from '../errors';
import { badSetting } from '../settings';
import { diagnostic } from '../diagnostics';
import { GroupSync } from './group-sync';

export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'reject';
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['drop-oldest', 'drop-newest', 'reject'];

export interface QueueOptions {
  dir: string;
  /** Upper bound of the stored, unacknowledged records in bytes (frames included). */
  maxBytes: number;
  policy: OverflowPolicy;
  /** A segment file is closed and a new one started beyond this size. */
  segmentBytes?: number;
  /**
   * Appends are fsynced (group commit off the event loop; durable() resolves when they are on disk) and state
   * changes too: survives power loss, not only process crashes.
   */
  fsync?: boolean;
}

export interface QueueRecord {
  seq: number;
  header: unknown;
  blobs: Buffer[];
}

export interface QueueCounters {
  /** Records removed unsent because of the overflow policy (drop-oldest, drop-newest). */
  dropped: number;
  /** Appends refused with an error because of the "reject" policy. */
  rejected: number;
}

export interface AppendResult {
  /** False when the record itself was dropped (drop-newest). */
  stored: boolean;
  seq?: number;
  /** Records dropped by this append (the new one for drop-newest, old ones for drop-oldest). */
  dropped: number;
  /** The old records drop-oldest removed (headers; blobs left out), so the caller can restore state they carried. */
  droppedRecords: QueueRecord[];
}

interface IndexEntry { seq: number; segment: string; offset: number; size: number }
interface SegmentInfo { name: string; lastSeq: number; size: number }

const FRAME_HEAD = 8;
const SEGMENT_PATTERN = /^seg-(\d{16})\.log$/;
const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;

export function encodeRecord(seq: number, header: unknown, blobs: Buffer[]): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const bodyLength = 8 + 4 + json.length + 4 + blobs.reduce((sum, b) => sum + 4 + b.length, 0);
  const frame = Buffer.allocUnsafe(FRAME_HEAD + bodyLength);
  let at = FRAME_HEAD;
  frame.writeDoubleLE(seq, at); at += 8;
  frame.writeUInt32LE(json.length, at); at += 4;
  json.copy(frame, at); at += json.length;
  frame.writeUInt32LE(blobs.length, at); at += 4;
  for (const blob of blobs) {
    frame.writeUInt32LE(blob.length, at); at += 4;
    blob.copy(frame, at); at += blob.length;
  }
  frame.writeUInt32LE(bodyLength, 0);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEAD)), 4);
  return frame;
}

/** Decodes a frame's body (without the 8-byte frame head). Throws on malformed bodies. */
export function decodeBody(body: Buffer): QueueRecord {
  let at = 0;
  const seq = body.readDoubleLE(at); at += 8;
  const jsonLength = body.readUInt32LE(at); at += 4;
  const header = JSON.parse(body.toString('utf8', at, at + jsonLength)); at += jsonLength;
  const count = body.readUInt32LE(at); at += 4;
  const blobs: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const length = body.readUInt32LE(at); at += 4;
    if (at + length > body.length) throw new RangeError('blob runs past the record');
    blobs.push(Buffer.from(body.subarray(at, at + length))); at += length;
  }
  return { seq, header, blobs };
}

function writeFileAtomic(file: string, text: string, sync: boolean): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, text);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export class DiskQueue {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly policy: OverflowPolicy;
  private readonly segmentBytes: number;
  private readonly sync: boolean;
  private index: IndexEntry[] = [];
  private segments: SegmentInfo[] = [];
  private acked = 0;
  private nextSeq = 1;
  private storedBytes = 0;
  private counters: QueueCounters = { dropped: 0, rejected: 0 };
  private fd: number | undefined;
  private readonly groupSync: GroupSync;
  private headCache: QueueRecord | undefined;
  private closed = false;

  private constructor(options: QueueOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.policy = options.policy;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.sync = options.fsync ?? true;
    this.groupSync = new GroupSync(() => this.fd, `the queue in ${this.dir}`);
  }

  /** Opens (and recovers) the queue in `dir`, creating the directory when missing. */
  static open(options: QueueOptions): DiskQueue {
    if (!(options.maxBytes > 0)) throw badSetting('queue size limit', 'positive number of bytes', options.maxBytes);
    if (!OVERFLOW_POLICIES.includes(options.policy)) throw badSetting('queue policy', `one of ${OVERFLOW_POLICIES.join(', ')}`, options.policy);
    fs.mkdirSync(options.dir, { recursive: true });
    const queue = new DiskQueue(options);
    queue.recover();
    return queue;
  }

  get depth(): number { return this.index.length; }
  get bytes(): number { return this.storedBytes; }
  get stats(): QueueCounters & { depth: number; bytes: number } {
    return { ...this.counters, depth: this.depth, bytes: this.bytes };
  }

  private recover(): void {
    const state = readJson<{ acked?: number } & Partial<QueueCounters>>(path.join(this.dir, 'state.json')) ?? {};
    this.acked = Number(state.acked) || 0;
    this.counters = { dropped: Number(state.dropped) || 0, rejected: Number(state.rejected) || 0 };
    let highest = this.acked;
    const names = fs.readdirSync(this.dir).filter((n) => SEGMENT_PATTERN.test(n)).sort();
    for (const name of names) {
      const info = this.scanSegment(name);
      highest = Math.max(highest, info.lastSeq);
      this.segments.push(info);
    }
    this.nextSeq = highest + 1;
    this.dropAckedSegments();
    if (this.index.length > 0) diagnostic('queue %s: %d records (%d bytes) from before the restart will be delivered first', this.dir, this.index.length, this.storedBytes);
  }

  /** Indexes a segment's records; cuts off a torn or corrupt tail. */
  private scanSegment(name: string): SegmentInfo {
    const file = path.join(this.dir, name);
    const data = fs.readFileSync(file);
    let offset = 0;
    let lastSeq = 0;
    while (offset + FRAME_HEAD <= data.length) {
      const bodyLength = data.readUInt32LE(offset);
      const end = offset + FRAME_HEAD + bodyLength;
      if (bodyLength < 16 || end > data.length) break;
      const body = data.subarray(offset + FRAME_HEAD, end);
      if (crc32(body) !== data.readUInt32LE(offset + 4)) break;
      const seq = body.readDoubleLE(0);
      lastSeq = seq;
      if (seq > this.acked) {
        this.index.push({ seq, segment: name, offset, size: end - offset });
        this.storedBytes += end - offset;
      }
      offset = end;
    }
    if (offset < data.length) fs.truncateSync(file, offset);
    return { name, lastSeq, size: offset };
  }

  /** Stores a record at the tail. Applies the overflow policy when the size limit would be exceeded. */
  append(header: unknown, blobs: Buffer[] = []): AppendResult {
    this.assertOpen();
    const seq = this.nextSeq;
    const frame = encodeRecord(seq, header, blobs);
    if (frame.length > this.maxBytes) {
      this.counters.rejected++;
      this.saveState();
      throw new PipelineError('queue-record-too-large',
        `a ${frame.length}-byte message can never fit the ${this.maxBytes}-byte store-and-forward queue; raise the queue size limit or send smaller data (e.g. no images)`,
        { size: frame.length, limit: this.maxBytes });
    }
    let dropped = 0;
    const droppedRecords: QueueRecord[] = [];
    if (this.storedBytes + frame.length > this.maxBytes) {
      if (this.policy === 'reject') {
        this.counters.rejected++;
        this.saveState();
        throw new PipelineError('queue-full',
          `the store-and-forward queue is full (${this.depth} messages, ${this.storedBytes} of ${this.maxBytes} bytes) while the connection is down; raise the size limit or choose a drop policy`,
          { depth: this.depth, bytes: this.storedBytes, limit: this.maxBytes });
      }
      if (this.policy === 'drop-newest') {
        diagnostic('queue %s full (%d bytes): drop-newest drops record %d', this.dir, this.storedBytes, seq);
        this.counters.dropped++;
        this.saveState();
        return { stored: false, dropped: 1, droppedRecords: [] };
      }
      while (this.index.length > 0 && this.storedBytes + frame.length > this.maxBytes) {
        const head = this.peek()!;
        droppedRecords.push(head.blobs.length ? { ...head, blobs: [] } : head); // state records carry no blobs
        this.removeHead();
        dropped++;
      }
      diagnostic('queue %s full: drop-oldest drops %d record(s) for record %d', this.dir, dropped, seq);
      this.counters.dropped += dropped;
      this.saveState();
    }
    this.writeFrame(seq, frame);
    this.nextSeq = seq + 1;
    return { stored: true, seq, dropped, droppedRecords };
  }

  private writeFrame(seq: number, frame: Buffer): void {
    let current = this.segments[this.segments.length - 1];
    if (this.fd === undefined || !current || current.size + frame.length > this.segmentBytes) {
      this.closeSegment();
      current = { name: `seg-${String(seq).padStart(16, '0')}.log`, lastSeq: 0, size: 0 };
      this.segments.push(current);
      this.fd = fs.openSync(path.join(this.dir, current.name), 'a');
    }
    let written = 0;
    while (written < frame.length) written += fs.writeSync(this.fd, frame, written, frame.length - written);
    if (this.sync) this.groupSync.wrote();
    this.index.push({ seq, segment: current.name, offset: current.size, size: frame.length });
    current.size += frame.length;
    current.lastSeq = seq;
    this.storedBytes += frame.length;
  }

  /**
   * Resolves once every record appended so far is on disk (fsync on: one fsync off the event loop covers all
   * appends before it; fsync off: at once). Until then a power cut may lose them; a process crash does not.
   */
  durable(): Promise<void> {
    return this.sync ? this.groupSync.durable() : Promise.resolve();
  }

  /** The oldest unacknowledged record, or undefined when the queue is empty. */
  peek(): QueueRecord | undefined {
    this.assertOpen();
    const head = this.index[0];
    if (!head) return undefined;
    if (this.headCache?.seq === head.seq) return this.headCache;
    const fd = fs.openSync(path.join(this.dir, head.segment), 'r');
    try {
      const body = Buffer.allocUnsafe(head.size - FRAME_HEAD);
      fs.readSync(fd, body, 0, body.length, head.offset + FRAME_HEAD);
      this.headCache = decodeBody(body);
    } finally {
      fs.closeSync(fd);
    }
    return this.headCache;
  }

  /** Marks every record up to `seq` as delivered. Acknowledging an already removed record is a no-op. */
  ack(seq: number): void {
    this.assertOpen();
    if (seq <= this.acked) return;
    while (this.index.length > 0 && this.index[0]!.seq <= seq) this.removeHead();
    this.acked = Math.max(this.acked, seq);
    // No fsync: an acknowledgement lost to a power cut only means the record is delivered again (at least once).
    this.saveState(false);
  }

  /** What the delivery of record `seq` has already done (see setProgress), or undefined. */
  progress<T>(seq: number): T | undefined {
    const saved = readJson<{ seq: number; value: T }>(path.join(this.dir, 'progress.json'));
    return saved && saved.seq === seq ? saved.value : undefined;
  }

  /** Persists how far a multi-step delivery of record `seq` got, so a retry after a restart resumes there. */
  setProgress(seq: number, value: unknown): void {
    this.assertOpen();
    writeFileAtomic(path.join(this.dir, 'progress.json'), JSON.stringify({ seq, value }), this.sync);
  }

  close(): void {
    if (this.closed) return;
    this.closeSegment();
    this.closed = true;
  }

  private removeHead(): void {
    const head = this.index.shift()!;
    this.storedBytes -= head.size;
    this.acked = Math.max(this.acked, head.seq);
    if (this.headCache?.seq === head.seq) this.headCache = undefined;
    this.dropAckedSegments();
  }

  /** Deletes segments whose records are all acknowledged; an empty queue starts over with a fresh segment. */
  private dropAckedSegments(): void {
    const keep: SegmentInfo[] = [];
    const last = this.segments[this.segments.length - 1];
    for (const segment of this.segments) {
      const isOpen = segment === last && this.fd !== undefined;
      if (segment.lastSeq <= this.acked && (!isOpen || this.index.length === 0)) {
        if (isOpen) this.closeSegment(true);
        fs.rmSync(path.join(this.dir, segment.name), { force: true });
      } else {
        keep.push(segment);
      }
    }
    this.segments = keep;
  }

  /** `delivered`: every record in it is acknowledged (it is deleted next), so it needs no fsync. */
  private closeSegment(delivered = false): void {
    if (this.fd !== undefined) {
      if (delivered) this.groupSync.delivered();
      else this.groupSync.syncNow(this.fd);
      fs.closeSync(this.fd);
    }
    this.fd = undefined;
  }

  private saveState(sync = this.sync): void {
    writeFileAtomic(path.join(this.dir, 'state.json'), JSON.stringify({ acked: this.acked, ...this.counters }), sync);
  }

  private assertOpen(): void {
    if (this.closed) throw new PipelineError('queue-closed', 'the store-and-forward queue is closed (the connection node was stopped)');
  }
}
