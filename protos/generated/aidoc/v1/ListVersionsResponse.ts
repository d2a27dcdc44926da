// Original file: protos/aidoc/v1/job.proto

import type { ModelVersion as _aidoc_v1_ModelVersion, ModelVersion__Output as _aidoc_v1_ModelVersion__Output } from '../../aidoc/v1/ModelVersion.js';

export interface ListVersionsResponse {
  'versions'?: (_aidoc_v1_ModelVersion)[];
}

export interface ListVersionsResponse__Output {
  'versions': (_aidoc_v1_ModelVersion__Output)[];
}
