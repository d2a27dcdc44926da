/**
 * The ledger's public surface: the `Ledger` interface and its types, the two ways to get one
 * (embedded, JSON-RPC), deployment, units, owner-share trees, reports, dev helpers.
 */
export type * from './ledger.js';
export {
  createEmbeddedLedger,
  resolveAccountKey,
  type EmbeddedLedger,
  type EmbeddedLedgerOptions,
} from './ledger-embedded.js';
export {
  connectLedger,
  deployLedgerOverRpc,
  type ConnectLedgerOptions,
  type DeployLedgerOverRpcOptions,
} from './ledger-rpc.js';
export { deployLedger, parseDeployment, ROLES, type LedgerDeployment } from './deployment.js';
export { devAccount, DEV_COORDINATOR, DEV_OPERATOR, type DevAccount } from './dev-accounts.js';
export { ensureDevParticipants, type DevParticipants } from './dev-setup.js';
export {
  buildOwnerShares,
  ownerLeaf,
  splitRebate,
  verifyOwnerClaim,
  type OwnerShare,
  type OwnerShareTree,
} from './owner-shares.js';
export { jobReportJson, jobReportText, type JobReportJson } from './report.js';
export { DEFAULT_LEDGER_STATE, openLedger, type OpenLedgerOptions } from './open-ledger.js';
export {
  AIDOC_DECIMALS,
  EPSILON_SCALE,
  datasetKey,
  formatAidoc,
  fromNanoEpsilon,
  jobKey,
  parseAidoc,
  purposeKey,
  toNanoEpsilon,
} from './units.js';
export { isTransient } from './tx-sender.js';
