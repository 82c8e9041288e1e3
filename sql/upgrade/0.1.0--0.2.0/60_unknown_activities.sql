-- Issue 11 (part): a named activity that is neither a template activity nor in the log raises a
-- WARNING (collmine._warn_unknown_activities) in the KPI functions that take activity names.
CREATE FUNCTION collmine._warn_unknown_activities(log_schema name, activities text[])
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a text;
    found boolean;
    known text;
BEGIN
    FOREACH a IN ARRAY activities LOOP
        CONTINUE WHEN a IS NULL OR a IN (SELECT t.activity FROM collmine.template_activities() t);
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.events e WHERE e.activity = $1)', log_schema)
            INTO found USING a;
        IF NOT found THEN
            EXECUTE format('SELECT string_agg(quote_literal(x.a), '', '' ORDER BY x.a) '
                           'FROM (SELECT DISTINCT e.activity COLLATE "C" AS a FROM %I.events e ORDER BY 1 LIMIT 40) x',
                           log_schema)
                INTO known;
            RAISE WARNING 'activity "%" does not occur in %.events', a, quote_ident(log_schema)
                USING ERRCODE = '01000',
                      HINT = CASE WHEN known IS NULL THEN 'The log has no events.'
                                  ELSE 'Activity names are case-sensitive. The log''s activities are: ' || known || '.' END;
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION collmine.activity_pairs(log_schema name, start_activity text, end_activity text,
                                        group_by text DEFAULT NULL)
RETURNS TABLE (case_id text, group_value text, pair_no bigint, started_at timestamptz,
               ended_at timestamptz, duration_days numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text;
BEGIN
    PERFORM collmine._check_log(log_schema);
    grp := collmine._group_expr(log_schema, group_by);
    IF start_activity IS NULL OR end_activity IS NULL OR start_activity = end_activity THEN
        RAISE EXCEPTION 'invalid activity pair: % to %', start_activity, end_activity
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name two different activities, e.g. ''Payment Received'' and ''Payment Posted''.';
    END IF;
    PERFORM collmine._warn_unknown_activities(log_schema, ARRAY[start_activity, end_activity]);
    RETURN QUERY EXECUTE format($q$
        WITH s AS (SELECT e.case_id::text AS case_id, e.ts,
                          row_number() OVER (PARTITION BY e.case_id ORDER BY e.ts, e.ord) AS n
                     FROM %1$I.events e WHERE e.activity = $1),
             f AS (SELECT e.case_id::text AS case_id, e.ts,
                          row_number() OVER (PARTITION BY e.case_id ORDER BY e.ts, e.ord) AS n
                     FROM %1$I.events e WHERE e.activity = $2)
        SELECT s.case_id, (%2$s), s.n, s.ts, f.ts,
               extract(epoch FROM f.ts - s.ts)::numeric / 86400
          FROM s LEFT JOIN f ON f.case_id = s.case_id AND f.n = s.n
                 LEFT JOIN %1$I.invoices i ON i.case_id::text = s.case_id
    $q$, log_schema, grp) USING start_activity, end_activity;
END
$$;

CREATE OR REPLACE FUNCTION collmine.followup_events(log_schema name, trigger_activity text, within_days integer,
                                         first_only boolean DEFAULT false, group_by text DEFAULT NULL)
RETURNS TABLE (case_id text, group_value text, triggered_at timestamptz, paid_within boolean,
               settled_within boolean, window_open boolean)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text;
BEGIN
    PERFORM collmine._check_log(log_schema);
    grp := collmine._group_expr(log_schema, group_by);
    IF within_days IS NULL OR within_days < 0 THEN
        RAISE EXCEPTION 'invalid within_days: %', within_days
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a number of days >= 0, e.g. 30.';
    END IF;
    PERFORM collmine._warn_unknown_activities(log_schema, ARRAY[trigger_activity]);
    RETURN QUERY EXECUTE format($q$
        WITH t AS (SELECT e.case_id::text AS case_id, e.ts, e.ord,
                          row_number() OVER (PARTITION BY e.case_id ORDER BY e.ts, e.ord) AS n
                     FROM %1$I.events e WHERE e.activity = $1),
             mx AS (SELECT max(e.ts) AS last_ts FROM %1$I.events e),
             o AS (SELECT t.case_id, t.ts,
                          EXISTS (SELECT 1 FROM %1$I.events p
                                   WHERE p.case_id::text = t.case_id
                                     AND p.activity IN ('Payment Received', 'Invoice Settled')
                                     AND (p.ts > t.ts OR (p.ts = t.ts AND p.ord > t.ord))
                                     AND p.ts <= t.ts + $3) AS paid,
                          EXISTS (SELECT 1 FROM %1$I.events p
                                   WHERE p.case_id::text = t.case_id AND p.activity = 'Invoice Settled'
                                     AND (p.ts > t.ts OR (p.ts = t.ts AND p.ord > t.ord))
                                     AND p.ts <= t.ts + $3) AS settled
                     FROM t WHERE NOT $2 OR t.n = 1)
        SELECT o.case_id, (%2$s), o.ts, o.paid, o.settled, (NOT o.settled AND o.ts + $3 > mx.last_ts)
          FROM o CROSS JOIN mx LEFT JOIN %1$I.invoices i ON i.case_id::text = o.case_id
    $q$, log_schema, grp)
    USING trigger_activity, first_only, make_interval(days => within_days);
END
$$;
