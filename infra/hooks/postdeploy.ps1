# azd postdeploy hook (Windows twin of postdeploy.sh): smoke-test the deployed tool and grader endpoints.
$ErrorActionPreference = 'Stop'
. ./infra/hooks/_python.ps1 -Hook postdeploy -Required TOOL_BASE_URL, TOOL_API_KEY
$env:FUNC_KEY = $env:TOOL_API_KEY
$wait = if ($env:SMOKE_WAIT_SECONDS) { $env:SMOKE_WAIT_SECONDS } else { '300' }
& $Python -m rftkit smoke --env-file $EnvFile --base-url $env:TOOL_BASE_URL --wait $wait
exit $LASTEXITCODE
