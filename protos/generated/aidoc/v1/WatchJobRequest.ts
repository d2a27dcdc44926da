// Original file: protos/aidoc/v1/job.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchJobRequest {
  'jobId'?: (string);
  /**
   * Replay events with sequence > after_sequence first (0: from the beginning), then follow live.
   */
  'afterSequence'?: (number | string | Long);
}

export interface WatchJobRequest__Output {
  'jobId': (string);
  /**
   * Replay events with sequence > after_sequence first (0: from the beginning), then follow live.
   */
  'afterSequence': (number);
}
