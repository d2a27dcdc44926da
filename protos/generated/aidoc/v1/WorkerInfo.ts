// Original file: protos/aidoc/v1/admin.proto

import type { WorkerCapabilities as _aidoc_v1_WorkerCapabilities, WorkerCapabilities__Output as _aidoc_v1_WorkerCapabilities__Output } from '../../aidoc/v1/WorkerCapabilities.js';
import type { WorkerHealth as _aidoc_v1_WorkerHealth, WorkerHealth__Output as _aidoc_v1_WorkerHealth__Output } from '../../aidoc/v1/WorkerHealth.js';
import type { WorkerFailure as _aidoc_v1_WorkerFailure, WorkerFailure__Output as _aidoc_v1_WorkerFailure__Output } from '../../aidoc/v1/WorkerFailure.js';
import type { Long } from '@grpc/proto-loader';

export interface WorkerInfo {
  'workerId'?: (string);
  /**
   * SHA-256 (hex) of the DER of the worker's certificate.
   */
  'certificateFingerprint'?: (string);
  'capabilities'?: (_aidoc_v1_WorkerCapabilities | null);
  'registeredUnixMs'?: (number | string | Long);
  'lastHeartbeatUnixMs'?: (number | string | Long);
  'health'?: (_aidoc_v1_WorkerHealth);
  'roundsServed'?: (number);
  'failures'?: (number);
  'currentTaskId'?: (string);
  /**
   * The most recent failure, if any.
   */
  'lastFailure'?: (_aidoc_v1_WorkerFailure | null);
  /**
   * The peer address the worker calls from, as gRPC reports it.
   */
  'peerAddress'?: (string);
}

export interface WorkerInfo__Output {
  'workerId': (string);
  /**
   * SHA-256 (hex) of the DER of the worker's certificate.
   */
  'certificateFingerprint': (string);
  'capabilities': (_aidoc_v1_WorkerCapabilities__Output | null);
  'registeredUnixMs': (number);
  'lastHeartbeatUnixMs': (number);
  'health': (_aidoc_v1_WorkerHealth__Output);
  'roundsServed': (number);
  'failures': (number);
  'currentTaskId': (string);
  /**
   * The most recent failure, if any.
   */
  'lastFailure': (_aidoc_v1_WorkerFailure__Output | null);
  /**
   * The peer address the worker calls from, as gRPC reports it.
   */
  'peerAddress': (string);
}
