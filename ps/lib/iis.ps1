<# iis.ps1: IIS sites through Microsoft.Web.Administration (docs/spec/seed-iis.md section 14.6 for the command map). #>

# The binding protocols site.ensure owns; net.tcp, net.pipe, net.msmq, msmq.formatname belong to whoever added them.
$WinhaManagedProtocols = @('http', 'https', 'ftp')

$WinhaOps['site.list'] = {
  param($p)
  $sm = Get-WinhaServerManager
  try {
    $out = @()
    # One site IIS cannot describe (broken config, FTP extension missing) must not hide the others.
    foreach ($s in $sm.Sites) {
      try {
        $out += ConvertTo-WinhaSite $s
      } catch {
        $out += @{ name = [string]$s.Name; error = [string]$_.Exception.Message }
      }
    }
  } finally {
    $sm.Dispose()
  }
  $out += @(Get-WinhaSmtpServerList)
  return $out
}

# SMTP virtual servers live in the IIS 6 metabase (smtp.ps1): none without SMTPSVC; with it, an unreadable metabase
# fails the read, so a running SMTP server never looks absent (absent reads as stopped).
function Get-WinhaSmtpServerList {
  if (-not (Get-Command -Name Get-WinhaSmtpSites -ErrorAction SilentlyContinue)) { return @() }
  $r = Get-WinhaSmtpSites
  if ($r.available) { return @($r.servers) }
  if ($null -eq (Get-Service -Name 'SMTPSVC' -ErrorAction SilentlyContinue)) { return @() }
  throw (New-Object System.InvalidOperationException ('SMTPSVC is installed but the IIS 6 metabase cannot be read (install IIS 6 Metabase Compatibility): ' + [string]$r.message))
}

# One site by name (health checks read only the site they check): an IIS site, else an SMTP virtual server.
$WinhaOps['site.get'] = {
  param($p)
  $sm = Get-WinhaServerManager
  try {
    $site = $sm.Sites[[string]$p.name]
    if ($null -ne $site) {
      try {
        return @{ found = $true; site = (ConvertTo-WinhaSite $site) }
      } catch {
        return @{ found = $true; site = @{ name = [string]$site.Name; error = [string]$_.Exception.Message } }
      }
    }
  } finally {
    $sm.Dispose()
  }
  foreach ($s in @(Get-WinhaSmtpServerList)) {
    if ([string]$s.name -eq [string]$p.name) { return @{ found = $true; site = $s } }
  }
  return @{ found = $false }
}

# A binding as site.ensure compares it: ftp bindings carry no certificate (FTPS keeps it on ftpServer.security.ssl).
function Get-WinhaBindingKey($protocol, $info, $hash) {
  if ($protocol -eq 'ftp') { $hash = '' }
  return [string]$protocol + '/' + [string]$info + '/' + [string]$hash
}

# FTP section of docs/spec/seed-iis.md (section 9): the deep check logs in anonymously unless credentials are declared.
function Set-WinhaFtpLogin($sm, $site, $login) {
  $auth = $site.GetChildElement('ftpServer').GetChildElement('security').GetChildElement('authentication')
  $anonymous = $login -ne 'credentials'
  $auth.GetChildElement('anonymousAuthentication').SetAttributeValue('enabled', $anonymous)
  $auth.GetChildElement('basicAuthentication').SetAttributeValue('enabled', (-not $anonymous))
  $rules = $sm.GetApplicationHostConfiguration().GetSection('system.ftpServer/security/authorization', [string]$site.Name).GetCollection()
  $users = '*'
  if ($anonymous) { $users = '?' }
  # A rule left by an earlier site of the same name would make Add throw on the duplicate entry.
  if (@($rules | Where-Object { [string]$_.GetAttributeValue('users') -eq $users }).Count -gt 0) { return }
  $rule = $rules.CreateElement('add')
  $rule.SetAttributeValue('accessType', 'Allow')
  $rule.SetAttributeValue('users', $users)
  $rule.SetAttributeValue('permissions', 'Read')
  $null = $rules.Add($rule)
}

# FTPS when the ftp binding declares a certificate (SslRequire on both channels), else plain FTP (SslAllow): $true if it changed.
function Set-WinhaFtpSsl($site, $hash) {
  $ssl = $site.GetChildElement('ftpServer').GetChildElement('security').GetChildElement('ssl')
  $policy = 'SslAllow'
  $accepted = @('0', 'SslAllow')
  if ($hash) { $policy = 'SslRequire'; $accepted = @('1', 'SslRequire') }
  $same = (
    (([string]$ssl.GetAttributeValue('serverCertHash')).ToUpperInvariant() -eq [string]$hash) -and
    ($accepted -contains [string]$ssl.GetAttributeValue('controlChannelPolicy')) -and
    ($accepted -contains [string]$ssl.GetAttributeValue('dataChannelPolicy'))
  )
  if ($same) { return $false }
  $ssl.SetAttributeValue('serverCertHash', [string]$hash)
  $ssl.SetAttributeValue('serverCertStoreName', 'My')
  $ssl.SetAttributeValue('controlChannelPolicy', $policy)
  $ssl.SetAttributeValue('dataChannelPolicy', $policy)
  return $true
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
    $want = @($p.bindings | ForEach-Object { Get-WinhaBindingKey $_.protocol $_.bindingInformation $_.certificateHash })
    $mine = @($site.Bindings | Where-Object { $WinhaManagedProtocols -contains $_.Protocol })
    $have = @($mine | ForEach-Object {
        $h = ''
        if ($_.CertificateHash) { $h = ($_.CertificateHash | ForEach-Object { $_.ToString('X2') }) -join '' }
        Get-WinhaBindingKey $_.Protocol $_.BindingInformation $h
      })
    if ((Compare-Object -ReferenceObject $want -DifferenceObject $have) -or $want.Count -ne $have.Count) {
      foreach ($old in $mine) { $site.Bindings.Remove($old) }
      foreach ($b in $p.bindings) {
        if ($b.certificateHash -and $b.protocol -ne 'ftp') {
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
    if ($null -ne $p.ftp) {
      $site.GetChildElement('ftpServer').SetAttributeValue('serverAutoStart', [bool]$p.serverAutoStart)
      # A new FTP site defaults to SslRequire with no login allowed; an existing one keeps the logins its admin set.
      if ($created) { Set-WinhaFtpLogin $sm $site ([string]$p.ftp.login) }
      if ((Set-WinhaFtpSsl $site ([string]$p.ftp.certificateHash)) -and -not $created) { $changed += 'ftpSsl' }
    }
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

# FTP runs in FTPSVC, not WAS: Site.Start()/Stop() do not reach it; the ftpServer element's methods do.
function Invoke-WinhaFtpMethod($site, $name) {
  $site.GetChildElement('ftpServer').Methods[$name].CreateInstance().Execute()
}

# Kit restore steps 2-6 for one site: service Running? binding addresses present (Preferred)? start, read the state once.
$WinhaOps['site.start'] = {
  param($p)
  $sm = Get-WinhaServerManager
  try {
    $site = $sm.Sites[[string]$p.name]
    if ($null -eq $site) { return @{ outcome = 'notFound' } }
    $refused = Test-WinhaStartable $p.service $p.addresses
    if ($null -ne $refused) { return $refused }
    if (Test-WinhaFtpSite $site) { Invoke-WinhaFtpMethod $site 'Start' }
    # Start() returns the ObjectState it reached; the state is read back below from a fresh ServerManager.
    if (Test-WinhaWebSite $site) { $null = $site.Start() }
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
    $isFtp = Test-WinhaFtpSite $site
    if ($isFtp) { Invoke-WinhaFtpMethod $site 'Stop' }
    if (Test-WinhaWebSite $site) { $null = $site.Stop() }
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
    if (Test-WinhaFtpSite $site) {
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
