// Original file: protos/aidoc/v1/job.proto

import type { JobSpec as _aidoc_v1_JobSpec, JobSpec__Output as _aidoc_v1_JobSpec__Output } from '../../aidoc/v1/JobSpec.js';
import type { JobState as _aidoc_v1_JobState, JobState__Output as _aidoc_v1_JobState__Output } from '../../aidoc/v1/JobState.js';
import type { RoundSummary as _aidoc_v1_RoundSummary, RoundSummary__Output as _aidoc_v1_RoundSummary__Output } from '../../aidoc/v1/RoundSummary.js';
import type { Long } from '@grpc/proto-loader';

export interface Job {
  'jobId'?: (string);
  /**
   * The submitting vendor's identity (from its certificate).
   */
  'vendor'?: (string);
  'spec'?: (_aidoc_v1_JobSpec | null);
  'state'?: (_aidoc_v1_JobState);
  /**
   * The round in progress, or the last one when the job has ended (0 before the first).
   */
  'currentRound'?: (number);
  'roundsCompleted'?: (number);
  /**
   * Why the job failed or was cancelled.
   */
  'reason'?: (string);
  'createdUnixMs'?: (number | string | Long);
  'updatedUnixMs'?: (number | string | Long);
  'rounds'?: (_aidoc_v1_RoundSummary)[];
  /**
   * The newest committed version id, if any.
   */
  'latestVersion'?: (string);
}

export interface Job__Output {
  'jobId': (string);
  /**
   * The submitting vendor's identity (from its certificate).
   */
  'vendor': (string);
  'spec': (_aidoc_v1_JobSpec__Output | null);
  'state': (_aidoc_v1_JobState__Output);
  /**
   * The round in progress, or the last one when the job has ended (0 before the first).
   */
  'currentRound': (number);
  'roundsCompleted': (number);
  /**
   * Why the job failed or was cancelled.
   */
  'reason': (string);
  'createdUnixMs': (number);
  'updatedUnixMs': (number);
  'rounds': (_aidoc_v1_RoundSummary__Output)[];
  /**
   * The newest committed version id, if any.
   */
  'latestVersion': (string);
}
