export * from './settings';
export * from './readings';
export * from './aligner';
export * from './tensor';
