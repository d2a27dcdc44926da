// Original file: protos/aidoc/v1/job.proto

import type { RoundStarted as _aidoc_v1_RoundStarted, RoundStarted__Output as _aidoc_v1_RoundStarted__Output } from '../../aidoc/v1/RoundStarted.js';
import type { WorkerJoined as _aidoc_v1_WorkerJoined, WorkerJoined__Output as _aidoc_v1_WorkerJoined__Output } from '../../aidoc/v1/WorkerJoined.js';
import type { WorkerDropped as _aidoc_v1_WorkerDropped, WorkerDropped__Output as _aidoc_v1_WorkerDropped__Output } from '../../aidoc/v1/WorkerDropped.js';
import type { RoundClosed as _aidoc_v1_RoundClosed, RoundClosed__Output as _aidoc_v1_RoundClosed__Output } from '../../aidoc/v1/RoundClosed.js';
import type { JobCompleted as _aidoc_v1_JobCompleted, JobCompleted__Output as _aidoc_v1_JobCompleted__Output } from '../../aidoc/v1/JobCompleted.js';
import type { JobFailed as _aidoc_v1_JobFailed, JobFailed__Output as _aidoc_v1_JobFailed__Output } from '../../aidoc/v1/JobFailed.js';
import type { JobCancelled as _aidoc_v1_JobCancelled, JobCancelled__Output as _aidoc_v1_JobCancelled__Output } from '../../aidoc/v1/JobCancelled.js';
import type { JobStarted as _aidoc_v1_JobStarted, JobStarted__Output as _aidoc_v1_JobStarted__Output } from '../../aidoc/v1/JobStarted.js';
import type { Long } from '@grpc/proto-loader';

export interface JobEvent {
  'jobId'?: (string);
  /**
   * Increases by 1 per event of the job; lets a watcher resume after a disconnect.
   */
  'sequence'?: (number | string | Long);
  'timeUnixMs'?: (number | string | Long);
  'roundStarted'?: (_aidoc_v1_RoundStarted | null);
  'workerJoined'?: (_aidoc_v1_WorkerJoined | null);
  'workerDropped'?: (_aidoc_v1_WorkerDropped | null);
  'roundClosed'?: (_aidoc_v1_RoundClosed | null);
  'jobCompleted'?: (_aidoc_v1_JobCompleted | null);
  'jobFailed'?: (_aidoc_v1_JobFailed | null);
  'jobCancelled'?: (_aidoc_v1_JobCancelled | null);
  'jobStarted'?: (_aidoc_v1_JobStarted | null);
  'event'?: "roundStarted"|"workerJoined"|"workerDropped"|"roundClosed"|"jobCompleted"|"jobFailed"|"jobCancelled"|"jobStarted";
}

export interface JobEvent__Output {
  'jobId': (string);
  /**
   * Increases by 1 per event of the job; lets a watcher resume after a disconnect.
   */
  'sequence': (number);
  'timeUnixMs': (number);
  'roundStarted'?: (_aidoc_v1_RoundStarted__Output | null);
  'workerJoined'?: (_aidoc_v1_WorkerJoined__Output | null);
  'workerDropped'?: (_aidoc_v1_WorkerDropped__Output | null);
  'roundClosed'?: (_aidoc_v1_RoundClosed__Output | null);
  'jobCompleted'?: (_aidoc_v1_JobCompleted__Output | null);
  'jobFailed'?: (_aidoc_v1_JobFailed__Output | null);
  'jobCancelled'?: (_aidoc_v1_JobCancelled__Output | null);
  'jobStarted'?: (_aidoc_v1_JobStarted__Output | null);
  'event'?: "roundStarted"|"workerJoined"|"workerDropped"|"roundClosed"|"jobCompleted"|"jobFailed"|"jobCancelled"|"jobStarted";
}
