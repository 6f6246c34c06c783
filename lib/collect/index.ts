export * from './uncertainty';
export * from './rules';
export * from './store';
export * from './sample';
export * from './settings';
export * from './export';
