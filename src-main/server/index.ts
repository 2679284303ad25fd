export * from './http-server';
export * from './serve-command';
