# doctor.facts: what `winha doctor` needs to know about this node, read-only.
# Dot-sourced by the PowerShell host (ps/winha-host.ps1), which passes $p parsed from JSON
# ({ features: [...], services: [...] }) and converts the returned hashtable to JSON.
# Values from $p are only ever used as cmdlet arguments, never as script text.

$WinhaOps['doctor.facts'] = {
  param($p)

  $features = @{}
  if (Get-Command -Name Get-WindowsFeature -ErrorAction SilentlyContinue) {
    foreach ($name in @($p.features)) {
      $f = Get-WindowsFeature -Name ([string]$name) -ErrorAction SilentlyContinue
      if ($f) { $features[[string]$name] = [bool]$f.Installed }
    }
  }

  $modules = @{
    IISAdministration = [bool](Get-Module -ListAvailable -Name IISAdministration)
    WebAdministration = [bool](Get-Module -ListAvailable -Name WebAdministration)
  }

  $services = @{}
  foreach ($name in @($p.services)) {
    $s = Get-Service -Name ([string]$name) -ErrorAction SilentlyContinue
    if ($s) {
      $services[[string]$name] = @{ state = [string]$s.Status; startType = [string]$s.StartType }
    } else {
      $services[[string]$name] = $null
    }
  }

  # DataKeeper's installer sets ExtMirrBase machine-wide; a shell started before the install does not see it.
  $base = [Environment]::GetEnvironmentVariable('ExtMirrBase', 'Machine')
  if (-not $base) { $base = '' }
  $emcmd = ''
  if ($base -ne '') { $emcmd = Join-Path -Path $base -ChildPath 'emcmd.exe' }
  $datakeeper = @{
    extMirrBase = [string]$base
    emcmdPath = [string]$emcmd
    emcmdPresent = [bool](($emcmd -ne '') -and (Test-Path -LiteralPath $emcmd -PathType Leaf))
  }

  $interfaces = @(Get-NetAdapter -ErrorAction SilentlyContinue | ForEach-Object {
    @{ alias = [string]$_.Name; status = [string]$_.Status }
  })

  $profiles = @(Get-NetFirewallProfile -ErrorAction SilentlyContinue | ForEach-Object {
    @{ name = [string]$_.Name; enabled = [bool]($_.Enabled -eq 'True' -or $_.Enabled -eq $true) }
  })
  $inbound = @(Get-NetFirewallRule -Enabled True -Direction Inbound -Action Allow -ErrorAction SilentlyContinue)
  $rules = @()
  foreach ($rule in $inbound) {
    $filter = $rule | Get-NetFirewallPortFilter -ErrorAction SilentlyContinue
    if (-not $filter) { continue }
    if ([string]$filter.Protocol -notin @('TCP', 'UDP', 'Any')) { continue }
    $rules += @{
      name = [string]$rule.DisplayName
      protocol = [string]$filter.Protocol
      localPorts = @($filter.LocalPort | ForEach-Object { [string]$_ })
    }
  }

  return @{
    psVersion = [string]$PSVersionTable.PSVersion
    features = $features
    modules = $modules
    services = $services
    datakeeper = $datakeeper
    interfaces = $interfaces
    firewall = @{ profiles = $profiles; inboundAllow = $rules }
  }
}
