import type { CliCommand } from '../command.js';
import { coordinatorStartCommand } from './coordinator.js';
import { demoCommand } from './demo.js';
import { ledgerCommands } from './ledger.js';
import {
  jobCancelCommand,
  jobListCommand,
  jobStatusCommand,
  jobSubmitCommand,
  jobWatchCommand,
  workersCommand,
} from './job.js';
import { modelCommands } from './model.js';
import { modelsCommand } from './models.js';
import { ownerCommands } from './owner.js';
import { privacyEpsilonCommand, privacyNoiseCommand } from './privacy.js';
import { provisionCommand } from './provision.js';
import { trainCommand } from './train.js';
import { workerStartCommand } from './worker.js';

/** Every `aidoc` subcommand, in the order `aidoc --help` lists them. */
export const commands: CliCommand[] = [
  demoCommand,
  trainCommand,
  modelsCommand,
  provisionCommand,
  coordinatorStartCommand,
  workerStartCommand,
  jobSubmitCommand,
  jobStatusCommand,
  jobWatchCommand,
  jobCancelCommand,
  jobListCommand,
  workersCommand,
  privacyEpsilonCommand,
  privacyNoiseCommand,
  ...ledgerCommands,
  ...modelCommands,
  ...ownerCommands,
];
