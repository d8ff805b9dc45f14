import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSince, LogIngest, parseDockerTimestamp, type IngestOptions } from '../../src/logs/ingest.js';
import type { LogLine } from '../../src/logs/types.js';

const TS = '2026-11-23T14:41:33.123456789Z';
const TS_MS = Date.parse('2026-11-23T14:41:33.123Z') + 0.456789;

function frame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(p.length, 4);
  return Buffer.concat([h, p]);
}

/** A Docker timestamp `i` microseconds after TS's second, fixed width. */
const ts = (i: number) => `2026-11-23T14:41:33.${String(i * 1000).padStart(9, '0')}Z`;

function ingest(chunks: Buffer[], opts: Partial<IngestOptions> = {}): LogLine[] {
  const ing = new LogIngest({ source: 'svc', sourceId: 'abc', tty: false, ...opts });
  const out: LogLine[] = [];
  for (const c of chunks) ing.push(c, out);
  ing.end(out);
  return out;
}

const view = (lines: LogLine[]) => lines.map((l) => ({ stream: l.stream, ts: l.ts, text: l.text, level: l.level, cont: l.cont, truncated: l.truncated }));

function splitEvery(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** A stream with short and empty lines, a multi-line frame, multi-byte text and both streams. */
function mixedStream(): { buf: Buffer; want: ReturnType<typeof view> } {
  const buf = Buffer.concat([
    frame(1, `${ts(1)} INFO starting\n`),
    frame(2, `${ts(2)} WARN low memory: 5% free\n`),
    frame(1, `${ts(3)} \n`),
    frame(1, `${ts(4)} grüße 🐳 日本\n`),
    frame(2, `${ts(5)} first\nsecond\nthird\n`),
    frame(1, `2026-11-23T14:41:34Z short stamp\n`),
    frame(1, `2026-11-23T15:41:35.5+01:00 offset stamp\n`),
  ]);
  const base = Date.parse('2026-11-23T14:41:33Z');
  const want = [
    { stream: 'stdout', ts: base + 0.001, text: 'INFO starting', level: 'info', cont: false, truncated: 0 },
    { stream: 'stderr', ts: base + 0.002, text: 'WARN low memory: 5% free', level: 'warn', cont: false, truncated: 0 },
    { stream: 'stdout', ts: base + 0.003, text: '', level: null, cont: false, truncated: 0 },
    { stream: 'stdout', ts: base + 0.004, text: 'grüße 🐳 日本', level: null, cont: false, truncated: 0 },
    { stream: 'stderr', ts: base + 0.005, text: 'first', level: null, cont: false, truncated: 0 },
    { stream: 'stderr', ts: base + 0.005, text: 'second', level: null, cont: false, truncated: 0 },
    { stream: 'stderr', ts: base + 0.005, text: 'third', level: null, cont: false, truncated: 0 },
    { stream: 'stdout', ts: base + 1000, text: 'short stamp', level: null, cont: false, truncated: 0 },
    { stream: 'stdout', ts: base + 2500, text: 'offset stamp', level: null, cont: false, truncated: 0 },
  ] as ReturnType<typeof view>;
  return { buf, want };
}

test('ingest: several frames in one chunk, both streams, multi-line frame, stamps stripped', () => {
  const { buf, want } = mixedStream();
  const got = view(ingest([buf]));
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    assert.equal(got[i]!.text, want[i]!.text);
    assert.ok(Math.abs(got[i]!.ts - want[i]!.ts) < 1e-6, `${got[i]!.ts} vs ${want[i]!.ts}`);
  }
  assert.deepEqual(got.map((l) => [l.stream, l.level, l.cont, l.truncated]), want.map((l) => [l.stream, l.level, l.cont, l.truncated]));
});

test('ingest: frames split at every byte position, and one byte at a time, give the same lines', () => {
  const { buf } = mixedStream();
  const whole = view(ingest([buf]));
  for (let k = 1; k < buf.length; k++) {
    assert.deepEqual(view(ingest([buf.subarray(0, k), buf.subarray(k)])), whole, `split at ${k}`);
  }
  for (let k = 1; k < buf.length; k += 7) {
    assert.deepEqual(view(ingest([buf.subarray(0, k), buf.subarray(k, k + 3), buf.subarray(k + 3)])), whole, `split at ${k}, ${k + 3}`);
  }
  assert.deepEqual(view(ingest(splitEvery(buf, 1))), whole, 'one byte at a time');
  assert.deepEqual(view(ingest(splitEvery(buf, 5))), whole, 'five bytes at a time');
});

test('ingest: partial messages (16 KiB pieces, each with its own stamp) are joined into one line', () => {
  const big = Array.from({ length: 40_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
  const pieces = [big.slice(0, 16384), big.slice(16384, 32768), big.slice(32768)];
  const buf = Buffer.concat([
    frame(1, `${ts(1)} ${pieces[0]}`),
    frame(2, `${ts(2)} ERROR on the other stream meanwhile\n`),
    frame(1, `${ts(3)} ${pieces[1]}`),
    frame(1, `${ts(4)} ${pieces[2]}\n`),
    frame(1, `${ts(5)} after\n`),
  ]);
  for (const chunks of [[buf], splitEvery(buf, 1000), splitEvery(buf, 16391)]) {
    const lines = ingest(chunks, { maxLineChars: 100_000 });
    assert.deepEqual(lines.map((l) => l.stream), ['stderr', 'stdout', 'stdout']);
    assert.equal(lines[1]!.text, big, 'joined without the inner stamps');
    assert.equal(lines[1]!.truncated, 0);
    assert.equal(lines[1]!.ts, parseDockerTimestamp(ts(1)), 'the line keeps its first stamp');
    assert.equal(lines[2]!.text, 'after');
  }
  // With the default cap the joined line is cut at 8192 and the rest counted.
  const capped = ingest([buf]);
  assert.equal(capped[1]!.text, big.slice(0, 8192));
  assert.equal(capped[1]!.truncated, big.length - 8192);
  assert.equal(capped[1]!.bytes, 8192 * 2 + 96);
});

test('ingest: a partial message at the end of the stream is emitted by end()', () => {
  const ing = new LogIngest({ source: '', sourceId: 'x', tty: false });
  const out: LogLine[] = [];
  ing.push(frame(1, `${ts(1)} no newline yet`), out);
  assert.equal(out.length, 0);
  ing.end(out);
  assert.deepEqual(out.map((l) => l.text), ['no newline yet']);
  ing.end(out);
  assert.equal(out.length, 1, 'end() twice emits nothing more');
});

test('ingest: a 1 MB line without newline is cut, counted, and held in bounded memory', () => {
  const line = 'x'.repeat(1024 * 1024);
  // Docker sends it as 64 partial messages of 16 KiB, each with its own stamp.
  const frames: Buffer[] = [];
  for (let i = 0; i < line.length; i += 16384) frames.push(frame(1, `${ts(i / 16384)} ${line.slice(i, i + 16384)}${i + 16384 >= line.length ? '\n' : ''}`));
  const lines = ingest(splitEvery(Buffer.concat(frames), 65536));
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.text.length, 8192);
  assert.equal(lines[0]!.truncated, line.length - 8192);

  // Raw (TTY) stream: 100 MB with no newline, 1 MB at a time; the pending line never grows.
  const ing = new LogIngest({ source: '', sourceId: 'x', tty: true });
  const out: LogLine[] = [];
  const mb = Buffer.alloc(1024 * 1024, 0x79);
  ing.push(Buffer.from(`${TS} `), out);
  const heap0 = process.memoryUsage().heapUsed;
  const held = () => (ing as unknown as { stdout: { pend: Buffer | null } }).stdout.pend?.length ?? 0;
  for (let i = 0; i < 100; i++) {
    ing.push(mb, out);
    assert.ok(held() <= 8192, `pending line holds ${held()} bytes`);
  }
  assert.ok(process.memoryUsage().heapUsed - heap0 < 16 * 1024 * 1024, 'heap stays flat');
  ing.push(Buffer.from('tail\r\n'), out);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.text, 'y'.repeat(8192));
  assert.equal(out[0]!.truncated, 100 * 1024 * 1024 + 4 - 8192, 'the \\r is not counted as cut text');
  assert.equal(out[0]!.ts, TS_MS);
});

test('ingest: a cut through a multi-byte character leaves no replacement character', () => {
  const euro = '€'.repeat(5000); // 3 bytes each: 15000 bytes
  for (const chunks of [[frame(1, `${TS} ${euro}\n`)], splitEvery(frame(1, `${TS} ${euro}\n`), 777)]) {
    const [l] = ingest(chunks);
    assert.equal(l!.text, '€'.repeat(2730)); // 8190 bytes: the character at 8190–8192 does not fit
    assert.equal(l!.truncated, 15000 - 8190);
  }
  // A character split across chunks (no cut) decodes whole.
  const buf = frame(1, `${TS} a🐳b\n`);
  for (let k = 1; k < buf.length; k++) assert.equal(ingest([buf.subarray(0, k), buf.subarray(k)])[0]!.text, 'a🐳b', `split at ${k}`);
});

test('ingest: raw TTY stream, \\r\\n endings, a stamp on each line, split anywhere', () => {
  const raw = Buffer.from(`${ts(1)} \x1b[32mINFO\x1b[0m ready\r\n${ts(2)} progress 50%\r\n${ts(3)} \r\n2026-11-23T14:41:34Z ERROR failed\r\n${ts(4)} tail without newline`);
  const want = [
    ['INFO ready', parseDockerTimestamp(ts(1)), 'info'],
    ['progress 50%', parseDockerTimestamp(ts(2)), null],
    ['', parseDockerTimestamp(ts(3)), null],
    ['ERROR failed', Date.parse('2026-11-23T14:41:34Z'), 'error'],
    ['tail without newline', parseDockerTimestamp(ts(4)), null],
  ];
  const shape = (ls: LogLine[]) => ls.map((l) => [l.text, l.ts, l.level]);
  assert.deepEqual(shape(ingest([raw], { tty: true })), want);
  assert.ok(ingest([raw], { tty: true }).every((l) => l.stream === 'stdout'));
  for (let k = 1; k < raw.length; k++) assert.deepEqual(shape(ingest([raw.subarray(0, k), raw.subarray(k)], { tty: true })), want, `split at ${k}`);
  assert.deepEqual(shape(ingest(splitEvery(raw, 1), { tty: true })), want);
});

test('ingest: lines without a stamp keep their text; timestamps: false keeps everything', () => {
  const raw = Buffer.from('plain line\n2026-13-45T99:99:99Z not a date\nx\n\n');
  const lines = ingest([raw], { tty: true });
  assert.deepEqual(lines.map((l) => l.text), ['plain line', '2026-13-45T99:99:99Z not a date', 'x', '']);
  assert.ok(lines.every((l) => Number.isNaN(l.ts)));
  const noTs = ingest([frame(1, `${TS} kept\n`)], { timestamps: false });
  assert.equal(noTs[0]!.text, `${TS} kept`);
  assert.ok(Number.isNaN(noTs[0]!.ts));
});

test('ingest: hostile escape sequences and controls are neutralised', () => {
  const evil = `${TS} a\x1b]0;pwned\x07b\x1b[2Jc\x1b[10;10Hd\x1b]52;c;cHduZWQ=\x07e\x00f\tg\x9b31mh\n`;
  for (const lines of [ingest([frame(1, evil)]), ingest([Buffer.from(evil)], { tty: true })]) {
    assert.equal(lines[0]!.text, 'abcde\uFFFDf    gh');
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(lines[0]!.text, /[\x00-\x1f\x7f-\x9f]/);
  }
  // A bare \r inside a line (progress output) is shown, not executed.
  assert.equal(ingest([frame(1, `${TS} 10%\r20%\n`)])[0]!.text, '10%\uFFFD20%');
});

test('ingest: stack traces are continuation lines carrying the head\'s level', () => {
  const demo = [
    'ERROR worker: unhandled exception in job id=1002',
    'Traceback (most recent call last):',
    '  File "/srv/worker/runner.py", line 88, in run',
    '    result = handler(job.payload)',
    "KeyError: 'lines'",
  ];
  const java = [
    '14:00:00.123 [main] ERROR c.e.shop.OrderService - order 12 failed',
    'java.lang.IllegalStateException: inventory reservation expired',
    '\tat com.example.shop.OrderService.place(OrderService.java:42)',
    'Caused by: java.net.SocketTimeoutException: Read timed out',
    '\t... 12 more',
  ];
  const goPanic = ['panic: runtime error: index out of range [3] with length 3', '', 'goroutine 1 [running]:', 'main.main()', '\t/app/main.go:8 +0x1d', 'exit status 2'];
  const warnTrace = ['WARN retrying after failure', '    at retry (/app/retry.js:10:5)'];
  const frames = [...demo, 'INFO next job', ...java, 'INFO served', ...goPanic, ...warnTrace, 'INFO ok', '    indented after info', "KeyError: 'alone'"]
    .map((t, i) => frame(2, `${ts(i)} ${t}\n`));
  const lines = ingest([Buffer.concat(frames)]);
  const got = lines.map((l) => [l.text.replace(/\t/g, '    ').slice(0, 12), l.level, l.cont]);
  assert.deepEqual(got.map((g) => `${g[1]}${g[2] ? '+' : ''}`), [
    'error', 'error+', 'error+', 'error+', 'error+', // demo worker
    'info',
    'error', 'error+', 'error+', 'error+', 'error+', // java
    'info',
    'error', 'error+', 'error+', 'error+', 'error+', 'null', // go panic, then "exit status 2"
    'warn', 'warn+',
    'info', 'null', 'null', // continuation-like lines after an info line are ordinary
  ]);
  assert.equal(lines[2]!.text, '  File "/srv/worker/runner.py", line 88, in run');
  assert.equal(lines[8]!.text, '    at com.example.shop.OrderService.place(OrderService.java:42)', 'tab expanded');
});

test('ingest: trace state is per stream (stdout lines between stderr trace lines do not break it)', () => {
  const buf = Buffer.concat([
    frame(2, `${ts(1)} ERROR boom\n`),
    frame(1, `${ts(2)} INFO heartbeat\n`),
    frame(2, `${ts(3)} Traceback (most recent call last):\n`),
    frame(1, `${ts(4)}     indented on stdout after info\n`),
    frame(2, `${ts(5)}   File "x.py", line 3, in f\n`),
    frame(2, `${ts(6)} ValueError: boom\n`),
  ]);
  assert.deepEqual(ingest([buf]).map((l) => [l.stream, l.level, l.cont]), [
    ['stderr', 'error', false],
    ['stdout', 'info', false],
    ['stderr', 'error', true],
    ['stdout', null, false],
    ['stderr', 'error', true],
    ['stderr', 'error', true],
  ]);
});

test('ingest: a stream that is not multiplexed after all is shown raw; garbage never throws', () => {
  const lines = ingest([Buffer.from(`${TS} hello from a TTY\r\n${TS} second\r\n`)]);
  assert.deepEqual(lines.map((l) => [l.stream, l.text, l.ts]), [['stdout', 'hello from a TTY', TS_MS], ['stdout', 'second', TS_MS]]);

  let seed = 0x12345678;
  const rnd = (n: number) => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const alphabet = [0, 1, 2, 3, 10, 13, 27, 32, 45, 46, 48, 50, 58, 84, 90, 0x80, 0xc3, 0xe2, 0xf0, 0xff, 0x61];
  for (let round = 0; round < 400; round++) {
    const parts: Buffer[] = [];
    for (let f = 0; f < 1 + rnd(6); f++) {
      const kind = rnd(4);
      const body = Buffer.from(Array.from({ length: rnd(60) }, () => alphabet[rnd(alphabet.length)]!));
      if (kind === 0) parts.push(body); // raw garbage
      else if (kind === 1) parts.push(frame(rnd(2) ? 1 : 2, Buffer.concat([Buffer.from(`${ts(rnd(999))} `), body]))); // framed garbage
      else if (kind === 2) parts.push(frame(1, `${TS.slice(0, rnd(TS.length))}${rnd(2) ? ' ' : ''}x\n`)); // cut stamps
      else { const h = Buffer.alloc(8); h[0] = rnd(3); h.writeUInt32BE(rnd(2) ? rnd(100) : 0xffffffff, 4); parts.push(h, body); } // lying lengths
    }
    const buf = Buffer.concat(parts);
    for (const tty of [false, true]) {
      const ing = new LogIngest({ source: '', sourceId: '', tty, maxLineChars: 1 + rnd(40) });
      const out: LogLine[] = [];
      for (let i = 0; i < buf.length;) { const n = 1 + rnd(20); ing.push(buf.subarray(i, i + n), out); i += n; }
      ing.end(out);
      for (const l of out) {
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(l.text, /[\x00-\x1f\x7f-\x9f]/);
        assert.ok(l.truncated >= 0 && Number.isInteger(l.truncated));
      }
    }
  }
});

test('ingest: lastTs is the stamp of the last line emitted', () => {
  const ing = new LogIngest({ source: '', sourceId: '', tty: false });
  const out: LogLine[] = [];
  assert.ok(Number.isNaN(ing.lastTs));
  ing.push(Buffer.concat([frame(1, `${ts(1)} a\n`), frame(1, `${ts(2)} partial`)]), out);
  assert.equal(ing.lastTs, parseDockerTimestamp(ts(1)), 'the pending partial line does not count');
  ing.push(frame(1, `${ts(7)} line\n`), out);
  assert.equal(out[1]!.text, 'partialline');
  assert.equal(ing.lastTs, parseDockerTimestamp(ts(2)), 'a joined line has the stamp of its first piece');
  ing.push(frame(2, `${ts(9)} c\n`), out);
  assert.equal(ing.lastTs, parseDockerTimestamp(ts(9)));
});

test('parseDockerTimestamp: exact, against Date.parse for the milliseconds', () => {
  const cases = [
    '2026-11-23T14:41:33.123456789Z', '2026-11-23T14:41:33.123Z', '2026-11-23T14:41:33.1Z', '2026-11-23T14:41:33Z',
    '2026-11-23T14:41:33.000000000Z', '2024-02-29T23:59:59.999999999Z', '1970-01-01T00:00:00Z', '2026-12-31T23:59:60Z',
    '2026-11-23T14:41:33.5+01:00', '2026-11-23T14:41:33-05:30', '2026-11-23T00:10:00+02:00', '2000-01-01T00:00:00.000001Z',
  ];
  for (const s of cases) {
    const got = parseDockerTimestamp(s);
    const frac = /\.(\d+)/.exec(s)?.[1] ?? '';
    const ms = Date.parse(s.replace(/\.\d+/, frac ? `.${frac.slice(0, 3).padEnd(3, '0')}` : '').replace(':60Z', ':59Z')) + (s.includes(':60Z') ? 1000 : 0);
    const subMs = Number(`0.${frac.padEnd(9, '0').slice(3)}`);
    // A double holds today's epoch ms to ~0.24 µs: the nanoseconds are kept to that.
    assert.ok(Math.abs(got - (ms + subMs)) < 0.0005, `${s}: ${got} vs ${ms} + ${subMs}`);
    if (subMs < 0.999) assert.equal(Math.floor(got), ms, s);
  }
  // The cache of the date-hour-minute part gives the same answer as a fresh parse.
  assert.equal(parseDockerTimestamp('2026-11-23T14:41:59.5Z') - parseDockerTimestamp('2026-11-23T14:41:00Z'), 59_500);
  for (const bad of ['', 'hello', '2026-11-23', '2026-11-23T14:41:33', '2026-11-23T14:41:33.Z', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z',
    '2026-11-23T24:00:00Z', '2026-11-23 14:41:33Z', '2026-11-23T14:41:33ZZ', '2026-11-23T14:41:33+1:00', 'x026-11-23T14:41:33Z', '２026-11-23T14:41:33Z']) {
    assert.ok(Number.isNaN(parseDockerTimestamp(bad)), bad);
  }
});

test('formatSince: seconds with microseconds, never after the stamp', () => {
  assert.equal(formatSince(1_700_000_000_123.456), '1700000000.123456');
  assert.equal(formatSince(1_700_000_000_000), '1700000000.000000');
  assert.equal(formatSince(Date.parse('2026-11-23T14:41:33.5Z')), '1795444893.500000');
  assert.equal(formatSince(parseDockerTimestamp('2026-11-23T14:41:33.123456789Z')), '1795444893.123456');
  assert.equal(formatSince(parseDockerTimestamp('2026-11-23T14:41:33.999999Z')), '1795444893.999999');
  assert.equal(formatSince(parseDockerTimestamp('2026-11-23T14:41:33.123456789Z') + 0.0006), '1795444893.123457');
  assert.equal(formatSince(parseDockerTimestamp('2026-11-23T14:41:33.000001Z')), '1795444893.000001');
  assert.equal(formatSince(NaN), '0');
  for (let us = 0; us < 1_000_000; us += 7919) {
    const s = `2026-11-23T14:41:33.${String(us).padStart(6, '0')}Z`;
    assert.equal(formatSince(parseDockerTimestamp(s)), `1795444893.${String(us).padStart(6, '0')}`, s);
  }
});
