// Original file: protos/aidoc/v1/worker.proto

import type { WorkerCapabilities as _aidoc_v1_WorkerCapabilities, WorkerCapabilities__Output as _aidoc_v1_WorkerCapabilities__Output } from '../../aidoc/v1/WorkerCapabilities.js';

export interface RegisterRequest {
  'capabilities'?: (_aidoc_v1_WorkerCapabilities | null);
}

export interface RegisterRequest__Output {
  'capabilities': (_aidoc_v1_WorkerCapabilities__Output | null);
}
