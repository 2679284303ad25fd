export * from './contract';
export * from './domain';
export * from './errors';
export * from './metric-keys';
export * from './reward';
export * from './validate';
export * from './gridmaze-config';
export * from './training-spec';
