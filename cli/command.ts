/**
 * The contract every `aidoc` subcommand implements. Commands are plain objects listed in
 * `cli/commands/index.ts`; `cli/aidoc.ts` parses flags (node:util parseArgs, strict), prints
 * help and maps errors to exit codes, so a command only declares its flags and does its work.
 */
import type { ParseArgsConfig } from 'node:util';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>[string] & {
  /** One line shown in `--help`. */
  description: string;
  /** Placeholder shown in `--help` for string flags, e.g. `FILE`. */
  valueName?: string;
};

export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandIo {
  /** Human output and the final `--json` line: stdout. */
  out(line: string): void;
  /** Progress and diagnostics: stderr, so stdout stays machine-readable. */
  err(line: string): void;
}

export interface CliCommand {
  /** The words after `aidoc`, e.g. `['privacy', 'epsilon']`. */
  path: string[];
  /** One line for the command list. */
  summary: string;
  /** Extra paragraphs for `--help` (examples, what the output means). */
  details?: string;
  /** Positional arguments, for help text only, e.g. `J@V`. */
  positionals?: string;
  flags: Record<string, FlagSpec>;
  /** Returns the process exit code (0 when omitted). */
  run(args: {
    flags: FlagValues;
    positionals: string[];
    io: CommandIo;
    signal: AbortSignal;
  }): Promise<number | void>;
}
