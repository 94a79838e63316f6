#!/bin/sh
# azd preprovision hook: give the azd environment a TOOL_API_KEY once (main.parameters.json passes it to the
# Bicep's @secure() toolApiKey). azd keeps it in .azure/<env>/.env; a key you set yourself is kept.
set -eu

if ! key="$(azd env get-value TOOL_API_KEY 2>/dev/null)"; then
  key=""
fi
if [ -n "$key" ]; then
  if [ "${#key}" -lt 32 ]; then
    echo "TOOL_API_KEY in the azd environment has ${#key} characters; use 32 or more (openssl rand -hex 32)" >&2
    exit 1
  fi
  exit 0
fi
if command -v openssl >/dev/null 2>&1; then
  key="$(openssl rand -hex 32)"
else
  key="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
fi
azd env set TOOL_API_KEY "$key"
echo "Generated TOOL_API_KEY for this azd environment (show it: azd env get-value TOOL_API_KEY)."
