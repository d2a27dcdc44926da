// Original file: protos/aidoc/v1/job.proto

import type { JobSpec as _aidoc_v1_JobSpec, JobSpec__Output as _aidoc_v1_JobSpec__Output } from '../../aidoc/v1/JobSpec.js';

export interface SubmitJobRequest {
  'spec'?: (_aidoc_v1_JobSpec | null);
  /**
   * Optional: a retried SubmitJob with the same key returns the job created the first time.
   */
  'idempotencyKey'?: (string);
}

export interface SubmitJobRequest__Output {
  'spec': (_aidoc_v1_JobSpec__Output | null);
  /**
   * Optional: a retried SubmitJob with the same key returns the job created the first time.
   */
  'idempotencyKey': (string);
}
