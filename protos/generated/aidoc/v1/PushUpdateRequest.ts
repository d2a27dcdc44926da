// Original file: protos/aidoc/v1/worker.proto

import type { UpdateHeader as _aidoc_v1_UpdateHeader, UpdateHeader__Output as _aidoc_v1_UpdateHeader__Output } from '../../aidoc/v1/UpdateHeader.js';
import type { PayloadChunk as _aidoc_v1_PayloadChunk, PayloadChunk__Output as _aidoc_v1_PayloadChunk__Output } from '../../aidoc/v1/PayloadChunk.js';
import type { PayloadTrailer as _aidoc_v1_PayloadTrailer, PayloadTrailer__Output as _aidoc_v1_PayloadTrailer__Output } from '../../aidoc/v1/PayloadTrailer.js';

export interface PushUpdateRequest {
  'header'?: (_aidoc_v1_UpdateHeader | null);
  'chunk'?: (_aidoc_v1_PayloadChunk | null);
  'trailer'?: (_aidoc_v1_PayloadTrailer | null);
  'part'?: "header"|"chunk"|"trailer";
}

export interface PushUpdateRequest__Output {
  'header'?: (_aidoc_v1_UpdateHeader__Output | null);
  'chunk'?: (_aidoc_v1_PayloadChunk__Output | null);
  'trailer'?: (_aidoc_v1_PayloadTrailer__Output | null);
  'part'?: "header"|"chunk"|"trailer";
}
