// Original file: protos/aidoc/v1/worker.proto

import type { PayloadHeader as _aidoc_v1_PayloadHeader, PayloadHeader__Output as _aidoc_v1_PayloadHeader__Output } from '../../aidoc/v1/PayloadHeader.js';
import type { TypedBlob as _aidoc_v1_TypedBlob, TypedBlob__Output as _aidoc_v1_TypedBlob__Output } from '../../aidoc/v1/TypedBlob.js';

export interface OpenResultHeader {
  'sessionId'?: (string);
  'openId'?: (string);
  'nonce'?: (Buffer | Uint8Array | string);
  /**
   * Non-empty when the opener refuses (the aggregate failed its checks); then no chunks follow and
   * payload.chunk_count is 0.
   */
  'refusalReason'?: (string);
  /**
   * The opened result (e.g. the PLAIN_F32 sum).
   */
  'payload'?: (_aidoc_v1_PayloadHeader | null);
  /**
   * Extension-defined proof or metadata.
   */
  'extension'?: (_aidoc_v1_TypedBlob | null);
}

export interface OpenResultHeader__Output {
  'sessionId': (string);
  'openId': (string);
  'nonce': (Buffer);
  /**
   * Non-empty when the opener refuses (the aggregate failed its checks); then no chunks follow and
   * payload.chunk_count is 0.
   */
  'refusalReason': (string);
  /**
   * The opened result (e.g. the PLAIN_F32 sum).
   */
  'payload': (_aidoc_v1_PayloadHeader__Output | null);
  /**
   * Extension-defined proof or metadata.
   */
  'extension': (_aidoc_v1_TypedBlob__Output | null);
}
