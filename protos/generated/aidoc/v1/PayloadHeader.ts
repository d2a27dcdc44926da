// Original file: protos/aidoc/v1/common.proto

import type { PayloadEncoding as _aidoc_v1_PayloadEncoding, PayloadEncoding__Output as _aidoc_v1_PayloadEncoding__Output } from '../../aidoc/v1/PayloadEncoding.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Describes one chunked payload. The receiver preallocates byte_length, accepts chunks with sequence
 * numbers 0, 1, ... chunk_count - 1 in order, each no larger than chunk_size, and checks the SHA-256 of
 * the joined bytes before using them. Truncated, reordered, duplicated or oversized chunks are rejected.
 */
export interface PayloadHeader {
  'encoding'?: (_aidoc_v1_PayloadEncoding);
  /**
   * Total length in bytes of the joined payload.
   */
  'byteLength'?: (number | string | Long);
  /**
   * SHA-256 of the joined payload (32 bytes).
   */
  'sha256'?: (Buffer | Uint8Array | string);
  /**
   * Number of PayloadChunk messages that follow (0 for an empty payload).
   */
  'chunkCount'?: (number);
  /**
   * Largest chunk the sender uses, in bytes (at most 1048576); every chunk but the last has this size.
   */
  'chunkSize'?: (number);
  /**
   * Number of logical elements (float32 values, or ciphertext slots in use); 0 when not applicable.
   */
  'elementCount'?: (number | string | Long);
  /**
   * A sub-type for CKKS/opaque payloads, e.g. "ckks/seal-6/n8192"; empty for PLAIN_F32.
   */
  'contentType'?: (string);
  /**
   * Parameters for the content type (e.g. serialized encryption parameters); empty when not needed.
   */
  'encodingParams'?: (Buffer | Uint8Array | string);
}

/**
 * Describes one chunked payload. The receiver preallocates byte_length, accepts chunks with sequence
 * numbers 0, 1, ... chunk_count - 1 in order, each no larger than chunk_size, and checks the SHA-256 of
 * the joined bytes before using them. Truncated, reordered, duplicated or oversized chunks are rejected.
 */
export interface PayloadHeader__Output {
  'encoding': (_aidoc_v1_PayloadEncoding__Output);
  /**
   * Total length in bytes of the joined payload.
   */
  'byteLength': (number);
  /**
   * SHA-256 of the joined payload (32 bytes).
   */
  'sha256': (Buffer);
  /**
   * Number of PayloadChunk messages that follow (0 for an empty payload).
   */
  'chunkCount': (number);
  /**
   * Largest chunk the sender uses, in bytes (at most 1048576); every chunk but the last has this size.
   */
  'chunkSize': (number);
  /**
   * Number of logical elements (float32 values, or ciphertext slots in use); 0 when not applicable.
   */
  'elementCount': (number);
  /**
   * A sub-type for CKKS/opaque payloads, e.g. "ckks/seal-6/n8192"; empty for PLAIN_F32.
   */
  'contentType': (string);
  /**
   * Parameters for the content type (e.g. serialized encryption parameters); empty when not needed.
   */
  'encodingParams': (Buffer);
}
