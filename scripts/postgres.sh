#!/usr/bin/env bash
# Makes sure the local PostgreSQL cluster (127.0.0.1:5432, trust auth for
# postgres) answers. Tests create and drop their own databases in it.
set -euo pipefail
ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
ready && exit 0
version=$(ls /etc/postgresql | sort -n | tail -1)
echo "[postgres] starting cluster $version/main"
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do ready && break; sleep 1; done
if ! ready; then
  echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2
  exit 1
fi
# A fresh Debian cluster asks for passwords over TCP; the tests use trust auth
# on loopback, as the machines here are set up.
if ! psql -h 127.0.0.1 -U postgres -c 'SELECT 1' >/dev/null 2>&1; then
  hba=$(ls /etc/postgresql/"$version"/main/pg_hba.conf)
  sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
fi
