#!/usr/bin/env bash
# The whole test suite, as CI runs it (`npm test`): builds, makes the test environment when needed
# (Docker engine, local images — see test/env/setup.sh), brings up the demo stack under a project
# of its own, runs unit, integration and end-to-end tests, and takes down only what it created.
# Nothing that needs Docker skips: without an engine this fails.
set -euo pipefail
cd "$(dirname "$0")/.."

export OPSDECK_DEMO_PROJECT=${OPSDECK_DEMO_PROJECT:-opsdeck-test}
export OPSDECK_DEMO_PORT=${OPSDECK_DEMO_PORT:-18081}
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
# Tests must not read a developer's own config or state.
export OPSDECK_STATE_DIR=$(mktemp -d /tmp/opsdeck-test-state.XXXXXX)
unset OPSDECK_CONFIG
export XDG_CONFIG_HOME=$OPSDECK_STATE_DIR/xdg-config
export XDG_DATA_HOME=$OPSDECK_STATE_DIR/xdg-data   # default backup directory

echo "== build"
npm run build --silent

echo "== unit tests"
node --test --test-reporter=spec dist/test/unit/

echo "== test environment"
bash test/env/setup.sh
maint=$(mktemp -d /tmp/opsdeck-test-maint.XXXXXX)
chmod 755 "$maint"
export OPSDECK_DEMO_MAINT_DIR=$maint
cleanup() {
  bash test/demo/down.sh >/dev/null 2>&1 || true
  rm -rf "$maint" "$OPSDECK_STATE_DIR"
}
trap cleanup EXIT
bash test/demo/up.sh

echo "== integration and end-to-end tests (real engine, real terminal)"
node --test --test-reporter=spec --test-concurrency=1 dist/test/integration/ dist/test/e2e/
