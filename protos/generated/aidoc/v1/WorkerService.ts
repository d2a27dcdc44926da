// Original file: protos/aidoc/v1/worker.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DiscoverRequest as _aidoc_v1_DiscoverRequest, DiscoverRequest__Output as _aidoc_v1_DiscoverRequest__Output } from '../../aidoc/v1/DiscoverRequest.js';
import type { DiscoverResponse as _aidoc_v1_DiscoverResponse, DiscoverResponse__Output as _aidoc_v1_DiscoverResponse__Output } from '../../aidoc/v1/DiscoverResponse.js';
import type { FetchPayloadRequest as _aidoc_v1_FetchPayloadRequest, FetchPayloadRequest__Output as _aidoc_v1_FetchPayloadRequest__Output } from '../../aidoc/v1/FetchPayloadRequest.js';
import type { HeartbeatRequest as _aidoc_v1_HeartbeatRequest, HeartbeatRequest__Output as _aidoc_v1_HeartbeatRequest__Output } from '../../aidoc/v1/HeartbeatRequest.js';
import type { HeartbeatResponse as _aidoc_v1_HeartbeatResponse, HeartbeatResponse__Output as _aidoc_v1_HeartbeatResponse__Output } from '../../aidoc/v1/HeartbeatResponse.js';
import type { PayloadPart as _aidoc_v1_PayloadPart, PayloadPart__Output as _aidoc_v1_PayloadPart__Output } from '../../aidoc/v1/PayloadPart.js';
import type { PullOpenRequestRequest as _aidoc_v1_PullOpenRequestRequest, PullOpenRequestRequest__Output as _aidoc_v1_PullOpenRequestRequest__Output } from '../../aidoc/v1/PullOpenRequestRequest.js';
import type { PullOpenRequestResponse as _aidoc_v1_PullOpenRequestResponse, PullOpenRequestResponse__Output as _aidoc_v1_PullOpenRequestResponse__Output } from '../../aidoc/v1/PullOpenRequestResponse.js';
import type { PullTaskRequest as _aidoc_v1_PullTaskRequest, PullTaskRequest__Output as _aidoc_v1_PullTaskRequest__Output } from '../../aidoc/v1/PullTaskRequest.js';
import type { PullTaskResponse as _aidoc_v1_PullTaskResponse, PullTaskResponse__Output as _aidoc_v1_PullTaskResponse__Output } from '../../aidoc/v1/PullTaskResponse.js';
import type { PushOpenResultRequest as _aidoc_v1_PushOpenResultRequest, PushOpenResultRequest__Output as _aidoc_v1_PushOpenResultRequest__Output } from '../../aidoc/v1/PushOpenResultRequest.js';
import type { PushOpenResultResponse as _aidoc_v1_PushOpenResultResponse, PushOpenResultResponse__Output as _aidoc_v1_PushOpenResultResponse__Output } from '../../aidoc/v1/PushOpenResultResponse.js';
import type { PushUpdateRequest as _aidoc_v1_PushUpdateRequest, PushUpdateRequest__Output as _aidoc_v1_PushUpdateRequest__Output } from '../../aidoc/v1/PushUpdateRequest.js';
import type { PushUpdateResponse as _aidoc_v1_PushUpdateResponse, PushUpdateResponse__Output as _aidoc_v1_PushUpdateResponse__Output } from '../../aidoc/v1/PushUpdateResponse.js';
import type { RegisterRequest as _aidoc_v1_RegisterRequest, RegisterRequest__Output as _aidoc_v1_RegisterRequest__Output } from '../../aidoc/v1/RegisterRequest.js';
import type { RegisterResponse as _aidoc_v1_RegisterResponse, RegisterResponse__Output as _aidoc_v1_RegisterResponse__Output } from '../../aidoc/v1/RegisterResponse.js';
import type { ReportEvaluationRequest as _aidoc_v1_ReportEvaluationRequest, ReportEvaluationRequest__Output as _aidoc_v1_ReportEvaluationRequest__Output } from '../../aidoc/v1/ReportEvaluationRequest.js';
import type { ReportEvaluationResponse as _aidoc_v1_ReportEvaluationResponse, ReportEvaluationResponse__Output as _aidoc_v1_ReportEvaluationResponse__Output } from '../../aidoc/v1/ReportEvaluationResponse.js';
import type { ReportFailureRequest as _aidoc_v1_ReportFailureRequest, ReportFailureRequest__Output as _aidoc_v1_ReportFailureRequest__Output } from '../../aidoc/v1/ReportFailureRequest.js';
import type { ReportFailureResponse as _aidoc_v1_ReportFailureResponse, ReportFailureResponse__Output as _aidoc_v1_ReportFailureResponse__Output } from '../../aidoc/v1/ReportFailureResponse.js';

export interface WorkerServiceClient extends grpc.Client {
  /**
   * Which coordinator replicas are live and where each can be reached. Workers dial one address
   * (e.g. a Kubernetes Service), ask this, and keep a session with every replica listed, since a
   * job runs on one replica and selects among the workers connected to it. Empty when the
   * coordinator runs alone: the worker then keeps its one session.
   */
  Discover(argument: _aidoc_v1_DiscoverRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  Discover(argument: _aidoc_v1_DiscoverRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  Discover(argument: _aidoc_v1_DiscoverRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  Discover(argument: _aidoc_v1_DiscoverRequest, callback: grpc.requestCallback<_aidoc_v1_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Which coordinator replicas are live and where each can be reached. Workers dial one address
   * (e.g. a Kubernetes Service), ask this, and keep a session with every replica listed, since a
   * job runs on one replica and selects among the workers connected to it. Empty when the
   * coordinator runs alone: the worker then keeps its one session.
   */
  discover(argument: _aidoc_v1_DiscoverRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  discover(argument: _aidoc_v1_DiscoverRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  discover(argument: _aidoc_v1_DiscoverRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  discover(argument: _aidoc_v1_DiscoverRequest, callback: grpc.requestCallback<_aidoc_v1_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Streams a payload the worker was given a reference to (global weights, an aggregate to open).
   */
  FetchPayload(argument: _aidoc_v1_FetchPayloadRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_aidoc_v1_PayloadPart__Output>;
  FetchPayload(argument: _aidoc_v1_FetchPayloadRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_aidoc_v1_PayloadPart__Output>;
  /**
   * Streams a payload the worker was given a reference to (global weights, an aggregate to open).
   */
  fetchPayload(argument: _aidoc_v1_FetchPayloadRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_aidoc_v1_PayloadPart__Output>;
  fetchPayload(argument: _aidoc_v1_FetchPayloadRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_aidoc_v1_PayloadPart__Output>;
  
  /**
   * Keeps the session alive and tells the worker which of its tasks were cancelled.
   */
  Heartbeat(argument: _aidoc_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _aidoc_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _aidoc_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _aidoc_v1_HeartbeatRequest, callback: grpc.requestCallback<_aidoc_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Keeps the session alive and tells the worker which of its tasks were cancelled.
   */
  heartbeat(argument: _aidoc_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _aidoc_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _aidoc_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _aidoc_v1_HeartbeatRequest, callback: grpc.requestCallback<_aidoc_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Secure aggregation: long-poll for a request to open (e.g. decrypt) an aggregate.
   */
  PullOpenRequest(argument: _aidoc_v1_PullOpenRequestRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PullOpenRequestResponse__Output>): grpc.ClientUnaryCall;
  PullOpenRequest(argument: _aidoc_v1_PullOpenRequestRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_PullOpenRequestResponse__Output>): grpc.ClientUnaryCall;
  PullOpenRequest(argument: _aidoc_v1_PullOpenRequestRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PullOpenRequestResponse__Output>): grpc.ClientUnaryCall;
  PullOpenRequest(argument: _aidoc_v1_PullOpenRequestRequest, callback: grpc.requestCallback<_aidoc_v1_PullOpenRequestResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Secure aggregation: long-poll for a request to open (e.g. decrypt) an aggregate.
   */
  pullOpenRequest(argument: _aidoc_v1_PullOpenRequestRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PullOpenRequestResponse__Output>): grpc.ClientUnaryCall;
  pullOpenRequest(argument: _aidoc_v1_PullOpenRequestRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_PullOpenRequestResponse__Output>): grpc.ClientUnaryCall;
  pullOpenRequest(argument: _aidoc_v1_PullOpenRequestRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PullOpenRequestResponse__Output>): grpc.ClientUnaryCall;
  pullOpenRequest(argument: _aidoc_v1_PullOpenRequestRequest, callback: grpc.requestCallback<_aidoc_v1_PullOpenRequestResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Long-poll: returns a task as soon as one is assigned, or "none" with a retry hint after wait_ms.
   */
  PullTask(argument: _aidoc_v1_PullTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PullTaskResponse__Output>): grpc.ClientUnaryCall;
  PullTask(argument: _aidoc_v1_PullTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_PullTaskResponse__Output>): grpc.ClientUnaryCall;
  PullTask(argument: _aidoc_v1_PullTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PullTaskResponse__Output>): grpc.ClientUnaryCall;
  PullTask(argument: _aidoc_v1_PullTaskRequest, callback: grpc.requestCallback<_aidoc_v1_PullTaskResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Long-poll: returns a task as soon as one is assigned, or "none" with a retry hint after wait_ms.
   */
  pullTask(argument: _aidoc_v1_PullTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PullTaskResponse__Output>): grpc.ClientUnaryCall;
  pullTask(argument: _aidoc_v1_PullTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_PullTaskResponse__Output>): grpc.ClientUnaryCall;
  pullTask(argument: _aidoc_v1_PullTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PullTaskResponse__Output>): grpc.ClientUnaryCall;
  pullTask(argument: _aidoc_v1_PullTaskRequest, callback: grpc.requestCallback<_aidoc_v1_PullTaskResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Secure aggregation: returns the opened result, chunked like PushUpdate.
   */
  PushOpenResult(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PushOpenResultResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushOpenResultRequest>;
  PushOpenResult(metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_PushOpenResultResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushOpenResultRequest>;
  PushOpenResult(options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PushOpenResultResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushOpenResultRequest>;
  PushOpenResult(callback: grpc.requestCallback<_aidoc_v1_PushOpenResultResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushOpenResultRequest>;
  /**
   * Secure aggregation: returns the opened result, chunked like PushUpdate.
   */
  pushOpenResult(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PushOpenResultResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushOpenResultRequest>;
  pushOpenResult(metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_PushOpenResultResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushOpenResultRequest>;
  pushOpenResult(options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PushOpenResultResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushOpenResultRequest>;
  pushOpenResult(callback: grpc.requestCallback<_aidoc_v1_PushOpenResultResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushOpenResultRequest>;
  
  /**
   * Sends a training result: one header, then header.payload.chunk_count chunks, then one trailer.
   * A rejected update (late round, wrong length, digest mismatch, unknown task) ends with an error
   * status whose message says why; the round goes on without it.
   */
  PushUpdate(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PushUpdateResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushUpdateRequest>;
  PushUpdate(metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_PushUpdateResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushUpdateRequest>;
  PushUpdate(options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PushUpdateResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushUpdateRequest>;
  PushUpdate(callback: grpc.requestCallback<_aidoc_v1_PushUpdateResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushUpdateRequest>;
  /**
   * Sends a training result: one header, then header.payload.chunk_count chunks, then one trailer.
   * A rejected update (late round, wrong length, digest mismatch, unknown task) ends with an error
   * status whose message says why; the round goes on without it.
   */
  pushUpdate(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PushUpdateResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushUpdateRequest>;
  pushUpdate(metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_PushUpdateResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushUpdateRequest>;
  pushUpdate(options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_PushUpdateResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushUpdateRequest>;
  pushUpdate(callback: grpc.requestCallback<_aidoc_v1_PushUpdateResponse__Output>): grpc.ClientWritableStream<_aidoc_v1_PushUpdateRequest>;
  
  /**
   * Announces the worker and what it offers. Registering again (e.g. after a restart) replaces the
   * previous session of the same identity; tasks held by the old session are failed as DROPPED.
   */
  Register(argument: _aidoc_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _aidoc_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _aidoc_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _aidoc_v1_RegisterRequest, callback: grpc.requestCallback<_aidoc_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Announces the worker and what it offers. Registering again (e.g. after a restart) replaces the
   * previous session of the same identity; tasks held by the old session are failed as DROPPED.
   */
  register(argument: _aidoc_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _aidoc_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _aidoc_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _aidoc_v1_RegisterRequest, callback: grpc.requestCallback<_aidoc_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Sends evaluation metrics of the global model on the worker's local data (EVALUATE tasks).
   */
  ReportEvaluation(argument: _aidoc_v1_ReportEvaluationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ReportEvaluationResponse__Output>): grpc.ClientUnaryCall;
  ReportEvaluation(argument: _aidoc_v1_ReportEvaluationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_ReportEvaluationResponse__Output>): grpc.ClientUnaryCall;
  ReportEvaluation(argument: _aidoc_v1_ReportEvaluationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ReportEvaluationResponse__Output>): grpc.ClientUnaryCall;
  ReportEvaluation(argument: _aidoc_v1_ReportEvaluationRequest, callback: grpc.requestCallback<_aidoc_v1_ReportEvaluationResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Sends evaluation metrics of the global model on the worker's local data (EVALUATE tasks).
   */
  reportEvaluation(argument: _aidoc_v1_ReportEvaluationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ReportEvaluationResponse__Output>): grpc.ClientUnaryCall;
  reportEvaluation(argument: _aidoc_v1_ReportEvaluationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_ReportEvaluationResponse__Output>): grpc.ClientUnaryCall;
  reportEvaluation(argument: _aidoc_v1_ReportEvaluationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ReportEvaluationResponse__Output>): grpc.ClientUnaryCall;
  reportEvaluation(argument: _aidoc_v1_ReportEvaluationRequest, callback: grpc.requestCallback<_aidoc_v1_ReportEvaluationResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Tells the coordinator the worker cannot complete a task (training failed, privacy budget exhausted,
   * no consented records ...). The round records it as an ERROR failure with this detail and goes on.
   */
  ReportFailure(argument: _aidoc_v1_ReportFailureRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  ReportFailure(argument: _aidoc_v1_ReportFailureRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  ReportFailure(argument: _aidoc_v1_ReportFailureRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  ReportFailure(argument: _aidoc_v1_ReportFailureRequest, callback: grpc.requestCallback<_aidoc_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Tells the coordinator the worker cannot complete a task (training failed, privacy budget exhausted,
   * no consented records ...). The round records it as an ERROR failure with this detail and goes on.
   */
  reportFailure(argument: _aidoc_v1_ReportFailureRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  reportFailure(argument: _aidoc_v1_ReportFailureRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  reportFailure(argument: _aidoc_v1_ReportFailureRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  reportFailure(argument: _aidoc_v1_ReportFailureRequest, callback: grpc.requestCallback<_aidoc_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface WorkerServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Which coordinator replicas are live and where each can be reached. Workers dial one address
   * (e.g. a Kubernetes Service), ask this, and keep a session with every replica listed, since a
   * job runs on one replica and selects among the workers connected to it. Empty when the
   * coordinator runs alone: the worker then keeps its one session.
   */
  Discover: grpc.handleUnaryCall<_aidoc_v1_DiscoverRequest__Output, _aidoc_v1_DiscoverResponse>;
  
  /**
   * Streams a payload the worker was given a reference to (global weights, an aggregate to open).
   */
  FetchPayload: grpc.handleServerStreamingCall<_aidoc_v1_FetchPayloadRequest__Output, _aidoc_v1_PayloadPart>;
  
  /**
   * Keeps the session alive and tells the worker which of its tasks were cancelled.
   */
  Heartbeat: grpc.handleUnaryCall<_aidoc_v1_HeartbeatRequest__Output, _aidoc_v1_HeartbeatResponse>;
  
  /**
   * Secure aggregation: long-poll for a request to open (e.g. decrypt) an aggregate.
   */
  PullOpenRequest: grpc.handleUnaryCall<_aidoc_v1_PullOpenRequestRequest__Output, _aidoc_v1_PullOpenRequestResponse>;
  
  /**
   * Long-poll: returns a task as soon as one is assigned, or "none" with a retry hint after wait_ms.
   */
  PullTask: grpc.handleUnaryCall<_aidoc_v1_PullTaskRequest__Output, _aidoc_v1_PullTaskResponse>;
  
  /**
   * Secure aggregation: returns the opened result, chunked like PushUpdate.
   */
  PushOpenResult: grpc.handleClientStreamingCall<_aidoc_v1_PushOpenResultRequest__Output, _aidoc_v1_PushOpenResultResponse>;
  
  /**
   * Sends a training result: one header, then header.payload.chunk_count chunks, then one trailer.
   * A rejected update (late round, wrong length, digest mismatch, unknown task) ends with an error
   * status whose message says why; the round goes on without it.
   */
  PushUpdate: grpc.handleClientStreamingCall<_aidoc_v1_PushUpdateRequest__Output, _aidoc_v1_PushUpdateResponse>;
  
  /**
   * Announces the worker and what it offers. Registering again (e.g. after a restart) replaces the
   * previous session of the same identity; tasks held by the old session are failed as DROPPED.
   */
  Register: grpc.handleUnaryCall<_aidoc_v1_RegisterRequest__Output, _aidoc_v1_RegisterResponse>;
  
  /**
   * Sends evaluation metrics of the global model on the worker's local data (EVALUATE tasks).
   */
  ReportEvaluation: grpc.handleUnaryCall<_aidoc_v1_ReportEvaluationRequest__Output, _aidoc_v1_ReportEvaluationResponse>;
  
  /**
   * Tells the coordinator the worker cannot complete a task (training failed, privacy budget exhausted,
   * no consented records ...). The round records it as an ERROR failure with this detail and goes on.
   */
  ReportFailure: grpc.handleUnaryCall<_aidoc_v1_ReportFailureRequest__Output, _aidoc_v1_ReportFailureResponse>;
  
}

export interface WorkerServiceDefinition extends grpc.ServiceDefinition {
  Discover: MethodDefinition<_aidoc_v1_DiscoverRequest, _aidoc_v1_DiscoverResponse, _aidoc_v1_DiscoverRequest__Output, _aidoc_v1_DiscoverResponse__Output>
  FetchPayload: MethodDefinition<_aidoc_v1_FetchPayloadRequest, _aidoc_v1_PayloadPart, _aidoc_v1_FetchPayloadRequest__Output, _aidoc_v1_PayloadPart__Output>
  Heartbeat: MethodDefinition<_aidoc_v1_HeartbeatRequest, _aidoc_v1_HeartbeatResponse, _aidoc_v1_HeartbeatRequest__Output, _aidoc_v1_HeartbeatResponse__Output>
  PullOpenRequest: MethodDefinition<_aidoc_v1_PullOpenRequestRequest, _aidoc_v1_PullOpenRequestResponse, _aidoc_v1_PullOpenRequestRequest__Output, _aidoc_v1_PullOpenRequestResponse__Output>
  PullTask: MethodDefinition<_aidoc_v1_PullTaskRequest, _aidoc_v1_PullTaskResponse, _aidoc_v1_PullTaskRequest__Output, _aidoc_v1_PullTaskResponse__Output>
  PushOpenResult: MethodDefinition<_aidoc_v1_PushOpenResultRequest, _aidoc_v1_PushOpenResultResponse, _aidoc_v1_PushOpenResultRequest__Output, _aidoc_v1_PushOpenResultResponse__Output>
  PushUpdate: MethodDefinition<_aidoc_v1_PushUpdateRequest, _aidoc_v1_PushUpdateResponse, _aidoc_v1_PushUpdateRequest__Output, _aidoc_v1_PushUpdateResponse__Output>
  Register: MethodDefinition<_aidoc_v1_RegisterRequest, _aidoc_v1_RegisterResponse, _aidoc_v1_RegisterRequest__Output, _aidoc_v1_RegisterResponse__Output>
  ReportEvaluation: MethodDefinition<_aidoc_v1_ReportEvaluationRequest, _aidoc_v1_ReportEvaluationResponse, _aidoc_v1_ReportEvaluationRequest__Output, _aidoc_v1_ReportEvaluationResponse__Output>
  ReportFailure: MethodDefinition<_aidoc_v1_ReportFailureRequest, _aidoc_v1_ReportFailureResponse, _aidoc_v1_ReportFailureRequest__Output, _aidoc_v1_ReportFailureResponse__Output>
}
