// Original file: protos/aidoc/v1/job.proto


export interface WorkerJoined {
  'round'?: (number);
  'workerId'?: (string);
}

export interface WorkerJoined__Output {
  'round': (number);
  'workerId': (string);
}
