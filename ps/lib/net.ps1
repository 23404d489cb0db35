<# net.ps1: interfaces, addresses and virtual IPs through NetAdapter/NetTCPIP. #>

$WinhaOps['net.interfaces'] = {
  param($p)
  return @(Get-NetAdapter | ForEach-Object {
      @{ alias = [string]$_.Name; index = [int]$_.InterfaceIndex; status = [string]$_.Status; macAddress = [string]$_.MacAddress }
    })
}

$WinhaOps['net.addresses'] = {
  param($p)
  return @(Get-NetIPAddress | Where-Object { $_.InterfaceAlias -notlike 'Loopback*' } | ForEach-Object { ConvertTo-WinhaAddress $_ })
}

# New-NetIPAddress -SkipAsSource in the ActiveStore (a rebooted node comes back without the VIP), then wait out
# duplicate address detection (Tentative).
$WinhaOps['net.add'] = {
  param($p)
  $nic = Get-NetAdapter -Name $p.interfaceAlias -ErrorAction SilentlyContinue
  if ($null -eq $nic) { return @{ outcome = 'noInterface' } }
  $existing = Get-NetIPAddress -IPAddress $p.address -ErrorAction SilentlyContinue
  if ($null -ne $existing -and ($existing.PrefixLength -ne $p.prefixLength -or $existing.InterfaceAlias -ne $nic.Name)) {
    return @{ outcome = 'inUse'; interfaceAlias = [string]$existing.InterfaceAlias; prefixLength = [int]$existing.PrefixLength }
  }
  if ($null -eq $existing) {
    $null = New-NetIPAddress -InterfaceAlias $nic.Name -IPAddress $p.address -PrefixLength $p.prefixLength -SkipAsSource $true -PolicyStore ActiveStore
  }
  $deadline = [DateTime]::UtcNow.AddMilliseconds([double]$p.waitMs)
  do {
    $a = Get-NetIPAddress -IPAddress $p.address -ErrorAction SilentlyContinue
    if ($null -eq $a -or [string]$a.AddressState -ne 'Tentative') { break }
    Start-Sleep -Milliseconds 200
  } while ([DateTime]::UtcNow -lt $deadline)
  if ($null -eq $a) { return @{ outcome = 'vanished' } }
  return @{ outcome = 'present'; address = (ConvertTo-WinhaAddress $a) }
}

$WinhaOps['net.remove'] = {
  param($p)
  Get-NetIPAddress -IPAddress $p.address -ErrorAction SilentlyContinue | Remove-NetIPAddress -Confirm:$false
  return @{ removed = $true }
}

# Does another machine answer ARP for the address? Flush our neighbour entry, send one echo (which makes Windows
# resolve the address), and read the neighbour cache.
$WinhaOps['net.claimed'] = {
  param($p)
  Remove-NetNeighbor -IPAddress $p.address -Confirm:$false -ErrorAction SilentlyContinue
  $null = Test-Connection -ComputerName $p.address -Count 1 -Quiet -ErrorAction SilentlyContinue
  $n = Get-NetNeighbor -IPAddress $p.address -ErrorAction SilentlyContinue | Where-Object { $_.LinkLayerAddress -and $_.LinkLayerAddress -ne '00-00-00-00-00-00' -and @('Reachable', 'Stale', 'Delay', 'Probe', 'Permanent') -contains [string]$_.State } | Select-Object -First 1
  if ($null -eq $n) { return @{ claimed = $false } }
  return @{ claimed = $true; byMac = [string]$n.LinkLayerAddress }
}
