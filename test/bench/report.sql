-- test/bench/report.sql: turns the measurements of test/bench.sh into Markdown.
--
-- Reads bench.results (one row per item, size and worker count) and bench.items (names,
-- descriptions, SQL). psql variables: runs, nproc, cpu, mem, pgv, elapsed, when, sizes.
-- Prints the block that goes between the bench markers of docs/performance.md.

CREATE TEMP VIEW r AS
SELECT r.*, i.idx, i.description, r.best_ms / 1000.0 AS best_s
FROM bench.results r JOIN bench.items i USING (item);

-- The baselines of each size, for the ratios.
CREATE TEMP VIEW base AS
SELECT label,
       max(best_ms) FILTER (WHERE item = 'baseline_scan') AS scan_ms,
       max(best_ms) FILTER (WHERE item = 'baseline_groupby') AS gb_ms,
       nullif(max(peak_kb) FILTER (WHERE item = 'baseline_scan'), 0) AS scan_kb,
       max(peak_kb) FILTER (WHERE item = 'baseline_groupby') AS gb_kb,
       max(cpu_ms) FILTER (WHERE item = 'baseline_groupby') AS gb_cpu
FROM bench.results WHERE workers = 0 AND layout = 'heap' GROUP BY label;

CREATE TEMP VIEW sizes AS
SELECT DISTINCT label, events, cases FROM bench.results;
-- the generated logs (the real log, label bpic2012, is reported beside them, not scaled)
CREATE TEMP VIEW small AS SELECT * FROM sizes WHERE label <> 'bpic2012' ORDER BY events LIMIT 1;
CREATE TEMP VIEW big AS SELECT * FROM sizes WHERE label <> 'bpic2012' ORDER BY events DESC LIMIT 1;

-- The layouts: 'heap' the log as generated or loaded; 'hashN' its copy hash-partitioned by case
-- id; 'time' its copy as an ordinary table in time order; 'case' in case-id order. A layout
-- argument 'hash' means the partitioned copy, whatever N.
CREATE FUNCTION pg_temp.is_layout(p_layout text, p_want text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_want = 'hash' THEN p_layout LIKE 'hash%' ELSE p_layout = p_want END
$$;

-- Best time (ms) of an item at a size with a worker count on a layout; NULL when not measured.
CREATE FUNCTION pg_temp.t(p_item text, p_label text, p_workers int DEFAULT 0, p_layout text DEFAULT 'heap') RETURNS float8
LANGUAGE sql STABLE AS $$
    SELECT best_ms FROM bench.results
    WHERE item = p_item AND label = p_label AND workers = p_workers AND status = 'ok'
      AND pg_temp.is_layout(layout, p_layout)
$$;

-- Total CPU time (ms: backend and parallel workers) of an item at a size and worker count.
CREATE FUNCTION pg_temp.tc(p_item text, p_label text, p_workers int, p_layout text DEFAULT 'hash') RETURNS float8
LANGUAGE sql STABLE AS $$
    SELECT nullif(total_cpu_ms, 0) FROM bench.results
    WHERE item = p_item AND label = p_label AND workers = p_workers AND status = 'ok'
      AND pg_temp.is_layout(layout, p_layout)
$$;

-- Do the 2-worker runs of an item on a layout give the serial runs' results?
CREATE FUNCTION pg_temp.same(p_item text, p_label text, p_layout text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT bool_and(p.md5 = s.md5) FROM bench.results s JOIN bench.results p USING (item, label)
     WHERE item = p_item AND label = p_label AND s.workers = 0 AND p.workers = 2
       AND pg_temp.is_layout(p.layout, p_layout)
$$;

-- Backend CPU time (ms) of an item at a size, serial, ordinary table.
CREATE FUNCTION pg_temp.c(p_item text, p_label text) RETURNS float8
LANGUAGE sql STABLE AS $$
    SELECT nullif(cpu_ms, 0) FROM bench.results
    WHERE item = p_item AND label = p_label AND workers = 0 AND status = 'ok' AND layout = 'heap'
$$;

-- The median over the rounds of a ratio between two measurements of a size (test/bench.sh runs
-- the items in rounds): p_col ('cpu', 'total_cpu' or 'wall') of item a on layout/workers la/wa,
-- divided by the same of item b on lb/wb, taken round by round. A change of the machine's speed
-- between rounds then moves both sides alike. Rounds where either side has no run do not count.
CREATE FUNCTION pg_temp.rr(p_col text, p_label text, a_item text, b_item text,
                           la text DEFAULT 'heap', wa int DEFAULT 0, lb text DEFAULT 'heap', wb int DEFAULT 0) RETURNS float8
LANGUAGE sql STABLE AS $$
    WITH runs AS (
        SELECT r.item, r.layout, r.workers, u.i,
               nullif(u.v, '')::float8 AS v
          FROM bench.results r,
               unnest(string_to_array(CASE p_col WHEN 'cpu' THEN r.all_cpu_ms WHEN 'total_cpu' THEN r.all_total_cpu_ms
                                                 ELSE r.all_ms END, ' ')) WITH ORDINALITY u(v, i)
         WHERE r.label = p_label AND r.status = 'ok')
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a.v / b.v)
      FROM runs a JOIN runs b USING (i)
     WHERE a.item = a_item AND pg_temp.is_layout(a.layout, la) AND a.workers = wa
       AND b.item = b_item AND pg_temp.is_layout(b.layout, lb) AND b.workers = wb
       AND b.v > 0
$$;

CREATE FUNCTION pg_temp.n(x numeric, d int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN x IS NULL THEN '—' ELSE to_char(round(x, d), 'FM999G999G999G990' || CASE WHEN d > 0 THEN 'D' || repeat('0', d) ELSE '' END) END
$$;

\pset tuples_only on
\pset format unaligned

SELECT format(E'## Latest run\n\n'
    'Measured on %s by `make bench` at commit %s. Each figure is the median of %s runs (on logs over '
    '2M events, %s run for the items no target depends on). The whole run took %s min. '
    'Load average (1, 5, 15 min) before the run: %s; after: %s. %s' || E'\n\n'
    '| machine | |\n|---|---|\n'
    '| CPU | %s, %s cores (nproc) |\n| memory | %s |\n| PostgreSQL | %s |\n'
    '| settings | shared_buffers = %s, work_mem = %s, hash_mem_multiplier = %s, jit = %s; each log read into shared_buffers before its runs, except a table over a quarter of shared_buffers (the opt-in 100M log), which a sequential scan reads through a ring from the OS page cache |\n',
    :'when', :'commit', :'runs', :'runs_large', round(:'elapsed'::numeric / 60, 1), :'load_before', :'load_after', :'real_note',
    :'cpu', :'nproc', :'mem', :'pgv',
    current_setting('shared_buffers'), current_setting('work_mem'), current_setting('hash_mem_multiplier'),
    current_setting('jit'));

-- One table per log size, serial plans.
SELECT string_agg(tbl, E'\n' ORDER BY events) FROM (
  SELECT s.events, format(E'### %s events (%s events, %s invoices), serial\n\n'
      '| measurement | what | median (s) | events/s | × seq scan | × GROUP BY | backend CPU (s) | CPU × GROUP BY | peak backend memory (MB) | × GROUP BY memory | plan |\n'
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n', s.label, pg_temp.n(s.events, 0), pg_temp.n(s.cases, 0))
    || string_agg(
         CASE WHEN r.status <> 'ok' THEN
           format('| `%s` | %s | %s | | | | | | | | |', r.item, r.description, r.status)
         ELSE
           format('| `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |', r.item, r.description,
             pg_temp.n(r.best_s::numeric, 3),
             pg_temp.n((r.events / r.best_s)::numeric, 0),
             pg_temp.n((r.best_ms / b.scan_ms)::numeric, 2),
             pg_temp.n((r.best_ms / b.gb_ms)::numeric, 2),
             pg_temp.n((r.cpu_ms / 1000.0)::numeric, 2),
             pg_temp.n((r.cpu_ms / nullif(b.gb_cpu, 0))::numeric, 2),
             pg_temp.n((r.peak_kb / 1024.0)::numeric, 1),
             pg_temp.n((r.peak_kb::numeric / nullif(b.gb_kb, 0)), 2), coalesce(r.plan, ''))
         END, E'\n' ORDER BY r.idx) || E'\n' AS tbl
  FROM sizes s JOIN r ON r.label = s.label AND r.workers = 0 AND r.layout = 'heap' JOIN base b ON b.label = s.label
  GROUP BY s.label, s.events, s.cases) x;

SELECT E'### Serial vs 2 parallel workers: the log as it lies, hash-partitioned by case_id, in time order and in case-id order\n\n'
    'Layout heap: the ordinary table as generated (invoice after invoice) or loaded. Layout hash4: the same data copied into a table hash-partitioned by case_id, `enable_partitionwise_aggregate = on`. '
    'Layout time: the same data copied into an ordinary table in time order, so that no case''s events are adjacent and the entry points cannot stream it. '
    'Layout case: the same data copied into an ordinary table in case-id order (`ORDER BY case_id, ts, ord`), as the connectors write their events tables: the streams find each case new by comparing it with the last one, without a lookup. '
    'Total CPU is the backend''s plus that of the parallel workers (read from the postmaster''s reaped children). '
    '"Same results" compares the sorted output of the 2-worker run with the serial run on the partitioned '
    'log and with the serial run on the ordinary table.' || E'\n\n'
    '| measurement | log | layout | unpartitioned serial (s) | serial (s) | 2 workers (s) | speed-up | serial CPU (s) | 2 workers: total CPU (s) | total CPU ÷ serial | same results | plan with 2 workers |\n'
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n'
    || coalesce(string_agg(format('| `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |', s.item, s.label, s.layout,
         pg_temp.n(h.best_s::numeric, 3), pg_temp.n(s.best_s::numeric, 3), pg_temp.n(p.best_s::numeric, 3),
         pg_temp.n((s.best_ms / p.best_ms)::numeric, 2),
         pg_temp.n((s.total_cpu_ms / 1000.0)::numeric, 2), pg_temp.n((p.total_cpu_ms / 1000.0)::numeric, 2),
         pg_temp.n((p.total_cpu_ms / nullif(s.total_cpu_ms, 0))::numeric, 2),
         CASE WHEN s.status <> 'ok' THEN s.status WHEN p.status <> 'ok' THEN p.status
              WHEN s.md5 = p.md5 AND h.md5 = p.md5 THEN 'yes' ELSE '**no**' END, coalesce(p.plan, '')), E'\n' ORDER BY s.events, s.idx), '')
    || E'\n'
FROM r s JOIN r p ON p.item = s.item AND p.label = s.label AND p.layout = s.layout AND p.workers = 2
         JOIN r h ON h.item = s.item AND h.label = s.label AND h.layout = 'heap' AND h.workers = 0
WHERE s.workers = 0;

SELECT format(E'### Per-event cost from %s to %s events\n\n'
    '| measurement | ns/event at %s | ns/event at %s | growth |\n|---|---:|---:|---:|\n',
    sm.label, bg.label, sm.label, bg.label)
    || string_agg(format('| `%s` | %s | %s | %s |', a.item,
         pg_temp.n((a.best_ms * 1e6 / a.events)::numeric, 1), pg_temp.n((b.best_ms * 1e6 / b.events)::numeric, 1),
         pg_temp.n(((b.best_ms / b.events) / (a.best_ms / a.events))::numeric, 2)), E'\n' ORDER BY a.idx)
    || E'\n'
FROM small sm, big bg, r a JOIN r b ON b.item = a.item AND b.workers = 0 AND b.layout = 'heap'
WHERE a.label = sm.label AND b.label = bg.label AND a.workers = 0 AND a.layout = 'heap' AND sm.label <> bg.label
  AND a.status = 'ok' AND b.status = 'ok'
GROUP BY sm.label, bg.label;

SELECT format(E'### Memory per case\n\n'
    'Temp files: the bytes the query wrote to temporary files (`pg_stat_database.temp_bytes`), the '
    'largest of its runs; a spilling aggregate writes them, and its peak memory must stay bounded. '
    'Serial runs on the log as it lies (heap), and the entry points'' also on its copy in case-id order (case).\n\n'
    '| measurement | log | layout | peak (MB) | above the seq scan (MB) | that ÷ cases (bytes) | temp files (MB) | plan |\n|---|---|---|---:|---:|---:|---:|---|\n')
    || string_agg(format('| `%s` | %s | %s | %s | %s | %s | %s | %s |', r.item, r.label, r.layout,
         pg_temp.n((r.peak_kb / 1024.0)::numeric, 1), pg_temp.n(((r.peak_kb - b.scan_kb) / 1024.0)::numeric, 1),
         pg_temp.n(((r.peak_kb - b.scan_kb) * 1024.0 / r.cases)::numeric, 0),
         pg_temp.n((r.temp_bytes / 1048576.0)::numeric, 0), coalesce(r.plan, '')), E'\n'
         ORDER BY r.idx, r.events, r.layout = 'case')
    || E'\n'
FROM r JOIN base b USING (label)
WHERE r.workers = 0 AND (r.layout = 'heap' OR (r.layout = 'case' AND r.item LIKE '%\_entry'))
  AND r.status = 'ok' AND r.grp <> 'baseline';

-- The targets of issue 6, each as met / missed / not measured.
WITH v AS (
  SELECT bg.label AS big, sm.label AS small, bg.events AS big_events, sm.events AS small_events,
         pg_temp.t('collmine_process_map', bg.label) AS pm,
         pg_temp.t('baseline_groupby', bg.label) AS gb,
         pg_temp.t('plain_process_map', bg.label) AS plain_pm,
         pg_temp.t('collmine_process_map', sm.label) AS pm_small,
         pg_temp.c('collmine_process_map', bg.label) AS pm_c,
         pg_temp.c('baseline_groupby', bg.label) AS gb_c,
         pg_temp.c('plain_process_map', bg.label) AS plain_pm_c,
         pg_temp.c('collmine_process_map', sm.label) AS pm_small_c,
         pg_temp.t('collmine_process_map', bg.label, 0, 'hash') AS pm_part,
         pg_temp.t('collmine_process_map', bg.label, 2, 'hash') AS pm_par,
         pg_temp.same('collmine_process_map', bg.label, 'hash') AS par_same,
         (SELECT max(peak_kb) FROM bench.results WHERE item = 'collmine_process_map' AND status = 'ok' AND workers = 0) AS pm_kb,
         pg_size_bytes(current_setting('work_mem')) / 1024 * current_setting('hash_mem_multiplier')::float8 + 131072 AS mem_cap_kb
  FROM big bg, small sm),
t AS (
  SELECT 1 AS k, format('process map over %s events ≤ 2× the GROUP BY count(*) baseline', big) AS target,
         CASE WHEN pm IS NOT NULL AND gb IS NOT NULL THEN format('%s×', pg_temp.n((pm / gb)::numeric, 2)) END AS measured,
         CASE WHEN pm IS NULL OR gb IS NULL THEN NULL ELSE pm / gb <= 2 END AS met,
         format('%s×', pg_temp.n((pm_c / gb_c)::numeric, 2)) AS cpu FROM v
  UNION ALL
  SELECT 2, format('process map ≥ 5× faster than the plain-SQL process map (%s events)', big),
         CASE WHEN pm IS NOT NULL AND plain_pm IS NOT NULL THEN format('%s× faster', pg_temp.n((plain_pm / pm)::numeric, 2)) END,
         CASE WHEN pm IS NULL OR plain_pm IS NULL THEN NULL ELSE plain_pm / pm >= 5 END,
         format('%s× faster', pg_temp.n((plain_pm_c / pm_c)::numeric, 2)) FROM v
  UNION ALL
  SELECT 3, format('per-event cost of the process map grows < 1.3× from %s to %s events', small, big),
         CASE WHEN pm IS NOT NULL AND pm_small IS NOT NULL AND big <> small
              THEN format('%s×', pg_temp.n(((pm / big_events) / (pm_small / small_events))::numeric, 2)) END,
         CASE WHEN pm IS NULL OR pm_small IS NULL OR big = small THEN NULL
              ELSE (pm / big_events) / (pm_small / small_events) < 1.3 END,
         format('%s×', pg_temp.n(((pm_c / big_events) / (pm_small_c / small_events))::numeric, 2)) FROM v
  UNION ALL
  SELECT 4, format('memory bounded: process map peak ≤ work_mem × hash_mem_multiplier + 128 MB (%s MB) at every size',
                   pg_temp.n((mem_cap_kb / 1024)::numeric, 0)),
         CASE WHEN pm_kb IS NOT NULL THEN format('%s MB peak', pg_temp.n((pm_kb / 1024.0)::numeric, 1)) END,
         CASE WHEN pm_kb IS NULL THEN NULL ELSE pm_kb <= mem_cap_kb END, NULL FROM v
  UNION ALL
  SELECT 5, format('process map with 2 parallel workers measurably faster (≥ 1.1×) than serial, with equal results (%s events, partitioned log)', big),
         CASE WHEN pm_part IS NOT NULL AND pm_par IS NOT NULL
              THEN format('%s× faster, results %s', pg_temp.n((pm_part / pm_par)::numeric, 2),
                          CASE WHEN par_same THEN 'equal' ELSE 'DIFFERENT' END) END,
         CASE WHEN pm_part IS NULL OR pm_par IS NULL THEN NULL ELSE pm_part / pm_par >= 1.1 AND par_same END, NULL FROM v)
SELECT E'### Targets\n\nMeasured on wall time, as the targets are stated; the same ratio on backend CPU time '
    'is shown beside it, because CPU time is less disturbed by other load on the machine.' || E'\n\n'
    '| target | measured (wall time) | same ratio on CPU time | status |\n|---|---|---|---|\n'
    || string_agg(format('| %s | %s | %s | %s |', target, coalesce(measured, '—'), coalesce(cpu, '—'),
                         CASE WHEN met IS NULL THEN 'not measured (an item it needs was not run, or its collmine function is not available)'
                              WHEN met THEN 'met' ELSE '**missed**' END), E'\n' ORDER BY k)
    || E'\n'
FROM t;

-- The targets of issue 10, per log, as same-run ratios of medians.
WITH l AS (SELECT label, events FROM sizes),
t AS (
  SELECT l.events, 1 AS k, l.label,
         format('`collmine.process_map()` ≤ 1.5× the GROUP BY floor in serial backend CPU (%s)', l.label) AS target,
         format('%s×', pg_temp.n(pg_temp.rr('cpu', l.label, 'collmine_process_map_entry', 'baseline_groupby')::numeric, 2)) AS measured,
         pg_temp.rr('cpu', l.label, 'collmine_process_map_entry', 'baseline_groupby') <= 1.5 AS met
  FROM l
  UNION ALL
  SELECT l.events, 1.5, l.label,
         format('the same for the hashed two-level query, `dfg_agg` over `trace_agg` per case (%s)', l.label),
         format('%s×', pg_temp.n(pg_temp.rr('cpu', l.label, 'collmine_process_map', 'baseline_groupby')::numeric, 2)),
         pg_temp.rr('cpu', l.label, 'collmine_process_map', 'baseline_groupby') <= 1.5
  FROM l
  UNION ALL
  SELECT l.events, 2, l.label,
         format('`collmine.variants()` ≥ 5× faster than string_agg variants in serial backend CPU (%s)', l.label),
         format('%s× faster', pg_temp.n(pg_temp.rr('cpu', l.label, 'plain_variants', 'collmine_variants_entry')::numeric, 2)),
         pg_temp.rr('cpu', l.label, 'plain_variants', 'collmine_variants_entry') >= 5
  FROM l
  UNION ALL
  SELECT l.events, 3 + x.o, l.label,
         format('`%s` with 2 workers ≥ 1.5× faster than serial, total CPU ≤ 1.15× serial, equal results (%s, %s)', x.item, l.label,
                CASE y.layout WHEN 'hash' THEN 'partitioned' WHEN 'heap' THEN 'ordinary table stored case after case'
                              WHEN 'case' THEN 'ordinary table in case-id order' ELSE 'ordinary table in time order' END),
         format('%s× faster, total CPU %s×, results %s',
                pg_temp.n(pg_temp.rr('wall', l.label, x.item, x.item, y.layout, 0, y.layout, 2)::numeric, 2),
                pg_temp.n(pg_temp.rr('total_cpu', l.label, x.item, x.item, y.layout, 2, y.layout, 0)::numeric, 2),
                CASE WHEN pg_temp.same(x.item, l.label, y.layout) THEN 'equal' ELSE 'DIFFERENT' END),
         pg_temp.rr('wall', l.label, x.item, x.item, y.layout, 0, y.layout, 2) >= 1.5
           AND pg_temp.rr('total_cpu', l.label, x.item, x.item, y.layout, 2, y.layout, 0) <= 1.15
           AND pg_temp.same(x.item, l.label, y.layout)
  FROM l, (VALUES (0, 'collmine_process_map'), (0.5, 'collmine_process_map_entry'), (1, 'collmine_variants'),
                  (1.5, 'collmine_variants_entry')) x(o, item),
       (VALUES ('heap'), ('hash'), ('time'), ('case')) y(layout)
  -- only where both ran: without 2-worker runs (BENCH_PARTS=0) there is nothing to compare
  WHERE pg_temp.t(x.item, l.label, 0, y.layout) IS NOT NULL AND pg_temp.t(x.item, l.label, 2, y.layout) IS NOT NULL
  UNION ALL
  SELECT l.events, 5, l.label,
         'BPIC 2012 process map, serial wall time (median), `collmine.process_map()` and the two-level query; the best published in-database result is 172 ms (a native operator inside H2), a different machine',
         format('%s ms and %s ms', pg_temp.n(pg_temp.t('collmine_process_map_entry', l.label)::numeric, 0),
                pg_temp.n(pg_temp.t('collmine_process_map', l.label)::numeric, 0)), NULL
  FROM l WHERE l.label = 'bpic2012'
  UNION ALL
  SELECT l.events, 6 + x.o, l.label,
         format('memory bounded: `%s` peak backend memory ≤ work_mem × hash_mem_multiplier + 128 MB (%s MB), spilled or not (%s)',
                x.item, pg_temp.n((m.cap_kb / 1024)::numeric, 0), l.label),
         format('%s MB peak, %s MB temp files', pg_temp.n((r.peak_kb / 1024.0)::numeric, 1), pg_temp.n((r.temp_bytes / 1048576.0)::numeric, 0)),
         r.peak_kb <= m.cap_kb
  FROM l CROSS JOIN (VALUES (0, 'collmine_process_map'), (0.5, 'collmine_process_map_entry'), (1, 'collmine_variants_entry')) x(o, item)
         CROSS JOIN (SELECT pg_size_bytes(current_setting('work_mem')) / 1024 * current_setting('hash_mem_multiplier')::float8 + 131072 AS cap_kb) m
         JOIN bench.results r ON r.item = x.item AND r.label = l.label AND r.workers = 0 AND r.layout = 'heap' AND r.status = 'ok')
SELECT E'### Targets of issue 10\n\nEach ratio is taken within a round (the two measurements ran side by side), then the median over the rounds. CPU is the backend''s own (serial runs have no workers).\n\n'
    '| target | measured | status |\n|---|---|---|\n'
    || string_agg(format('| %s | %s | %s |', target, coalesce(measured, '—'),
                         CASE WHEN k = 5 THEN 'for reference' WHEN met IS NULL THEN 'not measured'
                              WHEN met THEN 'met' ELSE '**missed**' END), E'\n' ORDER BY events, label, k)
    || E'\n'
FROM t;

SELECT E'### The measured queries\n\n`:log` is the event log table (generated, or the real log).\n\n'
    || string_agg(format(E'- `%s` (%s): %s\n\n  ```sql\n  %s\n  ```', item, grp, description,
                         replace(replace(sql, '\n', E'\n'), E'\n', E'\n  ')), E'\n' ORDER BY idx)
    || E'\n'
FROM bench.items;
