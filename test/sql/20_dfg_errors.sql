-- collmine.dfg: bad input of every kind gives an error with an SQLSTATE, never a crash.
CREATE SCHEMA dfg_err;
SET search_path = dfg_err, public;

-- the SQLSTATE and message of a statement's error, or 'ok'
CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- a valid map: one case, x then y one minute later (60,000,000 us, sketch bucket
-- ceil(ln(6e7) / ln(1.01/0.99)) = 896)
CREATE TABLE good AS SELECT
 '{"v":1,"filtered":false,"cases":1,"events":2,"skipped":0,"weight":1.0000,"activities":[{"name":"x","events":1,"cases":1,"starts":1,"ends":0,"weight":1.0000},{"name":"y","events":1,"cases":1,"starts":0,"ends":1,"weight":1.0000}],"edges":[{"from":0,"to":1,"count":1,"cases":1,"weight":1.0000,"min":60000000,"max":60000000,"sum":60000000,"zero":0,"sketch":[[896,1]]}]}'::text AS s;
-- it is exactly what dfg_agg makes of that trace
SELECT s::collmine.dfg::text = s AS reads_back,
       (SELECT collmine.dfg_agg(t)::text FROM (SELECT collmine.trace_agg(a, ts) AS t
          FROM (VALUES ('x', timestamptz '2024-01-01 00:00+00'), ('y', '2024-01-01 00:01+00')) v(a, ts)) q) = s
       AS same_as_agg
  FROM good;

-- malformed text: syntax errors name the position and what was expected
SELECT ''::collmine.dfg;
SELECT 'garbage'::collmine.dfg;
SELECT '{"v":2}'::collmine.dfg;
SELECT '{"v":1,"cases":1}'::collmine.dfg;
SELECT replace(s, '"weight":1.0000,"activities"', '"weight":1.5,"activities"')::collmine.dfg FROM good;
SELECT replace(s, '"from":0,"to":1', '"from":0,"to":2')::collmine.dfg FROM good;
SELECT replace(s, '[[896,1]]', '[[9999,1]]')::collmine.dfg FROM good;
SELECT (s || ' x')::collmine.dfg FROM good;
SELECT replace(s, '"name":"x"', '"name":"x\q"')::collmine.dfg FROM good;

-- well-formed text with inconsistent content
--   names out of order
SELECT replace(replace(s, '"name":"x"', '"name":"z"'), '"from":0,"to":1', '"from":1,"to":0')::collmine.dfg FROM good;
--   duplicate names
SELECT replace(s, '"name":"y"', '"name":"x"')::collmine.dfg FROM good;
--   an activity with more cases than events
SELECT replace(s, '"name":"x","events":1,"cases":1', '"name":"x","events":1,"cases":2')::collmine.dfg FROM good;
--   more events per activity than the total
SELECT replace(s, '"events":2,', '"events":1,')::collmine.dfg FROM good;
--   an edge count that does not match the activities' counts (flows)
--   (count 2 with consistent durations and sketch, but x and y have one event each)
SELECT replace(replace(replace(s, '"count":1,"cases":1', '"count":2,"cases":1'),
               '"sum":60000000', '"sum":120000000'), '[[896,1]]', '[[896,2]]')::collmine.dfg FROM good;
--   sketch counts that do not add up to the edge count
SELECT replace(s, '[[896,1]]', '[[896,2]]')::collmine.dfg FROM good;
--   min above max
SELECT replace(s, '"min":60000000', '"min":60000001')::collmine.dfg FROM good;
--   a sum outside [count * min, count * max]
SELECT replace(s, '"sum":60000000', '"sum":1')::collmine.dfg FROM good;
--   negative totals
SELECT replace(s, '"skipped":0', '"skipped":-1')::collmine.dfg FROM good;
--   a duplicate edge (two edges 0 -> 1)
SELECT replace(s, '}]}', '},{"from":0,"to":1,"count":1,"cases":1,"weight":1.0000,"min":60000000,"max":60000000,"sum":60000000,"zero":0,"sketch":[[896,1]]}]}')::collmine.dfg FROM good;
--   unsorted sketch buckets
SELECT replace(replace(replace(s, '"count":1,', '"count":2,'), '"sum":60000000', '"sum":120000000'),
               '[[896,1]]', '[[900,1],[896,1]]')::collmine.dfg FROM good;

-- binary input: dfg_send's bytes read back; truncated, corrupted or padded bytes are errors
CREATE TABLE bin AS SELECT collmine.dfg_send(s::collmine.dfg) AS b FROM good;
SELECT collmine.dfg_from_binary(b)::text = (SELECT s FROM good) AS binary_reads_back FROM bin;
SELECT length(b) AS bytes FROM bin;
SELECT try(format('SELECT collmine.dfg_from_binary(%L::bytea)', substr(b, 1, n))) AS truncated,
       count(*) AS cut_points
  FROM bin, generate_series(0, length(b) - 1) AS n
 GROUP BY 1 ORDER BY 1;
-- every single-byte change either reads as a valid map or gives an error, never a crash
SELECT count(*) AS corruptions,
       count(*) FILTER (WHERE r = 'ok') AS still_valid,
       count(*) FILTER (WHERE r LIKE '22P03:%' OR r LIKE '08P01:%' OR r LIKE '22021:%') AS rejected
  FROM (SELECT try(format('SELECT collmine.dfg_from_binary(%L::bytea)',
                          set_byte(b, n, (get_byte(b, n) + v) % 256))) AS r
          FROM bin, generate_series(0, length(b) - 1) AS n, (VALUES (1), (128), (255)) AS d(v)) s;
-- a wrong version, a header that claims absurd counts, and trailing bytes
SELECT collmine.dfg_from_binary(set_byte(b, 0, 2)) FROM bin;
SELECT collmine.dfg_from_binary(overlay(b PLACING '\x7fffffff'::bytea FROM 3)) FROM bin;
SELECT collmine.dfg_from_binary(overlay(b PLACING '\x00100000'::bytea FROM 3)) FROM bin;
SELECT collmine.dfg_from_binary(b || '\x00'::bytea) FROM bin;

-- weights
SELECT collmine.dfg_agg(t, 'NaN') FROM (SELECT collmine.trace_agg('x', now()) AS t) s;
SELECT collmine.dfg_agg(t, 1e15) FROM (SELECT collmine.trace_agg('x', now()) AS t) s;
SELECT try('SELECT collmine.dfg_agg(t, -1e15) FROM (SELECT collmine.trace_agg(''x'', now()) AS t) s') AS negative_overflow;
-- the largest weight that fits: 922337203685477.5807
SELECT collmine.dfg_weight(collmine.dfg_agg(t, 922337203685477.5807))
  FROM (SELECT collmine.trace_agg('x', now()) AS t) s;

-- merged totals beyond 64 bits (a filtered map may claim huge counts without edges)
SELECT collmine.dfg_merge(d, d) FROM (SELECT
  '{"v":1,"filtered":true,"cases":1,"events":9223372036854775807,"skipped":0,"weight":0.0000,"activities":[{"name":"x","events":9223372036854775807,"cases":1,"starts":1,"ends":1,"weight":0.0000}],"edges":[]}'::collmine.dfg AS d) s;

-- filter sliders
SELECT collmine.dfg_filter(s::collmine.dfg, 0) FROM good;
SELECT collmine.dfg_filter(s::collmine.dfg, 1.5) FROM good;
SELECT collmine.dfg_filter(s::collmine.dfg, paths => 'NaN') FROM good;
SELECT collmine.dfg_filter(s::collmine.dfg, 1, -0.5) FROM good;

-- render labels
SELECT collmine.dfg_to_dot(s::collmine.dfg, 'freq') FROM good;
SELECT collmine.dfg_to_mermaid(s::collmine.dfg, '') FROM good;

-- the transition function is not a plain function
SELECT collmine.dfg_agg_trans(NULL, NULL::collmine.trace);

-- the SQLSTATEs of the errors above, in one place
SELECT q, try(q) FROM (VALUES
  ('SELECT ''garbage''::collmine.dfg'),
  ('SELECT replace(s, ''"name":"y"'', ''"name":"x"'')::collmine.dfg FROM dfg_err.good'),
  ('SELECT collmine.dfg_from_binary(set_byte(b, 0, 2)) FROM dfg_err.bin'),
  ('SELECT collmine.dfg_from_binary(b || ''\x00''::bytea) FROM dfg_err.bin'),
  ('SELECT collmine.dfg_agg(t, 1e15) FROM (SELECT collmine.trace_agg(''x'', now()) AS t) s'),
  ('SELECT collmine.dfg_filter(s::collmine.dfg, 0) FROM dfg_err.good'),
  ('SELECT collmine.dfg_to_dot(s::collmine.dfg, ''freq'') FROM dfg_err.good')) v(q);

DROP SCHEMA dfg_err CASCADE;
