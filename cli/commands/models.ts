import { BUILTIN_MODELS, builtinModelInfo } from '../../training/models.js';
import { useTrainingBackend } from '../../training/backend.js';
import type { CliCommand } from '../command.js';

export const modelsCommand: CliCommand = {
  path: ['models'],
  summary: 'List the built-in models with their input shapes and parameter counts',
  flags: { json: { type: 'boolean', description: 'Print one JSON line' } },
  async run({ flags, io }) {
    await useTrainingBackend('wasm');
    const infos = BUILTIN_MODELS.map(builtinModelInfo);
    if (flags.json) {
      io.out(JSON.stringify(infos));
      return;
    }
    for (const m of infos) {
      io.out(
        `${m.name.padEnd(12)} input ${JSON.stringify(m.inputShape).padEnd(10)} ${String(m.numClasses).padStart(2)} classes ${m.params.toLocaleString('en-US').padStart(10)} params  ${m.description}`,
      );
    }
  },
};
