export {
  fileIdentity,
  guardDatabase,
  openDatabaseAt,
  sameFile,
  type DatabaseGuard,
  type FileIdentity,
} from './open-databases';
export {
  beginWrite,
  checkWriteTarget,
  writeFilesSafely,
  writeFilesSafelySync,
  type FileData,
  type FileToWrite,
  type PendingWrite,
  type SafeWriteOptions,
  type WriteTarget,
} from './safe-write';
