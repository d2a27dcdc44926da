// Original file: protos/aidoc/v1/common.proto

import type { PayloadHeader as _aidoc_v1_PayloadHeader, PayloadHeader__Output as _aidoc_v1_PayloadHeader__Output } from '../../aidoc/v1/PayloadHeader.js';
import type { PayloadChunk as _aidoc_v1_PayloadChunk, PayloadChunk__Output as _aidoc_v1_PayloadChunk__Output } from '../../aidoc/v1/PayloadChunk.js';
import type { PayloadTrailer as _aidoc_v1_PayloadTrailer, PayloadTrailer__Output as _aidoc_v1_PayloadTrailer__Output } from '../../aidoc/v1/PayloadTrailer.js';

/**
 * A server-streamed payload: exactly one header, then chunk_count chunks, then one trailer.
 */
export interface PayloadPart {
  'header'?: (_aidoc_v1_PayloadHeader | null);
  'chunk'?: (_aidoc_v1_PayloadChunk | null);
  'trailer'?: (_aidoc_v1_PayloadTrailer | null);
  'part'?: "header"|"chunk"|"trailer";
}

/**
 * A server-streamed payload: exactly one header, then chunk_count chunks, then one trailer.
 */
export interface PayloadPart__Output {
  'header'?: (_aidoc_v1_PayloadHeader__Output | null);
  'chunk'?: (_aidoc_v1_PayloadChunk__Output | null);
  'trailer'?: (_aidoc_v1_PayloadTrailer__Output | null);
  'part'?: "header"|"chunk"|"trailer";
}
