// Original file: protos/aidoc/v1/common.proto


/**
 * A model: either a built-in name known to every worker, or a TensorFlow.js Layers topology.
 */
export interface ModelSpec {
  /**
   * e.g. "wdbc-mlp", "lenet5", "fedavg-cnn".
   */
  'builtin'?: (string);
  /**
   * A TensorFlow.js Layers model topology (the `modelTopology` of model.json), as JSON text.
   */
  'topologyJson'?: (string);
  'source'?: "builtin"|"topologyJson";
}

/**
 * A model: either a built-in name known to every worker, or a TensorFlow.js Layers topology.
 */
export interface ModelSpec__Output {
  /**
   * e.g. "wdbc-mlp", "lenet5", "fedavg-cnn".
   */
  'builtin'?: (string);
  /**
   * A TensorFlow.js Layers model topology (the `modelTopology` of model.json), as JSON text.
   */
  'topologyJson'?: (string);
  'source'?: "builtin"|"topologyJson";
}
