// Editor previews of a node's last picture: made after send (never delaying the message), at most 2 per second per
// node (newest wins), published over Node-RED's comms to every open editor, retained so a late editor sees the last.
import { LatestWins } from '../../lib/preview/latest-wins';
import { makeThumbnail, thumbnailsAvailable, type PictureSource, type Thumbnail } from '../../lib/preview/thumbnail';
import type { Node, NodeAPI } from './red';

export const PREVIEW_TOPIC = 'mlops-vision/preview';
export const PREVIEW_INTERVAL_MS = 500;

export interface LegendEntry { label: string; color: string; percent: number }

/** What one comms message on `mlops-vision/preview/<node id>` carries. */
export interface PreviewMessage {
  node: string;
  kind: 'image' | 'segment';
  msgId: string;
  assetId?: string;
  at: number;
  picture: Thumbnail;
  /** Size of the picture the thumbnail was made from. */
  source: { width: number; height: number };
  legend?: LegendEntry[];
}

export interface PreviewInput {
  picture: PictureSource;
  msgId: unknown;
  assetId?: unknown;
  source: { width: number; height: number };
  legend?: LegendEntry[];
}

export interface Previews {
  /** Takes the message's picture for a preview; returns at once (the thumbnail is made later, maybe never). */
  offer(input: PreviewInput): void;
}

type PictureListener = (message: PreviewMessage) => void;
const listeners = new Set<PictureListener>();

/** Called with every preview published (the inspection log attaches the segment node's pictures by message id). */
export function onPreview(listener: PictureListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Previews for `node` when `enabled` (its showPreview setting, default on) and sharp loads; else nothing is
 * ever published for it, and an earlier retained preview is withdrawn so editors drop it.
 */
export function usePreviews(RED: NodeAPI, node: Node<unknown>, kind: PreviewMessage['kind'], enabled: unknown,
  options: { sharpWarned?: boolean } = {}): Previews | undefined {
  const topic = `${PREVIEW_TOPIC}/${node.id}`;
  // Not retained, so the runtime forgets the last preview; not null, which comms does not send.
  const withdraw = () => RED.comms.publish(topic, { node: node.id, withdrawn: true }, false);
  if (enabled === false) {
    withdraw();
    return undefined;
  }
  if (!thumbnailsAvailable()) {
    // One warning per cause: a node that already said sharp is missing (and that previews are off) stays quiet.
    if (!options.sharpWarned) node.warn(RED._(`${node.type}.warn.noPreviews`));
    return undefined;
  }
  let failures = 0;
  let closed = false;
  const limiter = new LatestWins<PreviewInput>(async (input) => {
    const picture = await makeThumbnail(input.picture);
    if (closed) return; // made while the node closed: a redeployed node publishes its own
    const message: PreviewMessage = {
      node: node.id, kind, msgId: String(input.msgId ?? ''), at: Date.now(), picture, source: input.source,
      ...(typeof input.assetId === 'string' && input.assetId !== '' ? { assetId: input.assetId } : {}),
      ...(input.legend ? { legend: input.legend } : {}),
    };
    RED.comms.publish(topic, message, true);
    for (const listener of listeners) listener(message);
  }, {
    intervalMs: PREVIEW_INTERVAL_MS,
    // The message went on long ago; a picture sharp cannot shrink costs only its preview (said once per deploy).
    onError: (err) => { if (failures++ === 0) node.warn(RED._(`${node.type}.warn.previewFailed`, { reason: String((err as Error)?.message ?? err) })); },
  });
  node.on('close', (removed: boolean, done: () => void) => {
    closed = true;
    limiter.stop();
    if (removed) withdraw();
    done();
  });
  return { offer: (input) => limiter.offer(input) };
}
