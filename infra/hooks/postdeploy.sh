#!/bin/sh
# azd postdeploy hook: POST the service's tool wrapper and grader request to the deployed app, retrying while
# it starts (and while its role assignments propagate), and fail the deployment if it never answers right.
set -eu
. ./infra/hooks/_python.sh postdeploy
: "${TOOL_BASE_URL:?is not set: run azd provision}"
: "${TOOL_API_KEY:?is not set: the preprovision hook generates it}"

FUNC_KEY="$TOOL_API_KEY" "$PYTHON" -m rftkit smoke --env-file "$ENV_FILE" --base-url "$TOOL_BASE_URL" \
  --wait "${SMOKE_WAIT_SECONDS:-300}"
