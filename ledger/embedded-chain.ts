/**
 * The embedded chain: Hardhat 2's in-process EVM (EDR) running the real contracts, made durable
 * by a journal. Hardhat 2 cannot dump or load its state, so the state file is instead the list of
 * every signed transaction the chain mined, with the timestamp of its block, appended and fsynced
 * as each one is mined. Opening the file starts a fresh chain from the same genesis (chain id,
 * hardfork and genesis date are in the file's header) and replays the transactions with their
 * timestamps: the EVM is deterministic, so the result is the same chain, block hash for block
 * hash, which replay checks at every block.
 *
 * To keep the journal a complete description of the chain, this provider refuses every method
 * that would change state other than by a signed transaction (eth_sendTransaction, evm_*,
 * hardhat_* ...). One process at a time may write a state file (it is locked); others may open
 * it read-only, replaying what is there.
 */
import { existsSync, closeSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { makeError } from '../common/errors.js';
import { artifactsDigest } from './artifacts.js';
import { parseDeployment, type LedgerDeployment } from './deployment.js';
import { acquireFileLock, type FileLock } from './file-lock.js';
import { Eip1193Provider, type Eip1193 } from './provider-eip1193.js';

export const EMBEDDED_CHAIN_ID = 31337;
export const EMBEDDED_HARDFORK = 'cancun';

export interface EmbeddedChainOptions {
  /**
   * The journal file. Created on first use.
   * @defaultValue undefined: the chain lives in memory and is gone when the process ends
   */
  stateFile?: string;
  /**
   * Replay only; refuse transactions; take no lock (another process may be writing).
   * @defaultValue false
   */
  readOnly?: boolean;
}

export interface EmbeddedChain {
  readonly provider: Eip1193Provider;
  /** The same chain as a bare EIP-1193 `request` (sends are journaled), e.g. to serve it over HTTP. */
  readonly rpc: Eip1193;
  readonly chainId: number;
  /** The deployment recorded in the journal, if the contracts were deployed. */
  readonly deployment: LedgerDeployment | undefined;
  /** Transactions in the journal (replayed plus new). */
  readonly txCount: number;
  recordDeployment(d: LedgerDeployment): void;
  close(): void;
}

interface Header {
  t: 'header';
  format: 'aidoc-ledger-journal';
  version: 1;
  chainId: number;
  hardfork: string;
  initialDate: string;
  artifactsDigest: string;
}
interface TxLine {
  t: 'tx';
  raw: string;
  hash: string;
  timestamp: number;
  blockHash: string;
}
interface DeploymentLine {
  t: 'deployment';
  deployment: unknown;
}
type JournalLine = Header | TxLine | DeploymentLine;

type CreateProvider = (config: Record<string, unknown>, logger: { enabled: boolean }) => Promise<Eip1193>;

function loadHardhat(): CreateProvider {
  const require = createRequire(import.meta.url);
  // Hardhat 2 has no public API for its network provider outside a Hardhat project; this is the
  // factory its own `createProvider` calls. Pinned hardhat version: see package.json.
  const mod = require('hardhat/internal/hardhat-network/provider/provider') as {
    createHardhatNetworkProvider: CreateProvider;
  };
  return mod.createHardhatNetworkProvider;
}

async function startEdr(chainId: number, initialDate: Date): Promise<Eip1193> {
  return loadHardhat()(
    {
      hardfork: EMBEDDED_HARDFORK,
      chainId,
      networkId: chainId,
      blockGasLimit: 30_000_000,
      minGasPrice: 0n,
      automine: true,
      intervalMining: 0,
      mempoolOrder: 'priority',
      chains: new Map(),
      genesisAccounts: [],
      allowUnlimitedContractSize: false,
      // A mined-but-reverted transaction must come back as a hash, so it is journaled like any
      // other; calls and estimates still throw with the revert data.
      throwOnTransactionFailures: false,
      throwOnCallFailures: true,
      allowBlocksWithSameTimestamp: false,
      // Zero base fee: gas is free, so accounts without ether (data owners) can send.
      initialBaseFeePerGas: 0,
      initialDate,
      enableTransientStorage: false,
      enableRip7212: false,
    },
    { enabled: false },
  );
}

const READ_PREFIXES = ['eth_', 'net_', 'web3_'];
const REFUSED = new Set(['eth_sendTransaction', 'eth_sign', 'eth_signTypedData_v4', 'eth_accounts']);

interface Block {
  hash: string;
  timestamp: string;
}

export async function openEmbeddedChain(options: EmbeddedChainOptions = {}): Promise<EmbeddedChain> {
  const { stateFile, readOnly = false } = options;
  const lock: FileLock | undefined =
    stateFile && !readOnly ? acquireFileLock(stateFile, 'ledger state') : undefined;
  try {
    return await open(stateFile, readOnly, lock);
  } catch (e) {
    lock?.release();
    throw e;
  }
}

async function open(
  stateFile: string | undefined,
  readOnly: boolean,
  lock: FileLock | undefined,
): Promise<EmbeddedChain> {
  const lines = stateFile && existsSync(stateFile) ? readJournal(stateFile, !readOnly) : [];
  let header = lines[0]?.t === 'header' ? lines[0] : undefined;
  if (lines.length > 0 && !header)
    throw makeError(`${stateFile} is not a ledger state file`, 'INVALID_ARGUMENT');
  if (header && header.artifactsDigest !== artifactsDigest) {
    throw makeError(
      `${stateFile} was made by another build of the ledger contracts; start a new state file or use the build that made it`,
      'INVALID_ARGUMENT',
      { file: stateFile, recorded: header.artifactsDigest, current: artifactsDigest },
    );
  }
  const chainId = header?.chainId ?? EMBEDDED_CHAIN_ID;
  // Whole seconds, so the genesis block is the same on every replay.
  const initialDate = header ? new Date(header.initialDate) : new Date(Math.floor(Date.now() / 1000) * 1000);
  const edr = await startEdr(chainId, initialDate);
  const call = async <T>(method: string, params: unknown[] = []): Promise<T> =>
    (await edr.request({ method, params })) as T;

  let deployment: LedgerDeployment | undefined;
  let txCount = 0;
  let lastTimestamp = 0;
  for (const [i, line] of lines.entries()) {
    if (line.t === 'tx') {
      await call('evm_setNextBlockTimestamp', [line.timestamp]);
      const hash = await call<string>('eth_sendRawTransaction', [line.raw]);
      const block = await call<Block>('eth_getBlockByNumber', ['latest', false]);
      if (hash !== line.hash || block.hash !== line.blockHash) {
        throw makeError(`replaying ${stateFile} diverged at line ${i + 1}`, 'INTERNAL', {
          file: stateFile,
          line: i + 1,
          expected: line.blockHash,
          got: block.hash,
        });
      }
      txCount += 1;
      lastTimestamp = line.timestamp;
    } else if (line.t === 'deployment') {
      deployment = parseDeployment(line.deployment, `${stateFile} line ${i + 1}`);
    }
  }
  if (lastTimestamp > 0) {
    // Replay left the clock at the last journaled block; move it back to the wall clock.
    const now = Math.floor(Date.now() / 1000);
    await call('evm_setNextBlockTimestamp', [Math.max(now, lastTimestamp + 1)]);
  }

  let fd: number | undefined;
  const append = (line: JournalLine) => {
    if (!stateFile) return;
    if (fd === undefined) fd = openSync(stateFile, 'a');
    writeSync(fd, JSON.stringify(line) + '\n');
    fsyncSync(fd);
  };
  if (!header && stateFile && !readOnly) {
    header = {
      t: 'header',
      format: 'aidoc-ledger-journal',
      version: 1,
      chainId,
      hardfork: EMBEDDED_HARDFORK,
      initialDate: initialDate.toISOString(),
      artifactsDigest,
    };
    append(header);
  }

  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;
  const journaled: Eip1193 = {
    request({ method, params = [] }) {
      if (closed) return Promise.reject(makeError('the embedded ledger chain is closed', 'INTERNAL'));
      if (method === 'eth_sendRawTransaction') {
        if (readOnly) {
          return Promise.reject(
            makeError('the ledger state is open read-only; nothing can be sent', 'PERMISSION_DENIED'),
          );
        }
        // One at a time, so the journal's order is the order the chain mined them in.
        const run = tail.then(async () => {
          const hash = await call<string>(method, params);
          const receipt = await call<{ blockHash: string } | null>('eth_getTransactionReceipt', [hash]);
          if (!receipt) throw makeError(`embedded chain did not mine ${hash}`, 'INTERNAL');
          const block = await call<Block>('eth_getBlockByHash', [receipt.blockHash, false]);
          append({
            t: 'tx',
            raw: params[0] as string,
            hash,
            timestamp: Number(block.timestamp),
            blockHash: block.hash,
          });
          txCount += 1;
          return hash;
        });
        tail = run.catch(() => undefined);
        return run;
      }
      if (REFUSED.has(method) || !READ_PREFIXES.some((p) => method.startsWith(p))) {
        return Promise.reject(
          makeError(
            `${method} is not available on the embedded ledger: its state is a journal of signed transactions`,
            'INVALID_ARGUMENT',
          ),
        );
      }
      return edr.request({ method, params });
    },
  };

  return {
    provider: new Eip1193Provider(journaled, chainId),
    rpc: journaled,
    chainId,
    get deployment() {
      return deployment;
    },
    get txCount() {
      return txCount;
    },
    recordDeployment(d) {
      deployment = d;
      append({ t: 'deployment', deployment: d });
    },
    close() {
      if (closed) return;
      closed = true;
      if (fd !== undefined) closeSync(fd);
      lock?.release();
    },
  };
}

/** Parses the journal; a torn last line (a crash mid-append) is dropped, and cut off if writable. */
function readJournal(file: string, repair: boolean): JournalLine[] {
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length && repair) truncateSync(file, Buffer.byteLength(text.slice(0, end)));
  return text
    .slice(0, end)
    .split('\n')
    .filter(Boolean)
    .map((l, i) => {
      try {
        return JSON.parse(l) as JournalLine;
      } catch {
        throw makeError(`ledger state ${file} is corrupt at line ${i + 1}`, 'INTERNAL', {
          file,
          line: i + 1,
        });
      }
    });
}
