-- collmine install script, layer 0: the activity vocabulary (issue 11.1).
--
-- The analytics (KPIs, root causes, the forecast, the default policy's application to a log)
-- need to know which of a log's activities means "the invoice was settled", "a reminder went
-- out", and so on. collmine.activity_roles() is the one list of those roles, with the template
-- activity that is each role's default name; nothing else in the analytics spells an activity.
-- A log names its own activities: <schema>.vocabulary (activity text, role text), created empty
-- by collmine.create_event_log, maps them to roles. A role without a row there falls back to
-- its template name, so a log with the template's names (every connector's log) needs no rows,
-- and a log from another ERP or in another language works by filling the mapping
-- (docs/vocabulary.md). collmine._role_activities is the one lookup every analytics function
-- reads.

-- The roles the analytics need, each with its default (template) activity name, and the rank
-- that orders equal timestamps inside a case for the 15 template activities (NULL for a role
-- that is not a template activity).
CREATE FUNCTION collmine.activity_roles()
RETURNS TABLE(role text, activity text, rank integer, description text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT * FROM (VALUES
        ('invoice_created',        'Invoice Generated',           1,  'the invoice is created: the case starts, its invoice date'),
        ('invoice_sent',           'Invoice Sent to Customer',    2,  'the invoice reaches the customer'),
        ('credit_limit_requested', 'Credit Limit Requested',      3,  'a credit limit is requested for the customer'),
        ('credit_limit_approved',  'Credit Limit Approved',       4,  'a credit limit is approved'),
        ('dispute_opened',         'Dispute Registered',          5,  'the customer disputes the invoice'),
        ('dispute_closed',         'Dispute Resolved',            6,  'the dispute is resolved'),
        ('credit_memo',            'Credit Memo Issued',          7,  'a credit memo reduces the open amount (event amount)'),
        ('due_date_passed',        'Payment Due Date Passed',     8,  'the due date passed with the invoice still open'),
        ('dunning_started',        'Dunning Procedure Initiated', 9,  'dunning starts (with reminder: the first dunning step)'),
        ('reminder',               'Overdue Reminder Sent',       10, 'a reminder or dunning letter is sent'),
        ('call',                   'Collection Call Made',        11, 'a collector calls the customer'),
        ('payment_received',       'Payment Received',            12, 'money is received (event amount); on-time payment is judged on it'),
        ('payment_posted',         'Payment Posted',              13, 'the payment is posted to the invoice (event amount)'),
        ('settled',                'Invoice Settled',             14, 'the invoice is closed by payments or credits'),
        ('written_off',            'Invoice Written Off',         15, 'the invoice is closed as a loss (event amount)'),
        ('promise_to_pay',         'Promise to Pay',              NULL::integer, 'the customer promises to pay (not a template activity)')
    ) AS r(role, activity, rank, description)
$$;
COMMENT ON FUNCTION collmine.activity_roles() IS
    'the roles of activities that the analytics read, each with its default (template) activity name; a log maps its own names to them in <schema>.vocabulary';

-- The 15 activities of the credit & collections template, in the order that breaks timestamp
-- ties inside a case (an invoice is generated before it is sent, paid before it is settled):
-- the roles that are template activities.
CREATE FUNCTION collmine.template_activities()
RETURNS TABLE(rank integer, activity text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT r.rank, r.activity FROM collmine.activity_roles() r WHERE r.rank IS NOT NULL
$$;
COMMENT ON FUNCTION collmine.template_activities() IS
    'the 15 activities of the invoice-to-cash template, with the rank that orders equal timestamps';

-- Create <schema>.vocabulary (empty: every role keeps its template name) if it does not exist.
-- No constraint names collmine, so the table stays the user's when the extension is dropped;
-- roles are checked when read (collmine.log_vocabulary) and by collmine.map_activity. Everyone
-- who may use the schema may read it (it names activities, no data): a role granted the log's
-- events and invoices reads the log in the same words as its owner.
CREATE FUNCTION collmine._create_vocabulary(log_schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF to_regclass(format('%I.vocabulary', log_schema)) IS NULL THEN
        EXECUTE format('CREATE TABLE %I.vocabulary (activity text NOT NULL, role text NOT NULL, '
                       'PRIMARY KEY (activity, role))', log_schema);
        EXECUTE format('GRANT SELECT ON %I.vocabulary TO PUBLIC', log_schema);
        EXECUTE format('COMMENT ON TABLE %I.vocabulary IS %L', log_schema,
                       'maps this log''s activity names to collmine.activity_roles(); a role without a row keeps its template name');
    END IF;
END
$$;

-- The vocabulary rows of a log as (activity, role), or none when the log has no vocabulary
-- table (a log made before 0.2.0). A vocabulary the caller may not read is an error, never
-- read as empty: the log would silently be read in the template's words.
CREATE FUNCTION collmine._vocabulary_rows(log_schema name)
RETURNS TABLE(activity text, role text)
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    voc regclass := to_regclass(format('%I.vocabulary', log_schema));
BEGIN
    IF voc IS NOT NULL THEN
        IF NOT has_table_privilege(voc, 'SELECT') THEN
            RAISE EXCEPTION 'permission denied for table %', voc
                USING ERRCODE = 'insufficient_privilege',
                      HINT = format('The analytics read the log''s activity names through it: GRANT SELECT ON %s TO %I;', voc, current_user);
        END IF;
        RETURN QUERY EXECUTE format('SELECT v.activity::text, v.role::text FROM %s v', voc);
    END IF;
END
$$;

-- The one lookup of the analytics: the log's activity names that play a role. The vocabulary's
-- rows for the role when it has any, else the role's template name.
CREATE FUNCTION collmine._role_activities(log_schema name, role text)
RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    acts text[];
    dflt text;
BEGIN
    SELECT r.activity INTO dflt FROM collmine.activity_roles() r WHERE r.role = _role_activities.role;
    IF dflt IS NULL THEN
        RAISE EXCEPTION 'unknown activity role "%"', role
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The roles are listed by collmine.activity_roles().';
    END IF;
    SELECT array_agg(v.activity ORDER BY v.activity COLLATE "C") INTO acts
      FROM collmine._vocabulary_rows(log_schema) v WHERE v.role = _role_activities.role;
    RETURN coalesce(acts, ARRAY[dflt]);
END
$$;

-- The role name (template name) of each activity that the vocabulary maps: what a policy's
-- rules, written with the template's names, see of a log in other words. An activity with
-- several roles takes the first by template rank.
CREATE FUNCTION collmine._role_names(log_schema name)
RETURNS TABLE(activity text, role_name text)
LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT DISTINCT ON (v.activity) v.activity, r.activity
      FROM collmine._vocabulary_rows(log_schema) v JOIN collmine.activity_roles() r ON r.role = v.role
     ORDER BY v.activity, r.rank NULLS LAST, r.role
$$;

-- A named activity that is neither in the log nor known to its vocabulary (a vocabulary row or
-- a role's template name, which may legitimately be absent, e.g. no disputes) is almost always
-- a typo: say so instead of returning zeros (SQLSTATE 01000), or, with strict, stop (42704).
-- One scan per unknown-looking name that stops at the first match.
CREATE FUNCTION collmine._warn_unknown_activities(log_schema name, activities text[], strict boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a text;
    found boolean;
    known text;
    cev regclass := to_regclass(format('%I.customer_events', log_schema));
BEGIN
    FOREACH a IN ARRAY coalesce(activities, '{}') LOOP
        CONTINUE WHEN a IS NULL
                   OR a IN (SELECT r.activity FROM collmine.activity_roles() r)
                   OR a IN (SELECT v.activity FROM collmine._vocabulary_rows(log_schema) v);
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.events e WHERE e.activity = $1)', log_schema)
            INTO found USING a;
        IF NOT found AND cev IS NOT NULL AND has_table_privilege(cev, 'SELECT') THEN
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s e WHERE e.activity = $1)', cev) INTO found USING a;
        END IF;
        IF NOT found THEN
            EXECUTE format('SELECT string_agg(quote_literal(x.a), '', '' ORDER BY x.a) '
                           'FROM (SELECT DISTINCT e.activity COLLATE "C" AS a FROM %I.events e ORDER BY 1 LIMIT 40) x',
                           log_schema)
                INTO known;
            known := CASE WHEN known IS NULL THEN 'The log has no events.'
                          ELSE 'Activity names are case-sensitive. The log''s activities are: ' || known || '.' END
                     || format(' A name of your own can be mapped to a role in %I.vocabulary (collmine.map_activity).', log_schema);
            IF strict THEN
                RAISE EXCEPTION 'activity "%" does not occur in %.events', a, quote_ident(log_schema)
                    USING ERRCODE = 'undefined_object', HINT = known;
            END IF;
            RAISE WARNING 'activity "%" does not occur in %.events', a, quote_ident(log_schema)
                USING ERRCODE = '01000', HINT = known;
        END IF;
    END LOOP;
END
$$;

-- The log's activities that a name given by the caller stands for: a role's template name
-- stands for the role's activities in the log's vocabulary (so 'Invoice Settled' finds a German
-- log's "Rechnung beglichen"); any other name for itself. Unknown names are reported first.
CREATE FUNCTION collmine._activity_names(log_schema name, activity text, strict boolean DEFAULT false)
RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r text;
BEGIN
    IF activity IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM collmine._warn_unknown_activities(log_schema, ARRAY[activity], strict);
    IF activity IN (SELECT v.activity FROM collmine._vocabulary_rows(log_schema) v) THEN
        RETURN ARRAY[activity];
    END IF;
    SELECT x.role INTO r FROM collmine.activity_roles() x WHERE x.activity = _activity_names.activity;
    IF r IS NULL THEN
        RETURN ARRAY[activity];
    END IF;
    RETURN collmine._role_activities(log_schema, r);
END
$$;

-- Map an activity of a log to a role (creating <schema>.vocabulary when missing). Plain INSERTs
-- into the table do the same; this checks the role.
CREATE FUNCTION collmine.map_activity(log_schema name, activity text, role text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF log_schema IS NULL OR activity IS NULL THEN
        RAISE EXCEPTION 'log schema and activity must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Call it as collmine.map_activity(''erp'', ''Zahlung eingegangen'', ''payment_received'').';
    END IF;
    IF role IS NULL OR role NOT IN (SELECT r.role FROM collmine.activity_roles() r) THEN
        RAISE EXCEPTION 'unknown activity role "%"', role
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The roles are: ' || (SELECT string_agg(r.role, ', ' ORDER BY r.rank NULLS LAST, r.role)
                                                 FROM collmine.activity_roles() r) || '.';
    END IF;
    IF to_regnamespace(quote_ident(log_schema)) IS NULL THEN
        RAISE EXCEPTION 'schema "%" does not exist', log_schema
            USING ERRCODE = 'invalid_schema_name',
                  HINT = 'Create the log first, e.g. with collmine.create_event_log(''erp'').';
    END IF;
    PERFORM collmine._create_vocabulary(log_schema);
    EXECUTE format('INSERT INTO %I.vocabulary (activity, role) VALUES ($1, $2) ON CONFLICT DO NOTHING', log_schema)
        USING activity, role;
END
$$;
COMMENT ON FUNCTION collmine.map_activity(name, text, text) IS
    'maps an activity name of a log schema to a role of collmine.activity_roles() in <schema>.vocabulary';

-- The vocabulary in effect for a log: every role with the activity names that play it, from
-- the vocabulary or (no row for the role) the template name; rows naming an unknown role are
-- listed with source 'unknown role' (they are ignored by the analytics).
CREATE FUNCTION collmine.log_vocabulary(log_schema name)
RETURNS TABLE(role text, activity text, source text)
LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.role, a.activity, CASE WHEN EXISTS (SELECT 1 FROM collmine._vocabulary_rows(log_schema) v WHERE v.role = r.role)
                                    THEN 'vocabulary' ELSE 'template' END
      FROM collmine.activity_roles() r
      CROSS JOIN LATERAL unnest(collmine._role_activities(log_schema, r.role)) AS a(activity)
    UNION ALL
    SELECT v.role, v.activity, 'unknown role'
      FROM collmine._vocabulary_rows(log_schema) v
     WHERE v.role NOT IN (SELECT x.role FROM collmine.activity_roles() x)
    ORDER BY 1, 2
$$;
COMMENT ON FUNCTION collmine.log_vocabulary(name) IS
    'the activity names that play each role in a log schema: its vocabulary rows, else the template name';
