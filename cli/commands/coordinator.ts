import { resolve } from 'node:path';
import { loadKit } from '../../common/pki-kit.js';
import { makeError } from '../../common/errors.js';
import { startCoordinator } from '../../coordinator/coordinator.js';
import type { CliCommand } from '../command.js';
import { intFlag, optionalString, requireString } from '../flags.js';

export const coordinatorStartCommand: CliCommand = {
  path: ['coordinator', 'start'],
  summary: 'Run the coordinator (gRPC over mutual TLS; workers and vendors dial in)',
  details: `Example:
  aidoc coordinator start --kit fed/coordinator

Jobs run in this process (the embedded queue). Stop it with Ctrl-C.`,
  flags: {
    kit: { type: 'string', valueName: 'DIR', description: "The coordinator's kit (from 'aidoc provision')" },
    listen: { type: 'string', valueName: 'HOST:PORT', description: "Override the kit's listen address" },
    'heartbeat-ms': {
      type: 'string',
      valueName: 'MS',
      default: '2000',
      description: 'Heartbeat interval asked of workers',
    },
  },
  async run({ flags, io, signal }) {
    const kit = await loadKit(resolve(requireString(flags, 'kit')));
    if (kit.identity.role !== 'coordinator') {
      throw makeError(
        `${kit.dir} is a ${kit.identity.role} kit; the coordinator needs the coordinator kit`,
        'INVALID_ARGUMENT',
      );
    }
    const c = await startCoordinator({
      kit,
      address: optionalString(flags, 'listen'),
      registry: { heartbeatIntervalMs: intFlag(flags, 'heartbeat-ms', 50) },
      log: (l) => io.err(l),
    });
    io.err(`coordinator listening on ${c.server.address} (mutual TLS; federation CA in ${kit.dir})`);
    await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    io.err('coordinator stopping');
    await c.close();
  },
};
