import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { CancelJobRequest as _aidoc_v1_CancelJobRequest, CancelJobRequest__Output as _aidoc_v1_CancelJobRequest__Output } from './aidoc/v1/CancelJobRequest.js';
import type { ClientDpRound as _aidoc_v1_ClientDpRound, ClientDpRound__Output as _aidoc_v1_ClientDpRound__Output } from './aidoc/v1/ClientDpRound.js';
import type { ClientDpSpec as _aidoc_v1_ClientDpSpec, ClientDpSpec__Output as _aidoc_v1_ClientDpSpec__Output } from './aidoc/v1/ClientDpSpec.js';
import type { DatasetCapability as _aidoc_v1_DatasetCapability, DatasetCapability__Output as _aidoc_v1_DatasetCapability__Output } from './aidoc/v1/DatasetCapability.js';
import type { GetJobRequest as _aidoc_v1_GetJobRequest, GetJobRequest__Output as _aidoc_v1_GetJobRequest__Output } from './aidoc/v1/GetJobRequest.js';
import type { Job as _aidoc_v1_Job, Job__Output as _aidoc_v1_Job__Output } from './aidoc/v1/Job.js';
import type { JobCancelled as _aidoc_v1_JobCancelled, JobCancelled__Output as _aidoc_v1_JobCancelled__Output } from './aidoc/v1/JobCancelled.js';
import type { JobCompleted as _aidoc_v1_JobCompleted, JobCompleted__Output as _aidoc_v1_JobCompleted__Output } from './aidoc/v1/JobCompleted.js';
import type { JobEvent as _aidoc_v1_JobEvent, JobEvent__Output as _aidoc_v1_JobEvent__Output } from './aidoc/v1/JobEvent.js';
import type { JobFailed as _aidoc_v1_JobFailed, JobFailed__Output as _aidoc_v1_JobFailed__Output } from './aidoc/v1/JobFailed.js';
import type { JobServiceClient as _aidoc_v1_JobServiceClient, JobServiceDefinition as _aidoc_v1_JobServiceDefinition } from './aidoc/v1/JobService.js';
import type { JobSpec as _aidoc_v1_JobSpec, JobSpec__Output as _aidoc_v1_JobSpec__Output } from './aidoc/v1/JobSpec.js';
import type { JobStarted as _aidoc_v1_JobStarted, JobStarted__Output as _aidoc_v1_JobStarted__Output } from './aidoc/v1/JobStarted.js';
import type { ListJobsRequest as _aidoc_v1_ListJobsRequest, ListJobsRequest__Output as _aidoc_v1_ListJobsRequest__Output } from './aidoc/v1/ListJobsRequest.js';
import type { ListJobsResponse as _aidoc_v1_ListJobsResponse, ListJobsResponse__Output as _aidoc_v1_ListJobsResponse__Output } from './aidoc/v1/ListJobsResponse.js';
import type { ListVersionsRequest as _aidoc_v1_ListVersionsRequest, ListVersionsRequest__Output as _aidoc_v1_ListVersionsRequest__Output } from './aidoc/v1/ListVersionsRequest.js';
import type { ListVersionsResponse as _aidoc_v1_ListVersionsResponse, ListVersionsResponse__Output as _aidoc_v1_ListVersionsResponse__Output } from './aidoc/v1/ListVersionsResponse.js';
import type { ModelSpec as _aidoc_v1_ModelSpec, ModelSpec__Output as _aidoc_v1_ModelSpec__Output } from './aidoc/v1/ModelSpec.js';
import type { ModelVersion as _aidoc_v1_ModelVersion, ModelVersion__Output as _aidoc_v1_ModelVersion__Output } from './aidoc/v1/ModelVersion.js';
import type { PayloadChunk as _aidoc_v1_PayloadChunk, PayloadChunk__Output as _aidoc_v1_PayloadChunk__Output } from './aidoc/v1/PayloadChunk.js';
import type { PayloadHeader as _aidoc_v1_PayloadHeader, PayloadHeader__Output as _aidoc_v1_PayloadHeader__Output } from './aidoc/v1/PayloadHeader.js';
import type { PayloadPart as _aidoc_v1_PayloadPart, PayloadPart__Output as _aidoc_v1_PayloadPart__Output } from './aidoc/v1/PayloadPart.js';
import type { PayloadRef as _aidoc_v1_PayloadRef, PayloadRef__Output as _aidoc_v1_PayloadRef__Output } from './aidoc/v1/PayloadRef.js';
import type { PayloadTrailer as _aidoc_v1_PayloadTrailer, PayloadTrailer__Output as _aidoc_v1_PayloadTrailer__Output } from './aidoc/v1/PayloadTrailer.js';
import type { PrivacySpec as _aidoc_v1_PrivacySpec, PrivacySpec__Output as _aidoc_v1_PrivacySpec__Output } from './aidoc/v1/PrivacySpec.js';
import type { RoundClosed as _aidoc_v1_RoundClosed, RoundClosed__Output as _aidoc_v1_RoundClosed__Output } from './aidoc/v1/RoundClosed.js';
import type { RoundStarted as _aidoc_v1_RoundStarted, RoundStarted__Output as _aidoc_v1_RoundStarted__Output } from './aidoc/v1/RoundStarted.js';
import type { RoundSummary as _aidoc_v1_RoundSummary, RoundSummary__Output as _aidoc_v1_RoundSummary__Output } from './aidoc/v1/RoundSummary.js';
import type { StrategySpec as _aidoc_v1_StrategySpec, StrategySpec__Output as _aidoc_v1_StrategySpec__Output } from './aidoc/v1/StrategySpec.js';
import type { SubmitJobRequest as _aidoc_v1_SubmitJobRequest, SubmitJobRequest__Output as _aidoc_v1_SubmitJobRequest__Output } from './aidoc/v1/SubmitJobRequest.js';
import type { SubmitJobResponse as _aidoc_v1_SubmitJobResponse, SubmitJobResponse__Output as _aidoc_v1_SubmitJobResponse__Output } from './aidoc/v1/SubmitJobResponse.js';
import type { TrainingConfig as _aidoc_v1_TrainingConfig, TrainingConfig__Output as _aidoc_v1_TrainingConfig__Output } from './aidoc/v1/TrainingConfig.js';
import type { WatchJobRequest as _aidoc_v1_WatchJobRequest, WatchJobRequest__Output as _aidoc_v1_WatchJobRequest__Output } from './aidoc/v1/WatchJobRequest.js';
import type { WorkerCapabilities as _aidoc_v1_WorkerCapabilities, WorkerCapabilities__Output as _aidoc_v1_WorkerCapabilities__Output } from './aidoc/v1/WorkerCapabilities.js';
import type { WorkerDropped as _aidoc_v1_WorkerDropped, WorkerDropped__Output as _aidoc_v1_WorkerDropped__Output } from './aidoc/v1/WorkerDropped.js';
import type { WorkerFailure as _aidoc_v1_WorkerFailure, WorkerFailure__Output as _aidoc_v1_WorkerFailure__Output } from './aidoc/v1/WorkerFailure.js';
import type { WorkerJoined as _aidoc_v1_WorkerJoined, WorkerJoined__Output as _aidoc_v1_WorkerJoined__Output } from './aidoc/v1/WorkerJoined.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  aidoc: {
    v1: {
      CancelJobRequest: MessageTypeDefinition<_aidoc_v1_CancelJobRequest, _aidoc_v1_CancelJobRequest__Output>
      ClientDpRound: MessageTypeDefinition<_aidoc_v1_ClientDpRound, _aidoc_v1_ClientDpRound__Output>
      ClientDpSpec: MessageTypeDefinition<_aidoc_v1_ClientDpSpec, _aidoc_v1_ClientDpSpec__Output>
      DatasetCapability: MessageTypeDefinition<_aidoc_v1_DatasetCapability, _aidoc_v1_DatasetCapability__Output>
      FailureReason: EnumTypeDefinition
      GetJobRequest: MessageTypeDefinition<_aidoc_v1_GetJobRequest, _aidoc_v1_GetJobRequest__Output>
      Job: MessageTypeDefinition<_aidoc_v1_Job, _aidoc_v1_Job__Output>
      JobCancelled: MessageTypeDefinition<_aidoc_v1_JobCancelled, _aidoc_v1_JobCancelled__Output>
      JobCompleted: MessageTypeDefinition<_aidoc_v1_JobCompleted, _aidoc_v1_JobCompleted__Output>
      JobEvent: MessageTypeDefinition<_aidoc_v1_JobEvent, _aidoc_v1_JobEvent__Output>
      JobFailed: MessageTypeDefinition<_aidoc_v1_JobFailed, _aidoc_v1_JobFailed__Output>
      JobService: SubtypeConstructor<typeof grpc.Client, _aidoc_v1_JobServiceClient> & { service: _aidoc_v1_JobServiceDefinition }
      JobSpec: MessageTypeDefinition<_aidoc_v1_JobSpec, _aidoc_v1_JobSpec__Output>
      JobStarted: MessageTypeDefinition<_aidoc_v1_JobStarted, _aidoc_v1_JobStarted__Output>
      JobState: EnumTypeDefinition
      ListJobsRequest: MessageTypeDefinition<_aidoc_v1_ListJobsRequest, _aidoc_v1_ListJobsRequest__Output>
      ListJobsResponse: MessageTypeDefinition<_aidoc_v1_ListJobsResponse, _aidoc_v1_ListJobsResponse__Output>
      ListVersionsRequest: MessageTypeDefinition<_aidoc_v1_ListVersionsRequest, _aidoc_v1_ListVersionsRequest__Output>
      ListVersionsResponse: MessageTypeDefinition<_aidoc_v1_ListVersionsResponse, _aidoc_v1_ListVersionsResponse__Output>
      ModelSpec: MessageTypeDefinition<_aidoc_v1_ModelSpec, _aidoc_v1_ModelSpec__Output>
      ModelVersion: MessageTypeDefinition<_aidoc_v1_ModelVersion, _aidoc_v1_ModelVersion__Output>
      PayloadChunk: MessageTypeDefinition<_aidoc_v1_PayloadChunk, _aidoc_v1_PayloadChunk__Output>
      PayloadEncoding: EnumTypeDefinition
      PayloadHeader: MessageTypeDefinition<_aidoc_v1_PayloadHeader, _aidoc_v1_PayloadHeader__Output>
      PayloadPart: MessageTypeDefinition<_aidoc_v1_PayloadPart, _aidoc_v1_PayloadPart__Output>
      PayloadRef: MessageTypeDefinition<_aidoc_v1_PayloadRef, _aidoc_v1_PayloadRef__Output>
      PayloadTrailer: MessageTypeDefinition<_aidoc_v1_PayloadTrailer, _aidoc_v1_PayloadTrailer__Output>
      PrivacySpec: MessageTypeDefinition<_aidoc_v1_PrivacySpec, _aidoc_v1_PrivacySpec__Output>
      RoundClosed: MessageTypeDefinition<_aidoc_v1_RoundClosed, _aidoc_v1_RoundClosed__Output>
      RoundStarted: MessageTypeDefinition<_aidoc_v1_RoundStarted, _aidoc_v1_RoundStarted__Output>
      RoundSummary: MessageTypeDefinition<_aidoc_v1_RoundSummary, _aidoc_v1_RoundSummary__Output>
      SecureAggregationMode: EnumTypeDefinition
      StrategySpec: MessageTypeDefinition<_aidoc_v1_StrategySpec, _aidoc_v1_StrategySpec__Output>
      SubmitJobRequest: MessageTypeDefinition<_aidoc_v1_SubmitJobRequest, _aidoc_v1_SubmitJobRequest__Output>
      SubmitJobResponse: MessageTypeDefinition<_aidoc_v1_SubmitJobResponse, _aidoc_v1_SubmitJobResponse__Output>
      TrainingConfig: MessageTypeDefinition<_aidoc_v1_TrainingConfig, _aidoc_v1_TrainingConfig__Output>
      WatchJobRequest: MessageTypeDefinition<_aidoc_v1_WatchJobRequest, _aidoc_v1_WatchJobRequest__Output>
      WorkerCapabilities: MessageTypeDefinition<_aidoc_v1_WorkerCapabilities, _aidoc_v1_WorkerCapabilities__Output>
      WorkerDropped: MessageTypeDefinition<_aidoc_v1_WorkerDropped, _aidoc_v1_WorkerDropped__Output>
      WorkerFailure: MessageTypeDefinition<_aidoc_v1_WorkerFailure, _aidoc_v1_WorkerFailure__Output>
      WorkerJoined: MessageTypeDefinition<_aidoc_v1_WorkerJoined, _aidoc_v1_WorkerJoined__Output>
    }
  }
}

