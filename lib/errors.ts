// Errors that tell the user what is wrong and what to change.
// `code` is what flow authors switch on (msg.error.code); it selects a translated message in a node's locale
// catalog (errors.<code>) and `details` fills it in. Every code is listed here, kebab-case, one meaning each;
// docs/error-codes.md lists them for users and a test keeps the three (this table, docs, catalogs) in step.

/** Every error code, with its one meaning. Add a code here (and to docs/error-codes.md and a catalog) before raising it. */
export const ERROR_CODES = {
  // settings and configuration
  'bad-setting': 'a node setting or CLI option cannot be used (details: setting, expected, received)',
  'bad-rule': 'a row of the condition rule table is not valid',
  'bad-metadata': "a pre-processing hint in the model's metadata_props cannot be used",
  'no-model': 'no mlops-model configuration node is selected, or the selected one does not exist',
  'no-connection': 'no mlops-c8y connection node is selected, or the selected one does not exist',
  'no-credentials': 'the Cumulocity REST transport has neither user and password nor a token',
  'connection-restarting': 'the Cumulocity connection is still shutting down after a redeploy',
  // images (mlops-image)
  'bad-payload': 'msg.payload is of a kind that cannot hold an image',
  'empty-string': 'msg.payload is an empty string',
  empty: 'the image has zero bytes',
  'bad-data-url': 'a data: URL is not base64-encoded',
  'files-disabled': 'a file path arrived but the node has no base folder for files',
  'outside-base': "a file path points outside the node's base folder",
  'file-not-found': 'the image file does not exist',
  'file-unreadable': 'the image file cannot be read',
  'url-timeout': 'the image URL did not answer in time',
  'url-failed': 'the image URL could not be fetched',
  'http-status': 'the image URL answered with an HTTP error status',
  'too-large': 'the image is larger than the size limit',
  'urls-disabled': 'msg.payload is a URL but the node does not fetch URLs (off by default)',
  'url-not-allowed': "the URL's host is not on the node's list of camera hosts",
  'http-bytes-only': 'a message from an HTTP request carries a file path or URL instead of image bytes',
  'pipeline-busy': 'the pipeline already has its maximum of messages in progress; retry after Retry-After seconds',
  'too-many-pixels': 'the image has more pixels than the limit',
  'not-an-image': 'the bytes are not an image format the node can decode',
  corrupt: 'the image is damaged or cut short',
  'jimp-format': 'the image format needs sharp, and only jimp is available',
  'sharp-unavailable': 'sharp was chosen explicitly but cannot be loaded',
  // msg.image → msg.tensor (mlops-tensor)
  'no-image': 'msg.image is missing',
  'bad-image': 'msg.image is not raw pixels ({ data, width, height, channels })',
  'zero-size': 'msg.image has a width or height of 0',
  'bad-channels': 'msg.image has a channel count other than 3 or 4',
  'no-size': 'no tensor size is set and no model gives one',
  'symbolic-size': "the model input's height and width are not fixed",
  'size-conflict': "the node's width and height differ from the model input's fixed size",
  'model-input-rank': 'the model input does not have the 4 dimensions of an image',
  'model-channels': 'the model input does not take 3 channels',
  'model-batch': 'the model input has a fixed batch size other than 1',
  // models (mlops-model) and inference (mlops-infer)
  'no-path': 'the model path is empty',
  'env-unset': 'the model path names an environment variable that is not set',
  'bad-bundled-name': 'the bundled: model name is not a plain file name',
  'model-not-found': 'the model file does not exist',
  'model-not-file': 'the model path is a folder, not a file',
  'model-unreadable': 'the model file cannot be read',
  'not-onnx': 'the model file is not an ONNX model',
  'unsupported-operator': 'onnxruntime does not support an operator of the model',
  'external-data-missing': "a file with the model's external weights is missing",
  'model-truncated': 'the model file ends early (an incomplete copy or download)',
  'load-failed': 'onnxruntime could not load the model',
  'inspect-failed': 'the model could not be inspected for the editor',
  'env-in-path': 'a model path sent to the editor endpoint holds ${…}; requests are never expanded with environment variables',
  'path-not-allowed': 'a model path sent to the editor endpoint is outside the user directory, the bundled models and the model store',
  'model-too-large': 'the model file is larger than the editor endpoint inspects',
  'model-closed': 'the model was unloaded (redeploy) before the message ran',
  'node-closed': 'the node was stopped (redeploy) before it finished the message',
  'no-tensor': 'the message has no msg.tensor or msg.tensors',
  'no-inputs': 'the model has no inputs',
  'bad-tensor': 'a tensor on the message is not { data: Buffer, type, dims } with matching sizes',
  'type-mismatch': 'a tensor has another element type than required (details: input, expected, received)',
  'shape-mismatch': 'a tensor has another shape than required (details: input, expected, received)',
  'size-mismatch': "a tensor's data length does not match its dims",
  'unknown-input': 'a tensor names an input the model does not have (details: input, inputs)',
  'missing-input': 'the model needs inputs the message does not carry',
  'queue-full': 'a queue is full and its policy is to refuse',
  'inference-failed': 'onnxruntime could not run the model on this message',
  'worker-crashed': 'the worker thread running the message crashed',
  // segmentation (mlops-segment)
  'no-outputs': 'msg.outputs is missing or empty',
  'unknown-output': 'the chosen output name is not one of the model outputs (in msg.outputs)',
  'bad-output': 'an entry of msg.outputs is not a model output',
  'bad-shape': 'the output does not have the shape the node reads (a segmentation map, classifier scores)',
  'too-many-classes': 'the output has more classes than a class map can hold',
  'unsupported-type': 'the output has an element type segmentation cannot read',
  'data-size': "an output's data length does not match its shape",
  'bad-threshold': 'the single-channel threshold is not strictly between 0 and 1',
  'bad-geometry': 'msg.tensor.geometry cannot map the output back to the image',
  'image-mismatch': 'msg.image does not have the size the tensor was made from',
  'bad-list': 'a list setting (labels, output names) is neither a JSON array of strings nor a comma list',
  'bad-colour': 'a colour setting is not #rrggbb',
  // condition (mlops-condition)
  'no-segmentation': 'msg.segmentation is missing',
  'bad-segmentation': 'msg.segmentation is not a segmentation result',
  'bad-condition': 'msg.condition is not a condition result (names the first field that is wrong)',
  'unknown-label': 'a rule names a class the model does not have',
  // publishing (mlops-c8y-out, mlops-c8y)
  'no-asset-id': 'neither the message nor the node gives an asset id',
  'invalid-topic-segment': 'a value cannot be used as a thin-edge topic segment',
  'payload-not-measurements': 'msg.payload is not an object of numbers',
  'bad-measurement-key': 'a measurement name is not allowed by thin-edge',
  'measurement-not-number': 'a measurement value is not a finite number',
  'queue-record-too-large': 'a message can never fit the store-and-forward queue',
  'queue-closed': 'the store-and-forward queue is closed',
  'c8y-rejected': 'Cumulocity refused the data (an HTTP 4xx other than 408 and 429)',
  'broker-rejected': 'the MQTT broker refused a publish with an MQTT 5 reason code (a retry would not help)',
  'reserved-asset-id': 'the asset id is a name thin-edge reserves for the main device',
  // alignment of sensor readings (mlops-align)
  'unknown-signal': 'a reading matches none of the configured signals',
  'not-numeric': 'a reading value is not a number',
  'not-finite': 'a reading value is infinite or NaN',
  'bad-time': "a reading's timestamp is not a time",
  'out-of-order': 'a reading is older than the previous one of its signal',
  'duplicate-time': 'a reading has the same time as the previous one of its signal',
  'no-asset': 'the topic has no level to take the asset id from',
  'served-name-taken': 'another mlops-model already serves this name on the V2 inference API',
  // classification (mlops-classify) and judging predictions (mlops-condition)
  'label-count': "the number of labels differs from the classifier output's classes",
  'bad-prediction': 'msg.prediction is not a prediction { label, score, scores }',
  // the model store (mlops-model from the store, the thin-edge sm-plugin)
  'store-model-not-found': 'the model store has no active version of the model',
  'store-version-not-found': 'the model store does not hold the asked version of the model',
  'store-version-not-installed': 'a version to activate is not installed and no file was given',
  'store-version-exists': 'the version is already installed with other content',
  'store-no-version': 'installing a model needs a version',
  'store-bad-name': 'the model name has characters a store name cannot have',
  'store-bad-version': 'the model version has characters a store version cannot have',
  'store-bad-bundle': 'the uploaded bundle does not hold model.onnx where expected',
  'store-bad-manifest': "the bundle's manifest.json is not valid",
  'store-file-unreadable': 'the file given to install cannot be read',
  'store-not-writable': 'the model store folder cannot be created or written',
  'store-locked': 'another process holds the model store lock',
  'store-bad-update-list': "thin-edge's update-list input to the sm-plugin cannot be read",
  'store-check-parse': 'an install check failed: the file is not an ONNX model',
  'store-check-sha256': "an install check failed: model.onnx does not match the manifest's SHA-256",
  'store-check-signature': "an install check failed: the inputs or outputs changed incompatibly from the active version",
  'store-check-load': 'an install check failed: onnxruntime cannot load or warm up the model',
  // Cumulocity software repository (edge-mlops c8y)
  'c8y-unauthorized': 'the Cumulocity tenant refused the credentials (HTTP 401)',
  'c8y-request-failed': 'a Cumulocity API request failed with an HTTP error status',
  'c8y-timeout': 'the Cumulocity tenant did not answer in time',
  'c8y-unreachable': 'the Cumulocity tenant cannot be reached',
  'c8y-no-connection': 'no Cumulocity tenant or credentials are configured for the command',
  'no-devices': 'a rollout has no devices to deploy to',
  'device-not-found': 'no device has the given id or external id',
  'group-not-found': 'no single device group has the given name',
  'bad-software-name': 'the software name has characters a repository name cannot have',
  'bad-software-version': 'the software version is empty or has spaces or quotes',
  'empty-file': 'the file to publish is empty',
  'software-version-exists': 'the software already has that version',
  'software-not-found': 'the software repository has no such software',
  'software-ambiguous': 'several software items have the name',
  'software-version-not-found': 'the software has no such version',
  // flow packaging (edge-mlops flow)
  'not-a-flow-export': 'a file is not a Node-RED flow export, or nodes refer to tabs it does not hold',
  'bad-flow-name': 'the flow package name has characters a package name cannot have',
  'bad-flow-version': 'the flow package version is empty or has spaces',
  'no-tab': 'the flow export holds no flow tab',
  // collecting training data (mlops-collect)
  'sample-too-large': 'a collected sample is larger than the whole collect store may hold',
  'collect-write-failed': 'a collected sample cannot be written to the collect store',
  // quantization (mlops-quantize, the quantize CLI)
  busy: 'a quantization is already running',
  cancelled: 'the quantization was cancelled because the node stopped',
  'no-calibration': 'static quantization got no calibration inputs',
  'calibration-folder': 'the calibration folder is missing or holds no images',
  'calibration-failed': 'the model failed on a calibration input',
  'input-size-unknown': 'calibration images need a size the model does not give',
  'already-quantized': 'the model is already quantized',
  'opset-too-old': "the model's ONNX opset is too old to quantize",
  'opset-upgrade': 'per-channel quantization needs an opset the model cannot be upgraded to',
  'external-data': 'the model keeps its weights in external data files',
  'nothing-to-quantize': 'no operator of the model can be quantized',
  'output-invalid': 'onnxruntime cannot load the quantized model',
  'output-unwritable': 'the quantized model cannot be written',
  'bfloat16-model': 'the model uses bfloat16 tensors, which the quantizer does not convert',
  'float16-sparse': 'the model keeps float16 weights as sparse initializers',
  'judged-output-unknown': 'an output chosen for judging agreement is not one of the model outputs',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

export class PipelineError extends Error {
  override name = 'PipelineError';
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

export function isPipelineError(err: unknown): err is PipelineError {
  return err instanceof Error && typeof (err as PipelineError).code === 'string' && 'details' in err;
}
