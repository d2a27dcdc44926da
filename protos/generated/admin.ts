import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminServiceClient as _aidoc_v1_AdminServiceClient, AdminServiceDefinition as _aidoc_v1_AdminServiceDefinition } from './aidoc/v1/AdminService.js';
import type { ClientDpRound as _aidoc_v1_ClientDpRound, ClientDpRound__Output as _aidoc_v1_ClientDpRound__Output } from './aidoc/v1/ClientDpRound.js';
import type { ClientDpSpec as _aidoc_v1_ClientDpSpec, ClientDpSpec__Output as _aidoc_v1_ClientDpSpec__Output } from './aidoc/v1/ClientDpSpec.js';
import type { DatasetCapability as _aidoc_v1_DatasetCapability, DatasetCapability__Output as _aidoc_v1_DatasetCapability__Output } from './aidoc/v1/DatasetCapability.js';
import type { ListWorkersRequest as _aidoc_v1_ListWorkersRequest, ListWorkersRequest__Output as _aidoc_v1_ListWorkersRequest__Output } from './aidoc/v1/ListWorkersRequest.js';
import type { ListWorkersResponse as _aidoc_v1_ListWorkersResponse, ListWorkersResponse__Output as _aidoc_v1_ListWorkersResponse__Output } from './aidoc/v1/ListWorkersResponse.js';
import type { ModelSpec as _aidoc_v1_ModelSpec, ModelSpec__Output as _aidoc_v1_ModelSpec__Output } from './aidoc/v1/ModelSpec.js';
import type { PayloadChunk as _aidoc_v1_PayloadChunk, PayloadChunk__Output as _aidoc_v1_PayloadChunk__Output } from './aidoc/v1/PayloadChunk.js';
import type { PayloadHeader as _aidoc_v1_PayloadHeader, PayloadHeader__Output as _aidoc_v1_PayloadHeader__Output } from './aidoc/v1/PayloadHeader.js';
import type { PayloadPart as _aidoc_v1_PayloadPart, PayloadPart__Output as _aidoc_v1_PayloadPart__Output } from './aidoc/v1/PayloadPart.js';
import type { PayloadRef as _aidoc_v1_PayloadRef, PayloadRef__Output as _aidoc_v1_PayloadRef__Output } from './aidoc/v1/PayloadRef.js';
import type { PayloadTrailer as _aidoc_v1_PayloadTrailer, PayloadTrailer__Output as _aidoc_v1_PayloadTrailer__Output } from './aidoc/v1/PayloadTrailer.js';
import type { PrivacySpec as _aidoc_v1_PrivacySpec, PrivacySpec__Output as _aidoc_v1_PrivacySpec__Output } from './aidoc/v1/PrivacySpec.js';
import type { StrategySpec as _aidoc_v1_StrategySpec, StrategySpec__Output as _aidoc_v1_StrategySpec__Output } from './aidoc/v1/StrategySpec.js';
import type { TrainingConfig as _aidoc_v1_TrainingConfig, TrainingConfig__Output as _aidoc_v1_TrainingConfig__Output } from './aidoc/v1/TrainingConfig.js';
import type { WorkerCapabilities as _aidoc_v1_WorkerCapabilities, WorkerCapabilities__Output as _aidoc_v1_WorkerCapabilities__Output } from './aidoc/v1/WorkerCapabilities.js';
import type { WorkerFailure as _aidoc_v1_WorkerFailure, WorkerFailure__Output as _aidoc_v1_WorkerFailure__Output } from './aidoc/v1/WorkerFailure.js';
import type { WorkerInfo as _aidoc_v1_WorkerInfo, WorkerInfo__Output as _aidoc_v1_WorkerInfo__Output } from './aidoc/v1/WorkerInfo.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  aidoc: {
    v1: {
      AdminService: SubtypeConstructor<typeof grpc.Client, _aidoc_v1_AdminServiceClient> & { service: _aidoc_v1_AdminServiceDefinition }
      ClientDpRound: MessageTypeDefinition<_aidoc_v1_ClientDpRound, _aidoc_v1_ClientDpRound__Output>
      ClientDpSpec: MessageTypeDefinition<_aidoc_v1_ClientDpSpec, _aidoc_v1_ClientDpSpec__Output>
      DatasetCapability: MessageTypeDefinition<_aidoc_v1_DatasetCapability, _aidoc_v1_DatasetCapability__Output>
      FailureReason: EnumTypeDefinition
      ListWorkersRequest: MessageTypeDefinition<_aidoc_v1_ListWorkersRequest, _aidoc_v1_ListWorkersRequest__Output>
      ListWorkersResponse: MessageTypeDefinition<_aidoc_v1_ListWorkersResponse, _aidoc_v1_ListWorkersResponse__Output>
      ModelSpec: MessageTypeDefinition<_aidoc_v1_ModelSpec, _aidoc_v1_ModelSpec__Output>
      PayloadChunk: MessageTypeDefinition<_aidoc_v1_PayloadChunk, _aidoc_v1_PayloadChunk__Output>
      PayloadEncoding: EnumTypeDefinition
      PayloadHeader: MessageTypeDefinition<_aidoc_v1_PayloadHeader, _aidoc_v1_PayloadHeader__Output>
      PayloadPart: MessageTypeDefinition<_aidoc_v1_PayloadPart, _aidoc_v1_PayloadPart__Output>
      PayloadRef: MessageTypeDefinition<_aidoc_v1_PayloadRef, _aidoc_v1_PayloadRef__Output>
      PayloadTrailer: MessageTypeDefinition<_aidoc_v1_PayloadTrailer, _aidoc_v1_PayloadTrailer__Output>
      PrivacySpec: MessageTypeDefinition<_aidoc_v1_PrivacySpec, _aidoc_v1_PrivacySpec__Output>
      StrategySpec: MessageTypeDefinition<_aidoc_v1_StrategySpec, _aidoc_v1_StrategySpec__Output>
      TrainingConfig: MessageTypeDefinition<_aidoc_v1_TrainingConfig, _aidoc_v1_TrainingConfig__Output>
      WorkerCapabilities: MessageTypeDefinition<_aidoc_v1_WorkerCapabilities, _aidoc_v1_WorkerCapabilities__Output>
      WorkerFailure: MessageTypeDefinition<_aidoc_v1_WorkerFailure, _aidoc_v1_WorkerFailure__Output>
      WorkerHealth: EnumTypeDefinition
      WorkerInfo: MessageTypeDefinition<_aidoc_v1_WorkerInfo, _aidoc_v1_WorkerInfo__Output>
    }
  }
}

