#!/usr/bin/env bash
# Stops and removes the demo stack of one compose project (default opsdeck-demo):
# its containers, network and named volumes. Other projects and images are left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=${OPSDECK_DEMO_PROJECT:-opsdeck-demo}
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
/usr/bin/docker-compose -p "$project" -f "$here/docker-compose.yml" down -v --remove-orphans --timeout 10
