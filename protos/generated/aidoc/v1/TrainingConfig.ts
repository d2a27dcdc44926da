// Original file: protos/aidoc/v1/common.proto

import type { StrategySpec as _aidoc_v1_StrategySpec, StrategySpec__Output as _aidoc_v1_StrategySpec__Output } from '../../aidoc/v1/StrategySpec.js';
import type { PrivacySpec as _aidoc_v1_PrivacySpec, PrivacySpec__Output as _aidoc_v1_PrivacySpec__Output } from '../../aidoc/v1/PrivacySpec.js';
import type { ClientDpRound as _aidoc_v1_ClientDpRound, ClientDpRound__Output as _aidoc_v1_ClientDpRound__Output } from '../../aidoc/v1/ClientDpRound.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Local training settings sent to a worker with each task.
 */
export interface TrainingConfig {
  'localEpochs'?: (number);
  'batchSize'?: (number);
  'learningRate'?: (number | string);
  /**
   * The strategy decides the local objective (e.g. FedProx adds mu/2 * ||w - w_global||^2).
   */
  'strategy'?: (_aidoc_v1_StrategySpec | null);
  'privacy'?: (_aidoc_v1_PrivacySpec | null);
  /**
   * Seed for local shuffling and initialisation. Privacy noise never derives from it.
   */
  'seed'?: (number | string | Long);
  /**
   * Fraction of the worker's records used for local validation metrics (0 = none).
   */
  'validationFraction'?: (number | string);
  /**
   * Rounds the job will run in total: a worker calibrates its DP noise so the whole job stays within
   * privacy.target_epsilon (it still refuses any round past its own dataset's cap).
   */
  'totalRounds'?: (number);
  /**
   * Client-level DP of this attempt; absent: off.
   */
  'clientDp'?: (_aidoc_v1_ClientDpRound | null);
}

/**
 * Local training settings sent to a worker with each task.
 */
export interface TrainingConfig__Output {
  'localEpochs': (number);
  'batchSize': (number);
  'learningRate': (number);
  /**
   * The strategy decides the local objective (e.g. FedProx adds mu/2 * ||w - w_global||^2).
   */
  'strategy': (_aidoc_v1_StrategySpec__Output | null);
  'privacy': (_aidoc_v1_PrivacySpec__Output | null);
  /**
   * Seed for local shuffling and initialisation. Privacy noise never derives from it.
   */
  'seed': (number);
  /**
   * Fraction of the worker's records used for local validation metrics (0 = none).
   */
  'validationFraction': (number);
  /**
   * Rounds the job will run in total: a worker calibrates its DP noise so the whole job stays within
   * privacy.target_epsilon (it still refuses any round past its own dataset's cap).
   */
  'totalRounds': (number);
  /**
   * Client-level DP of this attempt; absent: off.
   */
  'clientDp': (_aidoc_v1_ClientDpRound__Output | null);
}
