#!/bin/busybox sh
# Starts the demo app:
#   - creates /app/data/app.db (table items) and seeds it once,
#   - inserts a row every APP_INSERT_EVERY seconds so the database is "live",
#   - serves HTTP on APP_PORT with busybox nc, one forked handler.sh per connection.
set -eu
: "${APP_DB:=/app/data/app.db}" "${APP_PORT:=8000}" "${APP_INSERT_EVERY:=3}"
export APP_DB

log() { printf '%s app: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
sql() { sqlite3 -cmd '.timeout 5000' "$APP_DB" "$@"; }

mkdir -p "$(dirname "$APP_DB")"
sql "PRAGMA journal_mode=WAL;" >/dev/null
sql "CREATE TABLE IF NOT EXISTS items (
       id      INTEGER PRIMARY KEY AUTOINCREMENT,
       name    TEXT NOT NULL,
       source  TEXT NOT NULL DEFAULT 'seed',
       created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
if [ "$(sql 'SELECT count(*) FROM items;')" = 0 ]; then
  sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 25)
       INSERT INTO items(name, source) SELECT printf('seed-item-%02d', i), 'seed' FROM n;"
  log "seeded $APP_DB with 25 items"
fi
log "database $APP_DB has $(sql 'SELECT count(*) FROM items;') items"

set +e
# The "live" part: a writer that keeps inserting rows.
(
  n=0
  while :; do
    sleep "$APP_INSERT_EVERY"
    n=$((n + 1))
    if sql "INSERT INTO items(name, source) VALUES ('auto-' || strftime('%s','now'), 'writer');"; then
      [ $((n % 20)) -eq 1 ] && log "writer: $(sql 'SELECT count(*) FROM items;') items so far"
    else
      log "ERROR writer: insert failed" >&2
    fi
  done
) &
writer=$!

busybox nc -ll -p "$APP_PORT" -e /app/handler.sh &
server=$!
log "listening on :$APP_PORT (GET /, /health, /items; POST /items)"

trap 'log "shutting down"; kill "$writer" "$server" 2>/dev/null; exit 0' TERM INT
wait "$server"
log "ERROR http server exited" >&2
kill "$writer" 2>/dev/null
exit 1
