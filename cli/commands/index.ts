import type { CliCommand } from '../command.js';

/** Every `aidoc` subcommand, in the order `aidoc --help` lists them. */
export const commands: CliCommand[] = [];
