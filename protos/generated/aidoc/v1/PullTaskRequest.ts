// Original file: protos/aidoc/v1/worker.proto


export interface PullTaskRequest {
  'sessionId'?: (string);
  /**
   * How long the coordinator may hold the call open waiting for a task (capped by the server).
   */
  'waitMs'?: (number);
}

export interface PullTaskRequest__Output {
  'sessionId': (string);
  /**
   * How long the coordinator may hold the call open waiting for a task (capped by the server).
   */
  'waitMs': (number);
}
