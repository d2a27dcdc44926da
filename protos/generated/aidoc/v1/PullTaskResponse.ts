// Original file: protos/aidoc/v1/worker.proto

import type { Task as _aidoc_v1_Task, Task__Output as _aidoc_v1_Task__Output } from '../../aidoc/v1/Task.js';
import type { NoTask as _aidoc_v1_NoTask, NoTask__Output as _aidoc_v1_NoTask__Output } from '../../aidoc/v1/NoTask.js';

export interface PullTaskResponse {
  'task'?: (_aidoc_v1_Task | null);
  'none'?: (_aidoc_v1_NoTask | null);
  'result'?: "task"|"none";
}

export interface PullTaskResponse__Output {
  'task'?: (_aidoc_v1_Task__Output | null);
  'none'?: (_aidoc_v1_NoTask__Output | null);
  'result'?: "task"|"none";
}
