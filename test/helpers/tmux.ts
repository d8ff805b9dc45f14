import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from './docker.js';

const run = promisify(execFile);

/** A real terminal: a detached tmux session of a fixed size, typed into and read like a person would. */
export class Tmux {
  private constructor(readonly name: string) {}

  /** Starts a shell (no rc files) in a new session; run commands in it with type(). */
  static async start(name: string, cols: number, rows: number, env: Record<string, string> = {}): Promise<Tmux> {
    await run('tmux', ['kill-session', '-t', name]).catch(() => undefined);
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await run('tmux', ['new-session', '-d', '-s', name, '-x', String(cols), '-y', String(rows), ...envArgs, 'bash --norc --noprofile']);
    await run('tmux', ['set-option', '-t', name, 'status', 'off']);
    await run('tmux', ['set-option', '-t', name, 'window-size', 'manual']);
    await run('tmux', ['set-option', '-t', name, 'set-titles', 'on']);
    return new Tmux(name);
  }

  /** Types literal text (no key names interpreted). */
  async type(text: string): Promise<void> {
    await run('tmux', ['send-keys', '-t', this.name, '-l', text]);
  }

  /** Sends tmux key names: Enter, Escape, C-c, Down, PPage, … */
  async keys(...keys: string[]): Promise<void> {
    await run('tmux', ['send-keys', '-t', this.name, ...keys]);
  }

  async screen(): Promise<string> {
    const { stdout } = await run('tmux', ['capture-pane', '-p', '-t', this.name]);
    return stdout;
  }

  /** The screen with its colours and attributes as escape sequences (capture-pane -e). */
  async screenWithStyles(): Promise<string> {
    const { stdout } = await run('tmux', ['capture-pane', '-e', '-p', '-t', this.name]);
    return stdout;
  }

  async lines(): Promise<string[]> {
    return (await this.screen()).split('\n');
  }

  async title(): Promise<string> {
    const { stdout } = await run('tmux', ['display-message', '-p', '-t', this.name, '#{pane_title}']);
    return stdout.trim();
  }

  async resize(cols: number, rows: number): Promise<void> {
    await run('tmux', ['resize-window', '-t', this.name, '-x', String(cols), '-y', String(rows)]);
  }

  /** Waits until the screen satisfies the predicate (string: contains it); returns that screen. */
  async waitFor(what: string | RegExp | ((screen: string) => boolean), timeoutMs = 15_000): Promise<string> {
    const test = typeof what === 'string' ? (s: string) => s.includes(what) : what instanceof RegExp ? (s: string) => what.test(s) : what;
    let last = '';
    try {
      return await waitFor(`screen to show ${String(what)}`, async () => {
        last = await this.screen();
        return test(last) ? last : null;
      }, timeoutMs, 100);
    } catch (e) {
      throw new Error(`${(e as Error).message.split(';')[0]}\n--- screen ---\n${last}\n--------------`);
    }
  }

  async kill(): Promise<void> {
    await run('tmux', ['kill-session', '-t', this.name]).catch(() => undefined);
  }
}
