export * from './flow-json';
export * from './pack';
export { NODE_RED_CORE_TYPES } from './core-types';
