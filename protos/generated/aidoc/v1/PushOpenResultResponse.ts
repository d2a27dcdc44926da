// Original file: protos/aidoc/v1/worker.proto


export interface PushOpenResultResponse {
}

export interface PushOpenResultResponse__Output {
}
