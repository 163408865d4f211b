export { createApp } from './app.ts';
export { startServer, type ServerOptions, type RunningServer } from './server.ts';
export { parseConfig } from './config.ts';
export { ModelRegistry, createSession, loadModel, ortSessionFactory, type SessionFactory, type Device, type Provider } from './registry.ts';
export { Batcher, type BatcherOptions } from './batcher.ts';
export { decodeImage } from './decode.ts';
export { HttpError, type ErrorCode } from './errors.ts';
