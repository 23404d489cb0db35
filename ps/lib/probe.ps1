<# probe.ps1: HTTP, FTP and TCP liveness probes (the kit's deep checks, docs/spec/seed-iis.md section 9). #>

# pollsite equivalent: any HTTP answer (even 4xx/5xx, read from the WebException) is alive; a failed connect is
# 9757, no answer 9759. HttpWebRequest.Host carries the Host header (Invoke-WebRequest refuses it in 5.1).
$WinhaOps['probe.http'] = {
  param($p)
  $scheme = 'http'
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
    return $result
  } catch [System.Net.WebException] {
    $e = $_.Exception
    if ($null -ne $e.Response) {
      return @{ outcome = 'answer'; statusCode = [int]$e.Response.StatusCode }
    } elseif ([string]$e.Status -eq 'ConnectFailure' -or [string]$e.Status -eq 'NameResolutionFailure' -or [string]$e.Status -eq 'ConnectionClosed') {
      return @{ outcome = 'connectFailed'; status = [string]$e.Status; message = [string]$e.Message }
    } else {
      return @{ outcome = 'noAnswer'; status = [string]$e.Status; message = [string]$e.Message }
    }
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
