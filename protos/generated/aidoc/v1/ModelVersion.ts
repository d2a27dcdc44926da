// Original file: protos/aidoc/v1/job.proto

import type { Long } from '@grpc/proto-loader';

export interface ModelVersion {
  /**
   * e.g. "<job_id>@<round>".
   */
  'versionId'?: (string);
  'jobId'?: (string);
  'round'?: (number);
  /**
   * Content id in the model store (CIDv1).
   */
  'contentId'?: (string);
  /**
   * SHA-256 of the stored model files' manifest.
   */
  'sha256'?: (Buffer | Uint8Array | string);
  'parentVersion'?: (string);
  'metrics'?: ({[key: string]: number | string});
  'createdUnixMs'?: (number | string | Long);
  /**
   * Epsilon spent per dataset by this version's rounds.
   */
  'epsilonSpent'?: ({[key: string]: number | string});
}

export interface ModelVersion__Output {
  /**
   * e.g. "<job_id>@<round>".
   */
  'versionId': (string);
  'jobId': (string);
  'round': (number);
  /**
   * Content id in the model store (CIDv1).
   */
  'contentId': (string);
  /**
   * SHA-256 of the stored model files' manifest.
   */
  'sha256': (Buffer);
  'parentVersion': (string);
  'metrics': ({[key: string]: number});
  'createdUnixMs': (number);
  /**
   * Epsilon spent per dataset by this version's rounds.
   */
  'epsilonSpent': ({[key: string]: number});
}
