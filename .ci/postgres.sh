#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 on loopback and a free port, as the postgres user (the server refuses root).
# Source it: it exports AGENTLOCKS_TEST_POSTGRES and defines stop_postgres.
set -euo pipefail

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pg_bin/initdb" ] || { echo "postgres.sh: no PostgreSQL binaries under /usr/lib/postgresql" >&2; return 1; }
id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres

pg_port=""
for candidate in $(seq 55432 55532); do
  if ! (exec 3<>/dev/tcp/127.0.0.1/"$candidate") 2>/dev/null; then pg_port=$candidate; break; fi
done
[ -n "$pg_port" ] || { echo "postgres.sh: no free port" >&2; return 1; }

pg_dir=$(mktemp -d /tmp/agentlocks-pg.XXXXXX)
chown postgres "$pg_dir"
run_as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
run_as_postgres "'$pg_bin/initdb' -D '$pg_dir/data' -U postgres --auth=trust -E UTF8 >'$pg_dir/initdb.log'"
# fsync stays on: the tests measure and rely on real durability.
run_as_postgres "'$pg_bin/pg_ctl' -D '$pg_dir/data' -l '$pg_dir/server.log' -w -o \"-c listen_addresses=127.0.0.1 -p $pg_port -k '$pg_dir' -c max_connections=200\" start >/dev/null"

export AGENTLOCKS_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Pooling=true"
export AGENTLOCKS_TEST_PG_CTL="$pg_bin/pg_ctl"
export AGENTLOCKS_TEST_PG_DATA="$pg_dir/data"
echo "PostgreSQL on 127.0.0.1:$pg_port ($pg_dir)"

stop_postgres() {
  run_as_postgres "'$pg_bin/pg_ctl' -D '$pg_dir/data' -m immediate stop >/dev/null 2>&1" || true
  rm -rf "$pg_dir"
}
