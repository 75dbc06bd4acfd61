#!/usr/bin/env bash
# Installs the third-party peers Ferry's interop tests and benchmarks use:
#   - Kannel 1.4.5 (Debian kannel, kannel-extras): bearerbox, wapbox, test_ppg, drive_smpp
#   - a Python venv under target/peers-venv with smpplib, python-messaging, aiosmtpd
#   - target/peers/bind-loopback.so: an LD_PRELOAD shim that rewrites wildcard
#     bind() calls to 127.0.0.1 (Kannel's listeners have no bind-address option)
# Idempotent: does nothing that is already done. Needs root for apt-get.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/target/peers"
venv="$root/target/peers-venv"
mkdir -p "$out"

need_apt=()
command -v bearerbox >/dev/null 2>&1 || [ -x /usr/sbin/bearerbox ] || need_apt+=(kannel)
[ -x /usr/lib/kannel/test/test_ppg ] || need_apt+=(kannel-extras)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "peers: installing ${need_apt[*]} with apt-get"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  # Keep Debian from starting Kannel's own service on install.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# Debian may have started the service anyway on some images: stop it.
pkill -x bearerbox 2>/dev/null || true
pkill -x wapbox 2>/dev/null || true

if [ ! -f "$out/bind-loopback.so" ] || [ "$root/scripts/peers/bind-loopback.c" -nt "$out/bind-loopback.so" ]; then
  gcc -shared -fPIC -O2 -o "$out/bind-loopback.so" "$root/scripts/peers/bind-loopback.c" -ldl
fi

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import smpplib, messaging, aiosmtpd' 2>/dev/null; then
  "$venv/bin/pip" install -q --disable-pip-version-check \
    smpplib==2.2.4 python-messaging==0.5.13 aiosmtpd==1.4.6
fi
echo "peers: ready (kannel $(dpkg-query -W -f='${Version}' kannel 2>/dev/null), venv $venv)"
