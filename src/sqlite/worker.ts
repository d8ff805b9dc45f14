/**
 * Runs a piece of better-sqlite3 code in a worker thread (a long pragma or an online backup must not
 * block the event loop). The worker gets `{ module, ...data }` as its workerData, where `module` is
 * the resolved path of better-sqlite3, and answers with one message. Terminated on abort.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { abortError } from '../checks/kinds/util.js';

let sqliteModule: string | undefined;

/** Evaluates `source` in a worker with `data`; resolves with its first message. */
export function runSqliteWorker<Reply>(source: string, data: Record<string, unknown>, signal: AbortSignal): Promise<Reply> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  sqliteModule ??= createRequire(import.meta.url).resolve('better-sqlite3');
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { module: sqliteModule, ...data } });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      void worker.terminate();
      settle(() => reject(abortError(signal)));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (m: Reply) => settle(() => resolve(m)));
    worker.once('error', (e) => settle(() => reject(e)));
    worker.once('exit', (code) => settle(() => reject(new Error(`sqlite worker exited (${code}) without an answer`))));
  });
}
