<# iis.ps1: IIS sites through Microsoft.Web.Administration (docs/spec/seed-iis.md section 14.6 for the command map). #>

$WinhaOps['site.list'] = {
  param($p)
  $sm = Get-WinhaServerManager
  try {
    return @($sm.Sites | ForEach-Object { ConvertTo-WinhaSite $_ })
  } finally {
    $sm.Dispose()
  }
}

# One site by name (health checks read only the site they check); $null when it does not exist.
$WinhaOps['site.get'] = {
  param($p)
  $sm = Get-WinhaServerManager
  try {
    $site = $sm.Sites[[string]$p.name]
    if ($null -eq $site) { return @{ found = $false } }
    return @{ found = $true; site = (ConvertTo-WinhaSite $site) }
  } finally {
    $sm.Dispose()
  }
}

# Create or update a managed site in one commit. Never starts it: a new site is left stopped.
$WinhaOps['site.ensure'] = {
  param($p)
  $sm = Get-WinhaServerManager
  try {
    $changed = @()
    $created = $false
    if ($null -eq $sm.ApplicationPools[$p.applicationPool]) { $null = $sm.ApplicationPools.Add($p.applicationPool) }
    $site = $sm.Sites[$p.name]
    if ($null -eq $site) {
      $first = $p.bindings[0]
      $site = $sm.Sites.Add($p.name, $first.protocol, $first.bindingInformation, $p.physicalPath)
      $site.ServerAutoStart = $false
      $created = $true
    }
    $want = @($p.bindings | ForEach-Object { $_.protocol + '/' + $_.bindingInformation + '/' + $_.certificateHash })
    $have = @($site.Bindings | ForEach-Object {
        $h = ''
        if ($_.CertificateHash) { $h = ($_.CertificateHash | ForEach-Object { $_.ToString('X2') }) -join '' }
        $_.Protocol + '/' + $_.BindingInformation + '/' + $h
      })
    if ((Compare-Object -ReferenceObject $want -DifferenceObject $have) -or $want.Count -ne $have.Count) {
      $site.Bindings.Clear()
      foreach ($b in $p.bindings) {
        if ($b.certificateHash) {
          $hash = [byte[]]@(for ($i = 0; $i -lt $b.certificateHash.Length; $i += 2) { [Convert]::ToByte($b.certificateHash.Substring($i, 2), 16) })
          $nb = $site.Bindings.Add($b.bindingInformation, $hash, 'My')
          $nb.Protocol = $b.protocol
        } else {
          $null = $site.Bindings.Add($b.bindingInformation, $b.protocol)
        }
      }
      if (-not $created) { $changed += 'bindings' }
    }
    $root = $site.Applications['/']
    if ($root.VirtualDirectories['/'].PhysicalPath -ne $p.physicalPath) {
      $root.VirtualDirectories['/'].PhysicalPath = $p.physicalPath
      if (-not $created) { $changed += 'physicalPath' }
    }
    if ($root.ApplicationPoolName -ne $p.applicationPool) {
      $root.ApplicationPoolName = $p.applicationPool
      if (-not $created) { $changed += 'applicationPool' }
    }
    if ([bool]$site.ServerAutoStart -ne [bool]$p.serverAutoStart) {
      $site.ServerAutoStart = [bool]$p.serverAutoStart
      if (-not $created) { $changed += 'serverAutoStart' }
    }
    if ($p.isFtp) { $site.GetChildElement('ftpServer').SetAttributeValue('serverAutoStart', [bool]$p.serverAutoStart) }
    $sm.CommitChanges()
  } finally {
    $sm.Dispose()
  }
  $sm = Get-WinhaServerManager
  try {
    return @{ created = $created; changed = @($changed); site = (ConvertTo-WinhaSite $sm.Sites[$p.name]) }
  } finally {
    $sm.Dispose()
  }
}

# Kit restore steps 2-6 for one site: service Running? binding addresses present (Preferred)? start, read the state once.
$WinhaOps['site.start'] = {
  param($p)
  $sm = Get-WinhaServerManager
  try {
    $site = $sm.Sites[[string]$p.name]
    $svc = Get-Service -Name $p.service
    if ($null -eq $site) { return @{ outcome = 'notFound' } }
    if ([int]$svc.Status -ne 4) { return @{ outcome = 'serviceNotRunning'; serviceState = [int]$svc.Status } }
    foreach ($a in @($p.addresses)) {
      $ip = Get-NetIPAddress -IPAddress $a -ErrorAction SilentlyContinue | Where-Object { $_.AddressState -eq 'Preferred' -or $_.AddressState -eq 'Deprecated' }
      if ($null -eq $ip) { return @{ outcome = 'addressMissing'; address = $a } }
    }
    if ($p.isFtp) {
      Start-WebItem -PSPath ('IIS:\Sites\' + $site.Name) -Protocol ftp
    } else {
      $null = $site.Start()
    }
  } finally {
    $sm.Dispose()
  }
  $sm = Get-WinhaServerManager
  try {
    return @{ outcome = 'ran'; site = (ConvertTo-WinhaSite $sm.Sites[[string]$p.name]) }
  } finally {
    $sm.Dispose()
  }
}

# Kit remove steps 3-4: stop the site (never the service), then up to 10 checks (9556).
$WinhaOps['site.stop'] = {
  param($p)
  $sm = Get-WinhaServerManager
  try {
    $site = $sm.Sites[[string]$p.name]
    if ($null -eq $site) { return @{ outcome = 'notFound' } }
    $isFtp = @($site.Bindings | Where-Object { $_.Protocol -eq 'ftp' }).Count -gt 0
    if ($isFtp) {
      Stop-WebItem -PSPath ('IIS:\Sites\' + $site.Name) -Protocol ftp
    } else {
      $null = $site.Stop()
    }
  } finally {
    $sm.Dispose()
  }
  $info = $null
  for ($check = 1; $check -le 10; $check++) {
    $sm = Get-WinhaServerManager
    try { $info = ConvertTo-WinhaSite $sm.Sites[[string]$p.name] } finally { $sm.Dispose() }
    $st = $info.state
    if ($isFtp) { $st = $info.ftpState }
    if ($st -eq 'Stopped') { break }
    Start-Sleep -Milliseconds ([int]$p.checkIntervalMs)
  }
  return @{ outcome = 'checked'; site = $info }
}

# serverAutoStart (and ftpServer.serverAutoStart for FTP sites).
$WinhaOps['site.autostart'] = {
  param($p)
  $sm = Get-WinhaServerManager
  try {
    $site = $sm.Sites[[string]$p.name]
    if ($null -eq $site) { return @{ outcome = 'notFound' } }
    $site.ServerAutoStart = [bool]$p.value
    if (@($site.Bindings | Where-Object { $_.Protocol -eq 'ftp' }).Count -gt 0) {
      $site.GetChildElement('ftpServer').SetAttributeValue('serverAutoStart', [bool]$p.value)
    }
    $sm.CommitChanges()
  } finally {
    $sm.Dispose()
  }
  $sm = Get-WinhaServerManager
  try {
    return @{ outcome = 'set'; site = (ConvertTo-WinhaSite $sm.Sites[[string]$p.name]) }
  } finally {
    $sm.Dispose()
  }
}

# What one observation cycle needs, in one request: every site and every address.
$WinhaOps['host.observe'] = {
  param($p)
  return @{ sites = (& $WinhaOps['site.list'] $p); addresses = (& $WinhaOps['net.addresses'] $p) }
}
