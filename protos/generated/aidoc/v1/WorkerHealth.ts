// Original file: protos/aidoc/v1/admin.proto

export const WorkerHealth = {
  WORKER_HEALTH_UNSPECIFIED: 'WORKER_HEALTH_UNSPECIFIED',
  /**
   * Heartbeats arrive on time.
   */
  WORKER_HEALTH_HEALTHY: 'WORKER_HEALTH_HEALTHY',
  /**
   * Heartbeats are late; the worker is not selected for new rounds.
   */
  WORKER_HEALTH_STALE: 'WORKER_HEALTH_STALE',
  /**
   * No heartbeat for long; the worker must register again.
   */
  WORKER_HEALTH_OFFLINE: 'WORKER_HEALTH_OFFLINE',
} as const;

export type WorkerHealth =
  | 'WORKER_HEALTH_UNSPECIFIED'
  | 0
  /**
   * Heartbeats arrive on time.
   */
  | 'WORKER_HEALTH_HEALTHY'
  | 1
  /**
   * Heartbeats are late; the worker is not selected for new rounds.
   */
  | 'WORKER_HEALTH_STALE'
  | 2
  /**
   * No heartbeat for long; the worker must register again.
   */
  | 'WORKER_HEALTH_OFFLINE'
  | 3

export type WorkerHealth__Output = typeof WorkerHealth[keyof typeof WorkerHealth]
