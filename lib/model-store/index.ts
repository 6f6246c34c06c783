// The versioned model store (no Node-RED here): see docs and /work/notes for the layout.
export * from './names';
export * from './archive';
export * from './manifest';
export * from './layout';
export * from './store';
export type { StoreAction, StoreStep, ActionOutcome } from './transaction';
export { sha256Of } from './verify';
export * from './sm-plugin';
export * from './follow';
