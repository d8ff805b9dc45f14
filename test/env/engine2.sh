#!/usr/bin/env bash
# A second, real Docker engine for the Swarm tests ("engine2"), next to the main one:
#
#   bash test/env/engine2.sh start    bring it up (idempotent; ~0.2 s when it is already ready)
#   bash test/env/engine2.sh stop     stop it (its data stays: the next start is quick)
#   bash test/env/engine2.sh status   one line; exit 0 when it is up and a swarm manager
#
# Why a second engine: `docker swarm init` changes an engine for good (ingress network, raft state,
# a docker_gwbridge), and the main engine runs the demo stack and every other test. Swarm mode lives
# on engine2 only; this script never touches the main engine beyond reading busybox:1.36 from it.
#
# Isolation: engine2 runs inside its own network namespace (`ip netns opsdeck-e2`, only lo), so its
# bridge, its iptables rules and its swarm ports (2377, 7946) are its own and cannot fight the main
# engine's. Its unix socket lives on the host's /run, reachable from here as usual:
#   DOCKER_HOST=unix:///run/opsdeck-e2/docker.sock
# It has its own --data-root, --exec-root (its own managed containerd) and --pidfile.
#
# `start` also makes sure engine2 has busybox:1.36 (loaded from the main engine), the test service
# image opsdeck-test/swarm-app:1 and :2 (built locally: a line per second with its version and
# hostname, exits at once on SIGTERM), and that it is a swarm manager (advertised on 127.0.0.1).
# Needs root. Logs go to /tmp/opsdeck-e2.log.
set -euo pipefail

NS=opsdeck-e2
RUN_DIR=/run/opsdeck-e2
SOCK=$RUN_DIR/docker.sock
HOST=unix://$SOCK
DATA_ROOT=/var/lib/opsdeck-e2
EXEC_ROOT=$RUN_DIR/exec
PIDFILE=$RUN_DIR/docker.pid
CONFIG=$RUN_DIR/daemon.json
LOG=/tmp/opsdeck-e2.log
# Debian's client, matching the daemon (not a stray /usr/local/bin/docker).
DOCKER=/usr/bin/docker
MAIN_HOST=${OPSDECK_MAIN_DOCKER_HOST:-unix:///var/run/docker.sock}
APP=opsdeck-test/swarm-app

log() { printf '[engine2] %s\n' "$*" >&2; printf '%s [engine2] %s\n' "$(date -u +%FT%TZ)" "$*" >>"$LOG"; }
e2() { $DOCKER -H "$HOST" "$@"; }

daemon_pid() {
  [ -s "$PIDFILE" ] || return 1
  local pid; pid=$(cat "$PIDFILE")
  # Ours only: a recycled pid must never make `stop` signal the main engine's dockerd.
  [ -d "/proc/$pid" ] && grep -q dockerd "/proc/$pid/comm" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--data-root $DATA_ROOT" \
    && { echo "$pid"; return 0; }
  return 1
}

answering() { e2 version --format '{{.Server.Version}}' >/dev/null 2>&1; }

swarm_state() { e2 info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null || echo 'unreachable false'; }

have_image() { e2 image inspect "$1" >/dev/null 2>&1; }

ensure_netns() {
  if ! ip netns list | awk '{print $1}' | grep -qx "$NS"; then
    log "creating network namespace $NS"
    ip netns add "$NS"
  fi
  ip netns exec "$NS" ip link set lo up
}

start_daemon() {
  if answering; then return 0; fi
  if pid=$(daemon_pid); then
    # Started but not answering yet (another start racing us, or still booting): wait for it.
    log "dockerd $pid is starting; waiting"
  else
    [ "$(id -u)" = 0 ] || { log "needs root to start dockerd"; exit 1; }
    local started=
    ensure_netns
    mkdir -p "$RUN_DIR" "$DATA_ROOT" "$EXEC_ROOT"
    # An explicit, empty config file: a /etc/docker/daemon.json meant for the main engine (hosts,
    # data-root …) must not leak into this one.
    [ -s "$CONFIG" ] || echo '{}' >"$CONFIG"
    rm -f "$SOCK"
    log "starting dockerd in netns $NS (socket $SOCK, data $DATA_ROOT)"
    # setsid + no terminal: it outlives this script and the test process that ran it.
    # nsenter --net, not `ip netns exec`: the latter also remounts /sys in a new mount namespace,
    # which hides the cgroup mounts dockerd needs ("Devices cgroup isn't mounted").
    setsid nsenter --net="/run/netns/$NS" /usr/sbin/dockerd \
      --config-file "$CONFIG" \
      -H "$HOST" \
      --data-root "$DATA_ROOT" \
      --exec-root "$EXEC_ROOT" \
      --pidfile "$PIDFILE" \
      --storage-driver overlay2 \
      >>"$LOG" 2>&1 </dev/null 9>&- &
    started=$!
  fi
  for _ in $(seq 1 120); do
    answering && { log "dockerd up: $(e2 version --format '{{.Server.Version}}')"; return 0; }
    if [ -n "${started:-}" ] && ! kill -0 "$started" 2>/dev/null; then
      log "dockerd exited at start; see $LOG"
      tail -5 "$LOG" >&2
      exit 1
    fi
    sleep 0.25
  done
  log "dockerd did not come up in 30 s; see $LOG"
  tail -20 "$LOG" >&2
  exit 1
}

ensure_images() {
  if ! have_image busybox:1.36; then
    log "loading busybox:1.36 from the main engine"
    $DOCKER -H "$MAIN_HOST" image inspect busybox:1.36 >/dev/null 2>&1 \
      || { log "the main engine has no busybox:1.36: run test/env/setup.sh first"; exit 1; }
    $DOCKER -H "$MAIN_HOST" save busybox:1.36 | e2 load >>"$LOG" 2>&1
  fi
  local v
  for v in 1 2; do
    have_image "$APP:$v" && continue
    log "building $APP:$v"
    local d; d=$(mktemp -d)
    # PID 1 is sh: it ignores SIGTERM unless trapped, and a trap only runs between commands, so
    # the sleep runs in the background and `wait` is interrupted by the signal: it stops at once.
    cat >"$d/app.sh" <<'EOF'
#!/bin/sh
host=$(hostname)
trap 'echo "swarm-app v$APP_VERSION on $host stopping"; exit 0' TERM INT
echo "swarm-app v$APP_VERSION on $host starting"
i=0
while :; do
  i=$((i + 1))
  echo "swarm-app v$APP_VERSION on $host line $i"
  sleep 1 &
  wait $!
done
EOF
    printf 'FROM busybox:1.36\nLABEL opsdeck.test=1\nENV APP_VERSION=%s\nCOPY app.sh /app.sh\nSTOPSIGNAL SIGTERM\nCMD ["/bin/sh", "/app.sh"]\n' "$v" >"$d/Dockerfile"
    DOCKER_BUILDKIT=0 e2 build -q -t "$APP:$v" "$d" >>"$LOG" 2>&1 || { rm -rf "$d"; log "build of $APP:$v failed; see $LOG"; exit 1; }
    rm -rf "$d"
  done
}

ensure_swarm() {
  local state; state=$(swarm_state)
  case "$state" in
    'active true') return 0 ;;
    'inactive '*)
      log "swarm init on engine2 (advertise 127.0.0.1)"
      e2 swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >>"$LOG" 2>&1 \
        || { log "swarm init failed; see $LOG"; tail -5 "$LOG" >&2; exit 1; }
      ;;
    *)
      log "engine2 is in swarm state \"$state\" (not a ready manager); leaving the swarm and starting a new one"
      e2 swarm leave --force >>"$LOG" 2>&1 || true
      e2 swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 --force-new-cluster >>"$LOG" 2>&1 \
        || e2 swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >>"$LOG" 2>&1 \
        || { log "swarm init failed; see $LOG"; exit 1; }
      ;;
  esac
  for _ in $(seq 1 40); do
    [ "$(swarm_state)" = 'active true' ] && return 0
    sleep 0.25
  done
  log "engine2 is not a ready swarm manager: $(swarm_state)"
  exit 1
}

ready() { answering && [ "$(swarm_state)" = 'active true' ] && have_image "$APP:1" && have_image "$APP:2"; }

cmd=${1:-status}
case "$cmd" in
  start)
    # The fast path: everything already in place costs a few client calls.
    if ready; then exit 0; fi
    # Two starts at once (setup and a test's before hook) take turns; the second finds it ready.
    mkdir -p "$RUN_DIR"
    exec 9>"$RUN_DIR/start.lock"
    flock 9
    if ready; then exit 0; fi
    start_daemon
    ensure_images
    ensure_swarm
    log "ready: $HOST ($(swarm_state | awk '{print "swarm " $1}'))"
    ;;
  stop)
    if pid=$(daemon_pid); then
      log "stopping dockerd $pid"
      kill -TERM "$pid"
      for _ in $(seq 1 120); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
      if [ -d "/proc/$pid" ]; then log "dockerd $pid still running after 30 s; sending SIGKILL"; kill -KILL "$pid" || true; fi
    else
      log "not running"
    fi
    # Swarm tasks' containerd shims can outlive a killed dockerd; they belong to engine2's netns only.
    if ip netns list | awk '{print $1}' | grep -qx "$NS"; then
      for p in $(ip netns pids "$NS" 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
    fi
    rm -f "$SOCK" "$PIDFILE"
    ;;
  status)
    if ! answering; then echo "engine2: down ($HOST)"; exit 1; fi
    state=$(swarm_state)
    echo "engine2: up ($HOST), docker $(e2 version --format '{{.Server.Version}}'), swarm ${state% *}, manager ${state#* }"
    [ "$state" = 'active true' ]
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
