import type { CliCommand } from '../command.js';
import { demoCommand } from './demo.js';
import { ledgerCommands } from './ledger.js';
import { modelsCommand } from './models.js';
import { ownerCommands } from './owner.js';
import { privacyEpsilonCommand, privacyNoiseCommand } from './privacy.js';
import { provisionCommand } from './provision.js';
import { trainCommand } from './train.js';

/** Every `aidoc` subcommand, in the order `aidoc --help` lists them. */
export const commands: CliCommand[] = [
  demoCommand,
  trainCommand,
  modelsCommand,
  provisionCommand,
  privacyEpsilonCommand,
  privacyNoiseCommand,
  ...ledgerCommands,
  ...ownerCommands,
];
