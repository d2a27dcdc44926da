// Original file: protos/aidoc/v1/common.proto

import type { PayloadHeader as _aidoc_v1_PayloadHeader, PayloadHeader__Output as _aidoc_v1_PayloadHeader__Output } from '../../aidoc/v1/PayloadHeader.js';

/**
 * A payload the worker fetches separately through WorkerService.FetchPayload. Carrying only the reference
 * and the header keeps PullTask small while letting the worker verify what it downloads.
 */
export interface PayloadRef {
  /**
   * Opaque handle, valid for the task or open request that carries it.
   */
  'ref'?: (string);
  'header'?: (_aidoc_v1_PayloadHeader | null);
}

/**
 * A payload the worker fetches separately through WorkerService.FetchPayload. Carrying only the reference
 * and the header keeps PullTask small while letting the worker verify what it downloads.
 */
export interface PayloadRef__Output {
  /**
   * Opaque handle, valid for the task or open request that carries it.
   */
  'ref': (string);
  'header': (_aidoc_v1_PayloadHeader__Output | null);
}
