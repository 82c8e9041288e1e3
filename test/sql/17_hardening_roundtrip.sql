-- Issue 13, item 5: a property test over random values, not examples only.
--
-- Every value a trace or a dfg can hold must print to text that reads back to the same value
-- (pg_dump and restore go through the text form), the binary form must do the same, and the
-- binary input must accept exactly what the text input accepts. The values are random (with a
-- fixed seed, so the run is repeatable) and aimed at the edges: timestamps anywhere in
-- PostgreSQL's range, bunched around 4714 BC, 1 BC / 1 AD, 9999 / 10000 and the last usable
-- microsecond; order keys anywhere in bigint, NULL included; awkward activity names; weights up
-- to the largest a case may have. Each check counts the values that break it: all must be 0.
CREATE SCHEMA t17r;
SET search_path = t17r, public;
SET timezone = 'UTC';
SELECT setseed(0.1713);

-- the microsecond bounds: PostgreSQL's first timestamp, the last one a trace can hold
-- (TRACE_MAX_TS: first + 2^63 - 1) and the last one PostgreSQL has
CREATE TABLE bounds AS
SELECT -211813488000000000::numeric AS lo, -211813488000000000::numeric + 9223372036854775807 AS usable,
       9223371331199999999::numeric AS hi;

-- 600 cases of 0 to 12 events each
CREATE TABLE ev AS
SELECT c, e,
       (ARRAY['Invoice Generated', 'a -> b', 'q"uote', 'back\slash', E'tab\there', E'new\nline',
              'ünïcödé', ' ', E'\x01ctl', E'del\x7f', 'x', '{"v":1}'])[1 + floor(random() * 12)::int] AS act,
       (CASE floor(random() * 7)::int
          WHEN 0 THEN b.lo + floor(random()::numeric * (b.hi - b.lo + 1))                      -- anywhere
          WHEN 1 THEN b.lo + floor(random()::numeric * 1e17)                                   -- 4714 BC ... 1545 BC
          WHEN 2 THEN -63082281600000000 + floor((random()::numeric - 0.5) * 1e14)             -- around 0001-01-01
          WHEN 3 THEN 252455616000000000 + floor((random()::numeric - 0.5) * 1e14)             -- around 10000-01-01
          WHEN 4 THEN 757382400000000 + floor(random()::numeric * 2e14)                        -- 2024 and later
          WHEN 5 THEN b.usable + floor((random()::numeric - 0.5) * 2000)                       -- the last usable us
          ELSE b.lo + floor(random()::numeric * 2000)                                          -- the first us
        END) AS us,
       CASE WHEN random() < 0.1 THEN NULL
            ELSE least(floor((random()::numeric - 0.5) * 18446744073709551616), 9223372036854775806)::bigint END AS ord
FROM bounds b, generate_series(1, 600) c, LATERAL generate_series(1, floor(random() * 13)::int + c * 0) e;
ALTER TABLE ev ADD COLUMN ts timestamptz;
UPDATE ev SET ts = timestamptz '2000-01-01 00:00:00+00' + (us::bigint || ' us')::interval;
SELECT count(*) > 3000 AS enough_events, count(*) FILTER (WHERE us > (SELECT usable FROM bounds)) > 50 AS some_unusable,
       count(*) FILTER (WHERE ts < '0001-01-01 00:00:00+00') > 500 AS some_bc,
       count(*) FILTER (WHERE ts >= '10000-01-01 00:00:00+00') > 500 AS some_after_9999
FROM ev;

-- traces with order keys (even cases) and without (odd cases)
CREATE TABLE tr AS
SELECT c, CASE WHEN c % 2 = 0 THEN collmine.trace_agg(act, ts, ord) ELSE collmine.trace_agg(act, ts) END AS t
FROM ev GROUP BY c;

-- text and binary round trips give back the same value
SELECT count(*) AS traces,
       count(*) FILTER (WHERE t::text::collmine.trace::text IS DISTINCT FROM t::text) AS text_differs,
       count(*) FILTER (WHERE collmine.trace_from_binary(collmine.trace_send(t))::text IS DISTINCT FROM t::text) AS binary_differs,
       count(*) FILTER (WHERE collmine.trace_from_binary(collmine.trace_send(t::text::collmine.trace))::text
                              IS DISTINCT FROM t::text) AS text_then_binary_differs
FROM tr;
-- and the value is the events: every usable event is in it with its exact time and order key,
-- every other one is counted as skipped
SELECT count(*) AS events_lost_or_changed FROM (
  (SELECT c, act, ts, CASE WHEN c % 2 = 0 THEN ord END FROM ev WHERE us <= (SELECT usable FROM bounds)
   EXCEPT ALL
   SELECT tr.c, e.activity, e.ts, e.ord FROM tr, collmine.trace_events(t::text::collmine.trace) e)
  UNION ALL
  (SELECT tr.c, e.activity, e.ts, e.ord FROM tr, collmine.trace_events(t::text::collmine.trace) e
   EXCEPT ALL
   SELECT c, act, ts, CASE WHEN c % 2 = 0 THEN ord END FROM ev WHERE us <= (SELECT usable FROM bounds))) d;
SELECT count(*) AS skipped_miscounted
FROM tr JOIN (SELECT c, count(*) FILTER (WHERE us > (SELECT usable FROM bounds)) AS late FROM ev GROUP BY c) x USING (c)
WHERE collmine.trace_skipped(t) <> x.late;

-- process maps over random groups of those traces, with random weights up to the largest
-- a case may carry, and their union: text and binary round trips
CREATE TABLE wtr AS
SELECT c, t, CASE WHEN random() < 0.1 THEN NULL
                  ELSE round((random()::numeric - 0.5) * 2 * 922337203685477.5807, 4) END AS w
FROM tr;
CREATE TABLE maps AS
SELECT c % 25 AS g, collmine.dfg_agg(t, w) AS d FROM wtr GROUP BY c % 25
UNION ALL
SELECT 100, collmine.dfg_agg(t, 922337203685477.5807) FROM wtr
UNION ALL
SELECT 101, collmine.dfg_agg(t, -922337203685477.5808) FROM wtr;
INSERT INTO maps SELECT 200, collmine.dfg_union(d) FROM maps;
SELECT count(*) AS maps,
       count(*) FILTER (WHERE d::text::collmine.dfg::text IS DISTINCT FROM d::text) AS text_differs,
       count(*) FILTER (WHERE collmine.dfg_from_binary(collmine.dfg_send(d))::text IS DISTINCT FROM d::text) AS binary_differs
FROM maps;

-- binary input accepts exactly what text input accepts: 400 random total weights (units of
-- 1/10000) around the bound (cases x 2^63), far beyond it and anywhere in 128 bits, written
-- into the text form and into the binary form (16 bytes from offset 38) of a one-case map
CREATE FUNCTION accepts(q text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN true;
EXCEPTION WHEN invalid_text_representation OR invalid_binary_representation THEN
    RETURN false;
END $$;
-- two's complement big-endian bytes of a 128-bit integer
CREATE FUNCTION int128_bytes(v numeric) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
    u numeric := CASE WHEN v < 0 THEN v + 340282366920938463463374607431768211456 ELSE v END;
    b bytea := '\x'::bytea;
BEGIN
    FOR i IN 1..16 LOOP
        b := set_byte('\x00'::bytea, 0, (u % 256)::int) || b;
        u := div(u, 256);
    END LOOP;
    RETURN b;
END $$;
CREATE TABLE one_map AS
SELECT collmine.dfg_agg(t)::text AS s FROM (SELECT collmine.trace_agg('a', timestamptz '2024-01-01 00:00:00+00') AS t) x;
CREATE TABLE weights AS
SELECT CASE floor(random() * 4)::int
         WHEN 0 THEN 1267650600228229401496703205376 + floor((random()::numeric - 0.5) * 10)  -- 2^100, 0.1.0's text limit
         WHEN 1 THEN 9223372036854775808 + floor((random()::numeric - 0.5) * 10)       -- the bound itself, +- 5
         WHEN 2 THEN -9223372036854775808 + floor((random()::numeric - 0.5) * 10)
         ELSE floor((random()::numeric - 0.5) * 340282366920938463463374607431768211455)
       END AS w
FROM generate_series(1, 400);
SELECT count(*) AS weights,
       count(*) FILTER (WHERE accepted_text) AS accepted,
       count(*) FILTER (WHERE accepted_text IS DISTINCT FROM accepted_binary) AS text_and_binary_disagree
FROM (SELECT w,
             accepts(format('SELECT %L::collmine.dfg',
                            replace(s, '"weight":1.0000,"activities"',
                                    format('"weight":%s,"activities"', to_char(w / 10000, 'FM' || repeat('9', 40) || '0.0000'))))) AS accepted_text,
             accepts(format('SELECT collmine.dfg_from_binary(%L::bytea)',
                            overlay(collmine.dfg_send(s::collmine.dfg) PLACING int128_bytes(w) FROM 39 FOR 16))) AS accepted_binary
      FROM weights, one_map) x;

DROP SCHEMA t17r CASCADE;
