// Original file: protos/aidoc/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface ReportEvaluationRequest {
  'sessionId'?: (string);
  'taskId'?: (string);
  'jobId'?: (string);
  'round'?: (number);
  'numExamples'?: (number | string | Long);
  /**
   * e.g. {"loss": 0.1, "accuracy": 0.96}.
   */
  'metrics'?: ({[key: string]: number | string});
  'nonce'?: (Buffer | Uint8Array | string);
}

export interface ReportEvaluationRequest__Output {
  'sessionId': (string);
  'taskId': (string);
  'jobId': (string);
  'round': (number);
  'numExamples': (number);
  /**
   * e.g. {"loss": 0.1, "accuracy": 0.96}.
   */
  'metrics': ({[key: string]: number});
  'nonce': (Buffer);
}
