// Original file: protos/aidoc/v1/worker.proto

export const TaskKind = {
  TASK_KIND_UNSPECIFIED: 'TASK_KIND_UNSPECIFIED',
  /**
   * Train from the global weights and PushUpdate the result.
   */
  TASK_KIND_TRAIN: 'TASK_KIND_TRAIN',
  /**
   * Evaluate the global weights on local data and ReportEvaluation.
   */
  TASK_KIND_EVALUATE: 'TASK_KIND_EVALUATE',
} as const;

export type TaskKind =
  | 'TASK_KIND_UNSPECIFIED'
  | 0
  /**
   * Train from the global weights and PushUpdate the result.
   */
  | 'TASK_KIND_TRAIN'
  | 1
  /**
   * Evaluate the global weights on local data and ReportEvaluation.
   */
  | 'TASK_KIND_EVALUATE'
  | 2

export type TaskKind__Output = typeof TaskKind[keyof typeof TaskKind]
