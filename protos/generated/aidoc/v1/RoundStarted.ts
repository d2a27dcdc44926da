// Original file: protos/aidoc/v1/job.proto

import type { Long } from '@grpc/proto-loader';

export interface RoundStarted {
  'round'?: (number);
  /**
   * Workers selected for the round.
   */
  'workers'?: (string)[];
  'deadlineUnixMs'?: (number | string | Long);
  'attempt'?: (number);
}

export interface RoundStarted__Output {
  'round': (number);
  /**
   * Workers selected for the round.
   */
  'workers': (string)[];
  'deadlineUnixMs': (number);
  'attempt': (number);
}
