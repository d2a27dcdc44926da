// Configuration for `hardhat node`, the stand-alone EVM JSON-RPC node the ledger's integration
// tests start on a loopback port (and a developer can start by hand:
// `npx hardhat node --config ledger/hardhat.config.cjs --port 8545`). Same chain settings as the
// embedded ledger (ledger/embedded-chain.ts): chain id 31337, cancun, a zero base fee so accounts
// without ether (data owners) can send. No Solidity here: contracts are compiled by
// ledger/scripts/compile.js and deployed by the client.
/* eslint-disable @typescript-eslint/no-require-imports -- Hardhat 2 reads CommonJS configs only */
/* global require, module, __dirname */
const os = require('node:os');
const path = require('node:path');

const scratch = path.join(os.tmpdir(), 'aidoc-hardhat');

module.exports = {
  paths: { root: __dirname, cache: path.join(scratch, 'cache'), artifacts: path.join(scratch, 'artifacts'), sources: path.join(scratch, 'none') },
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: 'cancun',
      initialBaseFeePerGas: 0,
      accounts: { count: 1 },
      loggingEnabled: false,
    },
  },
};
