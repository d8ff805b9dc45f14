#!/bin/busybox sh
# One HTTP/1.x request on stdin/stdout (run by `nc -ll -e` per connection).
#   GET  /health  -> 200 {"status":"ok"} when the database answers, else 503
#   GET  /        -> 200 small JSON summary
#   GET  /items   -> 200 the 10 newest items as JSON
#   POST /items   -> 201, inserts an item (name = request body, or "api-item")
# Access log lines go to stderr, which is the container's log.
: "${APP_DB:=/app/data/app.db}"
sql() { sqlite3 -cmd '.timeout 3000' "$APP_DB" "$@"; }

respond() { # status, content-type, body (no body for HEAD)
  body=$3; [ "$method" = HEAD ] && body=
  printf 'HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nServer: opsdeck-demo-app\r\nConnection: close\r\n\r\n%s' \
    "$1" "$2" "${#3}" "$body"
  printf '%s app: %s %s -> %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$method" "$path" "${1%% *}" >&2
}

method=- path=- len=0
IFS=' ' read -r -t 10 method path _ || exit 0
path=${path%%\?*}
# Consume the headers (so closing the socket never resets it), remember Content-Length.
while IFS= read -r -t 10 line; do
  line=${line%"$(printf '\r')"}
  [ -z "$line" ] && break
  case "$line" in
    [Cc]ontent-[Ll]ength:*) len=${line#*:}; len=${len# } ;;
  esac
done
case "$len" in ''|*[!0-9]*) len=0 ;; esac

case "$method $path" in
  "GET /health"|"HEAD /health")
    if sql 'SELECT count(*) FROM items;' >/dev/null 2>&1; then
      respond '200 OK' application/json '{"status":"ok"}'
    else
      respond '503 Service Unavailable' application/json '{"status":"error","reason":"database unavailable"}'
    fi ;;
  "GET /"|"HEAD /")
    count=$(sql 'SELECT count(*) FROM items;' 2>/dev/null || echo -1)
    respond '200 OK' application/json "{\"app\":\"opsdeck-demo\",\"items\":$count,\"hostname\":\"$(hostname)\"}" ;;
  "GET /items")
    rows=$(sql -json 'SELECT id, name, source, created FROM items ORDER BY id DESC LIMIT 10;' 2>/dev/null | tr -d '\n')
    respond '200 OK' application/json "${rows:-[]}" ;;
  "POST /items")
    name=api-item
    [ "$len" -gt 0 ] && name=$(head -c "$len" | tr -cd 'A-Za-z0-9 ._-' | cut -c1-64)
    [ -n "$name" ] || name=api-item
    id=$(sql "INSERT INTO items(name, source) VALUES ('$name', 'api'); SELECT last_insert_rowid();" 2>/dev/null)
    if [ -n "$id" ]; then
      respond '201 Created' application/json "{\"id\":$id,\"name\":\"$name\"}"
    else
      respond '500 Internal Server Error' application/json '{"error":"insert failed"}'
    fi ;;
  "GET "*|"HEAD "*)
    respond '404 Not Found' application/json '{"error":"not found"}' ;;
  *)
    respond '405 Method Not Allowed' application/json '{"error":"method not allowed"}' ;;
esac
