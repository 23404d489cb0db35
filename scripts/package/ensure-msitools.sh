#!/usr/bin/env bash
# wixl and msitools build and inspect the MSI. CI runs as root on a clean machine: install them from Debian
# when missing. Exit 3 (with a message) when they are missing and cannot be installed.
set -uo pipefail
if command -v wixl >/dev/null 2>&1 && command -v msiinfo >/dev/null 2>&1 && command -v msibuild >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then
  echo "wixl/msitools not found: installing Debian's wixl and msitools"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wixl msitools) >/dev/null 2>&1
  if command -v wixl >/dev/null 2>&1 && command -v msiinfo >/dev/null 2>&1; then exit 0; fi
fi
echo "wixl and msitools are needed to build the MSI: apt-get install wixl msitools (as root)" >&2
exit 3
