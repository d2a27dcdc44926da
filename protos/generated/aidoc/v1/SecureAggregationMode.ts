// Original file: protos/aidoc/v1/job.proto

/**
 * Whether updates are aggregated under homomorphic encryption. UNSPECIFIED takes the server default (on).
 */
export const SecureAggregationMode = {
  SECURE_AGGREGATION_MODE_UNSPECIFIED: 'SECURE_AGGREGATION_MODE_UNSPECIFIED',
  SECURE_AGGREGATION_MODE_ON: 'SECURE_AGGREGATION_MODE_ON',
  SECURE_AGGREGATION_MODE_OFF: 'SECURE_AGGREGATION_MODE_OFF',
} as const;

/**
 * Whether updates are aggregated under homomorphic encryption. UNSPECIFIED takes the server default (on).
 */
export type SecureAggregationMode =
  | 'SECURE_AGGREGATION_MODE_UNSPECIFIED'
  | 0
  | 'SECURE_AGGREGATION_MODE_ON'
  | 1
  | 'SECURE_AGGREGATION_MODE_OFF'
  | 2

/**
 * Whether updates are aggregated under homomorphic encryption. UNSPECIFIED takes the server default (on).
 */
export type SecureAggregationMode__Output = typeof SecureAggregationMode[keyof typeof SecureAggregationMode]
