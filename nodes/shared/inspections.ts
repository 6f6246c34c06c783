// The runtime's side of the "edge ML" sidebar: mlops-condition adds each inspection, the segment node's previews are
// attached by message id; open editors get the changes over comms (batched, ≤ 2 per second) and the history over
// GET /mlops-vision/inspections (registered by the editor plugin, nodes/mlops-vision-editor.ts).
import { InspectionLog, mergeUpdates, type InspectionSummary } from '../../lib/preview/inspection-log';
import { LatestWins } from '../../lib/preview/latest-wins';
import { onPreview, PREVIEW_INTERVAL_MS } from './preview';
import type { NodeAPI } from './red';

export const INSPECTIONS_TOPIC = 'mlops-vision/inspections';

/** One log for the whole runtime: the sidebar shows every condition node's inspections, newest asset first. */
export const inspectionLog = new InspectionLog();

let updates: LatestWins<InspectionSummary[]> | undefined;

function publishUpdate(RED: NodeAPI, changed: InspectionSummary): void {
  updates ??= new LatestWins<InspectionSummary[]>((entries) => RED.comms.publish(INSPECTIONS_TOPIC, { entries }, false), {
    intervalMs: PREVIEW_INTERVAL_MS, merge: (waiting, next) => mergeUpdates(waiting, next),
  });
  updates.offer([changed]);
}

/** The runtime API of the nodes (one per runtime), known once a node has used this module. */
let runtime: NodeAPI | undefined;

onPreview((preview) => {
  if (preview.kind !== 'segment') return;
  const updated = inspectionLog.attachPicture(preview.msgId, preview.picture);
  if (updated && runtime) publishUpdate(runtime, updated);
});

/** Records an inspection for the sidebar and tells open editors (later, batched: never on the message's path). */
export function recordInspection(RED: NodeAPI, summary: InspectionSummary): void {
  runtime = RED;
  publishUpdate(RED, inspectionLog.add(summary));
}
