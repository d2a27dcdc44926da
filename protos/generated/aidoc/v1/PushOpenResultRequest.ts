// Original file: protos/aidoc/v1/worker.proto

import type { OpenResultHeader as _aidoc_v1_OpenResultHeader, OpenResultHeader__Output as _aidoc_v1_OpenResultHeader__Output } from '../../aidoc/v1/OpenResultHeader.js';
import type { PayloadChunk as _aidoc_v1_PayloadChunk, PayloadChunk__Output as _aidoc_v1_PayloadChunk__Output } from '../../aidoc/v1/PayloadChunk.js';
import type { PayloadTrailer as _aidoc_v1_PayloadTrailer, PayloadTrailer__Output as _aidoc_v1_PayloadTrailer__Output } from '../../aidoc/v1/PayloadTrailer.js';

export interface PushOpenResultRequest {
  'header'?: (_aidoc_v1_OpenResultHeader | null);
  'chunk'?: (_aidoc_v1_PayloadChunk | null);
  'trailer'?: (_aidoc_v1_PayloadTrailer | null);
  'part'?: "header"|"chunk"|"trailer";
}

export interface PushOpenResultRequest__Output {
  'header'?: (_aidoc_v1_OpenResultHeader__Output | null);
  'chunk'?: (_aidoc_v1_PayloadChunk__Output | null);
  'trailer'?: (_aidoc_v1_PayloadTrailer__Output | null);
  'part'?: "header"|"chunk"|"trailer";
}
