// Original file: protos/aidoc/v1/job.proto

import type { RoundSummary as _aidoc_v1_RoundSummary, RoundSummary__Output as _aidoc_v1_RoundSummary__Output } from '../../aidoc/v1/RoundSummary.js';

export interface RoundClosed {
  'summary'?: (_aidoc_v1_RoundSummary | null);
}

export interface RoundClosed__Output {
  'summary': (_aidoc_v1_RoundSummary__Output | null);
}
