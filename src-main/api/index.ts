export * from './app-paths';
export * from './dispatch';
export * from './downsample';
export * from './event-bus';
export * from './file-browser';
export * from './recent-files';
export * from './service';
export * from './version';
