# azd preprovision hook (Windows twin of preprovision.sh): give the azd environment a TOOL_API_KEY once.
$ErrorActionPreference = 'Stop'
$key = azd env get-value TOOL_API_KEY 2>$null
if ($LASTEXITCODE -ne 0) { $key = '' }
if ($key) {
    if ($key.Length -lt 32) {
        Write-Error "TOOL_API_KEY in the azd environment has $($key.Length) characters; use 32 or more"
        exit 1
    }
    exit 0
}
$bytes = [byte[]]::new(32)
[System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
$key = -join ($bytes | ForEach-Object { $_.ToString('x2') })
azd env set TOOL_API_KEY $key
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
Write-Host 'Generated TOOL_API_KEY for this azd environment (show it: azd env get-value TOOL_API_KEY).'
