// Original file: protos/aidoc/v1/job.proto


export interface CancelJobRequest {
  'jobId'?: (string);
  'reason'?: (string);
}

export interface CancelJobRequest__Output {
  'jobId': (string);
  'reason': (string);
}
