// Original file: protos/aidoc/v1/job.proto

import type { WorkerFailure as _aidoc_v1_WorkerFailure, WorkerFailure__Output as _aidoc_v1_WorkerFailure__Output } from '../../aidoc/v1/WorkerFailure.js';
import type { Long } from '@grpc/proto-loader';

export interface RoundSummary {
  'round'?: (number);
  /**
   * Worker ids whose updates were aggregated.
   */
  'participants'?: (string)[];
  'failures'?: (_aidoc_v1_WorkerFailure)[];
  /**
   * Aggregated metrics, e.g. {"accuracy": 0.96, "loss": 0.11, "test_accuracy": 0.95}.
   */
  'metrics'?: ({[key: string]: number | string});
  /**
   * Examples behind the aggregate.
   */
  'numExamples'?: (number | string | Long);
  'startedUnixMs'?: (number | string | Long);
  'closedUnixMs'?: (number | string | Long);
  /**
   * The version this round committed, if any.
   */
  'version'?: (string);
  /**
   * How often the round was retried with other workers before it closed.
   */
  'attempts'?: (number);
}

export interface RoundSummary__Output {
  'round': (number);
  /**
   * Worker ids whose updates were aggregated.
   */
  'participants': (string)[];
  'failures': (_aidoc_v1_WorkerFailure__Output)[];
  /**
   * Aggregated metrics, e.g. {"accuracy": 0.96, "loss": 0.11, "test_accuracy": 0.95}.
   */
  'metrics': ({[key: string]: number});
  /**
   * Examples behind the aggregate.
   */
  'numExamples': (number);
  'startedUnixMs': (number);
  'closedUnixMs': (number);
  /**
   * The version this round committed, if any.
   */
  'version': (string);
  /**
   * How often the round was retried with other workers before it closed.
   */
  'attempts': (number);
}
