<# service.ps1: Windows services (W3SVC, WAS, FTPSVC, SMTPSVC); Status is the SERVICE_STATUS code 1-7. #>

$WinhaOps['service.query'] = {
  param($p)
  return ConvertTo-WinhaService (Get-Service -Name $p.name)
}

# Start-Service, then WaitForStatus('Running', t) (docs/spec/seed-iis.md section 14.6).
$WinhaOps['service.start'] = {
  param($p)
  Start-Service -Name $p.name
  $s = Get-Service -Name $p.name
  $s.WaitForStatus('Running', [TimeSpan]::FromMilliseconds([double]$p.waitMs))
  $s.Refresh()
  return ConvertTo-WinhaService $s
}

$WinhaOps['service.stop'] = {
  param($p)
  Stop-Service -Name $p.name -Force
  $s = Get-Service -Name $p.name
  $s.WaitForStatus('Stopped', [TimeSpan]::FromMilliseconds([double]$p.waitMs))
  $s.Refresh()
  return ConvertTo-WinhaService $s
}
