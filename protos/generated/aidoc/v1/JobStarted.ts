// Original file: protos/aidoc/v1/job.proto


export interface JobStarted {
  'rounds'?: (number);
}

export interface JobStarted__Output {
  'rounds': (number);
}
