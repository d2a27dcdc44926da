// Original file: protos/aidoc/v1/worker.proto


export interface PullOpenRequestRequest {
  'sessionId'?: (string);
  'waitMs'?: (number);
}

export interface PullOpenRequestRequest__Output {
  'sessionId': (string);
  'waitMs': (number);
}
