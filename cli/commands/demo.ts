import { runCentralTraining } from '../../training/central-run.js';
import { loadSchema } from '../../datasets/schema.js';
import { wdbcPaths } from '../../datasets/wdbc.js';
import type { CliCommand } from '../command.js';
import { intFlag } from '../flags.js';

/**
 * The main job on embedded defaults. Until the federated rounds land, it trains the default
 * model (wdbc-mlp) centrally on the shipped WDBC data and reports held-out accuracy.
 */
export const demoCommand: CliCommand = {
  path: ['demo'],
  summary: 'Run the main job on embedded defaults (no server to install)',
  details: `Trains wdbc-mlp on the shipped WDBC breast-cancer data (569 records; 20% held out) and
prints accuracy per epoch and the final test accuracy. With --json, stdout carries one line
{"rounds":[{"round":..,"accuracy":..,"participants":..,"failures":..}],"finalAccuracy":..}.`,
  flags: {
    epochs: { type: 'string', valueName: 'N', default: '20', description: 'Training epochs' },
    json: { type: 'boolean', description: 'Print one final JSON summary line on stdout' },
  },
  async run({ flags, io, signal }) {
    const paths = wdbcPaths();
    const schema = await loadSchema(paths.schema, { signal });
    const epochs = intFlag(flags, 'epochs', 1);
    io.err(`aidoc demo: training wdbc-mlp on WDBC (${paths.csv}), ${epochs} epochs, held-out 20%`);
    const r = await runCentralTraining({
      model: { builtin: 'wdbc-mlp' },
      csv: paths.csv,
      schema,
      epochs,
      signal,
      onEpoch: (e) => {
        if (!flags.json || process.stderr.isTTY) {
          io.err(
            `  epoch ${String(e.epoch).padStart(3)}/${epochs}  loss ${e.trainLoss.toFixed(4)}  test accuracy ${(100 * e.testAccuracy).toFixed(2)}%`,
          );
        }
      },
    });
    r.model.dispose();
    const rounds = r.history.map((h) => ({
      round: h.epoch,
      accuracy: h.testAccuracy,
      participants: 1,
      failures: 0,
    }));
    if (flags.json)
      io.out(
        JSON.stringify({
          mode: 'centralized',
          rounds,
          finalAccuracy: r.testAccuracy,
          seconds: +r.seconds.toFixed(2),
        }),
      );
    else
      io.out(
        `final test accuracy ${(100 * r.testAccuracy).toFixed(2)}% on ${r.testRecords} held-out records (${r.seconds.toFixed(1)}s)`,
      );
  },
};
