// Original file: protos/aidoc/v1/job.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelJobRequest as _aidoc_v1_CancelJobRequest, CancelJobRequest__Output as _aidoc_v1_CancelJobRequest__Output } from '../../aidoc/v1/CancelJobRequest.js';
import type { GetJobRequest as _aidoc_v1_GetJobRequest, GetJobRequest__Output as _aidoc_v1_GetJobRequest__Output } from '../../aidoc/v1/GetJobRequest.js';
import type { Job as _aidoc_v1_Job, Job__Output as _aidoc_v1_Job__Output } from '../../aidoc/v1/Job.js';
import type { JobEvent as _aidoc_v1_JobEvent, JobEvent__Output as _aidoc_v1_JobEvent__Output } from '../../aidoc/v1/JobEvent.js';
import type { ListJobsRequest as _aidoc_v1_ListJobsRequest, ListJobsRequest__Output as _aidoc_v1_ListJobsRequest__Output } from '../../aidoc/v1/ListJobsRequest.js';
import type { ListJobsResponse as _aidoc_v1_ListJobsResponse, ListJobsResponse__Output as _aidoc_v1_ListJobsResponse__Output } from '../../aidoc/v1/ListJobsResponse.js';
import type { ListVersionsRequest as _aidoc_v1_ListVersionsRequest, ListVersionsRequest__Output as _aidoc_v1_ListVersionsRequest__Output } from '../../aidoc/v1/ListVersionsRequest.js';
import type { ListVersionsResponse as _aidoc_v1_ListVersionsResponse, ListVersionsResponse__Output as _aidoc_v1_ListVersionsResponse__Output } from '../../aidoc/v1/ListVersionsResponse.js';
import type { SubmitJobRequest as _aidoc_v1_SubmitJobRequest, SubmitJobRequest__Output as _aidoc_v1_SubmitJobRequest__Output } from '../../aidoc/v1/SubmitJobRequest.js';
import type { SubmitJobResponse as _aidoc_v1_SubmitJobResponse, SubmitJobResponse__Output as _aidoc_v1_SubmitJobResponse__Output } from '../../aidoc/v1/SubmitJobResponse.js';
import type { WatchJobRequest as _aidoc_v1_WatchJobRequest, WatchJobRequest__Output as _aidoc_v1_WatchJobRequest__Output } from '../../aidoc/v1/WatchJobRequest.js';

export interface JobServiceClient extends grpc.Client {
  CancelJob(argument: _aidoc_v1_CancelJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _aidoc_v1_CancelJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _aidoc_v1_CancelJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _aidoc_v1_CancelJobRequest, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _aidoc_v1_CancelJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _aidoc_v1_CancelJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _aidoc_v1_CancelJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _aidoc_v1_CancelJobRequest, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  
  GetJob(argument: _aidoc_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _aidoc_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _aidoc_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _aidoc_v1_GetJobRequest, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _aidoc_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _aidoc_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _aidoc_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _aidoc_v1_GetJobRequest, callback: grpc.requestCallback<_aidoc_v1_Job__Output>): grpc.ClientUnaryCall;
  
  ListJobs(argument: _aidoc_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _aidoc_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _aidoc_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _aidoc_v1_ListJobsRequest, callback: grpc.requestCallback<_aidoc_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _aidoc_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _aidoc_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _aidoc_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _aidoc_v1_ListJobsRequest, callback: grpc.requestCallback<_aidoc_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The model versions a job committed, oldest first.
   */
  ListVersions(argument: _aidoc_v1_ListVersionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ListVersionsResponse__Output>): grpc.ClientUnaryCall;
  ListVersions(argument: _aidoc_v1_ListVersionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_ListVersionsResponse__Output>): grpc.ClientUnaryCall;
  ListVersions(argument: _aidoc_v1_ListVersionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ListVersionsResponse__Output>): grpc.ClientUnaryCall;
  ListVersions(argument: _aidoc_v1_ListVersionsRequest, callback: grpc.requestCallback<_aidoc_v1_ListVersionsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The model versions a job committed, oldest first.
   */
  listVersions(argument: _aidoc_v1_ListVersionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ListVersionsResponse__Output>): grpc.ClientUnaryCall;
  listVersions(argument: _aidoc_v1_ListVersionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_ListVersionsResponse__Output>): grpc.ClientUnaryCall;
  listVersions(argument: _aidoc_v1_ListVersionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ListVersionsResponse__Output>): grpc.ClientUnaryCall;
  listVersions(argument: _aidoc_v1_ListVersionsRequest, callback: grpc.requestCallback<_aidoc_v1_ListVersionsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Validates and queues a job. Invalid specs fail with INVALID_ARGUMENT and every problem listed.
   */
  SubmitJob(argument: _aidoc_v1_SubmitJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  SubmitJob(argument: _aidoc_v1_SubmitJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  SubmitJob(argument: _aidoc_v1_SubmitJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  SubmitJob(argument: _aidoc_v1_SubmitJobRequest, callback: grpc.requestCallback<_aidoc_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Validates and queues a job. Invalid specs fail with INVALID_ARGUMENT and every problem listed.
   */
  submitJob(argument: _aidoc_v1_SubmitJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _aidoc_v1_SubmitJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _aidoc_v1_SubmitJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _aidoc_v1_SubmitJobRequest, callback: grpc.requestCallback<_aidoc_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Streams progress events until the job ends (the stream then closes with OK) or the caller cancels.
   */
  WatchJob(argument: _aidoc_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_aidoc_v1_JobEvent__Output>;
  WatchJob(argument: _aidoc_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_aidoc_v1_JobEvent__Output>;
  /**
   * Streams progress events until the job ends (the stream then closes with OK) or the caller cancels.
   */
  watchJob(argument: _aidoc_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_aidoc_v1_JobEvent__Output>;
  watchJob(argument: _aidoc_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_aidoc_v1_JobEvent__Output>;
  
}

export interface JobServiceHandlers extends grpc.UntypedServiceImplementation {
  CancelJob: grpc.handleUnaryCall<_aidoc_v1_CancelJobRequest__Output, _aidoc_v1_Job>;
  
  GetJob: grpc.handleUnaryCall<_aidoc_v1_GetJobRequest__Output, _aidoc_v1_Job>;
  
  ListJobs: grpc.handleUnaryCall<_aidoc_v1_ListJobsRequest__Output, _aidoc_v1_ListJobsResponse>;
  
  /**
   * The model versions a job committed, oldest first.
   */
  ListVersions: grpc.handleUnaryCall<_aidoc_v1_ListVersionsRequest__Output, _aidoc_v1_ListVersionsResponse>;
  
  /**
   * Validates and queues a job. Invalid specs fail with INVALID_ARGUMENT and every problem listed.
   */
  SubmitJob: grpc.handleUnaryCall<_aidoc_v1_SubmitJobRequest__Output, _aidoc_v1_SubmitJobResponse>;
  
  /**
   * Streams progress events until the job ends (the stream then closes with OK) or the caller cancels.
   */
  WatchJob: grpc.handleServerStreamingCall<_aidoc_v1_WatchJobRequest__Output, _aidoc_v1_JobEvent>;
  
}

export interface JobServiceDefinition extends grpc.ServiceDefinition {
  CancelJob: MethodDefinition<_aidoc_v1_CancelJobRequest, _aidoc_v1_Job, _aidoc_v1_CancelJobRequest__Output, _aidoc_v1_Job__Output>
  GetJob: MethodDefinition<_aidoc_v1_GetJobRequest, _aidoc_v1_Job, _aidoc_v1_GetJobRequest__Output, _aidoc_v1_Job__Output>
  ListJobs: MethodDefinition<_aidoc_v1_ListJobsRequest, _aidoc_v1_ListJobsResponse, _aidoc_v1_ListJobsRequest__Output, _aidoc_v1_ListJobsResponse__Output>
  ListVersions: MethodDefinition<_aidoc_v1_ListVersionsRequest, _aidoc_v1_ListVersionsResponse, _aidoc_v1_ListVersionsRequest__Output, _aidoc_v1_ListVersionsResponse__Output>
  SubmitJob: MethodDefinition<_aidoc_v1_SubmitJobRequest, _aidoc_v1_SubmitJobResponse, _aidoc_v1_SubmitJobRequest__Output, _aidoc_v1_SubmitJobResponse__Output>
  WatchJob: MethodDefinition<_aidoc_v1_WatchJobRequest, _aidoc_v1_JobEvent, _aidoc_v1_WatchJobRequest__Output, _aidoc_v1_JobEvent__Output>
}
