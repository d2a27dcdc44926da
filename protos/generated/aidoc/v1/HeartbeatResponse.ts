// Original file: protos/aidoc/v1/worker.proto


export interface HeartbeatResponse {
  /**
   * When to send the next heartbeat.
   */
  'nextHeartbeatMs'?: (number);
  /**
   * Tasks of this worker that were cancelled (round closed, job cancelled): stop working on them.
   */
  'cancelledTaskIds'?: (string)[];
  /**
   * True when the coordinator no longer knows this session: the worker must Register again.
   */
  'reregister'?: (boolean);
}

export interface HeartbeatResponse__Output {
  /**
   * When to send the next heartbeat.
   */
  'nextHeartbeatMs': (number);
  /**
   * Tasks of this worker that were cancelled (round closed, job cancelled): stop working on them.
   */
  'cancelledTaskIds': (string)[];
  /**
   * True when the coordinator no longer knows this session: the worker must Register again.
   */
  'reregister': (boolean);
}
