export * from './rules';
export * from './quality';
export * from './debounce';
export * from './settings';
export * from './assess';
export * from './prediction';
