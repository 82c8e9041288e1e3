# test/bench/gen_erp.sh: sourced by test/bench.sh when BENCH_GEN=netsuite.
#
# Instead of the fast SQL generator, the log comes the way a user's log does: the ERP sample
# generator (test/gen/erpgen.pl) writes a NetSuite export, psql \copy loads it into collmine's
# staging tables, collmine.netsuite_build derives the canonical event log, and its
# (case_id, activity, ts, ord) columns are copied into the benchmark table. Slower to prepare
# (about 1 minute per million events for the build on 2 cores), but the activities, variants and
# timings are those of the connectors.

# gen_erp_log TABLE INVOICES: build TABLE from a generated NetSuite export of INVOICES invoices.
gen_erp_log() {
    local log=$1 ninv=$2 schema=bench_erp
    gen_erp_schema "$schema" "$ninv"
    # in time order, as the log was laid out before the build wrote events in index order
    "${PSQL[@]}" -c "CREATE TABLE $log AS SELECT case_id, activity, ts, ord FROM $schema.events ORDER BY ord" \
        -c "VACUUM (FREEZE, ANALYZE) $log" -c "DROP SCHEMA $schema CASCADE" >/dev/null
}

# gen_erp_schema SCHEMA INVOICES: the canonical log (events, invoices, ...) that
# collmine.netsuite_build derives in SCHEMA from a generated NetSuite export of INVOICES invoices
# (test/bench/dashboards.sh keeps the whole schema).
gen_erp_schema() {
    local schema=$1 ninv=$2 dir=$W/erp f table as_of
    rm -rf "$dir"; mkdir -p "$dir"
    perl "$CM_TOP/test/gen/erpgen.pl" --source netsuite --invoices "$ninv" --seed 1 --out "$dir" \
        --truth "$dir/truth.csv" || cm_die "erpgen.pl failed"
    as_of=$(awk -F, '$2 == "as_of" { print $3 }' "$dir/truth.csv")
    [ -n "$as_of" ] || cm_die "erpgen.pl wrote no as_of to its ground truth"
    "${PSQL[@]}" -c "DROP SCHEMA IF EXISTS $schema CASCADE" -c "CREATE SCHEMA $schema" \
        -c "SELECT count(*) FROM collmine.create_staging('netsuite', '$schema')" >/dev/null
    for f in "$dir"/netsuite.*.csv; do
        table=$(basename "$f" .csv); table=${table#netsuite.}
        # by the header's column names: the staging tables have optional columns an export may lack
        "${PSQL[@]}" -c "\\copy $schema.$table ($(head -1 "$f" | tr -d '\r')) FROM '$f' WITH (FORMAT csv, HEADER true)"
    done
    # the build's wall time (and the backend's CPU time) go to the log, for docs/performance.md
    local t0 t1
    t0=$(date +%s%N)
    "${PSQL[@]}" -At -F ' ' > "$W/erp_build" <<SQL
SELECT pg_catalog.pg_read_file('/proc/self/stat') AS s \\gset cpu0_
SELECT sum(events) FROM collmine.netsuite_build('$schema',
    '{"date_format": "MM/DD/YYYY", "timestamp_format": "MM/DD/YYYY HH12:MI am", "as_of": "$as_of"}');
SELECT ((split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint)
        - (split_part(:'cpu0_s', ' ', 14)::bigint + split_part(:'cpu0_s', ' ', 15)::bigint)) * 1000 / $(getconf CLK_TCK)
FROM (SELECT pg_catalog.pg_read_file('/proc/self/stat') AS s) x;
SQL
    t1=$(date +%s%N)
    cm_log "$(printf 'netsuite_build: %s invoices, %s events in %.1f s (backend CPU %.1f s)' "$ninv" \
        "$(sed -n 1p "$W/erp_build")" "$(( (t1 - t0) / 1000000 ))e-3" "$(sed -n 2p "$W/erp_build")e-3")"
    rm -rf "$dir"
}
