<# smtp.ps1: SMTP virtual servers, which live in the IIS 6 metabase, through ADSI (docs/spec/seed-iis.md section 14.6, SMTP row). #>

# MD_SERVER_STATE: 1 starting, 2 started, 3 stopping, 4 stopped (5-7 pausing/paused/continuing read as Unknown: not serving, not stopped).
$WinhaSmtpStates = @{ 1 = 'Starting'; 2 = 'Started'; 3 = 'Stopping'; 4 = 'Stopped' }

# The IIsSmtpServer children of IIS://localhost/SMTPSVC; available is $false without IIS 6 Metabase Compatibility or SMTP.
function Get-WinhaSmtpSites {
  try {
    $root = [ADSI]'IIS://localhost/SMTPSVC'
    $children = @($root.psbase.Children | Where-Object { $_.psbase.SchemaClassName -eq 'IIsSmtpServer' })
  } catch {
    return @{ available = $false; message = [string]$_.Exception.Message; servers = @() }
  }
  $servers = @()
  foreach ($s in $children) {
    try {
      $servers += ConvertTo-WinhaSmtpSite $s
    } catch {
      $servers += @{ name = [string]$s.psbase.Name; error = [string]$_.Exception.Message }
    }
  }
  return @{ available = $true; servers = $servers }
}

# An IIsSmtpServer as SiteInfo JSON: ServerComment is the name IIS 6 Manager shows, ServerBindings are IP:Port:Host.
function ConvertTo-WinhaSmtpSite($s) {
  $props = $s.psbase.Properties
  $code = [int]$props['ServerState'].Value
  $state = 'Unknown'
  if ($WinhaSmtpStates.ContainsKey($code)) { $state = $WinhaSmtpStates[$code] }
  $bindings = @()
  foreach ($b in @($props['ServerBindings'].Value)) {
    if ($b) { $bindings += @{ protocol = 'smtp'; bindingInformation = [string]$b; certificateHash = '' } }
  }
  return @{
    id = [int]$s.psbase.Name
    name = [string]$props['ServerComment'].Value
    state = $state
    ftpState = $null
    bindings = $bindings
    physicalPath = ''
    applicationPool = ''
    serverAutoStart = [bool]$props['ServerAutoStart'].Value
  }
}

# The IIsSmtpServer whose ServerComment is the name (case-insensitive, as IIS site names), or a refusal outcome.
function Find-WinhaSmtpServer($name) {
  try {
    $root = [ADSI]'IIS://localhost/SMTPSVC'
    $all = @($root.psbase.Children | Where-Object { $_.psbase.SchemaClassName -eq 'IIsSmtpServer' })
  } catch {
    # Without SMTPSVC no virtual server can run, so "not found" is safe; with it, an unreadable metabase is not an answer.
    if ($null -eq (Get-Service -Name 'SMTPSVC' -ErrorAction SilentlyContinue)) { return @{ outcome = 'notFound' } }
    return @{ outcome = 'unavailable'; message = [string]$_.Exception.Message }
  }
  foreach ($s in $all) {
    if ([string]$s.psbase.Properties['ServerComment'].Value -eq [string]$name) { return @{ outcome = 'found'; server = $s } }
  }
  return @{ outcome = 'notFound' }
}

$WinhaOps['smtp.list'] = {
  param($p)
  return Get-WinhaSmtpSites
}

# Kit restore steps 2-6 for an SMTP virtual server: SMTPSVC Running? addresses present? start, read the state once.
$WinhaOps['smtp.start'] = {
  param($p)
  $found = Find-WinhaSmtpServer $p.name
  if ($found.outcome -ne 'found') { return $found }
  $refused = Test-WinhaStartable $p.service $p.addresses
  if ($null -ne $refused) { return $refused }
  $null = $found.server.psbase.Invoke('Start')
  $found.server.psbase.RefreshCache()
  return @{ outcome = 'ran'; site = (ConvertTo-WinhaSmtpSite $found.server) }
}

# Kit remove steps 3-4: stop the virtual server (never SMTPSVC), then up to 10 checks of ServerState (9556).
$WinhaOps['smtp.stop'] = {
  param($p)
  $found = Find-WinhaSmtpServer $p.name
  if ($found.outcome -ne 'found') { return $found }
  $null = $found.server.psbase.Invoke('Stop')
  $info = $null
  for ($check = 1; $check -le 10; $check++) {
    $found.server.psbase.RefreshCache()
    $info = ConvertTo-WinhaSmtpSite $found.server
    if ($info.state -eq 'Stopped') { break }
    Start-Sleep -Milliseconds ([int]$p.checkIntervalMs)
  }
  return @{ outcome = 'checked'; site = $info }
}

# ServerAutoStart of the virtual server, so a standby's SMTPSVC restart cannot start a second copy (section 14.5).
$WinhaOps['smtp.autostart'] = {
  param($p)
  $found = Find-WinhaSmtpServer $p.name
  if ($found.outcome -ne 'found') { return $found }
  $found.server.psbase.Properties['ServerAutoStart'].Value = [bool]$p.value
  $found.server.psbase.CommitChanges()
  $found.server.psbase.RefreshCache()
  return @{ outcome = 'set'; site = (ConvertTo-WinhaSmtpSite $found.server) }
}
