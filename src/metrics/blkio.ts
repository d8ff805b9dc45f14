/**
 * Block I/O rates per container from the same one-shot stats samples the DockerModel takes (no
 * stream of its own): a tap on the reader's statsOnce keeps the last two cumulative counters.
 */
import type { DockerReader } from '../docker/client.js';
import type { RawStats } from '../docker/stats.js';

/** Bytes read and written so far, summed over devices (cgroup v1 "Read"/"Write", v2 "read"/"write"). */
export function blockIoTotals(raw: RawStats): { read: number; write: number } | null {
  const list = raw.blkio_stats?.io_service_bytes_recursive;
  if (!list || list.length === 0) return null;
  let read = 0;
  let write = 0;
  for (const e of list) {
    const op = e.op.toLowerCase();
    if (op === 'read') read += e.value;
    else if (op === 'write') write += e.value;
  }
  return { read, write };
}

interface Memo { at: number; read: number; write: number; rates: { read: number; write: number } | null }

export class BlockIoTap {
  private memo = new Map<string, Memo>();

  /** Takes one stats sample of container `id`. */
  observe(id: string, raw: RawStats): void {
    const totals = blockIoTotals(raw);
    if (!totals) return;
    const at = (raw.read ? Date.parse(raw.read) : NaN) || Date.now();
    const prev = this.memo.get(id);
    let rates: Memo['rates'] = null;
    if (prev && at > prev.at && totals.read >= prev.read && totals.write >= prev.write) {
      const dt = (at - prev.at) / 1000;
      rates = { read: (totals.read - prev.read) / dt, write: (totals.write - prev.write) / dt };
    }
    this.memo.set(id, { at, ...totals, rates });
  }

  /** Bytes/s between the last two samples; null before the second one or across a reset. */
  rates(id: string): { read: number; write: number } | null {
    return this.memo.get(id)?.rates ?? null;
  }

  /** Forgets containers not in `ids`. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.memo.keys()) if (!ids.has(id)) this.memo.delete(id);
  }

  /** The reader with statsOnce tapped; give it to the DockerModel. */
  wrap(reader: DockerReader): DockerReader {
    const tapped: DockerReader = Object.create(reader) as DockerReader;
    Object.defineProperty(tapped, 'statsOnce', {
      value: async (id: string, signal?: AbortSignal) => {
        const raw = await reader.statsOnce(id, signal);
        this.observe(id, raw);
        return raw;
      },
    });
    return tapped;
  }
}
