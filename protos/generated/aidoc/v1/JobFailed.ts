// Original file: protos/aidoc/v1/job.proto


export interface JobFailed {
  'reason'?: (string);
  /**
   * The AidocError code behind the failure, e.g. "QUORUM_NOT_MET".
   */
  'code'?: (string);
}

export interface JobFailed__Output {
  'reason': (string);
  /**
   * The AidocError code behind the failure, e.g. "QUORUM_NOT_MET".
   */
  'code': (string);
}
