// Original file: protos/aidoc/v1/job.proto

import type { ModelSpec as _aidoc_v1_ModelSpec, ModelSpec__Output as _aidoc_v1_ModelSpec__Output } from '../../aidoc/v1/ModelSpec.js';
import type { StrategySpec as _aidoc_v1_StrategySpec, StrategySpec__Output as _aidoc_v1_StrategySpec__Output } from '../../aidoc/v1/StrategySpec.js';
import type { PrivacySpec as _aidoc_v1_PrivacySpec, PrivacySpec__Output as _aidoc_v1_PrivacySpec__Output } from '../../aidoc/v1/PrivacySpec.js';
import type { SecureAggregationMode as _aidoc_v1_SecureAggregationMode, SecureAggregationMode__Output as _aidoc_v1_SecureAggregationMode__Output } from '../../aidoc/v1/SecureAggregationMode.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Everything a vendor chooses about a job. Zero values mean "server default" where a default exists.
 */
export interface JobSpec {
  /**
   * A label for humans.
   */
  'name'?: (string);
  'model'?: (_aidoc_v1_ModelSpec | null);
  /**
   * The dataset schema the job trains on; only workers holding it take part.
   */
  'datasetSchemaId'?: (string);
  'rounds'?: (number);
  'localEpochs'?: (number);
  'batchSize'?: (number);
  'learningRate'?: (number | string);
  'strategy'?: (_aidoc_v1_StrategySpec | null);
  'privacy'?: (_aidoc_v1_PrivacySpec | null);
  'secureAggregation'?: (_aidoc_v1_SecureAggregationMode);
  /**
   * Fewest updates a round may close with.
   */
  'minWorkers'?: (number);
  /**
   * Fraction of eligible workers sampled per round, in (0, 1]; 0 means 1.
   */
  'fraction'?: (number | string);
  'roundDeadlineMs'?: (number);
  /**
   * Fee per round, decimal string in the token's smallest unit ("0" or empty: no fee).
   */
  'feePerRound'?: (string);
  /**
   * Start from this committed version ("<job_id>@<round>" or a version id) instead of fresh weights.
   */
  'fromVersion'?: (string);
  /**
   * The consent purpose records must be granted for (e.g. "research/breast-cancer"); empty means
   * "medical-research". Workers that read the ledger train only on records whose owners granted it.
   */
  'purpose'?: (string);
  /**
   * Seed for weight initialisation and worker sampling (0: the server picks one and records it).
   */
  'seed'?: (number | string | Long);
}

/**
 * Everything a vendor chooses about a job. Zero values mean "server default" where a default exists.
 */
export interface JobSpec__Output {
  /**
   * A label for humans.
   */
  'name': (string);
  'model': (_aidoc_v1_ModelSpec__Output | null);
  /**
   * The dataset schema the job trains on; only workers holding it take part.
   */
  'datasetSchemaId': (string);
  'rounds': (number);
  'localEpochs': (number);
  'batchSize': (number);
  'learningRate': (number);
  'strategy': (_aidoc_v1_StrategySpec__Output | null);
  'privacy': (_aidoc_v1_PrivacySpec__Output | null);
  'secureAggregation': (_aidoc_v1_SecureAggregationMode__Output);
  /**
   * Fewest updates a round may close with.
   */
  'minWorkers': (number);
  /**
   * Fraction of eligible workers sampled per round, in (0, 1]; 0 means 1.
   */
  'fraction': (number);
  'roundDeadlineMs': (number);
  /**
   * Fee per round, decimal string in the token's smallest unit ("0" or empty: no fee).
   */
  'feePerRound': (string);
  /**
   * Start from this committed version ("<job_id>@<round>" or a version id) instead of fresh weights.
   */
  'fromVersion': (string);
  /**
   * The consent purpose records must be granted for (e.g. "research/breast-cancer"); empty means
   * "medical-research". Workers that read the ledger train only on records whose owners granted it.
   */
  'purpose': (string);
  /**
   * Seed for weight initialisation and worker sampling (0: the server picks one and records it).
   */
  'seed': (number);
}
