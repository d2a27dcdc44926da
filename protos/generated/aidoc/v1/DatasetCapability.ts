// Original file: protos/aidoc/v1/common.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A dataset a worker holds, as it advertises it. Only shapes and counts, never records.
 */
export interface DatasetCapability {
  /**
   * Worker-local dataset id.
   */
  'datasetId'?: (string);
  /**
   * The schema the dataset conforms to; jobs name the schema they need.
   */
  'schemaId'?: (string);
  'schemaName'?: (string);
  /**
   * Shape of one example's features, e.g. [30] for WDBC or [28, 28, 1] for Fashion-MNIST.
   */
  'featureShape'?: (number)[];
  'numClasses'?: (number);
  'classNames'?: (string)[];
  /**
   * Records in the dataset, and those whose owners consent to federated training.
   */
  'recordCount'?: (number | string | Long);
  'consentedRecordCount'?: (number | string | Long);
}

/**
 * A dataset a worker holds, as it advertises it. Only shapes and counts, never records.
 */
export interface DatasetCapability__Output {
  /**
   * Worker-local dataset id.
   */
  'datasetId': (string);
  /**
   * The schema the dataset conforms to; jobs name the schema they need.
   */
  'schemaId': (string);
  'schemaName': (string);
  /**
   * Shape of one example's features, e.g. [30] for WDBC or [28, 28, 1] for Fashion-MNIST.
   */
  'featureShape': (number)[];
  'numClasses': (number);
  'classNames': (string)[];
  /**
   * Records in the dataset, and those whose owners consent to federated training.
   */
  'recordCount': (number);
  'consentedRecordCount': (number);
}
