export * from './config.js';
export * from './events.js';
export * from './keys.js';
export * from './publisher.js';
export * from './queues.js';
export * from './redis.js';
export * from './stream.js';
