/**
 * An ethers v6 provider over any EIP-1193 `request` function (here: Hardhat 2's in-process
 * provider, behind the embedded ledger's journal). Errors are handed to ethers in JSON-RPC shape,
 * with the revert data, so ethers decodes them like a node's.
 */
import {
  JsonRpcApiProvider,
  Network,
  type JsonRpcError,
  type JsonRpcPayload,
  type JsonRpcResult,
} from 'ethers';

export interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export class Eip1193Provider extends JsonRpcApiProvider {
  constructor(
    private readonly inner: Eip1193,
    chainId: number,
  ) {
    const network = Network.from(chainId);
    // No cache: a fast local chain answers the same block number within the cache window.
    super(network, { staticNetwork: network, cacheTimeout: -1, batchMaxCount: 1, pollingInterval: 50 });
  }

  async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const out: (JsonRpcResult | JsonRpcError)[] = [];
    for (const p of Array.isArray(payload) ? payload : [payload]) {
      try {
        const result = await this.inner.request({ method: p.method, params: p.params as unknown[] });
        out.push({ id: p.id, result });
      } catch (e) {
        const err = e as { code?: unknown; message?: unknown; data?: unknown };
        out.push({
          id: p.id,
          error: {
            code: typeof err.code === 'number' ? err.code : -32603,
            message: typeof err.message === 'string' ? err.message : String(e),
            data: err.data,
          },
        });
      }
    }
    return out;
  }
}
