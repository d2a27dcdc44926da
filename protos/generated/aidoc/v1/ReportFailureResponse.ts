// Original file: protos/aidoc/v1/worker.proto


export interface ReportFailureResponse {
}

export interface ReportFailureResponse__Output {
}
