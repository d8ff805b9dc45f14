import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { plainLine } from './plain.js';
import type { LogLine } from './types.js';

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * Writes lines to `opsdeck-logs-<what>-<UTC time>.log` in the first writable of `dirs` (mode 0600:
 * logs can hold secrets) and returns the path. Never overwrites: a clash gets a numeric suffix.
 */
export function saveLogLines(lines: Iterable<LogLine>, what: string, dirs: string[], sourceWidth: number, now = new Date()): string {
  const body: string[] = [];
  for (const l of lines) body.push(plainLine(l, { timestamps: true, sourceWidth }));
  const safe = what.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 32) || 'logs';
  let lastErr: unknown = new Error('no directory to save into');
  for (const dir of dirs) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      accessSync(dir, constants.W_OK);
      for (let i = 0; i < 100; i++) {
        const path = resolve(join(dir, `opsdeck-logs-${safe}-${stamp(now)}${i ? `-${i}` : ''}.log`));
        try {
          writeFileSync(path, body.length ? `${body.join('\n')}\n` : '', { mode: 0o600, flag: 'wx' });
          return path;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
    } catch (err) {
      lastErr = err;
    }
  }
  throw lastErr;
}
