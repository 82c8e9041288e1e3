#!/usr/bin/env bash
# test/t/51_psycopg2.sh: a real client other than psql queries the dashboard views. Installs
# Debian's python3-psycopg2 when missing, builds the dashboards over the hand-made log of
# test/sql/50_kpi_log.inc in a database of its own on cluster 1, and runs test/t/51_psycopg2.py
# with Debian's /usr/bin/python3 (not a pyenv or virtualenv python) over the Unix socket.
set -euo pipefail
. "$(dirname "$0")/../pg.sh"
cd "$CM_TOP"

if ! /usr/bin/python3 -c 'import psycopg2' 2>/dev/null; then
    cm_apt python3-psycopg2
fi

db=cm_psycopg2
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT

psql_db -c 'CREATE EXTENSION collmine' >/dev/null
psql_db -v log=bi_log -f test/sql/50_kpi_log.inc >/dev/null
psql_db -c "SELECT count(*) FROM collmine.create_dashboards('bi_log', 'bi_dash')" >/dev/null

/usr/bin/python3 test/t/51_psycopg2.py "$db" bi_dash
