#!/usr/bin/env bash
# What `make test` needs beside Python: PostgreSQL and Redis running on 127.0.0.1, Dovecot and
# openssl (the IMAP tests), Debian's Chromium (the browser tests) and faketime (the moved-clock
# run). On Debian or Ubuntu, as root or with sudo, the missing packages are installed and the
# servers started; elsewhere this says what is missing, and the tests that need it are skipped
# (they fail under CI=true).
set -uo pipefail

missing=()
command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
command -v openssl >/dev/null || missing+=(openssl)
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v faketime >/dev/null || missing+=(faketime)

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
if ((${#missing[@]})); then
  if command -v apt-get >/dev/null && "${as_root[@]}" true 2>/dev/null; then
    echo "make test: installing ${missing[*]} (Debian packages)"
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "make test: missing ${missing[*]}: install them (Debian: apt-get install ${missing[*]});"
    echo "           the tests that need them are skipped until then"
  fi
fi

if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null && "${as_root[@]}" true 2>/dev/null; then
    echo "make test: starting PostgreSQL"
    "${as_root[@]}" pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi

if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "make test: starting Redis on 127.0.0.1:6379 (no persistence)"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
exit 0
