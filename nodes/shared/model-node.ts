// What an `mlops-model` config node offers the nodes that use it (looked up with RED.nodes.getNode(id)).
import type { ModelInfo } from '../../lib/onnx';
import type { ModelFeed, ModelIdentity, ModelRunResult } from '../../lib/inference/types';

export type { ModelFeed, ModelRunResult };

export interface ModelConfigNode {
  id: string;
  /** Absolute path of the .onnx file. */
  modelPath: string;
  /** Resolves with the model description once loaded and warmed up; rejects with a PipelineError when loading failed. */
  ready(): Promise<ModelInfo>;
  /** The description once loaded, else undefined. */
  readonly info: ModelInfo | undefined;
  /** Runs one inference on a worker thread; `fetch` names the outputs to return (all when absent). */
  run(feed: ModelFeed, fetch?: readonly string[]): Promise<ModelRunResult>;
  /** Reference counting by the nodes that use this model (like the core MQTT broker node). */
  register(userNodeId: string): void;
  deregister(userNodeId: string): void;
  /** Worker threads running this model (added later, optional for compatibility): how many messages can run at once. */
  readonly workers?: number;
  /** Name, version and file hash of the model that runs, once loaded. */
  readonly identity?: ModelIdentity;
}
