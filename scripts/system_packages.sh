#!/usr/bin/env bash
# Debian/Ubuntu packages the tests use: Chromium for browser tests, eSpeak NG for
# read-aloud, PortAudio for sound, bubblewrap so model code runs in its own PID
# namespace. Installs only what is missing; elsewhere it says what to install by hand.
set -euo pipefail

PACKAGES=(chromium espeak-ng libespeak-ng1 libportaudio2 poppler-utils bubblewrap)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "Not a Debian system: install Chromium, eSpeak NG, PortAudio and bubblewrap with your package manager for the full test suite."
  exit 0
fi
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "Missing Debian packages: ${missing[*]} (run: apt-get install ${missing[*]} as root)" >&2
    exit 1
  fi
fi
echo "== installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
