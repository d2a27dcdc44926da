// Original file: protos/aidoc/v1/worker.proto


export interface CoordinatorReplica {
  'replicaId'?: (string);
  /**
   * host:port; the replicas share the coordinator certificate, so the worker checks the same name.
   */
  'address'?: (string);
}

export interface CoordinatorReplica__Output {
  'replicaId': (string);
  /**
   * host:port; the replicas share the coordinator certificate, so the worker checks the same name.
   */
  'address': (string);
}
