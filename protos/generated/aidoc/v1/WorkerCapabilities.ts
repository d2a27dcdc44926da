// Original file: protos/aidoc/v1/common.proto

import type { DatasetCapability as _aidoc_v1_DatasetCapability, DatasetCapability__Output as _aidoc_v1_DatasetCapability__Output } from '../../aidoc/v1/DatasetCapability.js';
import type { Long } from '@grpc/proto-loader';

/**
 * What a worker machine offers.
 */
export interface WorkerCapabilities {
  'cores'?: (number);
  'memoryBytes'?: (number | string | Long);
  /**
   * Training backend, e.g. "wasm", "cpu", "tensorflow-gpu".
   */
  'backend'?: (string);
  'datasets'?: (_aidoc_v1_DatasetCapability)[];
  /**
   * The worker's software version (package version).
   */
  'softwareVersion'?: (string);
  /**
   * Optional features the worker supports, e.g. "ckks", "dp-client" (applies TrainingConfig.client_dp).
   */
  'features'?: (string)[];
}

/**
 * What a worker machine offers.
 */
export interface WorkerCapabilities__Output {
  'cores': (number);
  'memoryBytes': (number);
  /**
   * Training backend, e.g. "wasm", "cpu", "tensorflow-gpu".
   */
  'backend': (string);
  'datasets': (_aidoc_v1_DatasetCapability__Output)[];
  /**
   * The worker's software version (package version).
   */
  'softwareVersion': (string);
  /**
   * Optional features the worker supports, e.g. "ckks", "dp-client" (applies TrainingConfig.client_dp).
   */
  'features': (string)[];
}
