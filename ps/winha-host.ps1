#Requires -Version 5.1
<#
  winha-host.ps1: the WinHA agent's long-lived PowerShell host.

  Started once by the agent as
    %SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe -NoProfile -NonInteractive -OutputFormat Text -File winha-host.ps1
  it loads its modules once, then reads one JSON request per line on standard input and answers each with one
  JSON line on standard output:
    request   {"id":7,"op":"site.list","params":{}}
    answer    {"id":7,"ok":true,"value":...}   or   {"id":7,"ok":false,"error":{"type":...,"message":...,"id":...}}
  The first line it prints is the hello (id 0). Parameters are data ($p); no value is ever turned into script text.
  Output is ASCII only (every other character escaped as \uXXXX), so the console code page cannot mangle it.
  It exits when standard input closes (the agent is gone).
#>
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'

function Write-WinhaLine([string]$Json) {
  $ascii = [regex]::Replace($Json, '[^\x00-\x7e]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
  [Console]::Out.WriteLine($ascii)
  [Console]::Out.Flush()
}

function ConvertTo-WinhaFailure($ErrorRecord) {
  return @{
    type = $ErrorRecord.Exception.GetType().FullName
    message = [string]$ErrorRecord.Exception.Message
    id = [string]$ErrorRecord.FullyQualifiedErrorId
  }
}

$WinhaOps = @{}
$WinhaModules = @{}
$WinhaServed = 0
$WinhaStarted = [DateTime]::UtcNow

try {
  [Console]::InputEncoding = New-Object System.Text.UTF8Encoding $false
  [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false
  foreach ($module in @('IISAdministration', 'WebAdministration', 'NetTCPIP', 'NetAdapter')) {
    try {
      Import-Module -Name $module -ErrorAction Stop
      $WinhaModules[$module] = $true
    } catch {
      $WinhaModules[$module] = $false
    }
  }
  foreach ($file in @('common.ps1', 'service.ps1', 'iis.ps1', 'net.ps1', 'probe.ps1', 'smtp.ps1', 'doctor.ps1')) {
    $path = Join-Path (Join-Path $PSScriptRoot 'lib') $file
    if (Test-Path -LiteralPath $path) { . $path }
  }
  $WinhaOps['host.ping'] = {
    param($p)
    return @{ pid = $PID; served = $WinhaServed; uptimeSeconds = [int]([DateTime]::UtcNow - $WinhaStarted).TotalSeconds }
  }
  $hello = @{
    hello = 'winha-host'
    protocol = 1
    pid = $PID
    psVersion = [string]$PSVersionTable.PSVersion
    is64Bit = [Environment]::Is64BitProcess
    modules = $WinhaModules
    ops = @($WinhaOps.Keys | Sort-Object)
  }
  Write-WinhaLine (@{ id = 0; ok = $true; value = $hello } | ConvertTo-Json -Compress -Depth 6)
} catch {
  Write-WinhaLine (@{ id = 0; ok = $false; error = (ConvertTo-WinhaFailure $_) } | ConvertTo-Json -Compress -Depth 4)
  exit 3
}

while ($true) {
  $line = [Console]::In.ReadLine()
  if ($null -eq $line) { break }
  if ($line.Trim().Length -eq 0) { continue }
  $id = $null
  try {
    $req = ConvertFrom-Json -InputObject $line
    $id = $req.id
    $handler = $WinhaOps[[string]$req.op]
    if ($null -eq $handler) { throw (New-Object System.NotSupportedException ('unknown operation ' + [string]$req.op)) }
    $value = & $handler $req.params
    $out = @{ id = $id; ok = $true; value = $value } | ConvertTo-Json -Compress -Depth 10
  } catch {
    $out = @{ id = $id; ok = $false; error = (ConvertTo-WinhaFailure $_) } | ConvertTo-Json -Compress -Depth 4
  }
  $WinhaServed++
  Write-WinhaLine $out
}
