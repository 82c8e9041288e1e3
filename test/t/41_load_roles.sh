#!/usr/bin/env bash
# test/t/41_load_roles.sh: the one-step load (collmine-load) and every connector as a normal role,
# then row-level security on that role's log as seen through every dashboard view and the
# KPI, dashboard and entry-point functions (issue 9 part 1, issue 13 items 2 and 3).
#
# The role cm_loader owns only its target schemas: no superuser, no CREATE on the database.
# For each source (netsuite, d365fo, d365bc) and the bundled sample (test/data/erp/sample):
#   - collmine-load of the sample as is fills staging tables equal, row for row, to a
#     superuser's plain \copy (columns named by the file's header line) of the same files;
#   - copies rewritten by test/t/rewrite_csv.pl (columns reversed, header in upper case, an
#     extra column, a byte order mark, CRLF, a value with a line break and non-ASCII letters)
#     load by header into staging tables equal to a superuser's plain \copy of the same
#     values in the original layout, and the build run by cm_loader gives the same events,
#     invoices and quality findings as the superuser's build;
#   - a file whose header matches no table, and one that lacks a required column, stop the
#     load with the exact message, exit status 1, and nothing loaded.
# Then RLS: cm_viewer may see the invoices (and their events) of some customers only. Every
# dashboard view over cm_loader's log, and every KPI and entry-point function, shows cm_viewer
# exactly what it shows over a log that holds only those rows; the materialized variants hold
# what the refreshing role saw (documented in docs/dashboards/README.md). Last, the monthly
# overview stays bounded by the data when one invoice carries a date in year 1.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/pg.sh"

own=
if [ -z "${CM_BIN:-}" ] || [ -z "${CM_RUN:-}" ]; then
    own=1; cm_ensure_headers; cm_rundir; trap cm_cleanup EXIT; cm_stage; cm_start 1
fi
cd "$CM_TOP"
DB=cm_load
SAMPLE=$CM_TOP/test/data/erp/sample
work=$(mktemp -d "${TMPDIR:-/tmp}/collmine-load-test.XXXXXX")
chmod 755 "$work"
failures=0
su_psql() { "$CM_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
as_loader() { PGUSER=cm_loader PGDATABASE=$DB "$@"; }
lo_psql() { as_loader "$CM_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
vw_psql() { PGUSER=cm_viewer PGDATABASE=$DB "$CM_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; failures=$((failures + 1)); }
check() { local what=$1 want=$2 got=$3; if [ "$got" = "$want" ]; then ok "$what"; else notok "$what: expected [$want], got [$got]"; fi; }
cleanup_load() {
    "$CM_BIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    "$CM_BIN/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS cm_loader" -c "DROP ROLE IF EXISTS cm_viewer" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap 'cleanup_load; [ -z "$own" ] || cm_cleanup' EXIT
cleanup_load; mkdir -p "$work"; chmod 755 "$work"

"$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres <<SQL
CREATE DATABASE $DB;
CREATE ROLE cm_loader LOGIN;   -- NOSUPERUSER NOCREATEDB NOCREATEROLE by default
CREATE ROLE cm_viewer LOGIN;
SQL
su_psql <<'SQL'
CREATE EXTENSION collmine;
REVOKE CREATE ON DATABASE cm_load FROM PUBLIC;
CREATE SCHEMA ns AUTHORIZATION cm_loader;  CREATE SCHEMA ns_raw AUTHORIZATION cm_loader;
CREATE SCHEMA fo AUTHORIZATION cm_loader;  CREATE SCHEMA fo_raw AUTHORIZATION cm_loader;
CREATE SCHEMA bc AUTHORIZATION cm_loader;  CREATE SCHEMA bc_raw AUTHORIZATION cm_loader;
CREATE SCHEMA sub AUTHORIZATION cm_loader; CREATE SCHEMA dash AUTHORIZATION cm_loader;
CREATE SCHEMA dash_sub AUTHORIZATION cm_loader; CREATE SCHEMA ss AUTHORIZATION cm_loader;
SQL
check "cm_loader is no superuser and may not create schemas" "false|false" \
    "$(su_psql -c "SELECT rolsuper || '|' || has_database_privilege('cm_loader', 'cm_load', 'CREATE') FROM pg_roles WHERE rolname = 'cm_loader'")"

# rows of every staging table of a source in schema $2, as text, sorted (order-independent)
staging_dump() {
    local src=$1 sch=$2 t
    su_psql -c "SELECT DISTINCT quote_ident(table_name) FROM collmine.staging_columns WHERE source = '$src' ORDER BY 1" |
    while IFS= read -r t; do
        echo "== $t"
        su_psql -c "COPY (SELECT * FROM $sch.$t) TO STDOUT" | LC_ALL=C sort
    done
}
# plain \copy (columns named by the file's header line) of the files $src.*.csv of directory
# $3 into schema $2, as the superuser
positional_load() {
    local src=$1 sch=$2 dir=$3 t f cols
    su_psql -c "SELECT count(*) FROM collmine.create_staging('$src', '$sch')" >/dev/null
    for t in $(su_psql -c "SELECT DISTINCT table_name FROM collmine.staging_columns WHERE source = '$src' ORDER BY 1" | tr ' ' '@'); do
        t=${t//@/ }
        f=$dir/$src.$(printf '%s' "$t" | sed 's/\. /_/g; s/\.$//; s/ /_/g').csv
        [ -f "$f" ] || continue
        # the file's own header as the column list (the staging tables may have optional
        # columns that the sample's files lack)
        cols=$(head -1 "$f" | tr -d '\r' | sed 's/"//g; s/[^,][^,]*/"&"/g')
        su_psql -c "\\copy $sch.\"$t\" ($cols) FROM '$f' WITH (FORMAT csv, HEADER true)"
    done
}
log_dump() {
    local sch=$1
    for t in events invoices quality_issues; do
        echo "== $t"
        su_psql -c "COPY (SELECT * FROM $sch.$t) TO STDOUT" | LC_ALL=C sort
    done
}

declare -A SETTINGS=(
    [netsuite]='{"date_format": "MM/DD/YYYY", "timestamp_format": "MM/DD/YYYY HH12:MI am", "as_of": "2025-06-30T23:59:00Z"}'
    [d365fo]='{}'
    [d365bc]='{"local_currency": "USD"}')
declare -A EDITS=(
    [netsuite.customer]='companyname' [netsuite.transaction]='memo'
    [d365fo.smmActivities]='Purpose ResponsibleWorker'
    [d365bc.Customer]='Name')
declare -A SCHEMA=([netsuite]=ns [d365fo]=fo [d365bc]=bc)

for src in netsuite d365fo d365bc; do
    sch=${SCHEMA[$src]}
    asof=$(sed -n 's/^[^,]*,as_of,//p' "$SAMPLE/$src.truth.csv")
    settings=$(su_psql -c "SELECT ('${SETTINGS[$src]}'::jsonb || jsonb_build_object('as_of', '$asof'))::text")

    # 1. the sample as is: by header as cm_loader = positionally as the superuser
    if as_loader "$CM_BIN/collmine-load" --exclude '*.truth.csv' "$src" "$SAMPLE" "${sch}_raw" > "$work/$src.raw.out" 2>&1; then
        positional_load "$src" "ref_${src}_raw" "$SAMPLE"
        if diff <(staging_dump "$src" "ref_${src}_raw") <(staging_dump "$src" "${sch}_raw") > "$work/diff" ; then
            ok "$src: collmine-load of the sample as cm_loader equals the superuser's positional \\copy ($(grep -c ' rows into ' "$work/$src.raw.out") files)"
        else
            notok "$src: staging tables differ from the positional load"; head -20 "$work/diff" | sed 's/^/#   /'
        fi
    else
        notok "$src: collmine-load of the sample failed"; sed 's/^/#   /' "$work/$src.raw.out"
    fi

    # 2. rewritten copies: plain (original layout) for the superuser, messy for collmine-load
    mkdir -p "$work/plain" "$work/messy"
    for f in "$SAMPLE/$src".*.csv; do
        name=${f##*/}; key=${name%.csv}
        [ "$key" = "$src.truth" ] && continue
        # shellcheck disable=SC2086
        perl test/t/rewrite_csv.pl plain "$f" "$work/plain/$name" ${EDITS[$key]:-}
        # shellcheck disable=SC2086
        perl test/t/rewrite_csv.pl messy "$f" "$work/messy/$name" ${EDITS[$key]:-}
    done
    positional_load "$src" "ref_$src" "$work/plain"
    su_psql -c "SELECT count(*) FROM collmine.${src}_build('ref_$src', '$settings')" >/dev/null
    if as_loader "$CM_BIN/collmine-load" "$src" "$work/messy" "$sch" > "$work/$src.out" 2>&1; then
        grep -q 'columns not loaded (not in the staging table): ZZ_EXPORT_NOTE' "$work/$src.out" \
            && ok "$src: the extra column is listed" || notok "$src: the extra column is not listed: $(head -3 "$work/$src.out")"
        if diff <(staging_dump "$src" "ref_$src") <(staging_dump "$src" "$sch") > "$work/diff"; then
            ok "$src: shuffled, upper-case, BOM, CRLF, extra column, embedded newline, non-ASCII: staging equals the positional load"
        else
            notok "$src: rewritten files: staging tables differ"; head -20 "$work/diff" | sed 's/^/#   /'
        fi
        if lo_psql -c "SELECT count(*) FROM collmine.${src}_build('$sch', '$settings')" > "$work/build.out" 2>&1; then
            if diff <(log_dump "ref_$src") <(log_dump "$sch") > "$work/diff"; then
                ok "$src: the build as cm_loader equals the superuser's ($(su_psql -c "SELECT count(*) FROM $sch.events") events)"
            else
                notok "$src: the logs differ"; head -20 "$work/diff" | sed 's/^/#   /'
            fi
        else
            notok "$src: the build as cm_loader failed"; sed 's/^/#   /' "$work/build.out"
        fi
    else
        notok "$src: collmine-load of the rewritten files failed"; sed 's/^/#   /' "$work/$src.out"
    fi
    rm -rf "$work/plain" "$work/messy"
done
check "the non-ASCII name with a line break reaches the invoices" "1" \
    "$(su_psql -c "SELECT count(DISTINCT customer_id) FROM ns.invoices WHERE customer_name LIKE E'%Ünïcødé Müller\nzweite Zeile'")"
check "builds leave no temporary tables in the session" "0" \
    "$(lo_psql -c "SELECT count(*) FROM collmine.netsuite_build('ns', '${SETTINGS[netsuite]}')" \
               -c "SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()" | tail -1)"

lo_psql -c "ALTER TABLE ns_raw.subsidiary DROP COLUMN country"
as_loader "$CM_BIN/collmine-load" --exclude '*.truth.csv' netsuite "$SAMPLE" ns_raw > "$work/again.out" 2>&1 || notok "collmine-load again: $(cat "$work/again.out")"
check "collmine-load adds a staging column that the table lacks" "1 columns were missing" \
    "$(sed -n 's/^prepared .* (\(.*\))$/\1/p' "$work/again.out")"
if diff <(staging_dump netsuite ref_netsuite_raw) <(staging_dump netsuite ns_raw) > "$work/diff"; then
    ok "and loads it: the staging tables equal the positional load again"
else
    notok "after adding the column, staging tables differ"; head -5 "$work/diff" | sed 's/^/#   /'
fi
check "data_quality as cm_loader" "t" "$(lo_psql -c "SELECT count(*) > 0 FROM collmine.data_quality('ns')")"
check "import_csv as cm_loader, a CRLF file landed client-side" "3" \
    "$(lo_psql -c "TRUNCATE ns_raw.term" \
               -c "\\copy ns_raw.csv_import (line) FROM PROGRAM 'printf ''id,name,daysuntilnetdue\\r\\n1,\"Net\\n30\",30\\r\\n2,Net 60,60\\r\\n3,Net 90,90\\r\\n'' | tr -d \"\\r\"' WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')" \
               -c "SELECT collmine.import_csv('ns_raw.term')")"

# a NetSuite saved-search export (display column names), columns in another order, as cm_loader
mkdir -p "$work/ss"
cat > "$work/ss.csv" <<'CSV'
Internal ID,Type,Date,Date Created,Document Number,Name,Due Date/Receive By,Amount,Status,Subsidiary,Currency,Applying Transaction,Applying Link Amount,Sales Rep
101,Invoice,9/1/2024,9/1/2024 9:15 am,INV-101,Acme Corp,10/1/2024,500.00,Paid In Full,US Inc.,USD,Payment #PAY-7,200.00,Jane Roe
101,Invoice,9/1/2024,9/1/2024 9:15 am,INV-101,Acme Corp,10/1/2024,500.00,Paid In Full,US Inc.,USD,Payment #PAY-8,300.00,Jane Roe
102,Invoice,9/14/2024,9/14/2024 1:05 pm,INV-102,Acme Corp,10/14/2024,80.00,Paid In Full,US Inc.,USD,Payment #PAY-8,80.00,Jane Roe
103,Invoice,9/20/2024,9/20/2024 4:40 pm,INV-103,Bolt Ltd,10/20/2024,120.00,Open,US Inc.,USD,,,Jane Roe
201,Payment,9/20/2024,9/20/2024 10:00 am,PAY-7,Acme Corp,,200.00,Deposited,US Inc.,USD,,,
202,Payment,10/20/2024,10/20/2024 11:30 am,PAY-8,Acme Corp,,380.00,Deposited,US Inc.,USD,,,
CSV
perl test/t/rewrite_csv.pl messy "$work/ss.csv" "$work/ss/TransactionSearch.csv"
SS='{"date_format": "MM/DD/YYYY", "timestamp_format": "MM/DD/YYYY HH12:MI am", "as_of": "2024-10-31 23:59:00+00"}'
su_psql -c "SELECT count(*) FROM collmine.create_staging('netsuite', 'ref_ss')" \
        -c "\\copy ref_ss.transaction_search (\"Internal ID\", \"Type\", \"Date\", \"Date Created\", \"Document Number\", \"Name\", \"Due Date/Receive By\", \"Amount\", \"Status\", \"Subsidiary\", \"Currency\", \"Applying Transaction\", \"Applying Link Amount\", \"Sales Rep\") FROM '$work/ss.csv' WITH (FORMAT csv, HEADER true)" \
        -c "SELECT collmine.netsuite_from_saved_search('ref_ss')" -c "SELECT count(*) FROM collmine.netsuite_build('ref_ss', '$SS')" >/dev/null
if as_loader "$CM_BIN/collmine-load" netsuite "$work/ss" ss > "$work/ss.out" 2>&1 \
   && lo_psql -c "SELECT collmine.netsuite_from_saved_search('ss')" -c "SELECT count(*) FROM collmine.netsuite_build('ss', '$SS')" > /dev/null 2>> "$work/ss.out"; then
    grep -q 'TransactionSearch.csv: 6 rows into ss.transaction_search' "$work/ss.out" || notok "saved search: $(cat "$work/ss.out")"
    if diff <(log_dump ref_ss) <(log_dump ss) > "$work/diff"; then
        ok "saved search as cm_loader: collmine-load, netsuite_from_saved_search and the build equal the superuser's ($(su_psql -c "SELECT count(*) FROM ss.events") events)"
    else
        notok "saved search: the logs differ"; head -10 "$work/diff" | sed 's/^/#   /'
    fi
else
    notok "saved search as cm_loader failed"; sed 's/^/#   /' "$work/ss.out"
fi

# 3. errors: nothing is loaded, the message names the file and the column
mkdir -p "$work/bad1" "$work/bad2"
cp "$SAMPLE/netsuite.term.csv" "$work/bad1/"
printf 'foo,bar\r\n1,2\r\n' > "$work/bad1/mystery.csv"
before=$(su_psql -c "SELECT count(*) FROM ns.term")
set +e
as_loader "$CM_BIN/collmine-load" netsuite "$work/bad1" ns > "$work/bad.out" 2> "$work/bad.err"; rc=$?
set -e
check "unknown header: exit status" 1 "$rc"
check "unknown header: message" 'collmine-load: error: file "mystery.csv": its header matches no netsuite export table' "$(head -1 "$work/bad.err")"
check "unknown header: the last line says nothing was loaded" 'collmine-load: error: nothing loaded: fix the files above (or skip them with --exclude)' "$(tail -1 "$work/bad.err")"
check "unknown header: nothing loaded" "$before" "$(su_psql -c "SELECT count(*) FROM ns.term")"
perl -ne 'chomp; my @f = split /,/, $_, -1; splice @f, 3, 1; print join(",", @f), "\n"' "$SAMPLE/netsuite.transaction.csv" > "$work/bad2/netsuite.transaction.csv"
set +e
as_loader "$CM_BIN/collmine-load" netsuite "$work/bad2" ns > "$work/bad.out" 2> "$work/bad.err"; rc=$?
set -e
check "missing required column: exit status" 1 "$rc"
check "missing required column: message" 'collmine-load: error: file "netsuite.transaction.csv" (netsuite table "transaction") lacks the required column: "trandate"' "$(head -1 "$work/bad.err")"
check "missing required column: hint" '  hint: The export must have the columns "id", "tranid", "type", "trandate", in any order.' "$(sed -n 2p "$work/bad.err")"
# a data line with a field too many: the load stops in the file, rolls back, names the file
printf 'id,name,daysuntilnetdue\n1,Net 30,30\n2,Net, 60,60\n' > "$work/bad1/mystery.csv"; mv "$work/bad1/mystery.csv" "$work/bad1/netsuite.term.csv"
set +e
as_loader "$CM_BIN/collmine-load" netsuite "$work/bad1" ns > "$work/bad.out" 2> "$work/bad.err"; rc=$?
set -e
check "bad data line: exit status" 1 "$rc"
check "bad data line: message" 'collmine-load: error: netsuite.term.csv: extra data after last expected column' "$(head -1 "$work/bad.err")"
check "bad data line: nothing loaded" "$before" "$(su_psql -c "SELECT count(*) FROM ns.term")"

# 4. row-level security: cm_viewer sees the invoices of the customers in ns.allowed only
(lo_psql <<'SQL'
CREATE TABLE ns.allowed AS
    SELECT i.case_id FROM ns.invoices i
    WHERE i.customer_id IN (SELECT DISTINCT customer_id FROM ns.invoices ORDER BY customer_id LIMIT 20);
GRANT USAGE ON SCHEMA ns, dash TO cm_viewer;
GRANT SELECT ON ns.events, ns.invoices, ns.customer_events, ns.allowed TO cm_viewer;
ALTER TABLE ns.invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE ns.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE ns.customer_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY some_customers ON ns.invoices TO cm_viewer
    USING (EXISTS (SELECT 1 FROM ns.allowed a WHERE a.case_id = invoices.case_id));
CREATE POLICY some_customers ON ns.events TO cm_viewer
    USING (EXISTS (SELECT 1 FROM ns.allowed a WHERE a.case_id = events.case_id));
-- customer-level events (credit limits): those of the allowed invoices' customers
CREATE POLICY some_customers ON ns.customer_events TO cm_viewer
    USING (customer_id IN (SELECT i.customer_id FROM ns.invoices i JOIN ns.allowed a USING (case_id)));
-- the same rows as a log of their own, which the owner reads in full
CREATE TABLE sub.events AS SELECT e.* FROM ns.events e JOIN ns.allowed USING (case_id);
CREATE TABLE sub.invoices AS SELECT i.* FROM ns.invoices i JOIN ns.allowed USING (case_id);
CREATE TABLE sub.customer_events AS
    SELECT c.* FROM ns.customer_events c WHERE c.customer_id IN (SELECT customer_id FROM sub.invoices);
SELECT count(*) FROM collmine.create_dashboards('ns', 'dash');
SELECT count(*) FROM collmine.create_dashboards('sub', 'dash_sub', materialized => false);
GRANT SELECT ON ALL TABLES IN SCHEMA dash TO cm_viewer;
SQL
) >/dev/null
total=$(lo_psql -c "SELECT count(*) FROM ns.invoices"); allowed=$(lo_psql -c "SELECT count(*) FROM ns.allowed")
check "the policy lets cm_viewer see $allowed of $total invoices" "$allowed" "$(vw_psql -c "SELECT count(*) FROM ns.invoices")"
[ "$allowed" -gt 0 ] && [ "$allowed" -lt "$total" ] || notok "the RLS subset is not a proper subset ($allowed of $total)"

# the output of one query as cm_viewer over ns and as cm_loader over sub, as sorted text
same_as_subset() {
    local what=$1 q=$2
    vw_psql -c "COPY (${q//@LOG@/ns}) TO STDOUT" 2>&1 | LC_ALL=C sort > "$work/viewer.txt"
    lo_psql -c "COPY (${q//@LOG@/sub}) TO STDOUT" 2>&1 | LC_ALL=C sort > "$work/subset.txt"
    if [ ! -s "$work/subset.txt" ]; then
        notok "$what: no rows over the subset"
    elif diff "$work/subset.txt" "$work/viewer.txt" > "$work/diff"; then
        ok "$what: cm_viewer sees only the allowed rows ($(wc -l < "$work/viewer.txt") rows)"
    else
        notok "$what: cm_viewer under RLS differs from the allowed rows"; head -10 "$work/diff" | sed 's/^/#   /'
    fi
}
for d in $(lo_psql -c "SELECT unnest(collmine.dashboard_names())"); do
    vw_psql -c "COPY (SELECT * FROM dash.$d) TO STDOUT" 2>&1 | LC_ALL=C sort > "$work/viewer.txt"
    lo_psql -c "COPY (SELECT * FROM dash_sub.$d) TO STDOUT" 2>&1 | LC_ALL=C sort > "$work/subset.txt"
    if diff "$work/subset.txt" "$work/viewer.txt" > "$work/diff"; then
        ok "dashboard view $d: cm_viewer sees only the allowed rows ($(wc -l < "$work/viewer.txt") rows)"
    else
        notok "dashboard view $d: cm_viewer under RLS differs from the allowed rows"; head -10 "$work/diff" | sed 's/^/#   /'
    fi
done
check "refresh_dashboards as cm_loader" "$(lo_psql -c "SELECT cardinality(collmine.dashboard_names())")" \
    "$(lo_psql -c "SELECT collmine.refresh_dashboards('dash')")"
check "manual_activity_impact counts only the allowed events" \
    "$(lo_psql -c "SELECT count(*) FROM sub.events")" "$(vw_psql -c "SELECT sum(events) FROM dash.manual_activity_impact")"
check "a materialized variant holds what the refreshing role saw (documented)" \
    "$(lo_psql -c "SELECT count(*) FROM dash.overdue_invoices_aging")" "$(vw_psql -c "SELECT count(*) FROM dash.overdue_invoices_aging_mv")"

P="'2024-01-01'::date, '2025-06-30'::date"
same_as_subset "invoice_snapshot" "SELECT * FROM collmine.invoice_snapshot('@LOG@')"
same_as_subset "aging" "SELECT * FROM collmine.aging('@LOG@', NULL, 'segment')"
for f in receivables_kpis payment_behaviour terms_compliance cycle_time posting_lag dispute_resolution_time \
         credit_approval_time dunning_adherence collection_success_after_dunning contact_success \
         manual_activity_share write_off_rate; do
    same_as_subset "$f" "SELECT * FROM collmine.$f('@LOG@', $P)"
done
same_as_subset "activity_pairs" "SELECT * FROM collmine.activity_pairs('@LOG@', 'Invoice Generated', 'Invoice Settled')"
same_as_subset "duration_stats" "SELECT * FROM collmine.duration_stats('@LOG@', 'Invoice Generated', 'Invoice Settled', $P)"
same_as_subset "followup_events" "SELECT * FROM collmine.followup_events('@LOG@', 'Overdue Reminder Sent', 30)"
same_as_subset "followup_success" "SELECT * FROM collmine.followup_success('@LOG@', 'Overdue Reminder Sent', 30, $P)"
same_as_subset "root_causes" "SELECT * FROM collmine.root_causes('@LOG@', 'written_off')"
same_as_subset "traces (entry point)" "SELECT * FROM collmine.traces('@LOG@.events', 'case_id', 'activity', 'ts', 'ord')"
same_as_subset "variants (entry point)" "SELECT * FROM collmine.variants('@LOG@.events', 'case_id', 'activity', 'ts', 'ord')"
same_as_subset "process_map (entry point)" "SELECT * FROM collmine.process_map('@LOG@.events', 'case_id', 'activity', 'ts', 'ord')"
same_as_subset "traces of a log schema" "SELECT * FROM collmine.traces('@LOG@')"
same_as_subset "variants of a log schema, weighted" "SELECT * FROM collmine.variants('@LOG@', weight => 'amount')"
same_as_subset "process_map of a log schema, weighted" "SELECT * FROM collmine.process_map('@LOG@', 'open_amount')"

# 5. the monthly overview is bounded by the data: an invoice dated in year 1 (a log built with a
# wrong date format) adds its own month, not the 24,000 months up to the others
before=$(lo_psql -c "SELECT count(DISTINCT month) FROM dash_sub.invoice_to_cash_overview")
lo_psql -c "UPDATE sub.invoices SET invoice_date = '0001-01-01' WHERE case_id = (SELECT min(case_id) FROM sub.invoices)" \
        -c "UPDATE sub.events SET ts = '0001-01-01 00:00+00' WHERE activity = 'Invoice Generated' AND case_id = (SELECT min(case_id) FROM sub.invoices)"
check "a stray date in year 1 adds one month to invoice_to_cash_overview" "$((before + 1))" \
    "$(lo_psql -c "SELECT count(DISTINCT month) FROM dash_sub.invoice_to_cash_overview")"

[ "$failures" -eq 0 ]
