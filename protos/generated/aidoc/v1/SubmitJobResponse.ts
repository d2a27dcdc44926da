// Original file: protos/aidoc/v1/job.proto

import type { Job as _aidoc_v1_Job, Job__Output as _aidoc_v1_Job__Output } from '../../aidoc/v1/Job.js';

export interface SubmitJobResponse {
  'job'?: (_aidoc_v1_Job | null);
}

export interface SubmitJobResponse__Output {
  'job': (_aidoc_v1_Job__Output | null);
}
