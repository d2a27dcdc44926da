// Original file: protos/aidoc/v1/worker.proto


export interface FetchPayloadRequest {
  'sessionId'?: (string);
  /**
   * A PayloadRef.ref from a task or an open request of this worker.
   */
  'ref'?: (string);
}

export interface FetchPayloadRequest__Output {
  'sessionId': (string);
  /**
   * A PayloadRef.ref from a task or an open request of this worker.
   */
  'ref': (string);
}
