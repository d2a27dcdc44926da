// Original file: protos/aidoc/v1/job.proto

export const JobState = {
  JOB_STATE_UNSPECIFIED: 'JOB_STATE_UNSPECIFIED',
  JOB_STATE_QUEUED: 'JOB_STATE_QUEUED',
  JOB_STATE_RUNNING: 'JOB_STATE_RUNNING',
  JOB_STATE_COMPLETED: 'JOB_STATE_COMPLETED',
  JOB_STATE_FAILED: 'JOB_STATE_FAILED',
  JOB_STATE_CANCELLED: 'JOB_STATE_CANCELLED',
} as const;

export type JobState =
  | 'JOB_STATE_UNSPECIFIED'
  | 0
  | 'JOB_STATE_QUEUED'
  | 1
  | 'JOB_STATE_RUNNING'
  | 2
  | 'JOB_STATE_COMPLETED'
  | 3
  | 'JOB_STATE_FAILED'
  | 4
  | 'JOB_STATE_CANCELLED'
  | 5

export type JobState__Output = typeof JobState[keyof typeof JobState]
