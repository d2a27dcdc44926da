/**
 * `aidoc owner consent grant|revoke|list` and `aidoc owner claim`: what a data owner (patient)
 * does on the ledger. Consent is per purpose and kept with its history; a claim redeems a ticket
 * the owner's hospital gave them for their share of a round's rebate (see
 * ledger/contracts/RebateClaims.sol for what the chain learns by it: only this claim).
 */
import { readFileSync } from 'node:fs';
import { isAddress } from 'ethers';
import { z } from 'zod';
import { assertArgument, makeError } from '../../common/errors.js';
import type { OwnerClaimTicket } from '../../ledger/ledger.js';
import { verifyOwnerClaim } from '../../ledger/owner-shares.js';
import { formatAidoc } from '../../ledger/units.js';
import type { CliCommand } from '../command.js';
import { optionalString, requireString } from '../flags.js';
import { ledgerAccessFlags, signerFlags, withLedger } from './ledger.js';

const purposeFlag = {
  purpose: {
    type: 'string',
    valueName: 'PURPOSE',
    description: 'What the records may be used for, e.g. breast-cancer-research',
  },
} as const;

function consentCommand(granted: boolean): CliCommand {
  return {
    path: ['owner', 'consent', granted ? 'grant' : 'revoke'],
    summary: granted
      ? 'Allow your records to be used for a purpose (signed by your key)'
      : 'Withdraw consent for a purpose; workers stop using your records from their next round',
    flags: { ...ledgerAccessFlags, ...signerFlags, ...purposeFlag },
    run({ flags, io }) {
      const purpose = requireString(flags, 'purpose');
      return withLedger(flags, true, async (ledger) => {
        const tx = granted ? await ledger.grantConsent(purpose) : await ledger.revokeConsent(purpose);
        if (flags.json)
          return void io.out(JSON.stringify({ owner: ledger.account, purpose, granted, txHash: tx.txHash }));
        io.out(`${granted ? 'granted' : 'revoked'} ${purpose} for ${ledger.account} (tx ${tx.txHash})`);
      });
    },
  };
}

export const ownerConsentGrantCommand = consentCommand(true);
export const ownerConsentRevokeCommand = consentCommand(false);

export const ownerConsentListCommand: CliCommand = {
  path: ['owner', 'consent', 'list'],
  summary: "An owner's consent per purpose now, and every change with its time",
  flags: {
    ...ledgerAccessFlags,
    owner: {
      type: 'string',
      valueName: 'ADDRESS',
      description: 'Whose consent (default: the signer of --key/--account)',
    },
    ...signerFlags,
  },
  run({ flags, io }) {
    return withLedger(flags, false, async (ledger) => {
      let owner = optionalString(flags, 'owner');
      if (!owner) {
        const key = optionalString(flags, 'key') ?? process.env.AIDOC_LEDGER_KEY;
        assertArgument(key || flags.account, 'give --owner ADDRESS, --key or --account');
        owner = ledger.account;
      }
      assertArgument(isAddress(owner), '--owner must be an address');
      const history = await ledger.consentHistory(owner);
      const current: Record<string, boolean> = {};
      for (const h of history) current[h.purpose ?? h.purposeKey] = h.granted;
      if (flags.json) return void io.out(JSON.stringify({ owner, purposes: current, history }));
      if (history.length === 0) return void io.out(`${owner}: no consent recorded`);
      io.out(`${owner}:`);
      for (const [p, g] of Object.entries(current)) io.out(`  ${g ? 'granted' : 'revoked'}  ${p}`);
      io.out('history:');
      for (const h of history) {
        io.out(
          `  ${new Date(h.at * 1000).toISOString()}  ${h.granted ? 'grant ' : 'revoke'}  ${h.purpose ?? h.purposeKey}`,
        );
      }
    });
  },
};

const ticketSchema = z.object({
  hospital: z.string().refine((a) => isAddress(a), 'an address'),
  jobId: z.string().min(1),
  round: z.number().int().nonnegative(),
  account: z.string().refine((a) => isAddress(a), 'an address'),
  amount: z.string().regex(/^\d+$/, 'base units as a decimal string'),
  salt: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  proof: z.array(z.string().regex(/^0x[0-9a-fA-F]{64}$/)),
  root: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
});

function readTickets(file: string): OwnerClaimTicket[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw makeError(`cannot read claim tickets from ${file}: ${(e as Error).message}`, 'INVALID_ARGUMENT', {
      file,
    });
  }
  const r = z.union([ticketSchema, z.array(ticketSchema)]).safeParse(json);
  if (!r.success) {
    throw makeError(
      `${file} is not a claim ticket (or a list of them): ${z.prettifyError(r.error)}`,
      'INVALID_ARGUMENT',
      {
        file,
      },
    );
  }
  return Array.isArray(r.data) ? r.data : [r.data];
}

export const ownerClaimCommand: CliCommand = {
  path: ['owner', 'claim'],
  summary: "Claim your share of your hospital's rebate with the ticket(s) it gave you",
  details:
    'A ticket (JSON: hospital, jobId, round, account, amount, salt, proof, root) proves your share is in the ' +
    "round's Merkle root without revealing any other owner. The tokens go to the ticket's account, whoever " +
    'signs; tickets already claimed are skipped.',
  flags: {
    ...ledgerAccessFlags,
    ...signerFlags,
    ticket: { type: 'string', valueName: 'FILE', description: 'Claim ticket JSON (one ticket or a list)' },
  },
  run({ flags, io }) {
    const tickets = readTickets(requireString(flags, 'ticket'));
    for (const t of tickets) {
      assertArgument(
        verifyOwnerClaim(t),
        `ticket for ${t.jobId} round ${t.round} does not match its root; ask your hospital for a new one`,
      );
    }
    return withLedger(flags, true, async (ledger) => {
      const claims = [];
      for (const t of tickets) {
        const already = await ledger.isClaimed(t);
        const tx = already ? undefined : await ledger.claimOwnerShare(t);
        claims.push({
          jobId: t.jobId,
          round: t.round,
          hospital: t.hospital,
          account: t.account,
          amount: formatAidoc(BigInt(t.amount)),
          status: already ? 'already-claimed' : 'claimed',
          txHash: tx?.txHash ?? null,
        });
      }
      if (flags.json) return void io.out(JSON.stringify({ unit: 'AIDOC', claims }));
      for (const c of claims) {
        io.out(
          `${c.status.padEnd(15)} ${c.amount} AIDOC to ${c.account} (job ${c.jobId}, round ${c.round})${c.txHash ? ` tx ${c.txHash}` : ''}`,
        );
      }
    });
  },
};

export const ownerCommands: CliCommand[] = [
  ownerConsentGrantCommand,
  ownerConsentRevokeCommand,
  ownerConsentListCommand,
  ownerClaimCommand,
];
