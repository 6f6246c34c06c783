export * from './proto';
export * from './model-info';
export * from './builder';
export * from './float16';
export * from './parse-off-thread';
