#!/usr/bin/env bash
# test/t/50_pg_cron.sh: pg_cron refreshes the dashboards' materialized views on a schedule, as
# docs/dashboards/README.md describes. Installs Debian's postgresql-15-cron when missing, copies
# it into the staged server, starts cluster 2 with pg_cron preloaded, schedules
# collmine.refresh_dashboards every 2 seconds (pg_cron >= 1.5) or, where seconds are not
# supported (Debian bookworm ships pg_cron 1.4.2), every minute, and polls (a bounded number of
# times, 1 s apart) until a run has succeeded and the materialized view shows the new data.
# No assertion about speed.
set -euo pipefail
. "$(dirname "$0")/../pg.sh"
cd "$CM_TOP"

# pg_cron comes from Debian's postgresql-NN-cron, which installs into Debian's own server
# (/usr/lib/postgresql/NN); a server built from source (test/pgbuild.sh: 17, 18) has none.
if [ ! -f "$("$PG_CONFIG" --pkglibdir)/pg_cron.so" ]; then
    case "$PG_CONFIG" in
        /usr/lib/postgresql/*) ;;
        *) echo "ok - pg_cron refreshes the dashboards # skip no pg_cron package for the PostgreSQL $CM_PGMAJOR built from source"; exit 0 ;;
    esac
fi
if [ ! -f "$("$PG_CONFIG" --pkglibdir)/pg_cron.so" ]; then
    cm_apt "postgresql-$CM_PGMAJOR-cron"
fi
cm_add_extension pg_cron

# jobs run in background workers: the test clusters listen on no TCP port
CM_CONF="shared_preload_libraries='pg_cron'
cron.database_name='postgres'
cron.use_background_workers = on" cm_start 2
trap 'cm_as_server_user "$CM_BIN/pg_ctl -D $CM_RUN/data2 -m immediate stop" >/dev/null 2>&1 || true' EXIT

p2() { psql -X -q -v ON_ERROR_STOP=1 -p 5442 -d postgres "$@"; }
p2 -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION collmine'
p2 -v log=cron_log -f test/sql/50_kpi_log.inc >/dev/null
p2 -c "SELECT count(*) FROM collmine.create_dashboards('cron_log', 'cron_dash')" >/dev/null

before=$(p2 -At -c 'SELECT count(*) FROM cron_dash.overdue_invoices_aging_mv')
[ "$before" = 1 ] || { echo "expected 1 overdue invoice before the payment, got $before"; exit 1; }
# U6, the only open invoice, is paid: the view changes at once, the materialized view on refresh
p2 <<'SQL'
INSERT INTO cron_log.events (case_id, activity, ts, ord, is_automated, amount) VALUES
 ('U6', 'Payment Received', '2024-03-01 10:00', 43, false, 1000),
 ('U6', 'Payment Posted',   '2024-03-01 12:00', 44, true,  1000),
 ('U6', 'Invoice Settled',  '2024-03-01 12:00', 45, true,  NULL);
SQL
# second-granularity schedules arrived in pg_cron 1.5; 1.4 accepts only cron syntax
tries=60
if ! p2 -c "SELECT cron.schedule('collmine-dashboards', '2 seconds', \$\$SELECT collmine.refresh_dashboards('cron_dash')\$\$)" >/dev/null 2>&1; then
    p2 -c "SELECT cron.schedule('collmine-dashboards', '* * * * *', \$\$SELECT collmine.refresh_dashboards('cron_dash')\$\$)" >/dev/null
    tries=150   # the next minute boundary may be up to 60 s away
    echo "pg_cron $(p2 -At -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'"): no second schedules, scheduled every minute"
fi

ok=
for _ in $(seq "$tries"); do
    state=$(p2 -At -c "SELECT (SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                                 WHERE j.jobname = 'collmine-dashboards' AND d.status = 'succeeded')
                              || ' ' || (SELECT count(*) FROM cron_dash.overdue_invoices_aging_mv)")
    set -- $state
    if [ "$1" -ge 1 ] && [ "$2" = 0 ]; then ok=1; break; fi
    sleep 1
done
p2 -c "SELECT cron.unschedule('collmine-dashboards')" >/dev/null
if [ -z "$ok" ]; then
    echo "pg_cron did not refresh the dashboards: succeeded runs and overdue rows: $state"
    p2 -c 'SELECT jobid, status, return_message, start_time FROM cron.job_run_details ORDER BY start_time DESC LIMIT 5'
    tail -20 "$CM_RUN/server2.log"
    exit 1
fi
echo "pg_cron refreshed the dashboards (succeeded runs: $1)"
