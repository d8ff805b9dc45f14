import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  HostSampler,
  cpuPercentBetween,
  countProcStatCpus,
  decodeMountField,
  diskUsageFrom,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseProcStat,
  parseUptime,
  type CpuTimes,
  type MountEntry,
} from '../../src/host/metrics.js';

test('parseProcStat: aggregate line, guest excluded, idle includes iowait', () => {
  const cases: [string, CpuTimes][] = [
    // user nice system idle iowait irq softirq steal | guest guest_nice (already inside user/nice)
    ['cpu  100 20 30 400 50 6 7 8 9 10\ncpu0 1 1 1 1 1 1 1 1 0 0\n', { total: 621, idle: 450 }],
    // a real line: 13336+4820+389045+709+160+29
    ['cpu  13336 0 4820 389045 709 0 160 29 0 0\n', { total: 408099, idle: 389754 }],
    // old kernels print only four fields
    ['cpu 1 2 3 4\n', { total: 10, idle: 4 }],
    // the aggregate line need not be first
    ['intr 5\ncpu 1 1 1 1 1 0 0 0\n', { total: 5, idle: 2 }],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseProcStat(text), want);
  assert.throws(() => parseProcStat('cpu0 1 2 3 4\n'));
  assert.equal(countProcStatCpus('cpu 1 2 3 4\ncpu0 1 1 1 1\ncpu1 1 1 1 1\nintr 1\n'), 2);
});

test('cpuPercentBetween: busy share of the delta, clamped, zero delta guarded', () => {
  const cases: [CpuTimes, CpuTimes, number][] = [
    [{ total: 1000, idle: 800 }, { total: 2000, idle: 1550 }, 25],
    [{ total: 1000, idle: 800 }, { total: 1100, idle: 900 }, 0],
    [{ total: 1000, idle: 800 }, { total: 1100, idle: 800 }, 100],
    [{ total: 1000, idle: 800 }, { total: 1000, idle: 800 }, 0], // no time passed
    [{ total: 1000, idle: 800 }, { total: 900, idle: 700 }, 0], // counters went backwards
    [{ total: 1000, idle: 800 }, { total: 1100, idle: 950 }, 0], // idle grew more than total: clamp
  ];
  for (const [prev, cur, want] of cases) assert.equal(cpuPercentBetween(prev, cur), want);
});

test('parseMeminfo: used = MemTotal − MemAvailable, kB → bytes', () => {
  const modern = 'MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\nBuffers: 5 kB\n';
  assert.deepEqual(parseMeminfo(modern), { totalBytes: 1_024_000, availableBytes: 256_000, usedBytes: 768_000, percent: 75 });
  // pre-3.14 kernels: MemFree + Buffers + Cached stands in for MemAvailable (100 + 50 + 100 = 250)
  const old = 'MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 100 kB\n';
  assert.deepEqual(parseMeminfo(old), { totalBytes: 1_024_000, availableBytes: 256_000, usedBytes: 768_000, percent: 75 });
  assert.throws(() => parseMeminfo('MemFree: 1 kB\n'));
});

test('parseLoadavg and parseUptime', () => {
  assert.deepEqual(parseLoadavg('0.31 0.49 0.23 1/106 15826\n'), { load1: 0.31, load5: 0.49, load15: 0.23 });
  assert.deepEqual(parseLoadavg('12.00 8.50 4.25 9/900 1\n'), { load1: 12, load5: 8.5, load15: 4.25 });
  assert.throws(() => parseLoadavg('garbage'));
  assert.equal(parseUptime('2046.53 3890.45\n'), 2046.53);
  assert.throws(() => parseUptime(''));
});

test('decodeMountField: octal escapes', () => {
  assert.equal(decodeMountField('/mnt/My\\040Disk'), '/mnt/My Disk');
  assert.equal(decodeMountField('a\\011b\\012c\\134d'), 'a\tb\nc\\d');
  assert.equal(decodeMountField('/plain'), '/plain');
});

test('parseMounts: real filesystems only, decoded, deduplicated', () => {
  const text = [
    'sysfs /sys sysfs rw,nosuid 0 0',
    'proc /proc proc rw 0 0',
    'udev /dev devtmpfs rw 0 0',
    '/dev/sda1 / ext4 rw,relatime 0 0',
    'cgroup2 /sys/fs/cgroup cgroup2 rw 0 0',
    '/dev/sda1 /var/lib/docker ext4 rw 0 0', // same device again: / is shorter
    '/dev/sdb1 /mnt/My\\040Disk xfs rw 0 0',
    'tmpfs /run tmpfs rw 0 0',
    'overlay /var/lib/docker/overlay2/abc/merged overlay rw,lowerdir=x 0 0',
    '/dev/sdc1 /var/lib/docker/volumes/x/_data ext4 rw 0 0', // Docker noise even on its own device
    '/dev/sdd1 /run/docker/plugins/p ext4 rw 0 0',
    'nsfs /run/docker/netns/abc nsfs rw 0 0',
    '/dev/sda2 /boot/efi vfat rw 0 0',
    'lxcfs /proc/cpuinfo fuse.lxcfs rw 0 0',
    '/dev/loop0 /snap/core/1 squashfs ro 0 0',
    'server:/export /srv/nfs nfs4 rw 0 0',
    '/dev/sda1 /etc/hosts ext4 rw 0 0', // a container's bind mount: same device as /
    '',
  ].join('\n');
  const want: MountEntry[] = [
    { device: '/dev/sda1', mount: '/', fsType: 'ext4' },
    { device: '/dev/sdb1', mount: '/mnt/My Disk', fsType: 'xfs' },
    { device: '/dev/sda2', mount: '/boot/efi', fsType: 'vfat' },
    { device: 'server:/export', mount: '/srv/nfs', fsType: 'nfs4' },
  ];
  assert.deepEqual(parseMounts(text), want);

  const cases: [string, MountEntry[]][] = [
    // the longer path first: the shorter one still wins
    ['/dev/sdd1 /data/long ext4 rw 0 0\n/dev/sdd1 /data ext4 rw 0 0\n', [{ device: '/dev/sdd1', mount: '/data', fsType: 'ext4' }]],
    // a mount point mounted over: the later (visible) one counts
    ['/dev/sda1 /mnt ext4 rw 0 0\n/dev/sdb1 /mnt xfs rw 0 0\n', [{ device: '/dev/sdb1', mount: '/mnt', fsType: 'xfs' }]],
    // inside a container the root is overlay: it is the disk that matters, so it stays
    ['overlay / overlay rw,lowerdir=a 0 0\nshm /dev/shm tmpfs rw 0 0\n', [{ device: 'overlay', mount: '/', fsType: 'overlay' }]],
    ['', []],
  ];
  for (const [t, w] of cases) assert.deepEqual(parseMounts(t), w);
});

test('diskUsageFrom: df arithmetic', () => {
  const entry = { device: '/dev/x', mount: '/x', fsType: 'ext4' };
  // 1000 blocks of 4 KiB, 400 free of which 350 available to users (50 reserved for root)
  const u = diskUsageFrom(entry, { bsize: 4096, blocks: 1000, bfree: 400, bavail: 350 });
  assert.ok(u);
  assert.equal(u.totalBytes, 4_096_000);
  assert.equal(u.usedBytes, 600 * 4096);
  assert.equal(u.availBytes, 350 * 4096);
  // like df: used / (used + avail) = 600 / 950, not 600 / 1000
  assert.ok(Math.abs(u.usedPercent - (600 / 950) * 100) < 1e-9);
  assert.equal(diskUsageFrom(entry, { bsize: 4096, blocks: 0, bfree: 0, bavail: 0 }), null);
  assert.equal(diskUsageFrom(entry, { bsize: 4096, blocks: 10, bfree: 10, bavail: 10 })?.usedPercent, 0);
});

// ---- HostSampler against a fixture /proc ------------------------------------------------------

let root = '';
let proc = '';

const STAT_1 = 'cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 0 1 8 0 0 0 0 0 0\ncpu1 1 0 1 8 0 0 0 0 0 0\ncpu2 1 0 1 8 0 0 0 0 0 0\ncpu3 1 0 1 8 0 0 0 0 0 0\n';
// +100 user, +100 system, +600 idle, +200 iowait: total +1000, idle +800 → 20 % busy
const STAT_2 = 'cpu  200 0 200 1400 200 0 0 0 0 0\n';

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'opsdeck-host-'));
  proc = path.join(root, 'proc');
  await mkdir(path.join(proc, 'self'), { recursive: true });
  await mkdir(path.join(root, 'with space'));
  await writeFile(path.join(proc, 'stat'), STAT_1);
  await writeFile(path.join(proc, 'meminfo'), 'MemTotal: 8000000 kB\nMemFree: 1000000 kB\nMemAvailable: 2000000 kB\n');
  await writeFile(path.join(proc, 'loadavg'), '1.50 0.75 0.25 2/300 1234\n');
  await writeFile(path.join(proc, 'uptime'), '12345.67 99999.00\n');
  await writeFile(
    path.join(proc, 'self', 'mounts'),
    [
      `/dev/fixture0 ${root} ext4 rw 0 0`,
      `/dev/fixture1 ${path.join(root, 'does-not-exist')} ext4 rw 0 0`, // statfs fails → skipped
      `/dev/fixture2 ${path.join(root, 'with\\040space')} ext4 rw 0 0`,
      'tmpfs /dev/shm tmpfs rw 0 0',
      '',
    ].join('\n'),
  );
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('HostSampler: fixture /proc', async () => {
  let clock = 1_000_000;
  const sampler = new HostSampler({ procRoot: proc, cpuWarmupMs: 5, now: () => clock });

  const first = await sampler.sample();
  // the fixture's /proc/stat does not move during the warm-up, so there is no figure yet
  assert.equal(first.cpuPercent, null);
  assert.equal(first.cpuCount, 4);
  assert.equal(first.memTotalBytes, 8_000_000 * 1024);
  assert.equal(first.memUsedBytes, 6_000_000 * 1024);
  assert.equal(first.memPercent, 75);
  assert.deepEqual([first.load1, first.load5, first.load15], [1.5, 0.75, 0.25]);
  assert.equal(first.uptimeSec, 12345.67);
  assert.equal(first.hostname, os.hostname());
  assert.equal(first.at, clock);
  assert.deepEqual(
    first.disks.map((d) => [d.device, d.mount, d.fsType]),
    [
      ['/dev/fixture0', root, 'ext4'],
      ['/dev/fixture2', path.join(root, 'with space'), 'ext4'],
    ],
  );
  for (const d of first.disks) {
    assert.ok(d.totalBytes > 0);
    assert.ok(d.usedBytes + d.availBytes <= d.totalBytes);
    assert.ok(d.usedPercent >= 0 && d.usedPercent <= 100);
  }

  await writeFile(path.join(proc, 'stat'), STAT_2);
  clock += 2_000;
  assert.equal((await sampler.sample()).cpuPercent, 20);
  // no ticks since: the last figure stands
  clock += 2_000;
  assert.equal((await sampler.sample()).cpuPercent, 20);

  // the mount list is cached for 60 s, then re-read
  await writeFile(path.join(proc, 'self', 'mounts'), `/dev/fixture0 ${root} ext4 rw 0 0\n`);
  clock += 30_000;
  assert.equal((await sampler.sample()).disks.length, 2);
  clock += 30_000;
  assert.deepEqual((await sampler.sample()).disks.map((d) => d.mount), [root]);
});

test('HostSampler: overlapping calls share one sample', async () => {
  const sampler = new HostSampler({ procRoot: proc, cpuWarmupMs: 5 });
  const a = sampler.sample();
  const b = sampler.sample();
  assert.equal(a, b);
  await a;
  assert.notEqual(sampler.sample(), a);
});

test('HostSampler: unreadable /proc degrades to os figures, never rejects', async () => {
  const sampler = new HostSampler({ procRoot: path.join(root, 'no-proc-here'), cpuWarmupMs: 5 });
  const s = await sampler.sample();
  assert.equal(s.cpuPercent, null);
  assert.equal(s.memTotalBytes, os.totalmem());
  assert.ok(s.cpuCount >= 1);
  assert.ok(s.disks.some((d) => d.mount === '/'), 'falls back to the root filesystem');
});

test('HostSampler: live /proc', { skip: process.platform !== 'linux' }, async () => {
  const sampler = new HostSampler();
  const t0 = performance.now();
  const s = await sampler.sample();
  const firstMs = performance.now() - t0;
  assert.equal(typeof s.cpuPercent, 'number', 'the first sample already has a CPU figure');
  assert.ok(s.cpuPercent !== null && s.cpuPercent >= 0 && s.cpuPercent <= 100, `cpu ${s.cpuPercent}`);
  assert.ok(s.cpuCount >= 1);
  assert.ok(s.memTotalBytes > 0 && s.memUsedBytes > 0 && s.memUsedBytes <= s.memTotalBytes);
  assert.ok(s.memPercent > 0 && s.memPercent <= 100);
  assert.ok(s.load1 >= 0 && s.load5 >= 0 && s.load15 >= 0);
  assert.ok(s.uptimeSec > 0);
  assert.ok(Math.abs(s.at - Date.now()) < 5_000);
  assert.ok(s.disks.some((d) => d.mount === '/'), `root fs among ${s.disks.map((d) => d.mount).join(', ')}`);
  for (const d of s.disks) assert.ok(d.usedPercent >= 0 && d.usedPercent <= 100 && d.totalBytes > 0);
  assert.ok(firstMs < 1_500, `first sample took ${firstMs} ms`);

  const t1 = performance.now();
  const again = await sampler.sample();
  const againMs = performance.now() - t1;
  assert.ok(again.cpuPercent !== null && again.cpuPercent >= 0 && again.cpuPercent <= 100);
  assert.ok(againMs < 500, `later samples are cheap (${againMs} ms)`);
});
