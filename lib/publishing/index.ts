// Publishing to Cumulocity: thin-edge.io topics (a schema value, topics.ts) and payloads, Cumulocity REST requests, the store-and-forward
// queue and the publisher that ties them together.
export * from './queue';
export * from './forwarder';
export * from './inspection';
export * as thinEdge from './thin-edge';
export * as cumulocityRest from './cumulocity-rest';
export * from './rest-client';
export * from './rest-delivery';
export * from './mqtt-link';
export * from './publisher';
export * from './settings';
export * from './topic-rules';
export * from './topics';
