export * from './connection';
export * from './client';
export * from './repository';
export * from './publish';
export * from './deploy';
