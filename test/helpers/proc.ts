import { readFileSync } from 'node:fs';

/** Resident memory of a process, in bytes (0 when /proc does not say). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The first node process below `rootPid` (a pty's or a tmux pane's shell), waiting up to 5 s for it. */
export async function nodePidUnder(rootPid: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const queue = [rootPid];
    while (queue.length) {
      const pid = queue.shift()!;
      let children: string[] = [];
      try { children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean); } catch { /* gone */ }
      for (const c of children) {
        const comm = readFileSync(`/proc/${c}/comm`, 'utf8').trim();
        if (comm === 'node' || comm === 'MainThread') return Number(c);
        queue.push(Number(c));
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no node process under pid ${rootPid}`);
}
