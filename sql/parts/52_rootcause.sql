-- collmine install script, layer 5c: root-cause analysis of a case-level outcome.
--
-- collmine.root_causes ranks the values of case attributes (columns of invoices) by how often
-- the cases with that value have an outcome (written off, paid late, disputed, or any boolean
-- SQL expression over invoices), with lift over the baseline, support and a two-proportion
-- z-test. docs/root-cause.md explains the statistics and the injection surface of custom
-- outcome expressions.

-- Complementary error function for x >= 0, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7):
-- t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5)))) * exp(-x^2) with t = 1 / (1 + p x). One
-- expression (t written out each time it is used), no SET clause and not STRICT (a NULL x gives
-- NULL all the same), so that the planner inlines it: root_causes computes it for every ranked
-- value (40,000 at 1M invoices), and a call through a SET clause cost about 9 us each. Everything
-- is schema-qualified instead.
CREATE FUNCTION collmine._erfc_pos(x double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN x OPERATOR(pg_catalog.>) 26 THEN 0::double precision   -- exp() would underflow (an error in PostgreSQL)
           ELSE ((1.0::double precision OPERATOR(pg_catalog./) (1.0 OPERATOR(pg_catalog.+) (0.3275911 OPERATOR(pg_catalog.*) x)))
                OPERATOR(pg_catalog.*) (0.254829592 OPERATOR(pg_catalog.+) ((1.0::double precision OPERATOR(pg_catalog./) (1.0 OPERATOR(pg_catalog.+) (0.3275911 OPERATOR(pg_catalog.*) x)))
                 OPERATOR(pg_catalog.*) (-0.284496736 OPERATOR(pg_catalog.+) ((1.0::double precision OPERATOR(pg_catalog./) (1.0 OPERATOR(pg_catalog.+) (0.3275911 OPERATOR(pg_catalog.*) x)))
                 OPERATOR(pg_catalog.*) (1.421413741 OPERATOR(pg_catalog.+) ((1.0::double precision OPERATOR(pg_catalog./) (1.0 OPERATOR(pg_catalog.+) (0.3275911 OPERATOR(pg_catalog.*) x)))
                 OPERATOR(pg_catalog.*) (-1.453152027 OPERATOR(pg_catalog.+) ((1.0::double precision OPERATOR(pg_catalog./) (1.0 OPERATOR(pg_catalog.+) (0.3275911 OPERATOR(pg_catalog.*) x))) OPERATOR(pg_catalog.*) 1.061405429)))))))))
                OPERATOR(pg_catalog.*) pg_catalog.exp((OPERATOR(pg_catalog.-) x) OPERATOR(pg_catalog.*) x) END
$$;

-- Standard normal cumulative distribution function Phi(z), through the erf approximation.
CREATE FUNCTION collmine.normal_cdf(z double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN z >= 0 THEN 1 - 0.5 * collmine._erfc_pos(z / sqrt(2::double precision))
                ELSE 0.5 * collmine._erfc_pos(-z / sqrt(2::double precision)) END
$$;

-- The outcome keyword that outcome names (written_off, disputed, paid_late; case and
-- surrounding blanks do not matter), or NULL for a custom expression: the one list of the
-- keywords, which _outcome_expr turns into expressions and root_causes reads to know what it runs.
CREATE FUNCTION collmine._outcome_keyword(outcome text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT v.k FROM (VALUES ('written_off'), ('disputed'), ('paid_late')) v(k) WHERE v.k = lower(btrim(outcome))
$$;

-- The boolean SQL expression (over invoices aliased i) for an outcome keyword or a custom
-- expression. Keywords use the event log (the activities of the log's vocabulary); a custom
-- expression is checked for statement separators and comments and otherwise runs as written,
-- as the caller.
CREATE FUNCTION collmine._outcome_expr(log_schema name, outcome text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF outcome IS NULL OR btrim(outcome) = '' THEN
        RAISE EXCEPTION 'outcome must not be empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use written_off, paid_late, disputed, or a boolean expression over invoices columns such as ''amount > 10000''.';
    END IF;
    CASE collmine._outcome_keyword(outcome)
    WHEN 'written_off' THEN
        RETURN format('EXISTS (SELECT 1 FROM %I.events e WHERE e.case_id::text = i.case_id::text AND e.activity = ANY (%L::text[]))',
                      log_schema, collmine._role_activities(log_schema, 'written_off'));
    WHEN 'disputed' THEN
        RETURN format('EXISTS (SELECT 1 FROM %I.events e WHERE e.case_id::text = i.case_id::text AND e.activity = ANY (%L::text[]))',
                      log_schema, collmine._role_activities(log_schema, 'dispute_opened'));
    WHEN 'paid_late' THEN
        -- not paid on time by the invoice facts (root_causes joins them as f); NULL (left out)
        -- for invoices not settled
        RETURN 'CASE WHEN f.status = ''settled'' THEN NOT f.paid_on_time END';
    ELSE
        IF strpos(outcome, ';') > 0 OR strpos(outcome, '--') > 0 OR strpos(outcome, '/*') > 0 THEN
            RAISE EXCEPTION 'invalid outcome expression: statement separators and comments are not allowed'
                USING ERRCODE = 'syntax_error',
                      HINT = 'Give one boolean expression over invoices columns (alias i), e.g. ''i.amount > 10000 AND i.country = ''''DE''''''.';
        END IF;
        RETURN '(' || outcome || ')';
    END CASE;
END
$$;

-- Rank the values of each attribute by outcome rate, with lift, support and significance.
CREATE FUNCTION collmine.root_causes(log_schema name, outcome text, attributes text[] DEFAULT NULL,
                                     min_cases integer DEFAULT 1)
RETURNS TABLE (
    attribute text, value text, cases bigint, outcome_cases bigint, outcome_rate numeric,
    baseline_rate numeric, lift numeric, support numeric, outcome_share numeric,
    excess_outcomes numeric, z_score double precision, p_value double precision,
    rank_in_attribute bigint)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE SECURITY INVOKER   -- unsafe: it opens a subtransaction
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    attrs text[];
    a text;
    sets text[] := '{}';
    labels text := '';
    vals text := '';
    cols text[] := '{}';
    expr text;
    keyword text;
    ranked jsonb;
    q text;
BEGIN
    PERFORM collmine._check_log(log_schema);
    IF min_cases IS NULL OR min_cases < 1 THEN
        RAISE EXCEPTION 'invalid min_cases: %', min_cases
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a number of cases >= 1, e.g. 10.';
    END IF;
    expr := collmine._outcome_expr(log_schema, outcome);
    keyword := collmine._outcome_keyword(outcome);
    IF attributes IS NULL THEN
        SELECT array_agg(a.attname::text ORDER BY array_position(d.names, a.attname::text))
          INTO attrs
          FROM pg_attribute a,
               (SELECT ARRAY['segment', 'business_unit', 'collector', 'country', 'terms', 'customer_name',
                             'currency', 'dispute_reason', 'source_system']) AS d(names)
         WHERE a.attrelid OPERATOR(pg_catalog.=) to_regclass(format('%I.%I', log_schema, 'invoices'))
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND a.attname::text OPERATOR(pg_catalog.=) ANY (d.names);
    ELSE
        attrs := attributes;
    END IF;
    IF attrs IS NULL OR cardinality(attrs) = 0 THEN
        RAISE EXCEPTION 'no attributes to rank'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name invoices columns, e.g. ARRAY[''segment'', ''collector''].';
    END IF;
    FOREACH a IN ARRAY attrs LOOP
        -- validates the column name (error with the list of columns otherwise)
        PERFORM collmine._group_expr(log_schema, a);
        sets := sets || format('(b.%I)', a);
        IF NOT format('i.%I', a) = ANY (cols) THEN
            cols := cols || format('i.%I', a);
            labels := labels || format(' WHEN GROUPING(b.%I) = 0 THEN %L::text', a, a);
            vals := vals || format(' WHEN GROUPING(b.%I) = 0 THEN b.%I::text', a, a);
        END IF;
    END LOOP;
    -- b keeps only the outcome and the ranked columns (%5$s): all of them (i.*) made a million
    -- wide rows spill to disk at 1M invoices
    q := format($q$
        WITH b AS MATERIALIZED (
                 SELECT (%2$s)::boolean AS o, %5$s FROM %1$I.invoices i %4$s),
             bb AS (SELECT * FROM b WHERE b.o IS NOT NULL),
             tot AS (SELECT count(*)::numeric AS n, (count(*) FILTER (WHERE bb.o))::numeric AS k FROM bb),
             -- per attribute and value, in one pass over b: one grouping set per attribute
             -- (GROUPING names the set a row is of), rather than a union of b once per
             -- attribute, nine million rows at 1M invoices grouped by (attribute, value)
             gs AS (SELECT CASE %3$s END AS attribute, CASE %6$s END AS value,
                           count(*)::numeric AS n, (count(*) FILTER (WHERE b.o))::numeric AS k
                      FROM b WHERE b.o IS NOT NULL GROUP BY GROUPING SETS (%7$s)),
             -- an attribute named twice is counted twice, as a union of b per name counted it
             g AS (SELECT gs.attribute, gs.value, sum(gs.n) AS n, sum(gs.k) AS k
                     FROM gs GROUP BY gs.attribute, gs.value),
             -- materialized, so that r reads z as a column: computed once per value, and
             -- _erfc_pos is inlined (over an expression as costly as z it would be called)
             s AS MATERIALIZED (SELECT g.*, tot.n AS bn, tot.k AS bk,
                          CASE WHEN tot.n > g.n AND tot.k > 0 AND tot.k < tot.n THEN
                              ((g.k / g.n - (tot.k - g.k) / (tot.n - g.n))
                               / sqrt((tot.k / tot.n) * (1 - tot.k / tot.n) * (1 / g.n + 1 / (tot.n - g.n))))::double precision
                          END AS z
                     FROM g CROSS JOIN tot WHERE g.n >= $1),
             r AS (SELECT s.attribute, s.value, s.n::bigint AS cases, s.k::bigint AS outcome_cases,
                          s.k / s.n AS outcome_rate, s.bk / s.bn AS baseline_rate,
                          CASE WHEN s.bk > 0 THEN (s.k / s.n) / (s.bk / s.bn) END AS lift,
                          s.n / s.bn AS support,
                          CASE WHEN s.bk > 0 THEN s.k / s.bk END AS outcome_share,
                          s.k - s.n * s.bk / s.bn AS excess_outcomes,
                          s.z AS z_score,
                          collmine._erfc_pos(abs(s.z) / sqrt(2::double precision)) AS p_value,
                          row_number() OVER (PARTITION BY s.attribute ORDER BY s.k / s.n DESC, s.n DESC, s.value) AS rank_in_attribute
                     FROM s)
        $q$, log_schema, expr, labels,
             -- the invoice facts, for the outcome paid_late
             CASE WHEN keyword = 'paid_late'
                  THEN format('LEFT JOIN collmine.invoice_facts(%L) f ON f.case_id = i.case_id::text', log_schema) ELSE '' END,
             array_to_string(cols, ', '), vals, array_to_string(sets, ', '));
    -- An outcome keyword's expression is collmine's own and changes nothing in the session: its
    -- ranked rows are returned as computed, in the order the jsonb array below keeps.
    IF keyword IS NOT NULL THEN
        RETURN QUERY EXECUTE q || $q$
        SELECT r.attribute, r.value, r.cases, r.outcome_cases, r.outcome_rate, r.baseline_rate, r.lift,
               r.support, r.outcome_share, r.excess_outcomes, r.z_score, r.p_value, r.rank_in_attribute
          FROM r ORDER BY array_position($2, r.attribute), r.rank_in_attribute
        $q$ USING min_cases, attrs;
        RETURN;
    END IF;
    -- A custom outcome expression runs inside a block that is always rolled back, so whatever it
    -- changes in the session (set_config(..., false), for one) does not outlive the call; only the
    -- ranked rows, kept as jsonb, leave the block.
    BEGIN
        EXECUTE q || $q$
        SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY array_position($2, r.attribute), r.rank_in_attribute), '[]')
          FROM r
        $q$ INTO ranked USING min_cases, attrs;
        RAISE EXCEPTION USING ERRCODE = 'CMRB0';
    EXCEPTION WHEN SQLSTATE 'CMRB0' THEN
        NULL;
    END;
    RETURN QUERY
    SELECT e.j->>'attribute', e.j->>'value', (e.j->>'cases')::bigint, (e.j->>'outcome_cases')::bigint,
           (e.j->>'outcome_rate')::numeric, (e.j->>'baseline_rate')::numeric, (e.j->>'lift')::numeric,
           (e.j->>'support')::numeric, (e.j->>'outcome_share')::numeric, (e.j->>'excess_outcomes')::numeric,
           (e.j->>'z_score')::double precision, (e.j->>'p_value')::double precision,
           (e.j->>'rank_in_attribute')::bigint
      FROM jsonb_array_elements(ranked) WITH ORDINALITY AS e(j, n)
     ORDER BY e.n;
END
$$;
