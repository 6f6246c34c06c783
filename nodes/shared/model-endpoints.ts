// The editor's model endpoints (admin API, behind Node-RED's adminAuth permissions mlops-model.read / .write):
//   GET  edge-mlops/model-info?path=…   a model's inputs, outputs, metadata and card (Inspect)
//   GET  edge-mlops/models              the bundled, uploaded and model-store models to pick from
//   GET  edge-mlops/store-models        the model store's models (store:<name>[@<version>])
//   POST edge-mlops/models?name=x.onnx  upload an .onnx file (application/octet-stream) into <userDir>/models
//   POST edge-mlops/pipeline-plan       "configure the pipeline from this model": { path, modelId, answers, flow }
//                                       → the plan and the property changes of the linked nodes (lib/pipeline-plan)
import type { IncomingMessage } from 'node:http';
import { isPipelineError } from '../../lib/errors';
import { inspectModelRequest, MODEL_INFO_STATUS } from '../../lib/inference/model-info-request';
import { bundledCard, bundledModels, modelCard, receiveUpload, uploadedModels } from '../../lib/model-files';
import { ModelStore, parseStoreSpec } from '../../lib/model-store';
import { applyPlan, flowFromRequest, planAnswers, planFromModel, type PlanInput } from '../../lib/pipeline-plan';
import { sampleOutputRanges } from '../../lib/pipeline-plan/sample-run';
import { describeError } from './failure';
import type { NodeAPI, Request, Response } from './red';

const STATUS: Record<string, number> = {
  ...MODEL_INFO_STATUS, 'store-bad-name': 400, 'store-bad-version': 400, 'store-model-not-found': 404, 'store-version-not-found': 404,
  'bad-upload-name': 400, 'upload-content-type': 415, 'upload-too-large': 413, 'upload-aborted': 400, 'model-exists': 409,
};

/** Express's request and response, as far as an upload uses them (the request is the body's stream). */
type UploadRequest = Request & IncomingMessage;
type UploadResponse = Response & { set(field: string, value: string): void; on(event: 'finish', listener: () => void): void };

function refuse(RED: NodeAPI, res: Response, err: unknown, fallback: string): void {
  const code = isPipelineError(err) ? err.code : fallback;
  res.status(STATUS[code] ?? 500).json({ error: code, message: describeError(RED, 'mlops-model', err) });
}

export function serveModelEndpoints(RED: NodeAPI, userDir: () => string, openStore: () => ModelStore): void {
  const read = RED.auth.needsPermission('mlops-model.read');
  const write = RED.auth.needsPermission('mlops-model.write');

  // Confined to the user directory, the bundled models and the model store (addModelInfoRoot): see model-info-request.ts.
  async function inspect(spec: unknown) {
    // A store model is inspected as its current file, which lies in the store (an allowed root).
    const store = typeof spec === 'string' ? parseStoreSpec(spec) : undefined;
    const resolved = store ? openStore().resolve(store.name, store.version) : undefined;
    const answer = await inspectModelRequest(resolved ? resolved.modelPath : spec, userDir());
    const companion = resolved ? { labels: resolved.manifest.labels, version: resolved.version } : bundledCard(answer.path);
    return { ...answer, card: modelCard(answer.info, { sha256: answer.sha256, bytes: answer.bytes, ...companion }) };
  }

  RED.httpAdmin.get('/edge-mlops/model-info', read, (req: Request, res: Response) => {
    inspect(req.query.path).then(({ info, path, card }) => res.json({ ...info, path, card }), (err: unknown) => refuse(RED, res, err, 'inspect-failed'));
  });

  // Reads the model (and runs it once on a sample picture when a 1-channel output needs it); changes nothing itself:
  // the editor applies the changes to its nodes, and the user deploys.
  RED.httpAdmin.post('/edge-mlops/pipeline-plan', read, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { path?: unknown; modelId?: unknown; answers?: PlanInput['answers']; flow?: unknown };
    Promise.resolve().then(async () => {
      const model = await inspect(body.path);
      const input: PlanInput = { info: model.info, labels: model.card.labels, labelsFrom: model.card.labelsFrom, answers: planAnswers(body.answers) };
      let plan = planFromModel(input);
      let sampleProblem: string | undefined;
      if (plan.sampleNeeded.length && plan.sampleOptions) {
        try {
          plan = planFromModel({ ...input, sampleRanges: await sampleOutputRanges(model.path, plan.sampleOptions, plan.sampleNeeded) });
        } catch (err) {
          sampleProblem = describeError(RED, 'mlops-model', err);
        }
      }
      const applied = applyPlan(plan, flowFromRequest(body.flow), String(body.modelId ?? ''));
      const undecided = [...plan.undecided, ...applied.undecided, ...(sampleProblem ? [{ setting: 'sample', reason: `the sample run failed: ${sampleProblem}` }] : [])];
      res.json({ plan: { ...plan, undecided }, linked: applied.linked, changes: applied.changes, currentLabels: applied.currentLabels });
    }).catch((err: unknown) => refuse(RED, res, err, 'inspect-failed'));
  });

  RED.httpAdmin.get('/edge-mlops/store-models', read, (_req: Request, res: Response) => {
    const store = openStore();
    try {
      res.json({ root: store.root, models: store.list() });
    } catch (err) {
      refuse(RED, res, err, 'store-unreadable');
    }
  });

  RED.httpAdmin.get('/edge-mlops/models', read, (_req: Request, res: Response) => {
    let store: ReturnType<ModelStore['list']> = [];
    try {
      store = openStore().list();
    } catch {
      // An unreadable store offers nothing here; GET store-models says why.
    }
    res.json({ bundled: bundledModels(), uploaded: uploadedModels(userDir()), store });
  });

  RED.httpAdmin.post('/edge-mlops/models', write, (req: Request, res: Response) => {
    const request = req as UploadRequest;
    const response = res as UploadResponse;
    receiveUpload(request, {
      userDir: userDir(), name: req.query.name, contentType: request.headers['content-type'], declaredBytes: request.headers['content-length'],
    }).then((uploaded) => {
      res.status(201).json({ ref: uploaded.ref, path: uploaded.path, bytes: uploaded.bytes, sha256: uploaded.sha256,
        card: modelCard(uploaded.info, { sha256: uploaded.sha256, bytes: uploaded.bytes }) });
    }, (err: unknown) => {
      // What is left of a refused body is not read: the connection closes once the answer is out.
      if (!request.readableEnded) {
        response.set('Connection', 'close');
        response.on('finish', () => request.destroy());
      }
      refuse(RED, res, err, 'upload-failed');
    });
  });
}

