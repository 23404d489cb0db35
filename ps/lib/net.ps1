<# net.ps1: interfaces, addresses and virtual IPs through NetAdapter/NetTCPIP. #>

# The neighbour probe in-process (no ICMP, so a firewall cannot make a live holder look silent). Add-Type runs csc.exe
# once, when the long-lived host dot-sources this file; a failure is kept so only net.claimed reports it.
$WinhaNativeNetError = $null
try {
  if (-not ('Winha.NativeNet' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Winha {
  public static class NativeNet {
    const int ERROR_BAD_NET_NAME = 67;
    const int ERROR_GEN_FAILURE = 31;
    const int ERROR_NOT_FOUND = 1168;
    const int AF_INET = 2;
    const int AF_INET6 = 23;
    // MIB_IPNET_ROW2 (netioapi.h): SOCKADDR_INET Address @0 (28), InterfaceIndex @28, InterfaceLuid @32,
    // PhysicalAddress[32] @40, PhysicalAddressLength @72, State @76, Flags @80, ReachabilityTime @84; 88 bytes.
    const int ROW2_SIZE = 88;

    [DllImport("iphlpapi.dll", ExactSpelling = true)]
    static extern int SendARP(uint destIp, uint srcIp, byte[] mac, ref uint macLen);
    [DllImport("iphlpapi.dll", ExactSpelling = true)]
    static extern int ResolveIpNetEntry2([In, Out] byte[] row, IntPtr sourceAddress);
    [DllImport("iphlpapi.dll", ExactSpelling = true)]
    static extern int GetBestInterfaceEx(byte[] destAddr, out uint bestIfIndex);
    [DllImport("iphlpapi.dll", ExactSpelling = true)]
    static extern int DeleteIpNetEntry2(byte[] row);

    // The MAC of another machine answering for the address; null when nobody (or only this machine) answered.
    // Errors throw: the caller must read them as "unknown", never as "silent".
    public static string Claimant(string address) {
      IPAddress ip = IPAddress.Parse(address);
      string mac = ip.AddressFamily == AddressFamily.InterNetwork ? Arp(ip) : Neighbour6(ip);
      if (mac == null || OwnMacs().Contains(mac)) return null;
      return mac;
    }

    // SendARP answers from the ARP cache when it has an entry, so the entry is deleted first: the reply is fresh.
    static string Arp(IPAddress ip) {
      byte[] row = Row(ip);
      int rc = DeleteIpNetEntry2(row);
      if (rc != 0 && rc != ERROR_NOT_FOUND) throw Failure("DeleteIpNetEntry2", ip, rc);
      byte[] mac = new byte[8];
      uint len = 6;
      rc = SendARP(BitConverter.ToUInt32(ip.GetAddressBytes(), 0), 0, mac, ref len);
      if (rc == ERROR_BAD_NET_NAME || rc == ERROR_GEN_FAILURE) return null;
      if (rc != 0) throw new Win32Exception(rc, "SendARP for " + ip + " failed: " + new Win32Exception(rc).Message + " (" + rc + ")");
      return Format(mac, 0, (int)len);
    }

    // ResolveIpNetEntry2 flushes the cached entry and sends a fresh neighbour solicitation; 67 is its "no answer".
    static string Neighbour6(IPAddress ip) {
      byte[] row = Row(ip);
      int rc = ResolveIpNetEntry2(row, IntPtr.Zero);
      if (rc == ERROR_BAD_NET_NAME || rc == ERROR_GEN_FAILURE) return null;
      if (rc != 0) throw Failure("ResolveIpNetEntry2", ip, rc);
      if (BitConverter.ToInt32(row, 76) <= 1) return null; // NlnsUnreachable (0), NlnsIncomplete (1): nobody answered
      return Format(row, 40, (int)Math.Min(BitConverter.ToUInt32(row, 72), 32u));
    }

    // A MIB_IPNET_ROW2 for the address on the interface Windows would send to it from.
    static byte[] Row(IPAddress ip) {
      byte[] sa = new byte[28];
      if (ip.AddressFamily == AddressFamily.InterNetwork) {
        BitConverter.GetBytes((ushort)AF_INET).CopyTo(sa, 0);
        ip.GetAddressBytes().CopyTo(sa, 4);
      } else {
        BitConverter.GetBytes((ushort)AF_INET6).CopyTo(sa, 0);
        ip.GetAddressBytes().CopyTo(sa, 8);
        BitConverter.GetBytes((uint)ip.ScopeId).CopyTo(sa, 24);
      }
      uint index;
      int rc = GetBestInterfaceEx(sa, out index);
      if (rc != 0) throw Failure("GetBestInterfaceEx", ip, rc);
      byte[] row = new byte[ROW2_SIZE];
      sa.CopyTo(row, 0);
      BitConverter.GetBytes(index).CopyTo(row, 28);
      return row;
    }

    static Win32Exception Failure(string api, IPAddress ip, int rc) {
      return new Win32Exception(rc, api + " for " + ip + " failed: " + new Win32Exception(rc).Message + " (" + rc + ")");
    }

    static string Format(byte[] b, int offset, int len) {
      bool any = false;
      for (int i = 0; i < len; i++) if (b[offset + i] != 0) any = true;
      return any ? BitConverter.ToString(b, offset, len) : null;
    }

    static HashSet<string> OwnMacs() {
      HashSet<string> own = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
      foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces()) {
        byte[] b = nic.GetPhysicalAddress().GetAddressBytes();
        if (b.Length > 0) own.Add(BitConverter.ToString(b));
      }
      return own;
    }
  }
}
'@
  }
} catch {
  $WinhaNativeNetError = [string]$_.Exception.Message
}

# Adapters and addresses are looked up by exact value: -Name, -InterfaceAlias and -IPAddress take wildcard patterns.
function Get-WinhaAddress([string]$Address) {
  $want = [System.Net.IPAddress]::Parse($Address)
  return @(Get-NetIPAddress -AddressFamily (ConvertTo-WinhaFamily $want) -ErrorAction SilentlyContinue |
      Where-Object { $want.Equals([System.Net.IPAddress]::Parse([string]$_.IPAddress)) })
}

function ConvertTo-WinhaFamily($Ip) {
  if ($Ip.AddressFamily -eq [System.Net.Sockets.AddressFamily]::InterNetworkV6) { return 'IPv6' }
  return 'IPv4'
}

function ConvertTo-WinhaVip($a) {
  $out = ConvertTo-WinhaAddress $a
  $out.interfaceIndex = [int]$a.InterfaceIndex
  return $out
}

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

# The driver picked the adapter by exact alias from net.interfaces; -InterfaceIndex is not a pattern, and the name
# check catches an index reused by another adapter since. New-NetIPAddress -SkipAsSource in the ActiveStore (a
# rebooted node comes back without the VIP), then wait out duplicate address detection (Tentative).
$WinhaOps['net.add'] = {
  param($p)
  $index = [int]$p.interfaceIndex
  $nic = @(Get-NetAdapter -InterfaceIndex $index -ErrorAction SilentlyContinue | Where-Object { $_.Name -eq [string]$p.interfaceAlias })
  if ($nic.Count -eq 0) { return @{ outcome = 'noInterface' } }
  $existing = @(Get-WinhaAddress $p.address)
  $clash = @($existing | Where-Object { $_.PrefixLength -ne [int]$p.prefixLength -or $_.InterfaceIndex -ne $index })
  if ($clash.Count -gt 0) {
    return @{ outcome = 'inUse'; interfaceAlias = [string]$clash[0].InterfaceAlias; prefixLength = [int]$clash[0].PrefixLength }
  }
  if ($existing.Count -eq 0) {
    $null = New-NetIPAddress -InterfaceIndex $index -IPAddress $p.address -PrefixLength $p.prefixLength -SkipAsSource $true -PolicyStore ActiveStore
  }
  $deadline = [DateTime]::UtcNow.AddMilliseconds([double]$p.waitMs)
  do {
    $a = @(Get-WinhaAddress $p.address | Where-Object { $_.InterfaceIndex -eq $index }) | Select-Object -First 1
    if ($null -eq $a -or [string]$a.AddressState -ne 'Tentative') { break }
    Start-Sleep -Milliseconds 200
  } while ([DateTime]::UtcNow -lt $deadline)
  if ($null -eq $a) { return @{ outcome = 'vanished' } }
  return @{ outcome = 'present'; interfaceIndex = $index; address = (ConvertTo-WinhaVip $a) }
}

# Only the exact address: the instances found by parsed equality are piped, no pattern reaches Remove-NetIPAddress.
$WinhaOps['net.remove'] = {
  param($p)
  $found = @(Get-WinhaAddress $p.address)
  $found | Remove-NetIPAddress -Confirm:$false
  return @{ removed = $true; count = $found.Count }
}

# Does another machine answer ARP (IPv4) or neighbour solicitation (IPv6) for the address? Errors throw, so the
# agent reads the probe as unknown, never as silent.
$WinhaOps['net.claimed'] = {
  param($p)
  if ($null -ne $WinhaNativeNetError) { throw ('the native neighbour probe did not compile: ' + $WinhaNativeNetError) }
  $mac = [Winha.NativeNet]::Claimant([string]$p.address)
  if ($null -eq $mac) { return @{ claimed = $false } }
  return @{ claimed = $true; byMac = [string]$mac }
}
