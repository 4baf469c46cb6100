# Shared by scripts/run and scripts/test: make the virtualenv and install the
# Python packages (and, as root on Debian/Ubuntu, the system packages that
# mysqlclient compiles against). Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON_BIN=${PYTHON:-}
if [ -z "$PYTHON_BIN" ]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1; then PYTHON_BIN=$cand; break; fi
  done
fi
[ -n "$PYTHON_BIN" ] || { echo "CreditDesk needs Python 3.11: no python3 found (install python3.11)" >&2; exit 1; }
"$PYTHON_BIN" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)' || {
  echo "CreditDesk needs Python 3.11 or newer ($PYTHON_BIN is $("$PYTHON_BIN" --version 2>&1))" >&2; exit 1; }

need_apt=()
# mysqlclient compiles against MariaDB's client library with a C compiler and
# the Python headers.
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
"$PYTHON_BIN" -c 'import os, sys, sysconfig; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)' \
  || need_apt+=(python3-dev)
"$PYTHON_BIN" -c 'import ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
if ! pkg-config --exists mysqlclient 2>/dev/null && ! pkg-config --exists libmariadb 2>/dev/null; then
  need_apt+=(libmariadb-dev)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing system packages: ${need_apt[*]} ${EXTRA_APT_PACKAGES:-}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" ${EXTRA_APT_PACKAGES:-} >/dev/null
  else
    echo "Missing system packages: ${need_apt[*]} (install them with your package manager, e.g. sudo apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $PYTHON_BIN"
  "$PYTHON_BIN" -m venv .venv
fi
REQ=${REQUIREMENTS:-requirements-dev.txt}
stamp=.venv/.installed-$(cat requirements.txt "$REQ" | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "==> installing Python packages from $REQ"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$REQ"
  rm -f .venv/.installed-* && touch "$stamp"
fi
