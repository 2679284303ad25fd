// Public API of src-main/jobs: the job queue, the worker launcher interface and the Node launcher.
export { JobQueue, type JobEventSink, type JobQueueOptions, type JobStarted } from './job-queue';
export type { WorkerHandle, WorkerLauncher } from './launcher';
export { createNodeForkLauncher, defaultWorkerEntry, type NodeForkLauncherOptions } from './node-launcher';
export {
  RESUME_FORMAT,
  ResumeStateSchema,
  decodeResume,
  encodeResume,
  type ResumeState,
} from './resume-state';
export { TRAINABLE_MASK_KIND, readTrainableMask, trainableMaskArtifact } from './trainable-mask';
export { checkResumable, createTrainingRun, parseTrainingSpec, specOfRun } from './training-runs';
export type { ParentMessage, WorkerJob, WorkerMessage } from './worker-messages';
