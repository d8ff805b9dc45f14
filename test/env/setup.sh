#!/usr/bin/env bash
# Makes the test environment on this machine, idempotently:
#   1. a running Docker engine (Debian's docker.io; a running one is left alone),
#   2. the local images the demo stack and tests use (no registry is reachable here),
#      each built once and reused when it already exists,
#   3. a second engine (engine2.sh: own socket, data root, network namespace, Swarm manager) and a
#      local sshd (sshd.sh) for the endpoint and Swarm tests.
# Safe to run again and again; repeated runs cost seconds.
set -euo pipefail

log() { printf '[env] %s\n' "$*" >&2; }
here=$(cd "$(dirname "$0")" && pwd)
export DEBIAN_FRONTEND=noninteractive

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then log "need root to install ${missing[*]}"; exit 1; fi
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
}

apt_install docker.io docker-compose debootstrap busybox-static tmux iproute2

# Debian's client, not a stray one on PATH: it matches the daemon we start.
DOCKER=/usr/bin/docker
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}

if ! $DOCKER version >/dev/null 2>&1; then
  log "starting dockerd"
  setsid /usr/sbin/dockerd >/tmp/opsdeck-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    $DOCKER version >/dev/null 2>&1 && break
    sleep 0.5
  done
  $DOCKER version >/dev/null 2>&1 || { log "dockerd did not come up; see /tmp/opsdeck-dockerd.log"; tail -20 /tmp/opsdeck-dockerd.log >&2; exit 1; }
fi
log "docker engine $($DOCKER version --format '{{.Server.Version}}')"

have_image() { $DOCKER image inspect "$1" >/dev/null 2>&1; }

# --- busybox: seconds, from Debian's busybox-static -------------------------------------------
if ! have_image busybox:1.36; then
  log "building busybox:1.36"
  d=$(mktemp -d)
  mkdir -p "$d/bin" "$d/tmp" "$d/etc" "$d/www" "$d/data"
  cp /bin/busybox "$d/bin/busybox"
  for a in $("$d/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$d/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$d/etc/passwd"
  echo 'root:x:0:' > "$d/etc/group"
  chmod 1777 "$d/tmp"
  tar -C "$d" -c . | $DOCKER import -c 'ENV PATH=/bin' -c 'CMD ["sh"]' -c 'LABEL opsdeck.test=1' - busybox:1.36 >/dev/null
  rm -rf "$d"
fi

# --- Debian with real servers: about a minute, once ---------------------------------------------
if ! have_image opsdeck-test/debian:bookworm; then
  log "building opsdeck-test/debian:bookworm with debootstrap (about a minute)"
  d=$(mktemp -d /var/tmp/opsdeck-rootfs.XXXXXX)
  debootstrap --variant=minbase \
    --include=postgresql-15,redis-server,sqlite3,nginx-light,busybox,openssl,procps,util-linux \
    bookworm "$d" >/tmp/opsdeck-debootstrap.log 2>&1 || { tail -30 /tmp/opsdeck-debootstrap.log >&2; exit 1; }
  # Slim it down and make it behave like the official images.
  rm -rf "$d/var/lib/postgresql/15/main" "$d/etc/postgresql/15/main" "$d/var/cache/apt/archives"/*.deb \
         "$d/var/lib/apt/lists"/* "$d/usr/share/doc" "$d/usr/share/man" "$d/usr/share/locale"
  rm -f "$d/etc/nginx/sites-enabled/default"
  ln -sf /dev/stdout "$d/var/log/nginx/access.log"
  ln -sf /dev/stderr "$d/var/log/nginx/error.log"
  install -m 0755 "$here/postgres-entrypoint.sh" "$d/usr/local/bin/docker-entrypoint.sh"
  mkdir -p "$d/docker-entrypoint-initdb.d" "$d/data"
  tar -C "$d" -c . | $DOCKER import \
    -c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'LABEL opsdeck.test=1' - opsdeck-test/debian:bookworm >/dev/null
  rm -rf "$d"
fi

# The names users' compose files use, each a thin layer over the Debian image.
build_from_debian() { # tag, Dockerfile body
  have_image "$1" && return 0
  log "building $1"
  local d; d=$(mktemp -d)
  printf 'FROM opsdeck-test/debian:bookworm\nLABEL opsdeck.test=1\n%s\n' "$2" > "$d/Dockerfile"
  DOCKER_BUILDKIT=0 $DOCKER build -q -t "$1" "$d" >/dev/null
  rm -rf "$d"
}
build_from_debian postgres:15 'ENV PGDATA=/var/lib/postgresql/data
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]'
build_from_debian redis:7 'WORKDIR /data
VOLUME /data
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no"]'
build_from_debian nginx:1 'EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]'

log "images ready"

# --- several endpoints (issue: beyond one host) --------------------------------------------------
# A second real engine in its own network namespace, a Swarm manager with the test service image,
# and a local sshd (key auth, loopback) in front of both: see each script's header.
bash "$here/engine2.sh" start
bash "$here/sshd.sh" start
log "engine2 and sshd ready"
