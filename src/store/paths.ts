import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

/** The state directory: --state-dir, config stateDir, $OPSDECK_STATE_DIR, $XDG_STATE_HOME/opsdeck, ~/.local/state/opsdeck. */
export function resolveStateDir(opts: { flag?: string; config?: string; env: NodeJS.ProcessEnv }): string {
  if (opts.flag) return opts.flag;
  if (opts.config) return opts.config;
  if (opts.env.OPSDECK_STATE_DIR) return opts.env.OPSDECK_STATE_DIR;
  const base = opts.env.XDG_STATE_HOME || join(opts.env.HOME || homedir(), '.local', 'state');
  return join(base, 'opsdeck');
}

/** Where backups go unless configured: $XDG_DATA_HOME/opsdeck/backups. */
export function defaultBackupDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'opsdeck', 'backups');
}

/** Who is acting, for the audit log: the human behind sudo first. */
export function currentUser(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SUDO_USER || env.USER || env.LOGNAME) return (env.SUDO_USER || env.USER || env.LOGNAME)!;
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}
