<# probe.ps1: HTTP, FTP and TCP liveness probes (the kit's deep checks, docs/spec/seed-iis.md section 9). #>

# An accept-any-certificate callback compiled once (Add-Type, one csc.exe run when the host starts): a PowerShell
# scriptblock as a .NET callback can run on a thread with no runspace and crash the long-lived host.
$WinhaProbeTypeError = $null
try {
  if (-not ('Winha.AnyCertificate' -as [type])) {
    Add-Type -TypeDefinition @'
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Winha {
  public static class AnyCertificate {
    // The deep check asks "does the site answer", not "is its certificate trusted" (self-signed is common).
    public static readonly RemoteCertificateValidationCallback Callback =
      delegate(object sender, X509Certificate certificate, X509Chain chain, SslPolicyErrors errors) { return true; };
  }
}
'@
  }
} catch {
  $WinhaProbeTypeError = [string]$_.Exception.Message
}

# pollsite equivalent: any HTTP answer (even 4xx/5xx, read from the WebException) is alive; a failed connect is
# 9757, no answer 9759. HttpWebRequest.Host carries the Host header (Invoke-WebRequest refuses it in 5.1). No proxy:
# a proxy's 502 would hide a dead site. Certificates are accepted per request, never process-wide.
$WinhaOps['probe.http'] = {
  param($p)
  $scheme = 'http'
  if ($p.tls) {
    if ($null -ne $WinhaProbeTypeError) { throw ('the certificate callback did not compile: ' + $WinhaProbeTypeError) }
    $scheme = 'https'
    # 5.1 on .NET 4.x may not offer TLS 1.2 by default; add it (and 1.3 where the enum has it) to what is enabled.
    $modern = [System.Net.SecurityProtocolType]::Tls12
    if ([enum]::IsDefined([System.Net.SecurityProtocolType], 'Tls13')) { $modern = $modern -bor [System.Net.SecurityProtocolType]'Tls13' }
    [System.Net.ServicePointManager]::SecurityProtocol = [System.Net.ServicePointManager]::SecurityProtocol -bor $modern
  }
  $req = [System.Net.HttpWebRequest]::Create($scheme + '://' + $p.uriHost + ':' + $p.port + $p.path)
  $req.Method = 'GET'
  $req.AllowAutoRedirect = $false
  $req.Proxy = $null
  $req.KeepAlive = $false
  $req.Timeout = [int]$p.waitMs
  $req.ReadWriteTimeout = [int]$p.waitMs
  if ($p.tls) { $req.ServerCertificateValidationCallback = [Winha.AnyCertificate]::Callback }
  if ($p.hostHeader) { $req.Host = $p.hostHeader }
  $resp = $null
  try {
    $resp = $req.GetResponse()
    return @{ outcome = 'answer'; statusCode = [int]$resp.StatusCode }
  } catch {
    # A .NET method's exception may arrive wrapped (MethodInvocationException): look for the WebException inside.
    $e = $_.Exception
    while ($null -ne $e -and $e -isnot [System.Net.WebException]) { $e = $e.InnerException }
    if ($null -eq $e) { throw }
    $resp = $e.Response
    if ($null -ne $resp) {
      return @{ outcome = 'answer'; statusCode = [int]$resp.StatusCode }
    } elseif ([string]$e.Status -eq 'ConnectFailure' -or [string]$e.Status -eq 'NameResolutionFailure' -or [string]$e.Status -eq 'ConnectionClosed') {
      return @{ outcome = 'connectFailed'; status = [string]$e.Status; message = [string]$e.Message }
    } else {
      return @{ outcome = 'noAnswer'; status = [string]$e.Status; message = [string]$e.Message }
    }
  } finally {
    # A long-lived host must not leak connections: close the answer or the error page.
    if ($null -ne $resp) { $resp.Close() }
  }
}

# FTP login over a raw TCP client: read 220, USER, PASS, expect a line starting "230 ".
$WinhaOps['probe.ftp'] = {
  param($p)
  $lines = New-Object System.Collections.Generic.List[string]
  $client = New-Object System.Net.Sockets.TcpClient
  try {
    $iar = $client.BeginConnect($p.address, [int]$p.port, $null, $null)
    if (-not $iar.AsyncWaitHandle.WaitOne([int]$p.waitMs)) { throw 'connect timed out' }
    $client.EndConnect($iar)
    $stream = $client.GetStream()
    $stream.ReadTimeout = [int]$p.waitMs
    $reader = New-Object System.IO.StreamReader($stream, [System.Text.Encoding]::ASCII)
    $writer = New-Object System.IO.StreamWriter($stream, [System.Text.Encoding]::ASCII)
    $writer.NewLine = "`r`n"
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
  return @{ lines = @($lines) }
}

$WinhaOps['probe.tcp'] = {
  param($p)
  $client = New-Object System.Net.Sockets.TcpClient
  $alive = $false
  try {
    $iar = $client.BeginConnect($p.address, [int]$p.port, $null, $null)
    if ($iar.AsyncWaitHandle.WaitOne([int]$p.waitMs)) { $client.EndConnect($iar); $alive = $client.Connected }
  } catch {
    $alive = $false
  } finally {
    $client.Close()
  }
  return @{ alive = $alive }
}
