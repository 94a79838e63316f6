#!/bin/sh
# azd postprovision hook: write what the notebook reads into .env, updating those keys in place and keeping
# every other line. azd runs it from the project root with the Bicep outputs and TOOL_API_KEY exported.
set -eu
. ./infra/hooks/_python.sh postprovision
: "${TOOL_BASE_URL:?is not set: the Bicep outputs are missing, run azd provision}"
: "${FUNC_APP_NAME:?is not set: run azd provision}"
: "${AZURE_RESOURCE_GROUP:?is not set: run azd provision}"
: "${TOOL_API_KEY:?is not set: the preprovision hook generates it}"

# FUNC_KEY is the app's own key (TOOL_API_KEY), not a Functions host key. Values go through the environment,
# never the command line.
RG="$AZURE_RESOURCE_GROUP" FUNC_KEY="$TOOL_API_KEY" \
  "$PYTHON" -m rftkit set-env --file "$ENV_FILE" TOOL_BASE_URL FUNC_APP_NAME RG FUNC_KEY
