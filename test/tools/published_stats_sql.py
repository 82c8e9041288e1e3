#!/usr/bin/env python3
"""Print SQL that loads one real log and its published statistics (test/data/real-logs/*.json).

Used once to write test/sql/12_real_logs.sql; kept so that anyone can regenerate and diff the
literals against the JSON files. Usage: published_stats_sql.py NAME [NAME ...]
"""
import csv
import json
import sys

def lit(s):
    return "'" + str(s).replace("'", "''") + "'"

def arr(xs):
    return "ARRAY[" + ", ".join(lit(x) for x in xs) + "]::text[]"

for name in sys.argv[1:]:
    base = f"test/data/real-logs/{name}"
    with open(base + ".csv", newline="") as f:
        header = next(csv.reader(f))
    st = json.load(open(base + ".json"))
    s = f"r_{name}"
    print(f"-- {name}: published statistics from test/data/real-logs/{name}.json")
    print(f"CREATE TABLE {s}_raw (" + ", ".join(f'"{h}" text' for h in header) + ");")
    print(f"\\copy {s}_raw FROM 'test/data/real-logs/{name}.csv' WITH (FORMAT csv, HEADER true)")
    print(f"CREATE TABLE {s}_ev AS SELECT event_seq::bigint AS seq, case_id, activity, \"timestamp\"::timestamptz AS ts FROM {s}_raw;")
    print(f"CREATE TABLE {s}_pub_summary AS SELECT {st['cases']}::bigint AS cases, {st['events']}::bigint AS events, "
          f"{st['distinct_activities']}::bigint AS activities, {st['distinct_variants']}::bigint AS variants, "
          f"{st['dfg_distinct_edges']}::bigint AS edges, {st['dfg_total_edge_occurrences']}::bigint AS edge_occurrences, "
          f"{st['case_duration_days']['mean']}::numeric AS mean_days, {st['case_duration_days']['median']}::numeric AS median_days, "
          f"{st['case_duration_days']['min']}::numeric AS min_days, {st['case_duration_days']['max']}::numeric AS max_days;")
    def values(table, cols, rows):
        print(f"CREATE TABLE {s}_pub_{table} ({cols});")
        print(f"INSERT INTO {s}_pub_{table} VALUES")
        print(",\n".join("  (" + ", ".join(r) + ")" for r in rows) + ";")
    values("activity", "activity text, n bigint", [(lit(a), str(n)) for a, n in st["activity_counts"].items()])
    values("start", "activity text, n bigint", [(lit(a), str(n)) for a, n in st["start_activities"].items()])
    values("end", "activity text, n bigint", [(lit(a), str(n)) for a, n in st["end_activities"].items()])
    values("edge", "source text, target text, n bigint", [(lit(e["from"]), lit(e["to"]), str(e["count"])) for e in st["dfg_all"]])
    values("variant", "rank int, n bigint, activities text[]", [(str(v["rank"]), str(v["count"]), arr(v["variant"])) for v in st["top_variants"]])
    print()
