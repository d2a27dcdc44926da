// Original file: protos/aidoc/v1/worker.proto


export interface DiscoverRequest {
}

export interface DiscoverRequest__Output {
}
