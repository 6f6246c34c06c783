export * from './features';
export * from './generator';
