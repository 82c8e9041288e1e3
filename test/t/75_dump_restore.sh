#!/usr/bin/env bash
# test/t/75_dump_restore.sh: values at the edges of every range survive pg_dump and restore
# (issue 13, item 5).
#
# A user table holds trace and dfg columns with timestamps from 4714 BC to the last usable
# microsecond (after year 287,000), years around 1 BC and 10000, order keys at both ends of
# bigint, NULL order keys, awkward activity names, and weights at the bound. It is dumped with
# pg_dump (plain and custom format, the latter restored with pg_restore, binary-safe COPY either
# way) and restored into new databases; the restored values must equal the originals. A dump
# row as collmine 0.1.0 wrote it (years "-043", "12000") must restore as well.
# Then a database as a user has it: a log, its dashboards materialized and refreshed (the shared
# invoice facts and process maps, which other materialized dashboards read through a regclass
# constant, so that pg_restore refreshes them first) and a user's view over process_map(): after
# pg_restore --exit-on-error every view and materialized view holds the same rows.
# Runs inside `make test` (environment of test/pg.sh) or on its own.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/pg.sh"

if [ -z "${CM_BIN:-}" ] || [ -z "${CM_RUN:-}" ]; then
    own=1; cm_ensure_headers; cm_rundir; trap cm_cleanup EXIT; cm_stage; cm_start 1
fi

PSQL=("$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1)
out=$(mktemp -d "${TMPDIR:-/tmp}/collmine-dump.XXXXXX")
chmod 755 "$out"
failures=0
dbs="cm_dump_src cm_dump_plain cm_dump_custom cm_dump_old cm_dump_dash_src cm_dump_dash"
cleanup_dr() { for db in $dbs; do "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done; rm -rf "$out"; }
# stop and remove the cluster only when this script started it (inside make test it is shared)
trap 'cleanup_dr; [ -z "${own:-}" ] || cm_cleanup' EXIT

for db in $dbs; do
    "${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
done

"${PSQL[@]}" -d cm_dump_src <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION collmine;
CREATE TABLE ev (case_id text, activity text, ts timestamptz, ord bigint);
INSERT INTO ev VALUES
  ('bc',    'Invoice Generated', '4714-11-24 00:00:00+00 BC', -9223372036854775808),
  ('bc',    'Ides',              '0044-03-15 12:00:00.5+00 BC', 0),
  ('bc',    'a -> b',            '0001-12-31 23:59:59.999999+00 BC', 9223372036854775806),
  ('bc',    'q"uote\back',       '0001-01-01 00:00:00+00', NULL),
  ('late',  'Invoice Generated', '9999-12-31 23:59:59.999999+00', 1),
  ('late',  E'tab\tnew\nline',   '10000-01-01 00:00:00+00', 2),
  ('late',  'ünïcödé',           timestamptz '2000-01-01 00:00:00+00' + '9011558548854775807 us'::interval, 3),
  ('late',  'skipped',           '294276-12-31 23:59:59.999999+00', 4),
  ('plain', 'Invoice Generated', '2024-01-05 10:00:00+00', 1),
  ('plain', 'Invoice Settled',   '2024-01-21 00:00:00+00', 2);
CREATE TABLE kept (id int PRIMARY KEY, t collmine.trace, d collmine.dfg);
INSERT INTO kept
SELECT row_number() OVER (ORDER BY case_id)::int, collmine.trace_agg(activity, ts, ord), NULL FROM ev GROUP BY case_id;
INSERT INTO kept
SELECT 100, NULL, collmine.dfg_agg(t, 922337203685477.5807) FROM (SELECT t FROM kept WHERE t IS NOT NULL) x;
INSERT INTO kept
SELECT 101, NULL, collmine.dfg_union(d) FROM (SELECT d FROM kept, generate_series(1, 1000) WHERE id = 100) x;
INSERT INTO kept
SELECT 102, NULL, collmine.dfg_agg(t, -922337203685477.5808) FROM (SELECT t FROM kept WHERE t IS NOT NULL) x;
SQL
"${PSQL[@]}" -At -d cm_dump_src -c "SELECT id, t::text, d::text FROM kept ORDER BY id" > "$out/src.txt"
grep -q '"-4713-11-24T00:00:00Z"' "$out/src.txt" && grep -q '"+287564-12-03T04:00:54.775807Z"' "$out/src.txt" \
    || { echo "not ok - the source table does not hold the extreme values:"; sed 's/^/#   /' "$out/src.txt"; exit 1; }

check_same() {
    local db=$1 what=$2
    "${PSQL[@]}" -At -d "$db" -c "SELECT id, t::text, d::text FROM kept ORDER BY id" > "$out/$db.txt"
    if diff -u "$out/src.txt" "$out/$db.txt" > "$out/$db.diff"; then
        echo "ok - $what restores every trace and dfg value unchanged"
    else
        echo "not ok - $what changes values:"; sed 's/^/#   /' "$out/$db.diff"; failures=$((failures + 1))
    fi
}

# plain SQL dump, restored with psql
if "$CM_BIN/pg_dump" -d cm_dump_src -f "$out/plain.sql" 2> "$out/dump.err" &&
   "${PSQL[@]}" -d cm_dump_plain -f "$out/plain.sql" > "$out/restore.log" 2>&1; then
    check_same cm_dump_plain "pg_dump (plain) and psql"
else
    echo "not ok - plain dump or restore fails:"; sed 's/^/#   /' "$out/dump.err" "$out/restore.log"; failures=$((failures + 1))
fi

# custom-format dump, restored with pg_restore (every error is fatal)
if "$CM_BIN/pg_dump" -Fc -d cm_dump_src -f "$out/custom.dump" 2> "$out/dump.err" &&
   "$CM_BIN/pg_restore" --exit-on-error -d cm_dump_custom "$out/custom.dump" > "$out/restore.log" 2>&1; then
    check_same cm_dump_custom "pg_dump -Fc and pg_restore"
else
    echo "not ok - custom dump or restore fails:"; sed 's/^/#   /' "$out/dump.err" "$out/restore.log"; failures=$((failures + 1))
fi

# a COPY row as collmine 0.1.0 dumped it: years before 1 BC and after 9999 without ISO 8601's
# sign and width ("-043-03-15", "12000-01-01"); 0.2.0 reads it and prints the expanded form
"${PSQL[@]}" -d cm_dump_old -c "SET client_min_messages = warning" -c "CREATE EXTENSION collmine" \
    -c "CREATE TABLE kept (id int PRIMARY KEY, t collmine.trace)" >/dev/null
if printf '1\t{"v":1,"skipped":0,"events":[["Ides","-043-03-15T12:00:00.5Z",1],["Later","12000-01-01T00:00:00Z",2]]}\n' |
       "${PSQL[@]}" -d cm_dump_old -c "COPY kept FROM STDIN" > "$out/old.log" 2>&1; then
    got=$("${PSQL[@]}" -At -d cm_dump_old -c "SELECT t::text FROM kept")
    want='{"v":1,"skipped":0,"events":[["Ides","-0043-03-15T12:00:00.5Z",1],["Later","+12000-01-01T00:00:00Z",2]]}'
    if [ "$got" = "$want" ]; then echo "ok - a 0.1.0 dump row with extreme years restores"
    else echo "not ok - a 0.1.0 dump row reads as $got"; failures=$((failures + 1)); fi
else
    echo "not ok - a 0.1.0 dump row does not restore:"; sed 's/^/#   /' "$out/old.log"; failures=$((failures + 1))
fi

# a log with materialized dashboards and a user's view: dumped and restored, the same rows
"${PSQL[@]}" -d cm_dump_dash_src -v log=erp > "$out/dash.log" 2>&1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION collmine;
\\i $CM_TOP/test/sql/50_kpi_log.inc
SELECT count(*) FROM collmine.create_dashboards('erp', 'dash', materialized => true);
SELECT collmine.refresh_dashboards('dash', false);
CREATE SCHEMA u;
CREATE VIEW u.my_map AS
SELECT * FROM collmine.dfg_edges(collmine.process_map('erp.events', 'case_id', 'activity', 'ts'));
SQL
if "$CM_BIN/pg_dump" -Fc -d cm_dump_dash_src -f "$out/dash.dump" 2> "$out/dump.err" &&
   "$CM_BIN/pg_restore" --exit-on-error -d cm_dump_dash "$out/dash.dump" > "$out/restore.log" 2>&1; then
    # every relation of the schemas u and dash: its name, row count and md5 (the upgrade test's list)
    for db in cm_dump_dash_src cm_dump_dash; do
        "${PSQL[@]}" -At -d "$db" -f "$CM_TOP/test/t/upgrade/results.sql" > "$out/$db.rows" 2>&1 || true
    done
    n=$(grep -c ' md5 ' "$out/cm_dump_dash_src.rows" || true)
    if diff -u "$out/cm_dump_dash_src.rows" "$out/cm_dump_dash.rows" > "$out/dash.diff" && [ "$n" -ge 27 ]; then
        echo "ok - dashboards (materialized, refreshed) and a user's view over process_map() restore with the same rows ($n relations)"
    else
        echo "not ok - after pg_restore the rows differ (or only $n relations were compared):"
        sed 's/^/#   /' "$out/dash.diff"; failures=$((failures + 1))
    fi
else
    echo "not ok - a database with materialized dashboards does not dump or restore:"
    sed 's/^/#   /' "$out/dash.log" "$out/dump.err" "$out/restore.log"; failures=$((failures + 1))
fi

[ "$failures" -eq 0 ]
