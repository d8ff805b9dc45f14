#!/usr/bin/env bash
# A local sshd for the Docker-over-SSH tests, separate from any system ssh service:
#
#   bash test/env/sshd.sh start    bring it up (idempotent; instant when it already answers)
#   bash test/env/sshd.sh stop     stop it (its keys stay: the next start is quick)
#   bash test/env/sshd.sh status   one line; exit 0 when it is up and lets the test key in
#
# It listens on 127.0.0.1:2222 only, key auth only, as root. Everything it uses is its own:
#   /var/lib/opsdeck-sshd/sshd_config, ssh_host_ed25519_key, authorized_keys   the server
#   /var/lib/opsdeck-sshd/client/id_ed25519 (no passphrase), known_hosts, ssh_config   the client
#   /run/opsdeck-sshd/sshd.pid                                                         the pid file
# Logs go to /tmp/opsdeck-sshd.log.
#
# The client config (ssh -F /var/lib/opsdeck-sshd/client/ssh_config) defines two hosts, both with
# strict host key checking against a known_hosts that holds this server's key (the operator's
# known_hosts decides, as in production):
#   opsdeck-test-ssh      the remote `docker` talks to the main engine (/var/run/docker.sock)
#   opsdeck-test-ssh-e2   the same, with DOCKER_HOST=unix:///run/opsdeck-e2/docker.sock sent
#                         through SetEnv/AcceptEnv: engine2 of test/env/engine2.sh
# sshd's limits stay at their defaults (MaxStartups 10:30:100, MaxSessions 10), as on a real host:
# the transport must pace its handshakes under them.
# The session's PATH is pinned to Debian's directories so that `docker system dial-stdio` on the
# "remote" runs /usr/bin/docker (the client matching the daemon), not a stray /usr/local/bin/docker.
# Needs root (it installs openssh-server when missing).
set -euo pipefail

PORT=${OPSDECK_SSHD_PORT:-2222}
STATE=/var/lib/opsdeck-sshd
RUN_DIR=/run/opsdeck-sshd
PIDFILE=$RUN_DIR/sshd.pid
CONFIG=$STATE/sshd_config
HOST_KEY=$STATE/ssh_host_ed25519_key
AUTH_KEYS=$STATE/authorized_keys
CLIENT=$STATE/client
CLIENT_KEY=$CLIENT/id_ed25519
KNOWN_HOSTS=$CLIENT/known_hosts
CLIENT_CONFIG=$CLIENT/ssh_config
LOG=/tmp/opsdeck-sshd.log
SSHD=/usr/sbin/sshd
E2_HOST=unix:///run/opsdeck-e2/docker.sock

log() { printf '[sshd] %s\n' "$*" >&2; printf '%s [sshd] %s\n' "$(date -u +%FT%TZ)" "$*" >>"$LOG"; }

need_root() { [ "$(id -u)" = 0 ] || { log "needs root"; exit 1; }; }

install_sshd() {
  [ -x "$SSHD" ] && command -v ssh-keygen >/dev/null && command -v ssh >/dev/null && return 0
  need_root
  log "installing openssh-server"
  export DEBIAN_FRONTEND=noninteractive
  # The package's postinst would start the system's sshd on port 22: not wanted here. A
  # policy-rc.d that says "no" stops that; one the machine already has is left as it is.
  local policy=/usr/sbin/policy-rc.d ours=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; ours=1; fi
  local rc=0
  { apt-get install -y -qq openssh-server openssh-client >>"$LOG" 2>&1 \
    || { apt-get update -qq >>"$LOG" 2>&1 && apt-get install -y -qq openssh-server openssh-client >>"$LOG" 2>&1; }; } || rc=$?
  [ "$ours" = 1 ] && rm -f "$policy"
  [ "$rc" = 0 ] || { log "apt-get install openssh-server failed; see $LOG"; tail -5 "$LOG" >&2; exit 1; }
}

daemon_pid() {
  [ -s "$PIDFILE" ] || return 1
  local pid; pid=$(cat "$PIDFILE")
  [ -d "/proc/$pid" ] && grep -q sshd "/proc/$pid/comm" 2>/dev/null && { echo "$pid"; return 0; }
  return 1
}

# The real check: the test key gets in and the remote side finds Debian's docker client.
answering() {
  ssh -F "$CLIENT_CONFIG" -o ConnectTimeout=3 opsdeck-test-ssh -- test -x /usr/bin/docker >/dev/null 2>&1
}

write_file() { # path mode content: rewrites only when the content changed; says whether it did
  local path=$1 mode=$2 content=$3
  if [ -f "$path" ] && [ "$(cat "$path")" = "$content" ]; then return 1; fi
  printf '%s\n' "$content" >"$path.tmp"
  chmod "$mode" "$path.tmp"
  mv -f "$path.tmp" "$path"
  return 0
}

# Keys and configs; sets CHANGED=1 when the server's config changed (a running sshd must reload).
CHANGED=0
ensure_files() {
  mkdir -p "$STATE" "$CLIENT" "$RUN_DIR" /run/sshd
  chmod 755 "$STATE" "$CLIENT" /run/sshd
  [ -s "$HOST_KEY" ] || { log "making the host key"; rm -f "$HOST_KEY" "$HOST_KEY.pub"; ssh-keygen -q -t ed25519 -N '' -C opsdeck-test-sshd -f "$HOST_KEY"; }
  [ -s "$CLIENT_KEY" ] || { log "making the client key"; rm -f "$CLIENT_KEY" "$CLIENT_KEY.pub"; ssh-keygen -q -t ed25519 -N '' -C opsdeck-test-client -f "$CLIENT_KEY"; }
  chmod 600 "$HOST_KEY" "$CLIENT_KEY"
  write_file "$AUTH_KEYS" 600 "$(cat "$CLIENT_KEY.pub")" || true
  local hostpub; hostpub=$(awk '{print $1" "$2}' "$HOST_KEY.pub")
  write_file "$KNOWN_HOSTS" 644 "[127.0.0.1]:$PORT $hostpub
[localhost]:$PORT $hostpub" || true
  write_file "$CLIENT_CONFIG" 644 "# Client side of test/env/sshd.sh: ssh -F $CLIENT_CONFIG opsdeck-test-ssh
Host opsdeck-test-ssh opsdeck-test-ssh-e2
  HostName 127.0.0.1
  Port $PORT
  User root
  IdentityFile $CLIENT_KEY
  IdentitiesOnly yes
  UserKnownHostsFile $KNOWN_HOSTS
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
Host opsdeck-test-ssh-e2
  SetEnv DOCKER_HOST=$E2_HOST" || true
  # UsePAM no: Debian's PAM stack for sshd (loginuid, motd …) is not needed for a key-only test
  # login and can fail in containers. Root's password field must then not be locked ('!'), which
  # it is not on Debian images ('*').
  write_file "$CONFIG" 600 "# test/env/sshd.sh: a test-only sshd, not the system's
Port $PORT
ListenAddress 127.0.0.1
HostKey $HOST_KEY
PidFile $PIDFILE
AuthorizedKeysFile $AUTH_KEYS
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes yes
PermitUserEnvironment no
AcceptEnv DOCKER_HOST
SetEnv PATH=/usr/sbin:/usr/bin:/sbin:/bin
X11Forwarding no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE" && CHANGED=1
  return 0
}

check_config() {
  "$SSHD" -t -f "$CONFIG" 2>>"$LOG" || { log "sshd rejects $CONFIG; see $LOG"; tail -5 "$LOG" >&2; exit 1; }
}

start() {
  install_sshd
  need_root
  ensure_files
  local pid
  if pid=$(daemon_pid); then
    # The fast path: up, with the current files, letting the test key in.
    if [ "$CHANGED" = 0 ] && answering; then return 0; fi
    check_config
    log "reloading sshd $pid"
    kill -HUP "$pid"
    sleep 0.3
  else
    check_config
    log "starting sshd on 127.0.0.1:$PORT"
    # sshd daemonizes itself (and writes the pid file); -E sends its log to our file.
    "$SSHD" -f "$CONFIG" -E "$LOG" </dev/null
  fi
  for _ in $(seq 1 40); do
    answering && { log "ready: ssh -F $CLIENT_CONFIG opsdeck-test-ssh"; return 0; }
    sleep 0.25
  done
  log "sshd on 127.0.0.1:$PORT does not let the test key in; see $LOG"
  ssh -F "$CLIENT_CONFIG" -o ConnectTimeout=3 opsdeck-test-ssh -- true 2>&1 | tail -3 >&2 || true
  tail -10 "$LOG" >&2
  exit 1
}

cmd=${1:-status}
case "$cmd" in
  start) start ;;
  stop)
    if pid=$(daemon_pid); then
      log "stopping sshd $pid"
      # The listener only: sessions in flight end on their own when their client goes.
      kill -TERM "$pid"
      for _ in $(seq 1 40); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
    else
      log "not running"
    fi
    rm -f "$PIDFILE"
    ;;
  status)
    if pid=$(daemon_pid) && answering; then
      echo "sshd: up (127.0.0.1:$PORT, pid $pid), client config $CLIENT_CONFIG"
    else
      echo "sshd: down (127.0.0.1:$PORT)"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
