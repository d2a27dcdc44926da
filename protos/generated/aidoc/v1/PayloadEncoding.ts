// Original file: protos/aidoc/v1/common.proto

/**
 * How the bytes of a payload are to be read.
 */
export const PayloadEncoding = {
  PAYLOAD_ENCODING_UNSPECIFIED: 'PAYLOAD_ENCODING_UNSPECIFIED',
  /**
   * A flat vector of IEEE-754 float32 values, little-endian; element_count = byte_length / 4.
   */
  PAYLOAD_ENCODING_PLAIN_F32: 'PAYLOAD_ENCODING_PLAIN_F32',
  /**
   * CKKS ciphertexts; the layout is named by PayloadHeader.content_type and encoding_params.
   */
  PAYLOAD_ENCODING_CKKS: 'PAYLOAD_ENCODING_CKKS',
  /**
   * Opaque bytes whose meaning is named by PayloadHeader.content_type (e.g. secure-aggregation messages).
   */
  PAYLOAD_ENCODING_OPAQUE: 'PAYLOAD_ENCODING_OPAQUE',
} as const;

/**
 * How the bytes of a payload are to be read.
 */
export type PayloadEncoding =
  | 'PAYLOAD_ENCODING_UNSPECIFIED'
  | 0
  /**
   * A flat vector of IEEE-754 float32 values, little-endian; element_count = byte_length / 4.
   */
  | 'PAYLOAD_ENCODING_PLAIN_F32'
  | 1
  /**
   * CKKS ciphertexts; the layout is named by PayloadHeader.content_type and encoding_params.
   */
  | 'PAYLOAD_ENCODING_CKKS'
  | 2
  /**
   * Opaque bytes whose meaning is named by PayloadHeader.content_type (e.g. secure-aggregation messages).
   */
  | 'PAYLOAD_ENCODING_OPAQUE'
  | 3

/**
 * How the bytes of a payload are to be read.
 */
export type PayloadEncoding__Output = typeof PayloadEncoding[keyof typeof PayloadEncoding]
