import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectLevel, isChainTail, isContinuation, isExceptionTail } from '../../src/logs/level.js';
import type { Level } from '../../src/logs/types.js';

function table(cases: [Level | null, string][]): void {
  for (const [want, line] of cases) assert.equal(detectLevel(line), want, JSON.stringify(line));
}

test('detectLevel: plain-text error lines', () => {
  table([
    ['error', '2026/11/23 14:00:00 [error] 29#29: *1 open() "/usr/share/nginx/html/x" failed (2: No such file or directory), client: 172.18.0.1'],
    ['error', '2026/11/23 14:00:00 [crit] 29#29: *3 SSL_do_handshake() failed'],
    ['error', '2026/11/23 14:00:00 [alert] 1#1: worker process 30 exited on signal 9'],
    ['error', '2026/11/23 14:00:00 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address in use)'],
    ['error', '[Error] something odd'],
    ['error', '2026-11-23 14:00:00.123 UTC [42] ERROR:  relation "orders" does not exist at character 15'],
    ['error', '2026-11-23 14:00:00.123 UTC [42] FATAL:  password authentication failed for user "shop"'],
    ['error', '2026-11-23 14:00:00.123 UTC [1] PANIC:  could not write to file "pg_wal/xlogtemp.1"'],
    ['error', 'E0806 12:00:00.000000       1 reflector.go:138] failed to list *v1.Pod: unauthorized'],
    ['error', 'F0806 12:00:00.000000       1 server.go:12] cannot start: port in use'],
    ['error', 'panic: runtime error: invalid memory address or nil pointer dereference'],
    ['error', 'Traceback (most recent call last):'],
    ['error', 'Exception in thread "main" java.lang.NullPointerException'],
    ['error', 'ts=2026-11-23T14:00:00Z level=error msg="upstream timed out"'],
    ['error', 'time="2026-11-23T14:00:00Z" level=ERROR msg=x'],
    ['error', 'lvl="fatal" msg=bye'],
    ["error", "severity='crit' component=disk"],
    ['error', 'ERROR worker: unhandled exception in job id=1002'],
    ['error', '14:00:00.123 [main] ERROR c.e.shop.OrderService - order 12 failed'],
    ['error', 'npm ERR! code ELIFECYCLE'],
    ['error', 'SEVERE: Servlet.service() for servlet [dispatcher] threw exception'],
    ['error', '[14:00:00 ERR] Request failed'],
    ['error', '[14:00:00 FTL] Host terminated unexpectedly'],
    ['error', 'CRITICAL:root:disk full'],
    ['error', '[E] 2026-11-23 listener failed'],
  ]);
});

test('detectLevel: warnings, and error wins over warning', () => {
  table([
    ['warn', '2026/11/23 14:00:00 [warn] 29#29: *5 an upstream response is buffered to a temporary file'],
    ['warn', '2026-11-23 14:00:00.123 UTC [42] WARNING:  there is no transaction in progress'],
    ['warn', '1:M 23 Nov 2026 14:00:00.000 # WARNING overcommit_memory is set to 0! Background save may fail'],
    ['warn', 'W0806 12:00:00.000000       1 warnings.go:70] v1 Endpoints is deprecated'],
    ['warn', 'level=warn msg="slow query" duration=2.1s'],
    ['warn', 'level=warning msg=x'],
    ['warn', 'WARN  [pool] slow response'],
    ['warn', '[W] low disk'],
    ['warn', '[14:00:00 WRN] retrying'],
    ['error', 'WARN retry 3 failed, giving up: ERROR connection refused'],
    ['error', 'WARNING: something [error] here'],
    ['error', 'level=warn msg="x" then level=error'],
  ]);
});

test('detectLevel: info and debug', () => {
  table([
    ['info', '2026/11/23 14:00:00 [notice] 1#1: start worker processes'],
    ['info', 'I0806 12:00:00.000000       1 main.go:12] serving on :8080'],
    ['info', '2026-11-23 14:00:00.123 UTC [1] LOG:  database system is ready to accept connections'],
    ['info', 'level=info msg=started'],
    ['info', 'INFO  [http] GET /healthz 200 1ms'],
    ['info', '[14:00:00 INF] Now listening on: http://[::]:80'],
    ['info', '[info] ready'],
    ['debug', 'level=debug caller=main.go:9 msg=tick'],
    ['debug', 'DEBUG cache miss key=user:12'],
    ['debug', 'TRACE entering handler'],
    ['debug', '[debug] x'],
    ['debug', 'D0806 12:00:00.000000 1 x.go:1] detail'],
    ['info', 'INFO then DEBUG: first token wins'],
  ]);
});

test('detectLevel: JSON loggers', () => {
  table([
    ['error', '{"level":50,"time":1700000000000,"pid":1,"hostname":"api","msg":"boom"}'], // pino
    ['error', '{"level":60,"msg":"fatal"}'],
    ['warn', '{"level":40,"msg":"slow"}'],
    ['info', '{"level":30,"msg":"ok"}'],
    ['debug', '{"level":20,"msg":"dbg"}'],
    ['debug', '{"level":10,"msg":"trace"}'],
    ['info', '{"name":"shop","hostname":"h","pid":1,"level":30,"msg":"listening","time":"2026-11-23T14:00:00.000Z","v":0}'], // bunyan
    ['error', '{"@timestamp":"2026-11-23T14:00:00.000Z","log.level":"error","message":"failed","ecs.version":"1.6.0"}'], // ECS
    ['warn', '{"@timestamp":"2026-11-23T14:00:00.000Z","log":{"level":"warn","logger":"x"},"message":"m"}'], // nested
    ['warn', '{"@t":"2026-11-23T14:00:00.0000000Z","@mt":"Slow {Op}","@l":"Warning","Op":"save"}'], // Serilog CLEF
    ['error', '{"@t":"2026-11-23T14:00:00Z","@m":"x","@l":"Fatal"}'],
    ['error', '{"severity":"ERROR","message":"gcp style"}'],
    ['info', '{"severity":"NOTICE","message":"gcp notice"}'],
    ['info', '{"lvl":"info","msg":"log15"}'],
    ['error', '{"lvl":"eror","msg":"log15 error"}'],
    ['debug', '{"level":"verbose","msg":"v"}'],
    ['info', '{"level":"Information","msg":"x"}'],
    ['error', '{"levelname":"CRITICAL","message":"python json logger"}'],
    ['info', '  {"level" : "info", "msg": "spaces around"}'],
    // The level field decides, not words in the message.
    ['info', '{"level":"info","msg":"ERROR budget report: 0 errors"}'],
    ['debug', '{"level":"debug","msg":"WARN threshold at 80%"}'],
    // No level field: the words decide, as for plain text.
    ['error', '{"msg":"ERROR something"}'],
    [null, '{"msg":"error_count=0"}'],
  ]);
});

test('detectLevel: prose and identifiers are not levels', () => {
  table([
    [null, 'processed 120 items, 0 errors'],
    [null, 'error_count=0 warn_count=0'],
    [null, 'stats: errors=0 warnings=0 info=ok'],
    [null, 'an error occurred? no, just testing the word error in prose'],
    [null, 'GET /api/errors 200 3ms'],
    [null, 'ERRORS_TOTAL=0'],
    [null, 'net::ERR_CONNECTION_REFUSED is a browser code'],
    [null, 'INFORMATIONAL_TEXT and DEBUGGER are not tokens'],
    [null, 'Server started on port 8080'],
    [null, ''],
    [null, 'level=verbosity_unknown'],
    [null, '{"levels":[1,2,3]}'],
    [null, 'E123 is not a klog head'],
    [null, 'Warning signs in lower-case prose: warning, warn'],
  ]);
});

test('isContinuation: trace lines', () => {
  const yes = [
    '\tat com.example.shop.OrderService.place(OrderService.java:42)',
    '    at processTicksAndRejections (node:internal/process/task_queues:95:5)',
    '  File "/srv/worker/runner.py", line 88, in run',
    '    result = handler(job.payload)',
    '    ^^^^^^^^^^^^^^^^',
    'Caused by: java.net.SocketTimeoutException: Read timed out',
    '\t... 12 more',
    '... 12 more',
    '... 5 common frames omitted',
    'goroutine 1 [running]:',
    '\t/app/main.go:12 +0x1d',
  ];
  const no = [
    '',
    '    ',
    '\t',
    'ERROR worker: unhandled exception',
    "KeyError: 'lines'",
    'Caused byx',
    'goroutines are fun',
    '...and then',
    'main.main()',
    'INFO next request',
  ];
  for (const s of yes) assert.equal(isContinuation(s), true, JSON.stringify(s));
  for (const s of no) assert.equal(isContinuation(s), false, JSON.stringify(s));
});

test('isExceptionTail and isChainTail', () => {
  const tails = ["KeyError: 'lines'", 'ValueError: boom', 'java.lang.IllegalStateException: inventory expired', 'RuntimeWarning: x',
    'requests.exceptions.ConnectionError: refused', 'TypeError: undefined is not a function', 'Error: boom', 'ZeroDivisionError'];
  const notTails = ['Errors: 0', 'ERROR worker failed', 'the Error: x', 'KeyErrorx: y', '  KeyError: indented'];
  for (const s of tails) {
    assert.equal(isExceptionTail(s), true, JSON.stringify(s));
    assert.equal(isChainTail(s), true, JSON.stringify(s));
  }
  for (const s of notTails) assert.equal(isExceptionTail(s), false, JSON.stringify(s));
  for (const s of ['', '   ', 'Traceback (most recent call last):', 'During handling of the above exception, another exception occurred:',
    'The above exception was the direct cause of the following exception:', 'main.main()', 'main.handler(0xc000010000, 0x1)',
    'net/http.(*Server).Serve(0xc0001a2000, {0x7f1c, 0xc0000a4000})', 'created by net/http.(*Server).Serve in goroutine 1']) {
    assert.equal(isChainTail(s), true, JSON.stringify(s));
  }
  for (const s of ['INFO next request', 'Server started on port 8080', 'exit status 2', 'GET /api 200']) assert.equal(isChainTail(s), false, JSON.stringify(s));
});
