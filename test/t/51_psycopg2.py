"""test/t/51_psycopg2.py: a real client other than psql (psycopg2, as BI tools' Python
connectors use) reads every collmine dashboard view and its materialized variant, and checks
the column contract of docs/dashboards/*.md through cursor.description (names and type OIDs),
plus the Python types the values arrive as. Run by test/t/51_psycopg2.sh with
/usr/bin/python3; connects over the Unix socket directory in PGHOST."""
import datetime
import decimal
import os
import sys

import psycopg2

# type OIDs from pg_type
OID = {"text": 25, "int8": 20, "int4": 23, "numeric": 1700, "date": 1082, "bool": 16,
       "timestamptz": 1184, "float8": 701}
PYTYPE = {"text": str, "int8": int, "int4": int, "numeric": decimal.Decimal,
          "date": datetime.date, "bool": bool, "timestamptz": datetime.datetime, "float8": float}

CONTRACT = {
    "collection_strategy_by_segment": [("segment", "text"), ("currency", "text"), ("invoices", "int8"), ("open_invoices", "int8"), ("open_amount", "numeric"), ("overdue_amount", "numeric"), ("dunned_invoices", "int8"), ("dunning_success_rate", "numeric"), ("calls", "int8"), ("contact_success_rate", "numeric"), ("avg_days_late", "numeric"), ("on_time_rate", "numeric"), ("written_off_invoices", "int8"), ("write_off_rate_by_count", "numeric"), ("write_off_rate_by_value", "numeric")],
    "overdue_invoices_aging": [("case_id", "text"), ("customer_id", "text"), ("customer_name", "text"), ("segment", "text"), ("collector", "text"), ("currency", "text"), ("amount", "numeric"), ("open_amount", "numeric"), ("invoice_date", "date"), ("due_date", "date"), ("days_past_due", "int4"), ("aging_bucket", "text"), ("reminders_sent", "int4"), ("calls_made", "int4"), ("in_dispute", "bool"), ("collection_status", "text"), ("last_activity", "text"), ("last_activity_at", "timestamptz"), ("as_of_date", "date")],
    "dispute_resolution_time": [("case_id", "text"), ("dispute_no", "int4"), ("dispute_reason", "text"), ("segment", "text"), ("customer_name", "text"), ("collector", "text"), ("currency", "text"), ("amount", "numeric"), ("registered_at", "timestamptz"), ("resolved_at", "timestamptz"), ("status", "text"), ("resolution_days", "numeric"), ("open_days", "numeric")],
    "write_off_root_causes": [("attribute", "text"), ("value", "text"), ("cases", "int8"), ("written_off_cases", "int8"), ("write_off_rate", "numeric"), ("baseline_rate", "numeric"), ("lift", "numeric"), ("support", "numeric"), ("share_of_write_offs", "numeric"), ("excess_write_offs", "numeric"), ("z_score", "float8"), ("p_value", "float8"), ("rank_in_attribute", "int8")],
    "manual_activity_impact": [("activity", "text"), ("events", "int8"), ("manual_events", "int8"), ("automated_events", "int8"), ("unknown_events", "int8"), ("manual_share", "numeric"), ("cases", "int8"), ("cases_with_manual", "int8"), ("avg_cycle_days_with_manual", "numeric"), ("avg_cycle_days_without_manual", "numeric"), ("on_time_rate_with_manual", "numeric"), ("on_time_rate_without_manual", "numeric")],
    "payment_posting_lag": [("month", "date"), ("payments", "int8"), ("posted", "int8"), ("unposted", "int8"), ("avg_lag_days", "numeric"), ("median_lag_days", "numeric"), ("p90_lag_days", "numeric"), ("max_lag_days", "numeric"), ("posted_same_day_rate", "numeric")],
    "payment_terms_compliance": [("terms", "text"), ("terms_days", "int4"), ("invoices", "int8"), ("settled_invoices", "int8"), ("paid_within_terms", "int8"), ("compliance_rate", "numeric"), ("avg_days_beyond_terms", "numeric"), ("max_days_beyond_terms", "int4"), ("due_date_deviations", "int8"), ("deviation_rate", "numeric"), ("avg_due_date_deviation_days", "numeric"), ("open_beyond_terms", "int8")],
    "invoice_to_cash_overview": [("month", "date"), ("currency", "text"), ("invoices_generated", "int8"), ("credit_sales", "numeric"), ("ending_ar", "numeric"), ("ending_past_due_ar", "numeric"), ("dso", "numeric"), ("dso_countback", "numeric"), ("best_possible_dso", "numeric"), ("average_days_delinquent", "numeric"), ("cei", "numeric"), ("settled_invoices", "int8"), ("avg_cycle_days", "numeric"), ("written_off_invoices", "int8"), ("written_off_amount", "numeric")],
    "process_map_edges": [("currency", "text"), ("source", "text"), ("target", "text"), ("frequency", "int8"), ("cases", "int8"), ("median_duration_days", "numeric"), ("p90_duration_days", "numeric"), ("amount", "numeric")],
    "process_map_activities": [("currency", "text"), ("activity", "text"), ("frequency", "int8"), ("cases", "int8"), ("starts", "int8"), ("ends", "int8"), ("amount", "numeric")],
    "variants": [("rank", "int8"), ("variant_id", "int8"), ("variant", "text"), ("cases", "int8"), ("share", "numeric"), ("cumulative_share", "numeric"), ("median_throughput_days", "numeric")],
    "policy_adherence": [("segment", "text"), ("rule_name", "text"), ("template", "text"), ("severity", "text"), ("cases", "int8"), ("activated_cases", "int8"), ("satisfied_cases", "int8"), ("violations", "int8"), ("adherence", "numeric")],
}


def main():
    host = os.environ["PGHOST"]
    if not host.startswith("/"):
        sys.exit("PGHOST must be the Unix socket directory, got %r" % host)
    conn = psycopg2.connect(host=host, port=os.environ["PGPORT"], user=os.environ.get("PGUSER", "postgres"),
                            dbname=sys.argv[1])
    schema = sys.argv[2]
    failures = []
    cur = conn.cursor()
    cur.execute("SELECT unnest(collmine.dashboard_names())")
    names = [r[0] for r in cur.fetchall()]
    if sorted(names) != sorted(CONTRACT):
        failures.append("dashboard names %r differ from the contract %r" % (names, sorted(CONTRACT)))
    for view in CONTRACT:
        for rel in (view, view + "_mv"):
            cur.execute('SELECT * FROM "%s"."%s"' % (schema, rel))
            rows = cur.fetchall()
            got = [(d.name, d.type_code) for d in cur.description]
            want = [(c, OID[t]) for c, t in CONTRACT[view]]
            if got != want:
                failures.append("%s: columns %r, expected %r" % (rel, got, want))
                continue
            if not rows:
                failures.append("%s: no rows on the test log" % rel)
            for row in rows:
                for value, (col, t) in zip(row, CONTRACT[view]):
                    if value is not None and not isinstance(value, PYTYPE[t]):
                        failures.append("%s.%s: %r is %s, expected %s" % (rel, col, value, type(value).__name__, PYTYPE[t].__name__))
            print("ok %s: %d columns, %d rows" % (rel, len(got), len(rows)))
    # one value a BI tool would show: the January EUR DSO of the hand-made log (29.76)
    cur.execute('SELECT round(dso, 2) FROM "%s".invoice_to_cash_overview_mv '
                "WHERE month = %%s AND currency = 'EUR'" % schema, (datetime.date(2024, 1, 1),))
    dso = cur.fetchone()[0]
    if dso != decimal.Decimal("29.76"):
        failures.append("January EUR DSO is %r, expected 29.76" % dso)
    conn.close()
    for f in failures:
        print("FAIL " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
