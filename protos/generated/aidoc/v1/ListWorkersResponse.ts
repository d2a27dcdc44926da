// Original file: protos/aidoc/v1/admin.proto

import type { WorkerInfo as _aidoc_v1_WorkerInfo, WorkerInfo__Output as _aidoc_v1_WorkerInfo__Output } from '../../aidoc/v1/WorkerInfo.js';

export interface ListWorkersResponse {
  'workers'?: (_aidoc_v1_WorkerInfo)[];
}

export interface ListWorkersResponse__Output {
  'workers': (_aidoc_v1_WorkerInfo__Output)[];
}
