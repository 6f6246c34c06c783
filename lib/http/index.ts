// HTTP helpers for Node-RED settings (httpNodeMiddleware).
export * from './body-limit';
