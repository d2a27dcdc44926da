// Original file: protos/aidoc/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ListWorkersRequest as _aidoc_v1_ListWorkersRequest, ListWorkersRequest__Output as _aidoc_v1_ListWorkersRequest__Output } from '../../aidoc/v1/ListWorkersRequest.js';
import type { ListWorkersResponse as _aidoc_v1_ListWorkersResponse, ListWorkersResponse__Output as _aidoc_v1_ListWorkersResponse__Output } from '../../aidoc/v1/ListWorkersResponse.js';

export interface AdminServiceClient extends grpc.Client {
  ListWorkers(argument: _aidoc_v1_ListWorkersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  ListWorkers(argument: _aidoc_v1_ListWorkersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  ListWorkers(argument: _aidoc_v1_ListWorkersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  ListWorkers(argument: _aidoc_v1_ListWorkersRequest, callback: grpc.requestCallback<_aidoc_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  listWorkers(argument: _aidoc_v1_ListWorkersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  listWorkers(argument: _aidoc_v1_ListWorkersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_aidoc_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  listWorkers(argument: _aidoc_v1_ListWorkersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_aidoc_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  listWorkers(argument: _aidoc_v1_ListWorkersRequest, callback: grpc.requestCallback<_aidoc_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminServiceHandlers extends grpc.UntypedServiceImplementation {
  ListWorkers: grpc.handleUnaryCall<_aidoc_v1_ListWorkersRequest__Output, _aidoc_v1_ListWorkersResponse>;
  
}

export interface AdminServiceDefinition extends grpc.ServiceDefinition {
  ListWorkers: MethodDefinition<_aidoc_v1_ListWorkersRequest, _aidoc_v1_ListWorkersResponse, _aidoc_v1_ListWorkersRequest__Output, _aidoc_v1_ListWorkersResponse__Output>
}
