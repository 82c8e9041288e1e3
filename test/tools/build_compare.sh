#!/usr/bin/env bash
# test/tools/build_compare.sh: prove that a change to the connector builds leaves their output
# unchanged, and measure what a build costs. Not part of `make test` (it needs a baseline tree).
#
#   build_compare.sh save DIR        build the bundled sample (test/data/erp/sample) of all three
#                                    sources with several settings and write every canonical table
#                                    (events, invoices, quality_issues, customer_events,
#                                    applications) to DIR/*.csv
#   build_compare.sh diff DIR        build the same again and compare with DIR by EXCEPT ALL in
#                                    both directions, per table; exit 1 when any row differs
#   build_compare.sh bench EXPORT N  load a NetSuite export made by test/gen/erpgen.pl (directory
#                                    EXPORT, with its truth.csv) and build it N times with the
#                                    bench's settings (test/bench/gen_erp.sh), printing the
#                                    backend CPU time of each build
#
# The tree that is built and installed is CM_TOP (default: this script's checkout), so the
# baseline is a copy of the old commit:  git archive OLD | tar -x -C /tmp/base, then
# CM_TOP=/tmp/base bash test/tools/build_compare.sh save /tmp/before.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CM_TOP=${CM_TOP:-$HERE}
export CM_TOP
# shellcheck source=../pg.sh
. "$HERE/test/pg.sh"
mode=${1:-}; arg=${2:-}
case "$mode" in save|diff|bench) [ -n "$arg" ] || { echo "usage: $0 save|diff DIR | bench EXPORT N" >&2; exit 2; } ;;
    *) echo "usage: $0 save|diff DIR | bench EXPORT N" >&2; exit 2 ;; esac
arg=$(cd "$arg" 2>/dev/null && pwd || { mkdir -p "$arg" && cd "$arg" && pwd; })
chmod 777 "$arg"

cm_ensure_headers
cm_rundir
trap cm_cleanup EXIT
cm_stage
cm_start 1
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d postgres)
"${PSQL[@]}" -c 'CREATE EXTENSION collmine'

if [ "$mode" = bench ]; then
    runs=${3:-1}; schema=bench_erp
    as_of=$(awk -F, '$2 == "as_of" { print $3 }' "$arg/truth.csv")
    "${PSQL[@]}" -c "CREATE SCHEMA $schema" -c "SELECT count(*) FROM collmine.create_staging('netsuite', '$schema')" >/dev/null
    for f in "$arg"/netsuite.*.csv; do
        table=$(basename "$f" .csv); table=${table#netsuite.}
        "${PSQL[@]}" -c "\\copy $schema.$table ($(head -1 "$f" | tr -d '\r')) FROM '$f' WITH (FORMAT csv, HEADER true)"
    done
    for i in $(seq "$runs"); do
        "${PSQL[@]}" -At -F ' ' <<SQL
SELECT pg_catalog.pg_read_file('/proc/self/stat') AS s \\gset cpu0_
SELECT clock_timestamp() AS t \\gset t0_
SELECT sum(events) AS events FROM collmine.netsuite_build('$schema',
    '{"date_format": "MM/DD/YYYY", "timestamp_format": "MM/DD/YYYY HH12:MI am", "as_of": "$as_of"}') \\gset
SELECT format('build %s: %s events, wall %s s, backend CPU %s s', $i, :events,
              round(extract(epoch FROM clock_timestamp() - :'t0_t')::numeric, 1),
              round(((split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint)
                     - (split_part(:'cpu0_s', ' ', 14)::bigint + split_part(:'cpu0_s', ' ', 15)::bigint))::numeric
                    / $(getconf CLK_TCK), 1))
FROM (SELECT pg_catalog.pg_read_file('/proc/self/stat') AS s) x;
SQL
    done
    exit 0
fi

S=$CM_TOP/test/data/erp/sample
# the sample loaded as test/sql/40_connectors_sample.sql loads it, then each build variant's
# canonical tables copied into schema cmp (one table per variant and canonical table)
"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
SELECT count(*) FROM collmine.create_staging('netsuite', 'ns');
\copy ns.customer (id, entityid, companyname, category, creditlimit, terms, subsidiary, salesrep) FROM '$S/netsuite.customer.csv' WITH (FORMAT csv, HEADER true)
\copy ns.customrecord_3805_dunning_eval_result FROM '$S/netsuite.customrecord_3805_dunning_eval_result.csv' WITH (FORMAT csv, HEADER true)
\copy ns.message FROM '$S/netsuite.message.csv' WITH (FORMAT csv, HEADER true)
\copy ns.nexttransactionlinelink FROM '$S/netsuite.nexttransactionlinelink.csv' WITH (FORMAT csv, HEADER true)
\copy ns.phonecall (id, title, startdate, completeddate, createddate, status, assigned, owner, company, transaction) FROM '$S/netsuite.phonecall.csv' WITH (FORMAT csv, HEADER true)
\copy ns.subsidiary FROM '$S/netsuite.subsidiary.csv' WITH (FORMAT csv, HEADER true)
\copy ns.systemnote FROM '$S/netsuite.systemnote.csv' WITH (FORMAT csv, HEADER true)
\copy ns.term FROM '$S/netsuite.term.csv' WITH (FORMAT csv, HEADER true)
\copy ns.transaction FROM '$S/netsuite.transaction.csv' WITH (FORMAT csv, HEADER true)
\copy ns.transactionline FROM '$S/netsuite.transactionline.csv' WITH (FORMAT csv, HEADER true)
SELECT count(*) FROM collmine.create_staging('d365fo', 'fo');
\copy fo."CredManCreditLimitAdjTable" FROM '$S/d365fo.CredManCreditLimitAdjTable.csv' WITH (FORMAT csv, HEADER true)
\copy fo."CredManCreditLimitAdjTrans" FROM '$S/d365fo.CredManCreditLimitAdjTrans.csv' WITH (FORMAT csv, HEADER true)
\copy fo."CustCollectionLetterJour" FROM '$S/d365fo.CustCollectionLetterJour.csv' WITH (FORMAT csv, HEADER true)
\copy fo."CustCollectionLetterTrans" FROM '$S/d365fo.CustCollectionLetterTrans.csv' WITH (FORMAT csv, HEADER true)
\copy fo."CustCollectionsLinkTable" FROM '$S/d365fo.CustCollectionsLinkTable.csv' WITH (FORMAT csv, HEADER true)
\copy fo."CustDisputeHistory" FROM '$S/d365fo.CustDisputeHistory.csv' WITH (FORMAT csv, HEADER true)
\copy fo."CustSettlement" FROM '$S/d365fo.CustSettlement.csv' WITH (FORMAT csv, HEADER true)
\copy fo."CustTable" FROM '$S/d365fo.CustTable.csv' WITH (FORMAT csv, HEADER true)
\copy fo."CustTrans" FROM '$S/d365fo.CustTrans.csv' WITH (FORMAT csv, HEADER true)
\copy fo."PaymTerm" FROM '$S/d365fo.PaymTerm.csv' WITH (FORMAT csv, HEADER true)
\copy fo."smmActivities" FROM '$S/d365fo.smmActivities.csv' WITH (FORMAT csv, HEADER true)
SELECT count(*) FROM collmine.create_staging('d365bc', 'bc');
\copy bc."Change Log Entry" FROM '$S/d365bc.Change_Log_Entry.csv' WITH (FORMAT csv, HEADER true)
\copy bc."Cust. Ledger Entry" FROM '$S/d365bc.Cust_Ledger_Entry.csv' WITH (FORMAT csv, HEADER true)
\copy bc."Customer" FROM '$S/d365bc.Customer.csv' WITH (FORMAT csv, HEADER true)
\copy bc."Detailed Cust. Ledg. Entry" FROM '$S/d365bc.Detailed_Cust_Ledg_Entry.csv' WITH (FORMAT csv, HEADER true)
\copy bc."Issued Reminder Header" FROM '$S/d365bc.Issued_Reminder_Header.csv' WITH (FORMAT csv, HEADER true)
\copy bc."Issued Reminder Line" FROM '$S/d365bc.Issued_Reminder_Line.csv' WITH (FORMAT csv, HEADER true)
CREATE SCHEMA cmp;
CREATE TABLE cmp.variants (name text, schema name, build text, settings jsonb);
INSERT INTO cmp.variants VALUES
  ('ns_a', 'ns', 'netsuite_build', '{"date_format": "MM/DD/YYYY", "timestamp_format": "MM/DD/YYYY HH12:MI am", "customer_events_on_invoices": "open_invoices", "as_of": "2025-06-30T23:59:00Z"}'),
  ('ns_b', 'ns', 'netsuite_build', '{"date_format": "MM/DD/YYYY", "timestamp_format": "MM/DD/YYYY HH12:MI am", "on_error": "report", "due_date_passed_at": "day_after", "paid_on_time": "payment_received", "country_source": "subsidiary", "call_invoice_in_text": false, "timezone": "Europe/Berlin"}'),
  ('ns_c', 'ns', 'netsuite_build', '{"on_error": "report", "max_years_ahead": 0, "min_date": "2024-06-01"}'),
  ('fo_a', 'fo', 'd365fo_build', '{"customer_events_on_invoices": "open_invoices", "as_of": "2025-06-30T23:59:00Z"}'),
  ('fo_b', 'fo', 'd365fo_build', '{"on_error": "report", "timezone": "America/New_York", "paid_on_time": "payment_received"}'),
  ('bc_a', 'bc', 'd365bc_build', '{"local_currency": "USD", "customer_events_on_invoices": "open_invoices", "as_of": "2025-06-30T23:59:00Z"}'),
  ('bc_b', 'bc', 'd365bc_build', '{"on_error": "report", "due_date_passed_at": "day_after", "date_format": "YYYY-MM-DD"}');
DO \$\$
DECLARE v record; t text;
BEGIN
    FOR v IN SELECT * FROM cmp.variants ORDER BY name LOOP
        EXECUTE format('CREATE TABLE cmp.%I AS SELECT * FROM collmine.%I(%L, %L)', v.name || '_result', v.build, v.schema, v.settings);
        FOREACH t IN ARRAY ARRAY['events', 'invoices', 'quality_issues', 'customer_events', 'applications'] LOOP
            EXECUTE format('CREATE TABLE cmp.%I AS SELECT * FROM %I.%I', v.name || '_' || t, v.schema, t);
        END LOOP;
    END LOOP;
END
\$\$;
SQL

tables=$("${PSQL[@]}" -At -c "SELECT string_agg(quote_ident(c.relname), ' ' ORDER BY c.relname) FROM pg_class c WHERE c.relnamespace = 'cmp'::regnamespace AND c.relkind = 'r' AND c.relname <> 'variants'")
if [ "$mode" = save ]; then
    for t in $tables; do
        "${PSQL[@]}" -c "\\copy cmp.$t TO '$arg/$t.csv' WITH (FORMAT csv, HEADER true)"
    done
    echo "saved $(echo "$tables" | wc -w) tables to $arg"
    exit 0
fi
bad=0
"${PSQL[@]}" -c 'CREATE SCHEMA base'
for t in $tables; do
    [ -f "$arg/$t.csv" ] || { echo "not ok - $t: no $arg/$t.csv"; bad=1; continue; }
    "${PSQL[@]}" -c "CREATE TABLE base.$t (LIKE cmp.$t)" -c "\\copy base.$t FROM '$arg/$t.csv' WITH (FORMAT csv, HEADER true)"
    read -r n new gone < <("${PSQL[@]}" -At -F ' ' -c "SELECT (SELECT count(*) FROM cmp.$t), (SELECT count(*) FROM (TABLE cmp.$t EXCEPT ALL TABLE base.$t) x), (SELECT count(*) FROM (TABLE base.$t EXCEPT ALL TABLE cmp.$t) x)")
    if [ "$new" = 0 ] && [ "$gone" = 0 ]; then
        echo "ok - $t: $n rows, identical"
    else
        echo "not ok - $t: $n rows, $new not in the baseline, $gone of the baseline missing"; bad=1
    fi
done
exit $bad
