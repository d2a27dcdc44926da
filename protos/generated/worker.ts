import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ClientDpRound as _aidoc_v1_ClientDpRound, ClientDpRound__Output as _aidoc_v1_ClientDpRound__Output } from './aidoc/v1/ClientDpRound.js';
import type { ClientDpSpec as _aidoc_v1_ClientDpSpec, ClientDpSpec__Output as _aidoc_v1_ClientDpSpec__Output } from './aidoc/v1/ClientDpSpec.js';
import type { CoordinatorReplica as _aidoc_v1_CoordinatorReplica, CoordinatorReplica__Output as _aidoc_v1_CoordinatorReplica__Output } from './aidoc/v1/CoordinatorReplica.js';
import type { DatasetCapability as _aidoc_v1_DatasetCapability, DatasetCapability__Output as _aidoc_v1_DatasetCapability__Output } from './aidoc/v1/DatasetCapability.js';
import type { DiscoverRequest as _aidoc_v1_DiscoverRequest, DiscoverRequest__Output as _aidoc_v1_DiscoverRequest__Output } from './aidoc/v1/DiscoverRequest.js';
import type { DiscoverResponse as _aidoc_v1_DiscoverResponse, DiscoverResponse__Output as _aidoc_v1_DiscoverResponse__Output } from './aidoc/v1/DiscoverResponse.js';
import type { FetchPayloadRequest as _aidoc_v1_FetchPayloadRequest, FetchPayloadRequest__Output as _aidoc_v1_FetchPayloadRequest__Output } from './aidoc/v1/FetchPayloadRequest.js';
import type { HeartbeatRequest as _aidoc_v1_HeartbeatRequest, HeartbeatRequest__Output as _aidoc_v1_HeartbeatRequest__Output } from './aidoc/v1/HeartbeatRequest.js';
import type { HeartbeatResponse as _aidoc_v1_HeartbeatResponse, HeartbeatResponse__Output as _aidoc_v1_HeartbeatResponse__Output } from './aidoc/v1/HeartbeatResponse.js';
import type { ModelSpec as _aidoc_v1_ModelSpec, ModelSpec__Output as _aidoc_v1_ModelSpec__Output } from './aidoc/v1/ModelSpec.js';
import type { NoTask as _aidoc_v1_NoTask, NoTask__Output as _aidoc_v1_NoTask__Output } from './aidoc/v1/NoTask.js';
import type { OpenRequest as _aidoc_v1_OpenRequest, OpenRequest__Output as _aidoc_v1_OpenRequest__Output } from './aidoc/v1/OpenRequest.js';
import type { OpenResultHeader as _aidoc_v1_OpenResultHeader, OpenResultHeader__Output as _aidoc_v1_OpenResultHeader__Output } from './aidoc/v1/OpenResultHeader.js';
import type { PayloadChunk as _aidoc_v1_PayloadChunk, PayloadChunk__Output as _aidoc_v1_PayloadChunk__Output } from './aidoc/v1/PayloadChunk.js';
import type { PayloadHeader as _aidoc_v1_PayloadHeader, PayloadHeader__Output as _aidoc_v1_PayloadHeader__Output } from './aidoc/v1/PayloadHeader.js';
import type { PayloadPart as _aidoc_v1_PayloadPart, PayloadPart__Output as _aidoc_v1_PayloadPart__Output } from './aidoc/v1/PayloadPart.js';
import type { PayloadRef as _aidoc_v1_PayloadRef, PayloadRef__Output as _aidoc_v1_PayloadRef__Output } from './aidoc/v1/PayloadRef.js';
import type { PayloadTrailer as _aidoc_v1_PayloadTrailer, PayloadTrailer__Output as _aidoc_v1_PayloadTrailer__Output } from './aidoc/v1/PayloadTrailer.js';
import type { PrivacySpec as _aidoc_v1_PrivacySpec, PrivacySpec__Output as _aidoc_v1_PrivacySpec__Output } from './aidoc/v1/PrivacySpec.js';
import type { PullOpenRequestRequest as _aidoc_v1_PullOpenRequestRequest, PullOpenRequestRequest__Output as _aidoc_v1_PullOpenRequestRequest__Output } from './aidoc/v1/PullOpenRequestRequest.js';
import type { PullOpenRequestResponse as _aidoc_v1_PullOpenRequestResponse, PullOpenRequestResponse__Output as _aidoc_v1_PullOpenRequestResponse__Output } from './aidoc/v1/PullOpenRequestResponse.js';
import type { PullTaskRequest as _aidoc_v1_PullTaskRequest, PullTaskRequest__Output as _aidoc_v1_PullTaskRequest__Output } from './aidoc/v1/PullTaskRequest.js';
import type { PullTaskResponse as _aidoc_v1_PullTaskResponse, PullTaskResponse__Output as _aidoc_v1_PullTaskResponse__Output } from './aidoc/v1/PullTaskResponse.js';
import type { PushOpenResultRequest as _aidoc_v1_PushOpenResultRequest, PushOpenResultRequest__Output as _aidoc_v1_PushOpenResultRequest__Output } from './aidoc/v1/PushOpenResultRequest.js';
import type { PushOpenResultResponse as _aidoc_v1_PushOpenResultResponse, PushOpenResultResponse__Output as _aidoc_v1_PushOpenResultResponse__Output } from './aidoc/v1/PushOpenResultResponse.js';
import type { PushUpdateRequest as _aidoc_v1_PushUpdateRequest, PushUpdateRequest__Output as _aidoc_v1_PushUpdateRequest__Output } from './aidoc/v1/PushUpdateRequest.js';
import type { PushUpdateResponse as _aidoc_v1_PushUpdateResponse, PushUpdateResponse__Output as _aidoc_v1_PushUpdateResponse__Output } from './aidoc/v1/PushUpdateResponse.js';
import type { RegisterRequest as _aidoc_v1_RegisterRequest, RegisterRequest__Output as _aidoc_v1_RegisterRequest__Output } from './aidoc/v1/RegisterRequest.js';
import type { RegisterResponse as _aidoc_v1_RegisterResponse, RegisterResponse__Output as _aidoc_v1_RegisterResponse__Output } from './aidoc/v1/RegisterResponse.js';
import type { ReportEvaluationRequest as _aidoc_v1_ReportEvaluationRequest, ReportEvaluationRequest__Output as _aidoc_v1_ReportEvaluationRequest__Output } from './aidoc/v1/ReportEvaluationRequest.js';
import type { ReportEvaluationResponse as _aidoc_v1_ReportEvaluationResponse, ReportEvaluationResponse__Output as _aidoc_v1_ReportEvaluationResponse__Output } from './aidoc/v1/ReportEvaluationResponse.js';
import type { ReportFailureRequest as _aidoc_v1_ReportFailureRequest, ReportFailureRequest__Output as _aidoc_v1_ReportFailureRequest__Output } from './aidoc/v1/ReportFailureRequest.js';
import type { ReportFailureResponse as _aidoc_v1_ReportFailureResponse, ReportFailureResponse__Output as _aidoc_v1_ReportFailureResponse__Output } from './aidoc/v1/ReportFailureResponse.js';
import type { StrategySpec as _aidoc_v1_StrategySpec, StrategySpec__Output as _aidoc_v1_StrategySpec__Output } from './aidoc/v1/StrategySpec.js';
import type { Task as _aidoc_v1_Task, Task__Output as _aidoc_v1_Task__Output } from './aidoc/v1/Task.js';
import type { TrainingConfig as _aidoc_v1_TrainingConfig, TrainingConfig__Output as _aidoc_v1_TrainingConfig__Output } from './aidoc/v1/TrainingConfig.js';
import type { TypedBlob as _aidoc_v1_TypedBlob, TypedBlob__Output as _aidoc_v1_TypedBlob__Output } from './aidoc/v1/TypedBlob.js';
import type { UpdateHeader as _aidoc_v1_UpdateHeader, UpdateHeader__Output as _aidoc_v1_UpdateHeader__Output } from './aidoc/v1/UpdateHeader.js';
import type { WorkerCapabilities as _aidoc_v1_WorkerCapabilities, WorkerCapabilities__Output as _aidoc_v1_WorkerCapabilities__Output } from './aidoc/v1/WorkerCapabilities.js';
import type { WorkerFailure as _aidoc_v1_WorkerFailure, WorkerFailure__Output as _aidoc_v1_WorkerFailure__Output } from './aidoc/v1/WorkerFailure.js';
import type { WorkerServiceClient as _aidoc_v1_WorkerServiceClient, WorkerServiceDefinition as _aidoc_v1_WorkerServiceDefinition } from './aidoc/v1/WorkerService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  aidoc: {
    v1: {
      ClientDpRound: MessageTypeDefinition<_aidoc_v1_ClientDpRound, _aidoc_v1_ClientDpRound__Output>
      ClientDpSpec: MessageTypeDefinition<_aidoc_v1_ClientDpSpec, _aidoc_v1_ClientDpSpec__Output>
      CoordinatorReplica: MessageTypeDefinition<_aidoc_v1_CoordinatorReplica, _aidoc_v1_CoordinatorReplica__Output>
      DatasetCapability: MessageTypeDefinition<_aidoc_v1_DatasetCapability, _aidoc_v1_DatasetCapability__Output>
      DiscoverRequest: MessageTypeDefinition<_aidoc_v1_DiscoverRequest, _aidoc_v1_DiscoverRequest__Output>
      DiscoverResponse: MessageTypeDefinition<_aidoc_v1_DiscoverResponse, _aidoc_v1_DiscoverResponse__Output>
      FailureReason: EnumTypeDefinition
      FetchPayloadRequest: MessageTypeDefinition<_aidoc_v1_FetchPayloadRequest, _aidoc_v1_FetchPayloadRequest__Output>
      HeartbeatRequest: MessageTypeDefinition<_aidoc_v1_HeartbeatRequest, _aidoc_v1_HeartbeatRequest__Output>
      HeartbeatResponse: MessageTypeDefinition<_aidoc_v1_HeartbeatResponse, _aidoc_v1_HeartbeatResponse__Output>
      ModelSpec: MessageTypeDefinition<_aidoc_v1_ModelSpec, _aidoc_v1_ModelSpec__Output>
      NoTask: MessageTypeDefinition<_aidoc_v1_NoTask, _aidoc_v1_NoTask__Output>
      OpenRequest: MessageTypeDefinition<_aidoc_v1_OpenRequest, _aidoc_v1_OpenRequest__Output>
      OpenResultHeader: MessageTypeDefinition<_aidoc_v1_OpenResultHeader, _aidoc_v1_OpenResultHeader__Output>
      PayloadChunk: MessageTypeDefinition<_aidoc_v1_PayloadChunk, _aidoc_v1_PayloadChunk__Output>
      PayloadEncoding: EnumTypeDefinition
      PayloadHeader: MessageTypeDefinition<_aidoc_v1_PayloadHeader, _aidoc_v1_PayloadHeader__Output>
      PayloadPart: MessageTypeDefinition<_aidoc_v1_PayloadPart, _aidoc_v1_PayloadPart__Output>
      PayloadRef: MessageTypeDefinition<_aidoc_v1_PayloadRef, _aidoc_v1_PayloadRef__Output>
      PayloadTrailer: MessageTypeDefinition<_aidoc_v1_PayloadTrailer, _aidoc_v1_PayloadTrailer__Output>
      PrivacySpec: MessageTypeDefinition<_aidoc_v1_PrivacySpec, _aidoc_v1_PrivacySpec__Output>
      PullOpenRequestRequest: MessageTypeDefinition<_aidoc_v1_PullOpenRequestRequest, _aidoc_v1_PullOpenRequestRequest__Output>
      PullOpenRequestResponse: MessageTypeDefinition<_aidoc_v1_PullOpenRequestResponse, _aidoc_v1_PullOpenRequestResponse__Output>
      PullTaskRequest: MessageTypeDefinition<_aidoc_v1_PullTaskRequest, _aidoc_v1_PullTaskRequest__Output>
      PullTaskResponse: MessageTypeDefinition<_aidoc_v1_PullTaskResponse, _aidoc_v1_PullTaskResponse__Output>
      PushOpenResultRequest: MessageTypeDefinition<_aidoc_v1_PushOpenResultRequest, _aidoc_v1_PushOpenResultRequest__Output>
      PushOpenResultResponse: MessageTypeDefinition<_aidoc_v1_PushOpenResultResponse, _aidoc_v1_PushOpenResultResponse__Output>
      PushUpdateRequest: MessageTypeDefinition<_aidoc_v1_PushUpdateRequest, _aidoc_v1_PushUpdateRequest__Output>
      PushUpdateResponse: MessageTypeDefinition<_aidoc_v1_PushUpdateResponse, _aidoc_v1_PushUpdateResponse__Output>
      RegisterRequest: MessageTypeDefinition<_aidoc_v1_RegisterRequest, _aidoc_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_aidoc_v1_RegisterResponse, _aidoc_v1_RegisterResponse__Output>
      ReportEvaluationRequest: MessageTypeDefinition<_aidoc_v1_ReportEvaluationRequest, _aidoc_v1_ReportEvaluationRequest__Output>
      ReportEvaluationResponse: MessageTypeDefinition<_aidoc_v1_ReportEvaluationResponse, _aidoc_v1_ReportEvaluationResponse__Output>
      ReportFailureRequest: MessageTypeDefinition<_aidoc_v1_ReportFailureRequest, _aidoc_v1_ReportFailureRequest__Output>
      ReportFailureResponse: MessageTypeDefinition<_aidoc_v1_ReportFailureResponse, _aidoc_v1_ReportFailureResponse__Output>
      StrategySpec: MessageTypeDefinition<_aidoc_v1_StrategySpec, _aidoc_v1_StrategySpec__Output>
      Task: MessageTypeDefinition<_aidoc_v1_Task, _aidoc_v1_Task__Output>
      TaskKind: EnumTypeDefinition
      TrainingConfig: MessageTypeDefinition<_aidoc_v1_TrainingConfig, _aidoc_v1_TrainingConfig__Output>
      TypedBlob: MessageTypeDefinition<_aidoc_v1_TypedBlob, _aidoc_v1_TypedBlob__Output>
      UpdateHeader: MessageTypeDefinition<_aidoc_v1_UpdateHeader, _aidoc_v1_UpdateHeader__Output>
      WorkerActivity: EnumTypeDefinition
      WorkerCapabilities: MessageTypeDefinition<_aidoc_v1_WorkerCapabilities, _aidoc_v1_WorkerCapabilities__Output>
      WorkerFailure: MessageTypeDefinition<_aidoc_v1_WorkerFailure, _aidoc_v1_WorkerFailure__Output>
      WorkerService: SubtypeConstructor<typeof grpc.Client, _aidoc_v1_WorkerServiceClient> & { service: _aidoc_v1_WorkerServiceDefinition }
    }
  }
}

