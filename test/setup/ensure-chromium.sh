#!/usr/bin/env bash
# `npm test` runs this first (package.json "pretest"): the HTML report test loads the report in
# headless Chromium. On a fresh Debian machine it installs Debian's chromium (as root, or with
# passwordless sudo); otherwise it stops with one line saying what to run.
#   PROXYSIM_NO_BROWSER=1   skip the browser test (and this set-up)
#   PROXYSIM_CHROMIUM=path  use that Chromium binary
set -u
[ "${PROXYSIM_NO_BROWSER:-}" = 1 ] && exit 0
[ -n "${PROXYSIM_CHROMIUM:-}" ] && [ -x "${PROXYSIM_CHROMIUM}" ] && exit 0
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 && exit 0

hint="run: sudo apt-get update && sudo apt-get install -y chromium (or PROXYSIM_NO_BROWSER=1 npm test to skip the browser test)"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "proxysim: the report test needs Chromium and this is not a Debian machine: install Chromium, set PROXYSIM_CHROMIUM=<binary>, or PROXYSIM_NO_BROWSER=1 npm test" >&2
  exit 1
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else echo "proxysim: the report test needs Chromium; $hint" >&2; exit 1; fi
fi
echo "proxysim: installing Debian's chromium for the report test (once)" >&2
if $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >/dev/null \
  && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium </dev/null >/dev/null; then
  exit 0
fi
echo "proxysim: could not install chromium; $hint" >&2
exit 1
