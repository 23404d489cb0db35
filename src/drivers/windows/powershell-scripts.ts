/**
 * The PowerShell scripts the Windows driver runs. Every script is a constant:
 * parameters arrive as one JSON document on standard input ($p) and the
 * result leaves as one JSON document on standard output, so no caller value
 * is ever spliced into script text (design.md §3, "Drivers").
 *
 * Modern command map: docs/spec/seed-iis.md §14.6. Output shape of every script:
 *   {"ok":true,"value":...}  or  {"ok":false,"error":{"type":...,"message":...,"id":...}}
 */

const PRELUDE = `$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Console]::InputEncoding = [System.Text.Encoding]::UTF8
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
$p = [Console]::In.ReadToEnd() | ConvertFrom-Json
$result = $null
`;

/** Shared: an IIS site (Microsoft.Web.Administration.Site) as the driver's SiteInfo JSON. */
const SITE_TO_JSON = `function ConvertTo-WinhaSite($site) {
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
    Import-Module WebAdministration
    $ftpState = [string](Get-WebItemState -PSPath ('IIS:\\Sites\\' + $site.Name) -Protocol ftp)
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
`;

function script(body: string, helpers = ''): string {
  return `${PRELUDE}${helpers}try {
${body}
  @{ ok = $true; value = $result } | ConvertTo-Json -Compress -Depth 8
} catch {
  @{ ok = $false; error = @{ type = $_.Exception.GetType().FullName; message = [string]$_.Exception.Message; id = [string]$_.FullyQualifiedErrorId } } | ConvertTo-Json -Compress -Depth 4
}
`;
}

const SERVICE_TO_JSON = `function ConvertTo-WinhaService($s) {
  return @{ name = [string]$s.Name; state = [int]$s.Status; startType = [string]$s.StartType }
}
`;

export const SCRIPTS = {
  /** Get-Service: Status is the SERVICE_STATUS code 1–7. */
  'service.query': script(`  $result = ConvertTo-WinhaService (Get-Service -Name $p.name)`, SERVICE_TO_JSON),

  /** Start-Service, then (Get-Service X).WaitForStatus('Running', t) (docs/spec/seed-iis.md §14.6). */
  'service.start': script(
    `  Start-Service -Name $p.name
  $s = Get-Service -Name $p.name
  $s.WaitForStatus('Running', [TimeSpan]::FromMilliseconds([double]$p.waitMs))
  $s.Refresh()
  $result = ConvertTo-WinhaService $s`,
    SERVICE_TO_JSON,
  ),

  'service.stop': script(
    `  Stop-Service -Name $p.name -Force
  $s = Get-Service -Name $p.name
  $s.WaitForStatus('Stopped', [TimeSpan]::FromMilliseconds([double]$p.waitMs))
  $s.Refresh()
  $result = ConvertTo-WinhaService $s`,
    SERVICE_TO_JSON,
  ),

  /** Get-IISSite with bindings, root path, pool, serverAutoStart; FTP state via Get-WebItemState -Protocol ftp. */
  'site.list': script(
    `  Import-Module IISAdministration
  $result = @(Get-IISSite | ForEach-Object { ConvertTo-WinhaSite $_ })`,
    SITE_TO_JSON,
  ),

  /**
   * Create or update a Managed site through one ServerManager commit (the
   * effect of Start-IISCommitDelay/Stop-IISCommitDelay). Never starts it:
   * serverAutoStart is applied as declared and the site is left stopped when new.
   */
  'site.ensure': script(
    `  Import-Module IISAdministration
  $sm = Get-IISServerManager
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
  $sm = Get-IISServerManager
  $result = @{ created = $created; changed = @($changed); site = (ConvertTo-WinhaSite $sm.Sites[$p.name]) }`,
    SITE_TO_JSON,
  ),

  /**
   * Kit restore steps 2–6 for one site: service Running?, binding addresses
   * present (Preferred)?, start (Start-IISSite, or Start-WebItem -Protocol ftp),
   * then check the state once.
   */
  'site.start': script(
    `  Import-Module IISAdministration
  $site = Get-IISSite -Name $p.name -WarningAction SilentlyContinue
  $svc = Get-Service -Name $p.service
  if ($null -eq $site) {
    $result = @{ outcome = 'notFound' }
  } elseif ([int]$svc.Status -ne 4) {
    $result = @{ outcome = 'serviceNotRunning'; serviceState = [int]$svc.Status }
  } else {
    $missing = $null
    foreach ($a in @($p.addresses)) {
      $ip = Get-NetIPAddress -IPAddress $a -ErrorAction SilentlyContinue | Where-Object { $_.AddressState -eq 'Preferred' -or $_.AddressState -eq 'Deprecated' }
      if ($null -eq $ip) { $missing = $a; break }
    }
    if ($null -ne $missing) {
      $result = @{ outcome = 'addressMissing'; address = $missing }
    } else {
      if ($p.isFtp) {
        Import-Module WebAdministration
        Start-WebItem -PSPath ('IIS:\\Sites\\' + $site.Name) -Protocol ftp
      } else {
        Start-IISSite -Name $site.Name
      }
      $sm = Get-IISServerManager
      $result = @{ outcome = 'ran'; site = (ConvertTo-WinhaSite $sm.Sites[$site.Name]) }
    }
  }`,
    SITE_TO_JSON,
  ),

  /** Kit remove step 3–4: stop the site (never the service), then up to 10 checks (9556). */
  'site.stop': script(
    `  Import-Module IISAdministration
  $site = Get-IISSite -Name $p.name -WarningAction SilentlyContinue
  if ($null -eq $site) {
    $result = @{ outcome = 'notFound' }
  } else {
    $isFtp = @($site.Bindings | Where-Object { $_.Protocol -eq 'ftp' }).Count -gt 0
    if ($isFtp) {
      Import-Module WebAdministration
      Stop-WebItem -PSPath ('IIS:\\Sites\\' + $site.Name) -Protocol ftp
    } else {
      Stop-IISSite -Name $site.Name -Confirm:$false
    }
    $info = $null
    for ($check = 1; $check -le 10; $check++) {
      $sm = Get-IISServerManager
      $info = ConvertTo-WinhaSite $sm.Sites[$site.Name]
      $st = $info.state
      if ($isFtp) { $st = $info.ftpState }
      if ($st -eq 'Stopped') { break }
      Start-Sleep -Milliseconds ([int]$p.checkIntervalMs)
    }
    $result = @{ outcome = 'checked'; site = $info }
  }`,
    SITE_TO_JSON,
  ),

  /** serverAutoStart (and ftpServer.serverAutoStart for FTP sites). */
  'site.autostart': script(
    `  Import-Module IISAdministration
  $sm = Get-IISServerManager
  $site = $sm.Sites[$p.name]
  if ($null -eq $site) {
    $result = @{ outcome = 'notFound' }
  } else {
    $site.ServerAutoStart = [bool]$p.value
    if (@($site.Bindings | Where-Object { $_.Protocol -eq 'ftp' }).Count -gt 0) {
      $site.GetChildElement('ftpServer').SetAttributeValue('serverAutoStart', [bool]$p.value)
    }
    $sm.CommitChanges()
    $sm = Get-IISServerManager
    $result = @{ outcome = 'set'; site = (ConvertTo-WinhaSite $sm.Sites[$p.name]) }
  }`,
    SITE_TO_JSON,
  ),

  'net.interfaces': script(`  $result = @(Get-NetAdapter | ForEach-Object {
    @{ alias = [string]$_.Name; index = [int]$_.InterfaceIndex; status = [string]$_.Status; macAddress = [string]$_.MacAddress }
  })`),

  'net.addresses': script(`  $result = @(Get-NetIPAddress | Where-Object { $_.InterfaceAlias -notlike 'Loopback*' } | ForEach-Object {
    @{ address = [string]$_.IPAddress; prefixLength = [int]$_.PrefixLength; interfaceAlias = [string]$_.InterfaceAlias; addressState = [string]$_.AddressState; skipAsSource = [bool]$_.SkipAsSource }
  })`),

  /**
   * New-NetIPAddress -SkipAsSource $true in the ActiveStore (not persistent: a
   * rebooted node comes back without the VIP), then wait out duplicate address
   * detection (Tentative).
   */
  'net.add': script(`  $nic = Get-NetAdapter -Name $p.interfaceAlias -ErrorAction SilentlyContinue
  if ($null -eq $nic) {
    $result = @{ outcome = 'noInterface' }
  } else {
    $existing = Get-NetIPAddress -IPAddress $p.address -ErrorAction SilentlyContinue
    if ($null -ne $existing -and ($existing.PrefixLength -ne $p.prefixLength -or $existing.InterfaceAlias -ne $nic.Name)) {
      $result = @{ outcome = 'inUse'; interfaceAlias = [string]$existing.InterfaceAlias; prefixLength = [int]$existing.PrefixLength }
    } else {
      if ($null -eq $existing) {
        $null = New-NetIPAddress -InterfaceAlias $nic.Name -IPAddress $p.address -PrefixLength $p.prefixLength -SkipAsSource $true -PolicyStore ActiveStore
      }
      $deadline = [DateTime]::UtcNow.AddMilliseconds([double]$p.waitMs)
      do {
        $a = Get-NetIPAddress -IPAddress $p.address -ErrorAction SilentlyContinue
        if ($null -eq $a -or [string]$a.AddressState -ne 'Tentative') { break }
        Start-Sleep -Milliseconds 200
      } while ([DateTime]::UtcNow -lt $deadline)
      if ($null -eq $a) {
        $result = @{ outcome = 'vanished' }
      } else {
        $result = @{ outcome = 'present'; address = @{ address = [string]$a.IPAddress; prefixLength = [int]$a.PrefixLength; interfaceAlias = [string]$a.InterfaceAlias; addressState = [string]$a.AddressState; skipAsSource = [bool]$a.SkipAsSource } }
      }
    }
  }`),

  'net.remove': script(`  Get-NetIPAddress -IPAddress $p.address -ErrorAction SilentlyContinue | Remove-NetIPAddress -Confirm:$false
  $result = @{ removed = $true }`),

  /**
   * Does another machine answer ARP for the address? Flush our neighbour
   * entry, send one echo (which makes Windows resolve the address), and read
   * the neighbour cache.
   */
  'net.claimed': script(`  Remove-NetNeighbor -IPAddress $p.address -Confirm:$false -ErrorAction SilentlyContinue
  $null = Test-Connection -ComputerName $p.address -Count 1 -Quiet -ErrorAction SilentlyContinue
  $n = Get-NetNeighbor -IPAddress $p.address -ErrorAction SilentlyContinue | Where-Object { $_.LinkLayerAddress -and $_.LinkLayerAddress -ne '00-00-00-00-00-00' -and @('Reachable', 'Stale', 'Delay', 'Probe', 'Permanent') -contains [string]$_.State } | Select-Object -First 1
  if ($null -eq $n) { $result = @{ claimed = $false } } else { $result = @{ claimed = $true; byMac = [string]$n.LinkLayerAddress } }`),

  /**
   * pollsite equivalent: any HTTP answer (even 4xx/5xx, read from the
   * WebException) is alive; a failed connect is 9757, no answer 9759.
   * HttpWebRequest.Host carries the Host header (Invoke-WebRequest refuses it in 5.1).
   */
  'probe.http': script(`  $scheme = 'http'
  if ($p.tls) { $scheme = 'https'; [System.Net.ServicePointManager]::ServerCertificateValidationCallback = { $true } }
  $req = [System.Net.HttpWebRequest]::Create($scheme + '://' + $p.uriHost + ':' + $p.port + $p.path)
  $req.Method = 'GET'
  $req.AllowAutoRedirect = $false
  $req.Timeout = [int]$p.waitMs
  $req.ReadWriteTimeout = [int]$p.waitMs
  if ($p.hostHeader) { $req.Host = $p.hostHeader }
  try {
    $resp = $req.GetResponse()
    $result = @{ outcome = 'answer'; statusCode = [int]$resp.StatusCode }
    $resp.Close()
  } catch [System.Net.WebException] {
    $e = $_.Exception
    if ($null -ne $e.Response) {
      $result = @{ outcome = 'answer'; statusCode = [int]$e.Response.StatusCode }
    } elseif ([string]$e.Status -eq 'ConnectFailure' -or [string]$e.Status -eq 'NameResolutionFailure' -or [string]$e.Status -eq 'ConnectionClosed') {
      $result = @{ outcome = 'connectFailed'; status = [string]$e.Status; message = [string]$e.Message }
    } else {
      $result = @{ outcome = 'noAnswer'; status = [string]$e.Status; message = [string]$e.Message }
    }
  }`),

  /** FTP login over a raw TCP client: read 220, USER, PASS, expect a line starting "230 " (docs/spec/seed-iis.md §9). */
  'probe.ftp': script(`  $lines = New-Object System.Collections.Generic.List[string]
  $client = New-Object System.Net.Sockets.TcpClient
  try {
    $iar = $client.BeginConnect($p.address, [int]$p.port, $null, $null)
    if (-not $iar.AsyncWaitHandle.WaitOne([int]$p.waitMs)) { throw 'connect timed out' }
    $client.EndConnect($iar)
    $stream = $client.GetStream()
    $stream.ReadTimeout = [int]$p.waitMs
    $reader = New-Object System.IO.StreamReader($stream, [System.Text.Encoding]::ASCII)
    $writer = New-Object System.IO.StreamWriter($stream, [System.Text.Encoding]::ASCII)
    $writer.NewLine = "\`r\`n"
    $writer.AutoFlush = $true
    $step = 'greeting'
    while ($true) {
      $line = $reader.ReadLine()
      if ($null -eq $line) { break }
      $lines.Add($line)
      if ($line -notmatch '^[0-9]{3} ') { continue }
      if ($step -eq 'greeting') { $writer.WriteLine('USER ' + $p.user); $step = 'user' }
      elseif ($step -eq 'user' -and $line.StartsWith('331')) { $writer.WriteLine('PASS ' + $p.password); $step = 'pass' }
      else { $writer.WriteLine('QUIT'); break }
    }
  } catch {
    $lines.Add('ERROR ' + [string]$_.Exception.Message)
  } finally {
    $client.Close()
  }
  $result = @{ lines = @($lines) }`),

  'probe.tcp': script(`  $client = New-Object System.Net.Sockets.TcpClient
  $alive = $false
  try {
    $iar = $client.BeginConnect($p.address, [int]$p.port, $null, $null)
    if ($iar.AsyncWaitHandle.WaitOne([int]$p.waitMs)) { $client.EndConnect($iar); $alive = $client.Connected }
  } catch {
    $alive = $false
  } finally {
    $client.Close()
  }
  $result = @{ alive = $alive }`),
} as const;

export type ScriptName = keyof typeof SCRIPTS;
