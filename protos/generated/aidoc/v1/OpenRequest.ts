// Original file: protos/aidoc/v1/worker.proto

import type { PayloadRef as _aidoc_v1_PayloadRef, PayloadRef__Output as _aidoc_v1_PayloadRef__Output } from '../../aidoc/v1/PayloadRef.js';
import type { TypedBlob as _aidoc_v1_TypedBlob, TypedBlob__Output as _aidoc_v1_TypedBlob__Output } from '../../aidoc/v1/TypedBlob.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Asks a participating worker (the opener) to open an aggregate, e.g. to decrypt a sum of CKKS
 * ciphertexts after checking it is the sum of the claimed contributions.
 */
export interface OpenRequest {
  'openId'?: (string);
  'jobId'?: (string);
  'round'?: (number);
  /**
   * The aggregate to open, fetched through FetchPayload.
   */
  'aggregate'?: (_aidoc_v1_PayloadRef | null);
  /**
   * What the opener needs to check the aggregate (claimed contributions, tags ...), extension-defined.
   */
  'context'?: (_aidoc_v1_TypedBlob | null);
  'deadlineUnixMs'?: (number | string | Long);
  'nonce'?: (Buffer | Uint8Array | string);
}

/**
 * Asks a participating worker (the opener) to open an aggregate, e.g. to decrypt a sum of CKKS
 * ciphertexts after checking it is the sum of the claimed contributions.
 */
export interface OpenRequest__Output {
  'openId': (string);
  'jobId': (string);
  'round': (number);
  /**
   * The aggregate to open, fetched through FetchPayload.
   */
  'aggregate': (_aidoc_v1_PayloadRef__Output | null);
  /**
   * What the opener needs to check the aggregate (claimed contributions, tags ...), extension-defined.
   */
  'context': (_aidoc_v1_TypedBlob__Output | null);
  'deadlineUnixMs': (number);
  'nonce': (Buffer);
}
