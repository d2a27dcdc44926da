// Original file: protos/aidoc/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface PushUpdateResponse {
  /**
   * Echo of the verified digest and length, as a receipt.
   */
  'sha256'?: (Buffer | Uint8Array | string);
  'byteLength'?: (number | string | Long);
}

export interface PushUpdateResponse__Output {
  /**
   * Echo of the verified digest and length, as a receipt.
   */
  'sha256': (Buffer);
  'byteLength': (number);
}
