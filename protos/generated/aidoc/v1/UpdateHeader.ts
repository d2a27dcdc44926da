// Original file: protos/aidoc/v1/worker.proto

import type { PayloadHeader as _aidoc_v1_PayloadHeader, PayloadHeader__Output as _aidoc_v1_PayloadHeader__Output } from '../../aidoc/v1/PayloadHeader.js';
import type { TypedBlob as _aidoc_v1_TypedBlob, TypedBlob__Output as _aidoc_v1_TypedBlob__Output } from '../../aidoc/v1/TypedBlob.js';
import type { Long } from '@grpc/proto-loader';

export interface UpdateHeader {
  'sessionId'?: (string);
  'taskId'?: (string);
  'jobId'?: (string);
  'round'?: (number);
  /**
   * Examples the update was trained on (the FedAvg weight).
   */
  'numExamples'?: (number | string | Long);
  /**
   * Local training metrics, e.g. {"loss": 0.12, "accuracy": 0.97}.
   */
  'metrics'?: ({[key: string]: number | string});
  /**
   * Task.nonce, echoed.
   */
  'nonce'?: (Buffer | Uint8Array | string);
  /**
   * The update's bytes: PLAIN_F32 (the new local weights, or a delta as the strategy says) or CKKS.
   */
  'payload'?: (_aidoc_v1_PayloadHeader | null);
  /**
   * Extra data of a secure-aggregation layer (e.g. a tag or a signature over ciphertext digests).
   */
  'extension'?: (_aidoc_v1_TypedBlob | null);
  /**
   * Local training wall time, for the coordinator's latency records.
   */
  'trainMs'?: (number);
}

export interface UpdateHeader__Output {
  'sessionId': (string);
  'taskId': (string);
  'jobId': (string);
  'round': (number);
  /**
   * Examples the update was trained on (the FedAvg weight).
   */
  'numExamples': (number);
  /**
   * Local training metrics, e.g. {"loss": 0.12, "accuracy": 0.97}.
   */
  'metrics': ({[key: string]: number});
  /**
   * Task.nonce, echoed.
   */
  'nonce': (Buffer);
  /**
   * The update's bytes: PLAIN_F32 (the new local weights, or a delta as the strategy says) or CKKS.
   */
  'payload': (_aidoc_v1_PayloadHeader__Output | null);
  /**
   * Extra data of a secure-aggregation layer (e.g. a tag or a signature over ciphertext digests).
   */
  'extension': (_aidoc_v1_TypedBlob__Output | null);
  /**
   * Local training wall time, for the coordinator's latency records.
   */
  'trainMs': (number);
}
