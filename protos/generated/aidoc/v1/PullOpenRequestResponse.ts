// Original file: protos/aidoc/v1/worker.proto

import type { OpenRequest as _aidoc_v1_OpenRequest, OpenRequest__Output as _aidoc_v1_OpenRequest__Output } from '../../aidoc/v1/OpenRequest.js';
import type { NoTask as _aidoc_v1_NoTask, NoTask__Output as _aidoc_v1_NoTask__Output } from '../../aidoc/v1/NoTask.js';

export interface PullOpenRequestResponse {
  'request'?: (_aidoc_v1_OpenRequest | null);
  'none'?: (_aidoc_v1_NoTask | null);
  'result'?: "request"|"none";
}

export interface PullOpenRequestResponse__Output {
  'request'?: (_aidoc_v1_OpenRequest__Output | null);
  'none'?: (_aidoc_v1_NoTask__Output | null);
  'result'?: "request"|"none";
}
