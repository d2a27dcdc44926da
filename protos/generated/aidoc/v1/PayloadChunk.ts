// Original file: protos/aidoc/v1/common.proto


/**
 * One piece of a payload. `seq` starts at 0 and increases by 1.
 */
export interface PayloadChunk {
  'seq'?: (number);
  'data'?: (Buffer | Uint8Array | string);
}

/**
 * One piece of a payload. `seq` starts at 0 and increases by 1.
 */
export interface PayloadChunk__Output {
  'seq': (number);
  'data': (Buffer);
}
