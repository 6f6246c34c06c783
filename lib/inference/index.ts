export * from './types';
export * from './protocol';
export * from './bounded-queue';
export * from './feed';
export * from './model-source';
export * from './model-host';
export * from './worker-pool';
export * from './model-info-request';
