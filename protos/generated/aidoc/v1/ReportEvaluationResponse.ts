// Original file: protos/aidoc/v1/worker.proto


export interface ReportEvaluationResponse {
}

export interface ReportEvaluationResponse__Output {
}
