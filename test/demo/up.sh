#!/usr/bin/env bash
# Brings the demo stack up (building the app image) and waits until app, db and cache are
# healthy. Idempotent: on a running stack it changes nothing and returns in seconds.
#   OPSDECK_DEMO_PROJECT   compose project name (default opsdeck-demo)
#   OPSDECK_DEMO_PORT      host port of the nginx front on 127.0.0.1 (default 18080)
#   OPSDECK_DEMO_MAINT_DIR host directory holding maintenance.flag (default ./maintenance)
#   OPSDECK_DEMO_TIMEOUT   seconds to wait for health (default 90)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
project=${OPSDECK_DEMO_PROJECT:-opsdeck-demo}
timeout=${OPSDECK_DEMO_TIMEOUT:-90}
DOCKER=/usr/bin/docker
COMPOSE=/usr/bin/docker-compose
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
log() { printf '[demo] %s\n' "$*" >&2; }

start=$(date +%s)
"$here/../env/setup.sh"

# nginx's workers (www-data) must be able to look inside the maintenance directory.
maint=${OPSDECK_DEMO_MAINT_DIR:-./maintenance}
case "$maint" in /*) ;; *) maint="$here/$maint" ;; esac
mkdir -p "$maint"
if [ -z "$(find "$maint" -maxdepth 0 -perm -o+x)" ]; then
  log "warning: $maint is not searchable by others (mode $(stat -c %a "$maint")); nginx will not see maintenance.flag there (chmod o+x it)"
fi

compose() { "$COMPOSE" -p "$project" -f "$here/docker-compose.yml" "$@"; }
# docker-compose 1.29 builds with docker-py's classic builder; keep it that way (the local
# base image needs no registry, BuildKit would try to resolve it remotely).
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
compose up -d --build --quiet-pull >&2 || {
  log "docker-compose up failed; container states:"
  compose ps >&2 || true
  exit 1
}

health() { # service -> health status (or state when no healthcheck / no container)
  local id; id=$(compose ps -q "$1" 2>/dev/null | head -n1)
  [ -n "$id" ] || { echo missing; return; }
  $DOCKER inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo missing
}

deadline=$((start + timeout))
while :; do
  a=$(health app) d=$(health db) c=$(health cache)
  [ "$a" = healthy ] && [ "$d" = healthy ] && [ "$c" = healthy ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    log "timed out after ${timeout}s: app=$a db=$d cache=$c"
    compose ps >&2 || true
    exit 1
  fi
  sleep 1
done

printf 'demo stack "%s" up in %ss: app=%s db=%s cache=%s front=%s -> http://127.0.0.1:%s/\n' \
  "$project" "$(( $(date +%s) - start ))" "$a" "$d" "$c" "$(health front)" "${OPSDECK_DEMO_PORT:-18080}"
