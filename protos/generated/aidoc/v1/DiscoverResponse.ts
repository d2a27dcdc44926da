// Original file: protos/aidoc/v1/worker.proto

import type { CoordinatorReplica as _aidoc_v1_CoordinatorReplica, CoordinatorReplica__Output as _aidoc_v1_CoordinatorReplica__Output } from '../../aidoc/v1/CoordinatorReplica.js';

export interface DiscoverResponse {
  'replicas'?: (_aidoc_v1_CoordinatorReplica)[];
  /**
   * The replica that answered.
   */
  'replicaId'?: (string);
}

export interface DiscoverResponse__Output {
  'replicas': (_aidoc_v1_CoordinatorReplica__Output)[];
  /**
   * The replica that answered.
   */
  'replicaId': (string);
}
