// Original file: protos/aidoc/v1/common.proto


/**
 * Closes a payload. A trailer lets the sender sign the digest once every chunk has been sent.
 */
export interface PayloadTrailer {
  /**
   * Must equal PayloadHeader.chunk_count.
   */
  'chunkCount'?: (number);
  /**
   * Optional signature over PayloadHeader.sha256 by the sender's registered key (empty when unsigned).
   */
  'signature'?: (Buffer | Uint8Array | string);
  /**
   * Signature algorithm, e.g. "ecdsa-p256-sha256"; empty when unsigned.
   */
  'signatureAlgorithm'?: (string);
}

/**
 * Closes a payload. A trailer lets the sender sign the digest once every chunk has been sent.
 */
export interface PayloadTrailer__Output {
  /**
   * Must equal PayloadHeader.chunk_count.
   */
  'chunkCount': (number);
  /**
   * Optional signature over PayloadHeader.sha256 by the sender's registered key (empty when unsigned).
   */
  'signature': (Buffer);
  /**
   * Signature algorithm, e.g. "ecdsa-p256-sha256"; empty when unsigned.
   */
  'signatureAlgorithm': (string);
}
