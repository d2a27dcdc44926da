// Original file: protos/aidoc/v1/worker.proto

import type { WorkerActivity as _aidoc_v1_WorkerActivity, WorkerActivity__Output as _aidoc_v1_WorkerActivity__Output } from '../../aidoc/v1/WorkerActivity.js';

export interface HeartbeatRequest {
  'sessionId'?: (string);
  'activity'?: (_aidoc_v1_WorkerActivity);
  /**
   * The task being worked on, if any.
   */
  'taskId'?: (string);
  /**
   * Progress of that task in [0, 1].
   */
  'progress'?: (number | string);
}

export interface HeartbeatRequest__Output {
  'sessionId': (string);
  'activity': (_aidoc_v1_WorkerActivity__Output);
  /**
   * The task being worked on, if any.
   */
  'taskId': (string);
  /**
   * Progress of that task in [0, 1].
   */
  'progress': (number);
}
