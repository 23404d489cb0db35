<# common.ps1: conversions shared by the WinHA host's operations (dot-sourced by winha-host.ps1). #>

# A fresh ServerManager per request: the IISAdministration cache would show a long-lived host stale configuration.
function Get-WinhaServerManager {
  return New-Object Microsoft.Web.Administration.ServerManager
}

# ftpServer.state (Starting=0 Started=1 Stopping=2 Stopped=3 Unknown=4) as the driver's SiteState names.
$WinhaFtpStates = @('Starting', 'Started', 'Stopping', 'Stopped', 'Unknown')

# The FTP state from the ftpServer element: no WebAdministration provider, and FTPSVC stopped reads Unknown, not a failed listing.
function Get-WinhaFtpState($site) {
  try {
    $v = $site.GetChildElement('ftpServer').GetAttributeValue('state')
    if ($v -is [string]) { if ($WinhaFtpStates -contains $v) { return $v } else { return 'Unknown' } }
    $i = [int]$v
    if ($i -ge 0 -and $i -lt $WinhaFtpStates.Count) { return $WinhaFtpStates[$i] }
    return 'Unknown'
  } catch {
    return 'Unknown'
  }
}

function Test-WinhaFtpSite($site) {
  return @($site.Bindings | Where-Object { $_.Protocol -eq 'ftp' }).Count -gt 0
}

function Test-WinhaWebSite($site) {
  return @($site.Bindings | Where-Object { $_.Protocol -eq 'http' -or $_.Protocol -eq 'https' }).Count -gt 0
}

# The ftpServer.security.ssl certificate of an FTPS site ('' when SSL is not required): reported on its ftp bindings.
function Get-WinhaFtpsHash($site) {
  try {
    $ssl = $site.GetChildElement('ftpServer').GetChildElement('security').GetChildElement('ssl')
    if ([string]$ssl.GetAttributeValue('controlChannelPolicy') -notmatch '^(1|SslRequire)$') { return '' }
    return ([string]$ssl.GetAttributeValue('serverCertHash')).ToUpperInvariant()
  } catch {
    return ''
  }
}

# An IIS site (Microsoft.Web.Administration.Site) as the driver's SiteInfo JSON.
function ConvertTo-WinhaSite($site) {
  $isFtp = Test-WinhaFtpSite $site
  $ftpsHash = ''
  if ($isFtp) { $ftpsHash = Get-WinhaFtpsHash $site }
  $bindings = @()
  foreach ($b in $site.Bindings) {
    $thumb = ''
    if ($b.CertificateHash) { $thumb = ($b.CertificateHash | ForEach-Object { $_.ToString('X2') }) -join '' }
    if ($b.Protocol -eq 'ftp') { $thumb = $ftpsHash }
    $bindings += @{ protocol = [string]$b.Protocol; bindingInformation = [string]$b.BindingInformation; certificateHash = $thumb }
  }
  $root = $site.Applications['/']
  $ftpState = $null
  if ($isFtp) { $ftpState = Get-WinhaFtpState $site }
  $state = 'Unknown'
  try { $state = [string]$site.State } catch { $state = 'Unknown' }
  return @{
    id = [int]$site.Id
    name = [string]$site.Name
    state = $state
    ftpState = $ftpState
    bindings = $bindings
    physicalPath = [string]$root.VirtualDirectories['/'].PhysicalPath
    applicationPool = [string]$root.ApplicationPoolName
    serverAutoStart = [bool]$site.ServerAutoStart
  }
}

# Kit restore steps 2 and 5 before a start (docs/spec/seed-iis.md section 6.3): $null when the site may start, else the outcome.
function Test-WinhaStartable($service, $addresses) {
  $svc = Get-Service -Name $service
  if ([int]$svc.Status -ne 4) { return @{ outcome = 'serviceNotRunning'; serviceState = [int]$svc.Status } }
  foreach ($a in @($addresses)) {
    $ip = Get-NetIPAddress -IPAddress $a -ErrorAction SilentlyContinue | Where-Object { $_.AddressState -eq 'Preferred' -or $_.AddressState -eq 'Deprecated' }
    if ($null -eq $ip) { return @{ outcome = 'addressMissing'; address = $a } }
  }
  return $null
}

function ConvertTo-WinhaService($s) {
  return @{ name = [string]$s.Name; state = [int]$s.Status; startType = [string]$s.StartType }
}

function ConvertTo-WinhaAddress($a) {
  return @{
    address = [string]$a.IPAddress
    prefixLength = [int]$a.PrefixLength
    interfaceAlias = [string]$a.InterfaceAlias
    addressState = [string]$a.AddressState
    skipAsSource = [bool]$a.SkipAsSource
  }
}
