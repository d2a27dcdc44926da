/**
 * An exclusive lock on a file, held by one process (and one opener within it) at a time: a
 * `<file>.lock` created with O_EXCL holding the owner's pid. A lock left by a process that no
 * longer exists is taken over. Used so that two processes never append to the same ledger journal
 * or outbox, which would fork the embedded chain.
 */
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { makeError } from '../common/errors.js';

const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface FileLock {
  readonly path: string;
  release(): void;
}

export function acquireFileLock(file: string, what: string): FileLock {
  const path = `${file}.lock`;
  // Held by another opener in this process, unless its lock file was removed (it crashed, or a
  // test simulates that).
  if (heldHere.has(path) && existsSync(path)) {
    throw makeError(`${what} ${file} is already open in this process; close it first`, 'INVALID_ARGUMENT', {
      file,
    });
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(path);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          heldHere.delete(path);
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw makeError(
          `${what} ${file} is in use by process ${pid}; stop it, or reach its chain over --rpc`,
          'PERMISSION_DENIED',
          { file, pid },
        );
      }
      // Stale: its process is gone (or it is this process's, left by an opener that crashed
      // without closing). Take it over.
      unlinkSync(path);
    }
  }
  throw makeError(`could not lock ${file}`, 'INTERNAL', { file });
}
