# Dot-sourced by the Windows hooks: the Python with rftkit's requirements, the .env to write, required values.
param([string]$Hook, [string[]]$Required)
$script:Python = if ($env:PYTHON) { $env:PYTHON } elseif (Test-Path .venv/Scripts/python.exe) { '.venv/Scripts/python.exe' } else { 'python' }
& $script:Python -c 'import rftkit, dotenv, httpx' 2>$null
if ($LASTEXITCODE -ne 0) {
    Write-Error "$($script:Python) cannot import rftkit: create the venv first (README, Quick start), then rerun: azd hooks run $Hook"
    exit 1
}
foreach ($name in $Required) {
    if (-not [Environment]::GetEnvironmentVariable($name)) { Write-Error "$name is not set: run azd provision"; exit 1 }
}
$script:EnvFile = if ($env:RFTKIT_ENV_FILE) { $env:RFTKIT_ENV_FILE } else { '.env' }
