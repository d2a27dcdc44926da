// Original file: protos/aidoc/v1/job.proto

import type { WorkerFailure as _aidoc_v1_WorkerFailure, WorkerFailure__Output as _aidoc_v1_WorkerFailure__Output } from '../../aidoc/v1/WorkerFailure.js';

export interface WorkerDropped {
  'round'?: (number);
  'failure'?: (_aidoc_v1_WorkerFailure | null);
}

export interface WorkerDropped__Output {
  'round': (number);
  'failure': (_aidoc_v1_WorkerFailure__Output | null);
}
