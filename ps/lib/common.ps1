<# common.ps1: conversions shared by the WinHA host's operations (dot-sourced by winha-host.ps1). #>

# A fresh ServerManager per request: the IISAdministration cache would show a long-lived host stale configuration.
function Get-WinhaServerManager {
  return New-Object Microsoft.Web.Administration.ServerManager
}

# An IIS site (Microsoft.Web.Administration.Site) as the driver's SiteInfo JSON.
function ConvertTo-WinhaSite($site) {
  $bindings = @()
  foreach ($b in $site.Bindings) {
    $thumb = ''
    if ($b.CertificateHash) { $thumb = ($b.CertificateHash | ForEach-Object { $_.ToString('X2') }) -join '' }
    $bindings += @{ protocol = [string]$b.Protocol; bindingInformation = [string]$b.BindingInformation; certificateHash = $thumb }
  }
  $root = $site.Applications['/']
  $ftpState = $null
  $isFtp = @($site.Bindings | Where-Object { $_.Protocol -eq 'ftp' }).Count -gt 0
  if ($isFtp) {
    $ftpState = [string](Get-WebItemState -PSPath ('IIS:\Sites\' + $site.Name) -Protocol ftp)
  }
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
