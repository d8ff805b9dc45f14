#!/usr/bin/env bash
# Makes docs/overview.png, the README's picture of the Overview, from a real terminal capture:
#   1. runs the cockpit in a detached tmux session of 120×36 against the demo stack,
#   2. waits until the containers show CPU figures and sparklines, captures the pane with colours,
#   3. converts the capture to SVG (scripts/ansi-to-svg.mjs) and rasterises it with rsvg-convert.
# Idempotent: installs librsvg2-bin / fonts-dejavu-core / tmux only when missing, builds only when
# dist/opsdeck.mjs is missing, and `test/demo/up.sh` leaves a running demo stack alone.
#   OPSDECK_SHOT_OUT      output PNG (default docs/overview.png)
#   OPSDECK_SHOT_SETTLE   seconds to wait at least after the first full screen (default 8)
#   OPSDECK_SHOT_FILL     at most this many seconds more for the CPU sparklines to span their column
#                         (they grow one cell per two samples; default 60, 0 = do not wait)
#   OPSDECK_SHOT_NO_DEMO  1: do not run test/demo/up.sh (use whatever the engine runs)
#   OPSDECK_SHOT_KEEP     1: keep the work directory (capture.ansi, overview.svg, stderr.log)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

cols=120 rows=36
out=${OPSDECK_SHOT_OUT:-docs/overview.png}
settle=${OPSDECK_SHOT_SETTLE:-8}
fill=${OPSDECK_SHOT_FILL:-60}
session="opsdeck-shot-$$"
log() { printf '[screenshot] %s\n' "$*" >&2; }

# ---- tools (apt only for what is missing)
need_pkgs=()
command -v tmux >/dev/null 2>&1 || need_pkgs+=(tmux)
command -v rsvg-convert >/dev/null 2>&1 || need_pkgs+=(librsvg2-bin)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need_pkgs+=(fonts-dejavu-core)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { log "need root to install ${need_pkgs[*]} (or install them yourself)"; exit 1; }
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  }
fi

work=$(mktemp -d /tmp/opsdeck-shot.XXXXXX)
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  if [ "${OPSDECK_SHOT_KEEP:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- the cockpit and something for it to show
if [ ! -f dist/opsdeck.mjs ]; then
  log "building (dist/opsdeck.mjs is missing)"
  npm run build --silent
fi
if [ "${OPSDECK_SHOT_NO_DEMO:-0}" != 1 ]; then
  bash test/demo/up.sh >"$work/demo-up.log" 2>&1 || { cat "$work/demo-up.log" >&2; log "test/demo/up.sh failed"; exit 1; }
fi
others=$(/usr/bin/docker ps -a --format '{{.Label "com.docker.compose.project"}}' 2>/dev/null | sort -u | grep -vx -e '' -e opsdeck-demo || true)
[ -z "$others" ] || log "note: containers of other projects will be in the picture too: $(echo $others)"

# ---- the capture
# A clean slate: fresh state, no personal config, colours on. stderr goes to a file so a stray
# runtime warning cannot scribble over the screen.
mkdir -p "$work/state" "$work/xdg-config"
printf -v launch 'cd %q && exec env -u OPSDECK_CONFIG -u NO_COLOR -u FORCE_COLOR -u COLORTERM XDG_CONFIG_HOME=%q OPSDECK_STATE_DIR=%q node bin/opsdeck.js --state-dir %q 2>%q' \
  "$root" "$work/xdg-config" "$work/state" "$work/state" "$work/stderr.log"
tmux -u new-session -d -s "$session" -x "$cols" -y "$rows" "$launch"
tmux set-option -t "$session" window-size manual >/dev/null
tmux set-option -t "$session" status off >/dev/null
tmux resize-window -t "$session" -x "$cols" -y "$rows" >/dev/null 2>&1 || true

screen() { tmux capture-pane -p -t "$session" 2>/dev/null; }
ready() { # demo containers listed, with CPU percentages and braille sparklines
  local s; s=$(screen) || return 1
  grep -Eq 'opsdeck-demo[_-]db[_-]1' <<<"$s" &&
    grep -Eq 'opsdeck-demo[_-]app[_-]1 .* [0-9]+\.[0-9]%' <<<"$s" &&
    LC_ALL=C grep -q $'\xe2[\xa0-\xa3]' <<<"$s" # braille, U+2800–28FF
}
deadline=$((SECONDS + 20))
until ready; do
  if [ $SECONDS -ge $deadline ] || ! tmux has-session -t "$session" 2>/dev/null; then
    log "the Overview did not show the demo containers with CPU and sparklines within 20 s; screen:"
    screen >&2 || true
    [ -s "$work/stderr.log" ] && { log "stderr:"; cat "$work/stderr.log" >&2; }
    exit 1
  fi
  sleep 0.5
done
log "overview is up; waiting ${settle}s, then up to ${fill}s more for the sparklines to fill"
sleep "$settle"
# Full when the app's sparkline has stopped growing for 10 s (it grows a cell every ~4 s).
spark_cells() { screen | grep -E 'opsdeck-demo[_-]app[_-]1 ' | LC_ALL=C grep -o $'\xe2[\xa0-\xa3]' | wc -l; }
last=$(spark_cells) changed=$SECONDS deadline=$((SECONDS + fill))
while [ $SECONDS -lt $deadline ] && [ $((SECONDS - changed)) -lt 10 ]; do
  sleep 1
  n=$(spark_cells)
  [ "$n" = "$last" ] || { last=$n changed=$SECONDS; }
done
log "sparklines: $last cells"
tmux capture-pane -e -p -t "$session" >"$work/capture.ansi"
tmux send-keys -t "$session" q
for _ in $(seq 1 20); do tmux has-session -t "$session" 2>/dev/null || break; sleep 0.1; done
tmux kill-session -t "$session" 2>/dev/null || true
# Ink shows the cursor again on stderr when it exits; anything beyond escape sequences is worth a look.
if [ -n "$(sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$work/stderr.log" | tr -d '[:space:]')" ]; then
  log "the cockpit wrote to stderr:"; sed 's/^/  /' "$work/stderr.log" >&2
fi

# ---- capture -> SVG -> PNG
mkdir -p "$(dirname "$out")"
node scripts/ansi-to-svg.mjs --cols "$cols" --rows "$rows" --title "opsdeck — ${cols}×${rows}" \
  -o "$work/overview.svg" "$work/capture.ansi"
rsvg-convert --format png -o "$out.tmp" "$work/overview.svg"
mv "$out.tmp" "$out"
size=$(node -e 'const b=require("fs").readFileSync(process.argv[1]);console.log(b.readUInt32BE(16)+"x"+b.readUInt32BE(20))' "$out")
log "wrote $out ($size px, $(stat -c %s "$out") bytes)"
