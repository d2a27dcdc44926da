// Original file: protos/aidoc/v1/job.proto


export interface JobCancelled {
  'reason'?: (string);
}

export interface JobCancelled__Output {
  'reason': (string);
}
