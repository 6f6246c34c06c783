export * from './v2-protocol';
export * from './v2-service';
