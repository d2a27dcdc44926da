// Original file: protos/aidoc/v1/job.proto

import type { JobState as _aidoc_v1_JobState, JobState__Output as _aidoc_v1_JobState__Output } from '../../aidoc/v1/JobState.js';

export interface ListJobsRequest {
  /**
   * At most this many jobs (0: server default); newest first.
   */
  'pageSize'?: (number);
  /**
   * next_page_token of the previous page; empty for the first page.
   */
  'pageToken'?: (string);
  /**
   * Only jobs in these states (empty: all).
   */
  'states'?: (_aidoc_v1_JobState)[];
}

export interface ListJobsRequest__Output {
  /**
   * At most this many jobs (0: server default); newest first.
   */
  'pageSize': (number);
  /**
   * next_page_token of the previous page; empty for the first page.
   */
  'pageToken': (string);
  /**
   * Only jobs in these states (empty: all).
   */
  'states': (_aidoc_v1_JobState__Output)[];
}
