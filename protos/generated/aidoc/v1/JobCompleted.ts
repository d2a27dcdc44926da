// Original file: protos/aidoc/v1/job.proto


export interface JobCompleted {
  'finalVersion'?: (string);
  'finalMetrics'?: ({[key: string]: number | string});
}

export interface JobCompleted__Output {
  'finalVersion': (string);
  'finalMetrics': ({[key: string]: number});
}
