#!/usr/bin/env bash
# test/t/52_odbc.sh: a BI client through ODBC reads every dashboard view. Installs Debian's
# psqlODBC (odbc-postgresql), unixODBC and python3-pyodbc when missing (skips, saying why, only
# when they cannot be installed), writes a private odbcinst.ini and odbc.ini (the Unicode driver,
# over cluster 1's Unix socket; ODBCSYSINI and ODBCINI point at them, so nothing under /etc
# changes), builds the dashboards over the hand-made log of test/sql/50_kpi_log.inc as
# 51_psycopg2.sh does, checks the DSN with unixODBC's own iusql, and runs test/t/52_odbc.py,
# which checks each view's documented column names and types against the contract that
# test/t/51_psycopg2.py keeps (read from that file, not written twice).
set -euo pipefail
. "$(dirname "$0")/../pg.sh"
cd "$CM_TOP"

need=()
dpkg -s odbc-postgresql >/dev/null 2>&1 || need+=(odbc-postgresql)
dpkg -s unixodbc >/dev/null 2>&1 || need+=(unixodbc)
/usr/bin/python3 -c 'import pyodbc' 2>/dev/null || need+=(python3-pyodbc)
if [ ${#need[@]} -gt 0 ] && ! (cm_apt "${need[@]}"); then
    echo "ok - an ODBC client reads every dashboard view # skip could not install ${need[*]} (apt-get install failed or not root)"
    exit 0
fi
driver=$(dpkg -L odbc-postgresql | grep '/psqlodbcw\.so$' | head -1)
[ -n "$driver" ] || { echo "not ok - psqlodbcw.so (the Unicode driver) not found in odbc-postgresql"; exit 1; }

db=cm_odbc
odbc_dir=$(mktemp -d "${TMPDIR:-/tmp}/collmine-odbc.XXXXXX")
cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    rm -rf "$odbc_dir"
}
trap cleanup EXIT
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql_db -c 'CREATE EXTENSION collmine' >/dev/null
psql_db -v log=bi_log -f test/sql/50_kpi_log.inc >/dev/null
psql_db -c "SELECT count(*) FROM collmine.create_dashboards('bi_log', 'bi_dash')" >/dev/null

# The DSN as a BI tool's administrator would set it up. Servername is the socket directory
# (libpq reads a name starting with / as one). BoolsAsChar=0 gives booleans as SQL_BIT rather than
# the driver's default of '1'/'0' text, as BI tools that chart flags are configured.
cat > "$odbc_dir/odbcinst.ini" <<INI
[PostgreSQL Unicode]
Description = psqlODBC, the PostgreSQL ODBC driver (Unicode)
Driver = $driver
INI
cat > "$odbc_dir/odbc.ini" <<INI
[collmine_bi]
Driver = PostgreSQL Unicode
Servername = $PGHOST
Port = $PGPORT
Database = $db
Username = ${PGUSER:-postgres}
BoolsAsChar = 0
INI
export ODBCSYSINI=$odbc_dir ODBCINI=$odbc_dir/odbc.ini

# unixODBC's own client reaches the database through the DSN
n=$(echo "SELECT count(*) FROM unnest(collmine.dashboard_names())" | iusql -b -d, collmine_bi 2>&1 | tr -d '\r' | grep -E '^[0-9]+$' || true)
if [ -z "$n" ] || [ "$n" -lt 1 ]; then
    echo "not ok - iusql through the DSN collmine_bi: got '$n'"
    echo "SELECT 1" | iusql -v -b collmine_bi 2>&1 | head -20
    exit 1
fi
echo "ok - iusql reads the database through the DSN collmine_bi ($n dashboards)"

/usr/bin/python3 test/t/52_odbc.py collmine_bi bi_dash test/t/51_psycopg2.py
