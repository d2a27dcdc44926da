// Original file: protos/aidoc/v1/worker.proto


export interface ReportFailureRequest {
  'sessionId'?: (string);
  'taskId'?: (string);
  /**
   * An AidocError code when the worker has one (e.g. "PRIVACY_BUDGET_EXHAUSTED"), else empty.
   */
  'code'?: (string);
  /**
   * Human-readable reason; never contains record values.
   */
  'detail'?: (string);
}

export interface ReportFailureRequest__Output {
  'sessionId': (string);
  'taskId': (string);
  /**
   * An AidocError code when the worker has one (e.g. "PRIVACY_BUDGET_EXHAUSTED"), else empty.
   */
  'code': (string);
  /**
   * Human-readable reason; never contains record values.
   */
  'detail': (string);
}
