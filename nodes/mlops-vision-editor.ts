// The editor plugin's runtime half: the history the "edge ML" sidebar reads when it opens (live changes come over
// comms, see nodes/shared/inspections.ts). Its editor half, mlops-vision-editor.html, draws the previews under
// mlops-image and mlops-segment and hosts the sidebar.
import { inspectionLog } from './shared/inspections';
import type { NodeAPI } from './shared/red';

const PLUGIN_ID = 'mlops-vision-editor';

export = function register(RED: NodeAPI): void {
  RED.plugins.registerPlugin(PLUGIN_ID, { type: PLUGIN_ID });
  // Same permission as reading the flows: the inspections say what the flows saw.
  RED.httpAdmin.get('/mlops-vision/inspections', RED.auth.needsPermission('flows.read'), (_req, res) => {
    res.json({ entries: inspectionLog.entries() });
  });
};
