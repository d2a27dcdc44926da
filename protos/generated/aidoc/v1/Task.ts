// Original file: protos/aidoc/v1/worker.proto

import type { TaskKind as _aidoc_v1_TaskKind, TaskKind__Output as _aidoc_v1_TaskKind__Output } from '../../aidoc/v1/TaskKind.js';
import type { ModelSpec as _aidoc_v1_ModelSpec, ModelSpec__Output as _aidoc_v1_ModelSpec__Output } from '../../aidoc/v1/ModelSpec.js';
import type { PayloadRef as _aidoc_v1_PayloadRef, PayloadRef__Output as _aidoc_v1_PayloadRef__Output } from '../../aidoc/v1/PayloadRef.js';
import type { TrainingConfig as _aidoc_v1_TrainingConfig, TrainingConfig__Output as _aidoc_v1_TrainingConfig__Output } from '../../aidoc/v1/TrainingConfig.js';
import type { PayloadEncoding as _aidoc_v1_PayloadEncoding, PayloadEncoding__Output as _aidoc_v1_PayloadEncoding__Output } from '../../aidoc/v1/PayloadEncoding.js';
import type { TypedBlob as _aidoc_v1_TypedBlob, TypedBlob__Output as _aidoc_v1_TypedBlob__Output } from '../../aidoc/v1/TypedBlob.js';
import type { Long } from '@grpc/proto-loader';

export interface Task {
  'taskId'?: (string);
  'jobId'?: (string);
  /**
   * Rounds count from 1.
   */
  'round'?: (number);
  'kind'?: (_aidoc_v1_TaskKind);
  'model'?: (_aidoc_v1_ModelSpec | null);
  /**
   * The dataset schema to train on (the worker picks its dataset with this schema).
   */
  'datasetSchemaId'?: (string);
  /**
   * The global weights as a flat PLAIN_F32 vector, in the order of the model's trainable weights.
   */
  'weights'?: (_aidoc_v1_PayloadRef | null);
  'config'?: (_aidoc_v1_TrainingConfig | null);
  /**
   * The update must arrive before this time, or the worker counts as a TIMEOUT failure.
   */
  'deadlineUnixMs'?: (number | string | Long);
  /**
   * Random bytes the worker echoes in its update; binds an update to this task (no replay across rounds).
   */
  'nonce'?: (Buffer | Uint8Array | string);
  /**
   * Encoding the update must use (PLAIN_F32, or CKKS when the job uses secure aggregation).
   */
  'updateEncoding'?: (_aidoc_v1_PayloadEncoding);
  /**
   * Extra settings of a secure-aggregation or privacy layer, opaque to the plain path.
   */
  'extension'?: (_aidoc_v1_TypedBlob | null);
  /**
   * The job's consent purpose: a worker that reads the ledger uses only records whose owners
   * granted it (read fresh for each task).
   */
  'purpose'?: (string);
}

export interface Task__Output {
  'taskId': (string);
  'jobId': (string);
  /**
   * Rounds count from 1.
   */
  'round': (number);
  'kind': (_aidoc_v1_TaskKind__Output);
  'model': (_aidoc_v1_ModelSpec__Output | null);
  /**
   * The dataset schema to train on (the worker picks its dataset with this schema).
   */
  'datasetSchemaId': (string);
  /**
   * The global weights as a flat PLAIN_F32 vector, in the order of the model's trainable weights.
   */
  'weights': (_aidoc_v1_PayloadRef__Output | null);
  'config': (_aidoc_v1_TrainingConfig__Output | null);
  /**
   * The update must arrive before this time, or the worker counts as a TIMEOUT failure.
   */
  'deadlineUnixMs': (number);
  /**
   * Random bytes the worker echoes in its update; binds an update to this task (no replay across rounds).
   */
  'nonce': (Buffer);
  /**
   * Encoding the update must use (PLAIN_F32, or CKKS when the job uses secure aggregation).
   */
  'updateEncoding': (_aidoc_v1_PayloadEncoding__Output);
  /**
   * Extra settings of a secure-aggregation or privacy layer, opaque to the plain path.
   */
  'extension': (_aidoc_v1_TypedBlob__Output | null);
  /**
   * The job's consent purpose: a worker that reads the ledger uses only records whose owners
   * granted it (read fresh for each task).
   */
  'purpose': (string);
}
