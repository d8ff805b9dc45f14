// Log ingest bench (issue: logs). In-process, no Docker: ~1,000,000 realistic lines as Docker's
// multiplexed log stream with timestamps, in 64 KiB chunks, through LogIngest + LogBuffer, on one
// core. Baseline from the same run: docker-modem's demuxStream (Buffer.concat per chunk) +
// toString().split('\n') + Date.parse + safeText + a naive level regex into an array with shift().
//   node dist/bench/logIngest.bench.js   (BENCH_LOG_LINES, BENCH_LOG_BASELINE_LINES, BENCH_LOG_RUNS)
import { execFileSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LogIngest } from '../src/logs/ingest.js';
import { LogBuffer } from '../src/logs/logBuffer.js';
import type { Level, LogLine } from '../src/logs/types.js';
import { safeText } from '../src/sanitize.js';

const LINES = Number(process.env.BENCH_LOG_LINES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_LOG_RUNS ?? 3);
// The baseline runs at 15–30k lines/s, so it gets the first 200,000 lines only (its rate drops the
// longer it runs, so this flatters it).
const BASELINE_LINES = Number(process.env.BENCH_LOG_BASELINE_LINES ?? 200_000);
const CHUNK = 64 * 1024;
const MAX_LINES = 50_000;
const MAX_BYTES = 32 * 1024 * 1024;
const TARGET = 300_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function line(name: string, value: string, target?: string, ok?: boolean) {
  console.log(`${name.padEnd(52)} ${value.padStart(14)}${target ? `   target ${target}${ok === undefined ? '' : ok ? '  ✓' : '  ✗ MISSED'}` : ''}`);
}

// --- input ------------------------------------------------------------------------------------

let seed = 0x9e3779b9;
function rnd(n: number): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return (seed >>> 0) % n;
}
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;

const PATHS = ['/api/items', '/api/orders/checkout', '/healthz', '/api/users/me', '/static/app.8f3a1c.js', '/api/search?q=widgets&page=2'];
const WORDS = ['cache', 'upstream', 'session', 'payload', 'retry', 'worker', 'queue', 'shard', 'replica', 'tenant', 'batch', 'invoice'];
function words(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ' ' : '') + pick(WORDS);
  return s;
}

/** One event: one or more (stream, text) lines. Lengths 60–200 bytes with the timestamp. */
function event(): [1 | 2, string][] {
  const r = rnd(1000);
  const id = rnd(100000);
  if (r < 450) return [[1, `INFO  [http] ${pick(['GET', 'POST', 'PUT'])} ${pick(PATHS)} ${pick([200, 201, 204, 304])} ${rnd(900)}ms req=${id.toString(16)} ${words(rnd(8))}`]];
  if (r < 600) return [[1, `{"level":"info","time":${1795442400000 + id},"pid":1,"hostname":"api-7d9f","msg":"${words(2 + rnd(6))}","reqId":${id}}`]];
  if (r < 680) return [[1, `{"level":${pick([20, 30, 30, 40, 50])},"time":${1795442400000 + id},"msg":"${words(2 + rnd(8))}"}`]];
  if (r < 760) return [[1, `level=debug ts=2026-11-23T14:00:00Z caller=${pick(WORDS)}.go:${rnd(400)} msg="${words(2 + rnd(6))}"`]];
  if (r < 850) return [[2, `WARN  [pool] ${words(2 + rnd(5))}: slow response from ${pick(PATHS)} after ${rnd(9000)}ms (attempt ${rnd(5)})`]];
  if (r < 930) return [[2, `ERROR [db] query failed: connection reset by peer (${words(1 + rnd(6))}) id=${id}`]];
  if (r < 960) {
    const out: [1 | 2, string][] = [[2, `ERROR [main] c.e.shop.OrderService - order ${id} failed: ${words(2 + rnd(4))}`], [2, 'java.lang.IllegalStateException: inventory reservation expired']];
    for (let i = 0; i < 6 + rnd(10); i++) out.push([2, `\tat com.example.shop.${pick(['OrderService', 'Inventory', 'Payments'])}.${pick(WORDS)}(${pick(['OrderService', 'Inventory'])}.java:${rnd(500)})`]);
    out.push([2, 'Caused by: java.net.SocketTimeoutException: Read timed out'], [2, `\t... ${rnd(40)} more`]);
    return out;
  }
  if (r < 990) {
    return [[2, `ERROR worker: unhandled exception in job id=${id}`], [2, 'Traceback (most recent call last):'],
      [2, '  File "/srv/worker/runner.py", line 88, in run'], [2, '    result = handler(job.payload)'],
      [2, `  File "/srv/worker/jobs/${pick(WORDS)}.py", line ${rnd(300)}, in handle`], [2, "    return payload['lines']"], [2, "KeyError: 'lines'"]];
  }
  // A few hostile or coloured lines.
  return [[1, pick([
    `\x1b[32mINFO\x1b[0m compiled ${rnd(400)} modules in ${rnd(9000)}ms ${words(3)}`,
    `user input: \x1b]0;pwned\x07 title change attempt and \x1b]52;c;cHduZWQ=\x07 clipboard write id=${id}`,
    `\x1b[2J\x1b[H screen clear from a misbehaving progress bar ${words(4)}`,
    `progress\t${rnd(100)}%\tETA ${rnd(60)}s \x1b[1A\x1b[K ${words(3)}`,
  ])]];
}

/** The stream Docker sends for `logs?timestamps=1` of a non-TTY container, as 64 KiB chunks. */
function makeStream(n: number): { chunks: Buffer[]; lines: number; bytes: number } {
  const big = Buffer.allocUnsafe(n * 260 + 65536);
  let at = 0;
  let lines = 0;
  let ns = 0;
  let secKey = -1;
  let secText = '';
  const base = Date.UTC(2026, 10, 23, 14, 0, 0);
  while (lines < n) {
    for (const [stream, text] of event()) {
      ns += 1 + rnd(400_000);
      const sec = Math.floor(ns / 1e9);
      if (sec !== secKey) { secKey = sec; secText = new Date(base + sec * 1000).toISOString().slice(0, 19); }
      const msg = `${secText}.${String(ns % 1e9).padStart(9, '0')}Z ${text}\n`;
      const len = big.write(msg, at + 8, 'utf8');
      big[at] = stream; big[at + 1] = 0; big[at + 2] = 0; big[at + 3] = 0;
      big.writeUInt32BE(len, at + 4);
      at += 8 + len;
      lines++;
    }
  }
  const chunks: Buffer[] = [];
  for (let i = 0; i < at; i += CHUNK) chunks.push(big.subarray(i, Math.min(at, i + CHUNK)));
  return { chunks, lines, bytes: at };
}

// --- the two pipelines --------------------------------------------------------------------------

interface Run { ms: number; lines: number; peakHeap: number; retained: number }

function measure(fn: (sample: () => void) => number): Run {
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  let peak = heap0;
  const sample = () => { const h = process.memoryUsage().heapUsed; if (h > peak) peak = h; };
  const t0 = performance.now();
  const lines = fn(sample);
  const ms = performance.now() - t0;
  sample();
  gc();
  return { ms, lines, peakHeap: peak - heap0, retained: process.memoryUsage().heapUsed - heap0 };
}

let _keep: unknown = null; // what a run holds stays alive until the retained figure is taken

function ours(chunks: Buffer[]): Run {
  return measure((sample) => {
    const ingest = new LogIngest({ source: 'api', sourceId: 'c0ffee', tty: false });
    const buffer = new LogBuffer(MAX_LINES, MAX_BYTES);
    const out: LogLine[] = [];
    let n = 0;
    for (let i = 0; i < chunks.length; i++) {
      out.length = 0;
      ingest.push(chunks[i]!, out);
      buffer.pushAll(out);
      n += out.length;
      if ((i & 15) === 0) sample();
    }
    out.length = 0;
    ingest.end(out);
    buffer.pushAll(out);
    _keep = buffer;
    return n + out.length;
  });
}

const NAIVE_LEVEL = /error|fatal|panic|(warn)|(info)|(debug)/i;

/**
 * docker-modem's demuxStream (lib/modem.js), fed the same chunks, then the obvious line handling.
 * Most of its cost is lines.shift(): once the 50,000-element array lives in V8's large-object
 * space it cannot be left-trimmed, so every shift moves the whole array.
 */
function naive(chunks: Buffer[]): Run {
  return measure((sample) => {
    const lines: LogLine[] = [];
    let n = 0;
    const write = (type: number, content: Buffer) => {
      const parts = content.toString().split('\n');
      if (parts[parts.length - 1] === '') parts.pop();
      for (const part of parts) {
        const sp = part.indexOf(' ');
        const ts = Date.parse(part.slice(0, sp));
        const text = safeText(part.slice(sp + 1));
        const m = NAIVE_LEVEL.exec(text);
        const level: Level | null = !m ? null : m[1] ? 'warn' : m[2] ? 'info' : m[3] ? 'debug' : 'error';
        lines.push({ seq: ++n, ts, source: 'api', sourceId: 'c0ffee', stream: type === 2 ? 'stderr' : 'stdout', text, level, cont: false, truncated: 0, bytes: text.length * 2 + 96 });
        if (lines.length > MAX_LINES) lines.shift();
      }
    };
    let pendingStreamType: number | null = null;
    let pendingDataLength = 0;
    let buffer = Buffer.from('');
    const bufferSlice = (end: number) => {
      const out = buffer.subarray(0, end);
      buffer = Buffer.from(buffer.subarray(end, buffer.length));
      return out;
    };
    const processData = (data?: Buffer): void => {
      if (data) buffer = Buffer.concat([buffer, data]);
      if (pendingStreamType === null) {
        if (buffer.length >= 8) {
          const header = bufferSlice(8);
          pendingStreamType = header.readUInt8(0);
          pendingDataLength = header.readUInt32BE(4);
          processData();
        }
      } else if (buffer.length >= pendingDataLength) {
        const content = bufferSlice(pendingDataLength);
        write(pendingStreamType, content);
        pendingStreamType = null;
        processData();
      }
    };
    for (let i = 0; i < chunks.length; i++) {
      processData(chunks[i]!);
      if ((i & 15) === 0) sample();
    }
    _keep = lines;
    return n;
  });
}

function best(label: string, fn: (chunks: Buffer[]) => Run, chunks: Buffer[]): Run {
  fn(chunks.slice(0, Math.ceil(chunks.length / 10))); // warm-up on a tenth of the input
  _keep = null;
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(fn(chunks));
    _keep = null;
  }
  console.log(`  ${label}: ${runs.map((r) => Math.round((r.lines / r.ms) * 1000).toLocaleString('en')).join(', ')} lines/s`);
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
}

function main() {
  const t0 = performance.now();
  const { chunks, lines, bytes } = makeStream(LINES);
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  console.log(`opsdeck log ingest bench — ${lines.toLocaleString('en')} lines, ${mb(bytes)} multiplexed with timestamps, ${chunks.length} chunks of 64 KiB, node ${process.version}, ${execFileSync('nproc').toString().trim()} cores (one used)`);
  console.log(`  input generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const a = best('opsdeck', ours, chunks);
  const b = best('baseline', naive, chunks.slice(0, Math.max(1, Math.ceil((chunks.length * Math.min(lines, BASELINE_LINES)) / lines))));
  if (a.lines !== lines) console.log(`  line counts: opsdeck ${a.lines}, generated ${lines}`);
  const rate = (r: Run) => (r.lines / r.ms) * 1000;
  console.log(`\ningest: chunk → LogLines → LogBuffer (${MAX_LINES.toLocaleString('en')} lines / ${mb(MAX_BYTES)}), best of ${RUNS} after a warm-up`);
  console.log('  baseline: docker-modem demuxStream, toString().split, Date.parse, safeText, a level regex, Array.shift()');
  line(`baseline (naive), first ${b.lines.toLocaleString('en')} lines`, `${Math.round(rate(b)).toLocaleString('en')} lines/s`);
  line('opsdeck LogIngest.push + LogBuffer.pushAll', `${Math.round(rate(a)).toLocaleString('en')} lines/s`, `≥ ${TARGET.toLocaleString('en')} lines/s`, rate(a) >= TARGET);
  line('  speed-up over the baseline', `${(rate(a) / rate(b)).toFixed(1)} ×`);
  line('  throughput', `${(bytes / 1024 / 1024 / (a.ms / 1000)).toFixed(0)} MB/s`);
  console.log('\nheap during the best run (heapUsed over the level before it)');
  line('opsdeck: peak growth', mb(a.peakHeap));
  line('opsdeck: retained after GC (the full buffer)', mb(a.retained));
  line('baseline: peak growth', mb(b.peakHeap));
  line('baseline: retained after GC', mb(b.retained));
}

main();
