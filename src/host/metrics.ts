// Host metrics read straight from /proc and statfs(2): no child processes, a handful of small reads,
// cheap enough for the 2 s refresh. The parsers are pure; HostSampler owns the little state that
// CPU deltas and the mount cache need.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Cumulative CPU time of the aggregate `cpu` line, in USER_HZ ticks. */
export interface CpuTimes {
  total: number;
  idle: number;
}

export interface MemInfo {
  totalBytes: number;
  availableBytes: number;
  usedBytes: number;
  percent: number;
}

export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
}

export interface MountEntry {
  device: string;
  mount: string;
  fsType: string;
}

export interface DiskUsage {
  mount: string;
  device: string;
  fsType: string;
  totalBytes: number;
  usedBytes: number;
  availBytes: number;
  usedPercent: number;
}

export interface HostSnapshot {
  hostname: string;
  /** null until two /proc/stat readings differ (e.g. /proc unreadable). */
  cpuPercent: number | null;
  cpuCount: number;
  memPercent: number;
  memTotalBytes: number;
  memUsedBytes: number;
  load1: number;
  load5: number;
  load15: number;
  uptimeSec: number;
  disks: DiskUsage[];
  /** Epoch ms when the snapshot was taken. */
  at: number;
}

/**
 * Aggregate `cpu` line of /proc/stat. total = user+nice+system+idle+iowait+irq+softirq+steal;
 * guest and guest_nice are left out because the kernel already counts them in user and nice.
 * idle = idle + iowait (a CPU waiting on I/O is free to run something else). Throws without a `cpu` line.
 */
export function parseProcStat(text: string): CpuTimes {
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== 'cpu') continue;
    const n = fields.slice(1, 9).map((f) => {
      const v = Number(f);
      return Number.isFinite(v) ? v : 0;
    });
    const at = (i: number): number => n[i] ?? 0;
    const total = n.reduce((a, b) => a + b, 0);
    return { total, idle: at(3) + at(4) };
  }
  throw new Error('parseProcStat: no aggregate "cpu" line');
}

/** Number of `cpuN` lines in /proc/stat (online CPUs); 0 if there are none. */
export function countProcStatCpus(text: string): number {
  return text.split('\n').filter((line) => /^cpu\d+\s/.test(line)).length;
}

/** Busy share of the CPU time between two readings, 0–100; 0 when no time passed (or counters went back). */
export function cpuPercentBetween(prev: CpuTimes, cur: CpuTimes): number {
  const total = cur.total - prev.total;
  const idle = cur.idle - prev.idle;
  if (!(total > 0)) return 0;
  return clamp(((total - idle) / total) * 100, 0, 100);
}

/**
 * /proc/meminfo (values in kB). used = MemTotal − MemAvailable, which is what `free` calls used
 * minus reclaimable cache. Kernels before 3.14 lack MemAvailable: MemFree + Buffers + Cached stands in.
 */
export function parseMeminfo(text: string): MemInfo {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):\s+(\d+)/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) kb.set(m[1], Number(m[2]));
  }
  const total = kb.get('MemTotal');
  if (total === undefined) throw new Error('parseMeminfo: no MemTotal');
  const available =
    kb.get('MemAvailable') ?? (kb.get('MemFree') ?? 0) + (kb.get('Buffers') ?? 0) + (kb.get('Cached') ?? 0);
  const totalBytes = total * 1024;
  const availableBytes = Math.min(available * 1024, totalBytes);
  const usedBytes = totalBytes - availableBytes;
  return { totalBytes, availableBytes, usedBytes, percent: totalBytes > 0 ? (usedBytes / totalBytes) * 100 : 0 };
}

/** /proc/loadavg: the first three fields. Throws if they are not numbers. */
export function parseLoadavg(text: string): LoadAvg {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (a === undefined || b === undefined || c === undefined || [a, b, c].some((v) => !Number.isFinite(v))) {
    throw new Error('parseLoadavg: expected three numbers');
  }
  return { load1: a, load5: b, load15: c };
}

/** /proc/uptime: seconds since boot (first field). Throws if it is not a number. */
export function parseUptime(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)/.exec(text);
  if (m?.[1] === undefined) throw new Error('parseUptime: expected a number');
  return Number(m[1]);
}

/** Filesystems that hold no user data, or whose space belongs to another mount. */
export const PSEUDO_FS_TYPES: ReadonlySet<string> = new Set([
  'autofs', 'binfmt_misc', 'bpf', 'cgroup', 'cgroup2', 'configfs', 'debugfs', 'devpts', 'devtmpfs',
  'efivarfs', 'fuse.gvfsd-fuse', 'fuse.lxcfs', 'fuse.portal', 'fuse.snapfuse', 'fusectl', 'hugetlbfs',
  'mqueue', 'nfsd', 'nsfs', 'overlay', 'proc', 'pstore', 'ramfs', 'rootfs', 'rpc_pipefs', 'securityfs',
  'selinuxfs', 'squashfs', 'sysfs', 'tmpfs', 'tracefs', 'aufs', 'binder', 'devfs',
]);

/** Docker (and its containerd) bind-mount the host's disks again below these; they are noise. */
const RUNTIME_MOUNT_PREFIXES = ['/var/lib/docker/', '/run/docker/', '/var/run/docker/', '/run/containerd/'];

/** Undo the kernel's octal escapes in /proc/*\/mounts (`\040` space, `\011` tab, `\012` newline, `\134` backslash). */
export function decodeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Real filesystems from /proc/self/mounts, in table order. Drops pseudo filesystems (except an
 * overlay root, which is the disk that matters when opsdeck itself runs in a container), Docker's
 * bind-mount noise, shadowed mounts (same mount point mounted again: the later one is visible) and
 * repeated devices (the same device mounted twice: the shortest mount path stays).
 */
export function parseMounts(text: string): MountEntry[] {
  const byMount = new Map<string, MountEntry>();
  for (const line of text.split('\n')) {
    const [rawDevice, rawMount, fsType] = line.trim().split(/\s+/);
    if (rawDevice === undefined || rawMount === undefined || fsType === undefined || rawDevice === '') continue;
    const device = decodeMountField(rawDevice);
    const mount = decodeMountField(rawMount);
    const overlayRoot = mount === '/' && fsType === 'overlay';
    if (PSEUDO_FS_TYPES.has(fsType) && !overlayRoot) continue;
    if (RUNTIME_MOUNT_PREFIXES.some((p) => mount.startsWith(p))) continue;
    byMount.delete(mount); // re-insert so a shadowing mount takes its own place in the order
    byMount.set(mount, { device, mount, fsType });
  }
  const keepByDevice = new Map<string, MountEntry>();
  for (const e of byMount.values()) {
    const kept = keepByDevice.get(e.device);
    if (kept === undefined || e.mount.length < kept.mount.length) keepByDevice.set(e.device, e);
  }
  const keep = new Set(keepByDevice.values());
  return [...byMount.values()].filter((e) => keep.has(e));
}

/** The subset of fs.StatFs that the df arithmetic needs. */
export interface StatfsLike {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

/**
 * df arithmetic: total = blocks·bsize, used = (blocks − bfree)·bsize, avail = bavail·bsize and
 * used% = used / (used + avail), so root-reserved blocks do not make a full disk look 95 % full.
 * Returns null for zero-size filesystems.
 */
export function diskUsageFrom(entry: MountEntry, st: StatfsLike): DiskUsage | null {
  const totalBytes = st.blocks * st.bsize;
  if (!(totalBytes > 0)) return null;
  const usedBytes = Math.max(0, st.blocks - st.bfree) * st.bsize;
  const availBytes = Math.max(0, st.bavail) * st.bsize;
  const denom = usedBytes + availBytes;
  return {
    mount: entry.mount,
    device: entry.device,
    fsType: entry.fsType,
    totalBytes,
    usedBytes,
    availBytes,
    usedPercent: denom > 0 ? (usedBytes / denom) * 100 : 0,
  };
}

export interface HostSamplerOptions {
  /** Where /proc lives (default `/proc`); tests point it at fixture files. */
  procRoot?: string;
  /** How often the mount list is re-read (default 60 s); statfs runs on every sample. */
  mountsRefreshMs?: number;
  /** A statfs slower than this (stale NFS) is skipped for this sample (default 1 s). */
  statfsTimeoutMs?: number;
  /** Gap between the two /proc/stat readings of the first sample (default 100 ms). */
  cpuWarmupMs?: number;
  /** Clock, for tests (default Date.now). */
  now?: () => number;
}

/**
 * Samples the host. sample() never rejects: a /proc file it cannot read falls back to Node's `os`
 * figures (cpuPercent to null), a mount whose statfs fails or hangs is left out of `disks`.
 */
export class HostSampler {
  private readonly procRoot: string;
  private readonly mountsRefreshMs: number;
  private readonly statfsTimeoutMs: number;
  private readonly cpuWarmupMs: number;
  private readonly now: () => number;

  private prevCpu: CpuTimes | null = null;
  private lastCpuPercent: number | null = null;
  private mounts: MountEntry[] | null = null;
  private mountsReadAt = 0;
  /** statfs calls still outstanding; a hung one is not stacked up again (it would pin a libuv thread each time). */
  private readonly pendingStatfs = new Set<string>();
  private inflight: Promise<HostSnapshot> | null = null;

  constructor(opts: HostSamplerOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.mountsRefreshMs = opts.mountsRefreshMs ?? 60_000;
    this.statfsTimeoutMs = opts.statfsTimeoutMs ?? 1_000;
    this.cpuWarmupMs = opts.cpuWarmupMs ?? 100;
    this.now = opts.now ?? Date.now;
  }

  /** Overlapping calls share one sample, so CPU deltas are never taken from interleaved readings. */
  sample(): Promise<HostSnapshot> {
    if (this.inflight === null) {
      this.inflight = this.takeSample().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async takeSample(): Promise<HostSnapshot> {
    const [cpu, meminfoText, loadText, uptimeText, disks] = await Promise.all([
      this.sampleCpu(),
      this.readProc('meminfo'),
      this.readProc('loadavg'),
      this.readProc('uptime'),
      this.sampleDisks(),
    ]);
    const mem = tryParse(meminfoText, parseMeminfo) ?? {
      totalBytes: os.totalmem(),
      usedBytes: os.totalmem() - os.freemem(),
      percent: os.totalmem() > 0 ? ((os.totalmem() - os.freemem()) / os.totalmem()) * 100 : 0,
    };
    const osLoad = os.loadavg();
    const load = tryParse(loadText, parseLoadavg) ?? { load1: osLoad[0] ?? 0, load5: osLoad[1] ?? 0, load15: osLoad[2] ?? 0 };
    return {
      hostname: os.hostname(),
      cpuPercent: cpu.percent,
      cpuCount: cpu.count > 0 ? cpu.count : os.availableParallelism(),
      memPercent: mem.percent,
      memTotalBytes: mem.totalBytes,
      memUsedBytes: mem.usedBytes,
      load1: load.load1,
      load5: load.load5,
      load15: load.load15,
      uptimeSec: tryParse(uptimeText, parseUptime) ?? os.uptime(),
      disks,
      at: this.now(),
    };
  }

  private async sampleCpu(): Promise<{ percent: number | null; count: number }> {
    const text = await this.readProc('stat');
    let cur = tryParse(text, parseProcStat);
    if (text === null || cur === null) return { percent: null, count: 0 };
    const count = countProcStatCpus(text);
    if (this.prevCpu === null) {
      // First call: take a second reading shortly after so the very first snapshot has a figure.
      this.prevCpu = cur;
      await delay(this.cpuWarmupMs);
      cur = tryParse(await this.readProc('stat'), parseProcStat);
      if (cur === null) return { percent: null, count };
    }
    // No ticks elapsed (called twice within a jiffy): keep the last figure and the older baseline.
    if (cur.total > this.prevCpu.total) {
      this.lastCpuPercent = cpuPercentBetween(this.prevCpu, cur);
      this.prevCpu = cur;
    } else if (cur.total < this.prevCpu.total) {
      this.prevCpu = cur; // counters reset (different /proc); start over from here
    }
    return { percent: this.lastCpuPercent, count };
  }

  private async sampleDisks(): Promise<DiskUsage[]> {
    const now = this.now();
    if (this.mounts === null || now - this.mountsReadAt >= this.mountsRefreshMs) {
      const parsed = tryParse(await this.readProc(path.join('self', 'mounts')), parseMounts);
      this.mounts = parsed ?? this.mounts ?? [{ device: '', mount: '/', fsType: '' }];
      this.mountsReadAt = now;
    }
    const usages = await Promise.all(this.mounts.map((m) => this.statDisk(m)));
    return usages.filter((u): u is DiskUsage => u !== null);
  }

  private async statDisk(entry: MountEntry): Promise<DiskUsage | null> {
    if (this.pendingStatfs.has(entry.mount)) return null;
    this.pendingStatfs.add(entry.mount);
    const call = fsp.statfs(entry.mount);
    const settle = (): void => {
      this.pendingStatfs.delete(entry.mount);
    };
    call.then(settle, settle);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.statfsTimeoutMs);
      timer.unref();
    });
    try {
      const st = await Promise.race([call, timeout]);
      return st === null ? null : diskUsageFrom(entry, st);
    } catch {
      return null; // EACCES, ESTALE, ENOENT…: not ours to report here
    } finally {
      clearTimeout(timer);
    }
  }

  private async readProc(rel: string): Promise<string | null> {
    try {
      return await fsp.readFile(path.join(this.procRoot, rel), 'utf8');
    } catch {
      return null;
    }
  }
}

function tryParse<T>(text: string | null, parse: (text: string) => T): T | null {
  if (text === null) return null;
  try {
    return parse(text);
  } catch {
    return null;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
