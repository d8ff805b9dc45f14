#!/bin/sh
# The demo "worker": a background job runner that logs about one line a second, to stdout
# and stderr, the way real workers do: INFO chatter, WARN and ERROR lines, JSON log lines,
# a multi-line stack trace now and then, and HOSTILE lines carrying terminal escape
# sequences (title set, clear screen, cursor move, OSC 52 clipboard write, colour) that a
# log viewer must neutralise rather than pass to the terminal. printf makes the escapes
# real bytes (ESC = \033, BEL = \007).
trap 'echo "$(ts) INFO worker: received SIGTERM, draining and exiting"; exit 0' TERM INT

ts() { date -u +%Y-%m-%dT%H:%M:%SZ; }
pause() { sleep "$1" & wait $!; }

# Hostile lines: escape sequences inside otherwise ordinary log output.
hostile() {
  case $1 in
    0) printf '%s INFO worker: user agent \033]0;pwned\007 logged in\n' "$(ts)" ;;
    1) printf '%s WARN worker: odd input \033[2J after clear screen\n' "$(ts)" >&2 ;;
    2) printf '%s INFO worker: cursor \033[10;10H moved here\n' "$(ts)" ;;
    3) printf '%s ERROR worker: clipboard \033]52;c;cHduZWQ=\007 write attempt\n' "$(ts)" >&2 ;;
    4) printf '%s INFO worker: colour \033[31mred\033[0m text\n' "$(ts)" ;;
  esac
}

echo "$(ts) INFO worker: starting, queue=default concurrency=2"
# Every kind of hostile line once at start, so a test sees them all within a second;
# afterwards one every 6 s, cycling through the kinds.
for k in 0 1 2 3 4; do hostile $k; done
i=0
while :; do
  i=$((i + 1))
  job=$((1000 + i))
  echo "$(ts) INFO worker: processed job id=$job queue=default duration_ms=$((i * 37 % 500 + 3))"
  if [ $((i % 5)) -eq 0 ]; then
    echo "$(ts) WARN worker: job id=$job took longer than expected (retry 1/3)" >&2
  fi
  if [ $((i % 7)) -eq 0 ]; then
    echo "$(ts) ERROR worker: job id=$job failed: connection refused (upstream payments:443)" >&2
  fi
  if [ $((i % 9)) -eq 0 ]; then
    printf '{"ts":"%s","level":"error","msg":"payment webhook rejected","job":%d,"status":502}\n' "$(ts)" "$job" >&2
  fi
  if [ $((i % 11)) -eq 0 ]; then
    printf '{"ts":"%s","level":"info","msg":"heartbeat","jobs_done":%d}\n' "$(ts)" "$i"
  fi
  if [ $((i % 20)) -eq 2 ]; then
    printf '%s ERROR worker: unhandled exception in job id=%d\n' "$(ts)" "$job" >&2
    printf '%s\n' \
      'Traceback (most recent call last):' \
      '  File "/srv/worker/runner.py", line 88, in run' \
      '    result = handler(job.payload)' \
      '  File "/srv/worker/jobs/invoice.py", line 41, in handle' \
      '    total = sum(line["amount"] for line in payload["lines"])' \
      "KeyError: 'lines'" >&2
  fi
  if [ $((i % 6)) -eq 3 ]; then
    hostile $(( (i / 6) % 5 ))
  fi
  pause 1
done
