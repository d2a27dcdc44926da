#!/usr/bin/env node
/**
 * `aidoc`: the one command for every role (vendor, hospital, data owner, researcher, operator).
 * Dispatches to the subcommands in ./commands, prints help at every level, and maps coded
 * errors to exit codes: 2 for bad input (the user can fix the call), 1 for everything else.
 */
import { parseArgs } from 'node:util';
import { AidocError } from '../common/errors.js';
import type { CliCommand, CommandIo, FlagSpec } from './command.js';
import { commands } from './commands/index.js';

const io: CommandIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

function flagHelp(name: string, spec: FlagSpec): string {
  const short = spec.short ? `-${spec.short}, ` : '    ';
  const value = spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : '';
  const dflt = spec.default !== undefined ? ` (default: ${String(spec.default)})` : '';
  return `  ${short}--${name}${value}`.padEnd(34) + ` ${spec.description}${dflt}`;
}

function commandHelp(cmd: CliCommand): string {
  const lines = [
    `Usage: aidoc ${cmd.path.join(' ')}${cmd.positionals ? ' ' + cmd.positionals : ''} [options]`,
    '',
    cmd.summary,
  ];
  if (cmd.details) lines.push('', cmd.details.trim());
  lines.push('', 'Options:');
  for (const [name, spec] of Object.entries(cmd.flags)) lines.push(flagHelp(name, spec));
  lines.push(flagHelp('help', { type: 'boolean', short: 'h', description: 'Show this help' }));
  return lines.join('\n');
}

function listHelp(prefix: string[], matching: CliCommand[]): string {
  const head =
    prefix.length === 0
      ? [
          'aidoc: privacy-preserving federated training for medical data',
          '',
          'Usage: aidoc <command> [options]     (aidoc <command> --help for its options)',
        ]
      : [`Usage: aidoc ${prefix.join(' ')} <command> [options]`];
  const width = Math.max(...matching.map((c) => c.path.join(' ').length)) + 4;
  return [
    ...head,
    '',
    'Commands:',
    ...matching.map((c) => `  ${c.path.join(' ').padEnd(width)}${c.summary}`),
  ].join('\n');
}

/** Finds the command whose path is the longest prefix of argv. */
function resolve(argv: string[]): { cmd?: CliCommand; rest: string[]; prefix: string[] } {
  let best: CliCommand | undefined;
  for (const c of commands) {
    if (c.path.every((w, i) => argv[i] === w) && (!best || c.path.length > best.path.length)) best = c;
  }
  if (best) return { cmd: best, rest: argv.slice(best.path.length), prefix: best.path };
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  return { rest: argv.slice(words.length), prefix: words };
}

export async function main(argv: string[]): Promise<number> {
  const { cmd, rest, prefix } = resolve(argv);
  if (!cmd) {
    const matching = commands.filter((c) => prefix.every((w, i) => c.path[i] === w));
    const wantsHelp = rest.includes('--help') || rest.includes('-h') || argv.length === 0;
    if (matching.length > 0 && (wantsHelp || prefix.length > 0)) {
      io.out(listHelp(prefix, matching));
      return wantsHelp || prefix.length === 0 ? 0 : 2;
    }
    io.err(`aidoc: unknown command '${prefix.join(' ')}'. Run 'aidoc --help' for the list of commands.`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(cmd));
    return 0;
  }
  let parsed;
  try {
    const options = Object.fromEntries(
      Object.entries(cmd.flags).map(([k, { description: _d, valueName: _v, ...spec }]) => [k, spec]),
    );
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (e) {
    io.err(`aidoc ${cmd.path.join(' ')}: ${(e as Error).message}`);
    io.err(`Run 'aidoc ${cmd.path.join(' ')} --help' for its options.`);
    return 2;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const code = await cmd.run({
      flags: parsed.values,
      positionals: parsed.positionals,
      io,
      signal: controller.signal,
    });
    return code ?? 0;
  } catch (e) {
    if (e instanceof AidocError) {
      io.err(`aidoc ${cmd.path.join(' ')}: ${e.message}`);
      return e.code === 'INVALID_ARGUMENT' ||
        e.code === 'INVALID_DATASET' ||
        e.code === 'INVALID_MODEL' ||
        e.code === 'INVALID_JOB_SPEC'
        ? 2
        : 1;
    }
    io.err(`aidoc ${cmd.path.join(' ')}: unexpected error: ${(e as Error).stack ?? String(e)}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`aidoc: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
