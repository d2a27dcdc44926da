// Original file: protos/aidoc/v1/job.proto


export interface ListVersionsRequest {
  'jobId'?: (string);
}

export interface ListVersionsRequest__Output {
  'jobId': (string);
}
