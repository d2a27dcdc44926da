// Original file: protos/aidoc/v1/job.proto

import type { Job as _aidoc_v1_Job, Job__Output as _aidoc_v1_Job__Output } from '../../aidoc/v1/Job.js';

export interface ListJobsResponse {
  'jobs'?: (_aidoc_v1_Job)[];
  'nextPageToken'?: (string);
}

export interface ListJobsResponse__Output {
  'jobs': (_aidoc_v1_Job__Output)[];
  'nextPageToken': (string);
}
