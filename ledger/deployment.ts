/**
 * Deploying the ledger's contracts and describing where they are. A deployment manifest (JSON) is
 * what a client needs besides an RPC URL and a key: `aidoc ledger deploy` writes one, and
 * `connectLedger` reads it.
 *
 * Roles after deployment (see ledger/README.md):
 * - operator (the deployer): DEFAULT_ADMIN_ROLE everywhere, MINTER_ROLE, OPERATOR_ROLE;
 * - coordinator: COORDINATOR_ROLE on TrainingMarket, ModelRegistry, PrivacyLedger;
 * - governance (default: the operator): GOVERNANCE_ROLE on ModelRegistry; when it is another
 *   account, the operator renounces the role.
 */
import { AbiCoder, concat, id as roleId } from 'ethers';
import { z } from 'zod';
import { makeError } from '../common/errors.js';
import { artifacts, interfaces, type ContractName } from './artifacts.js';
import type { TxSender } from './tx-sender.js';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an 0x-prefixed 20-byte address');

export const ledgerDeploymentSchema = z.object({
  chainId: z.number().int().positive(),
  /** Block of the first deployment transaction: where event scans start. */
  deployBlock: z.number().int().nonnegative(),
  operator: address,
  coordinator: address,
  governance: address,
  contracts: z.object({
    AidocToken: address,
    WorkerRegistry: address,
    ConsentRegistry: address,
    TrainingMarket: address,
    ModelRegistry: address,
    PrivacyLedger: address,
    RebateClaims: address,
  }),
});

export type LedgerDeployment = z.infer<typeof ledgerDeploymentSchema>;

export function parseDeployment(json: unknown, source: string): LedgerDeployment {
  const r = ledgerDeploymentSchema.safeParse(json);
  if (!r.success) {
    throw makeError(`${source} is not a ledger deployment: ${r.error.message}`, 'INVALID_ARGUMENT', {
      problems: r.error.issues,
    });
  }
  return r.data;
}

export const ROLES = {
  DEFAULT_ADMIN_ROLE: '0x' + '00'.repeat(32),
  MINTER_ROLE: roleId('MINTER_ROLE'),
  OPERATOR_ROLE: roleId('OPERATOR_ROLE'),
  COORDINATOR_ROLE: roleId('COORDINATOR_ROLE'),
  GOVERNANCE_ROLE: roleId('GOVERNANCE_ROLE'),
} as const;

export interface DeployLedgerOptions {
  /** Sends as the operator: the deployer becomes admin, minter and registry operator. */
  sender: TxSender;
  chainId: number;
  /** The coordinator's account, granted COORDINATOR_ROLE. */
  coordinator: string;
  /**
   * The account that may revoke model versions.
   * @defaultValue the operator
   */
  governance?: string;
}

/** Deploys the seven contracts in a fixed order and grants the roles. */
export async function deployLedger(options: DeployLedgerOptions): Promise<LedgerDeployment> {
  const { sender, coordinator } = options;
  const operator = sender.address;
  const governance = options.governance ?? operator;
  const coder = AbiCoder.defaultAbiCoder();
  let deployBlock = -1;

  async function deploy(name: ContractName, types: string[], values: unknown[]): Promise<string> {
    const data = concat([artifacts[name].bytecode, coder.encode(types, values)]);
    const receipt = await sender.send({ data, label: `deploy ${name}` });
    if (deployBlock < 0) deployBlock = receipt.blockNumber;
    if (!receipt.contractAddress) throw makeError(`deploy ${name}: no contract address`, 'INTERNAL');
    return receipt.contractAddress;
  }
  async function call(name: ContractName, at: string, fn: string, args: unknown[]): Promise<void> {
    await sender.send({
      to: at,
      data: interfaces[name].encodeFunctionData(fn, args),
      label: `${name}.${fn}`,
    });
  }

  const token = await deploy('AidocToken', ['address'], [operator]);
  const registry = await deploy('WorkerRegistry', ['address'], [operator]);
  const consent = await deploy('ConsentRegistry', [], []);
  const market = await deploy(
    'TrainingMarket',
    ['address', 'address', 'address'],
    [operator, token, registry],
  );
  const models = await deploy('ModelRegistry', ['address'], [operator]);
  const privacy = await deploy('PrivacyLedger', ['address', 'address'], [operator, registry]);
  const claims = await deploy('RebateClaims', ['address', 'address'], [token, registry]);

  await call('TrainingMarket', market, 'grantRole', [ROLES.COORDINATOR_ROLE, coordinator]);
  await call('ModelRegistry', models, 'grantRole', [ROLES.COORDINATOR_ROLE, coordinator]);
  await call('PrivacyLedger', privacy, 'grantRole', [ROLES.COORDINATOR_ROLE, coordinator]);
  if (governance.toLowerCase() !== operator.toLowerCase()) {
    // Revoking versions is the review board's call alone, not the operator's as well.
    await call('ModelRegistry', models, 'grantRole', [ROLES.GOVERNANCE_ROLE, governance]);
    await call('ModelRegistry', models, 'renounceRole', [ROLES.GOVERNANCE_ROLE, operator]);
  }
  return {
    chainId: options.chainId,
    deployBlock,
    operator,
    coordinator,
    governance,
    contracts: {
      AidocToken: token,
      WorkerRegistry: registry,
      ConsentRegistry: consent,
      TrainingMarket: market,
      ModelRegistry: models,
      PrivacyLedger: privacy,
      RebateClaims: claims,
    },
  };
}
