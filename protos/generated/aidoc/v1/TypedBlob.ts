// Original file: protos/aidoc/v1/worker.proto


/**
 * A typed, opaque value an extension (secure aggregation, homomorphic encryption) defines.
 */
export interface TypedBlob {
  /**
   * e.g. "aidoc.ckks.v1.RoundKeys"; empty when absent.
   */
  'type'?: (string);
  'data'?: (Buffer | Uint8Array | string);
}

/**
 * A typed, opaque value an extension (secure aggregation, homomorphic encryption) defines.
 */
export interface TypedBlob__Output {
  /**
   * e.g. "aidoc.ckks.v1.RoundKeys"; empty when absent.
   */
  'type': (string);
  'data': (Buffer);
}
