# azd postprovision hook (Windows twin of postprovision.sh): write what the notebook reads into .env in place.
$ErrorActionPreference = 'Stop'
. ./infra/hooks/_python.ps1 -Hook postprovision -Required TOOL_BASE_URL, FUNC_APP_NAME, AZURE_RESOURCE_GROUP, TOOL_API_KEY
# FUNC_KEY is the app's own key (TOOL_API_KEY), not a Functions host key; values go through the environment.
$env:RG = $env:AZURE_RESOURCE_GROUP
$env:FUNC_KEY = $env:TOOL_API_KEY
& $Python -m rftkit set-env --file $EnvFile TOOL_BASE_URL FUNC_APP_NAME RG FUNC_KEY
exit $LASTEXITCODE
