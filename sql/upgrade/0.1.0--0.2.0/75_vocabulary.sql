-- Issue 11.1/11.6 (the activity vocabulary, unknown names): the new and changed functions
-- (collmine.activity_roles, map_activity, log_vocabulary, _role_activities, the KPIs reading
-- roles) are restated by 80_functions.sql; <schema>.vocabulary is made by create_event_log for
-- new and rebuilt logs, and a log without it keeps the template names (no table to add here).
--
-- What an upgrade must do besides: activity_pairs, duration_stats, followup_events and
-- followup_success gain a last argument "strict boolean DEFAULT false". CREATE OR REPLACE
-- cannot add an argument, and dropping the 0.1.0 functions would drop the user's views over
-- them (the dashboards call activity_pairs and followup_events). So the argument is appended
-- to the function's catalog row in place, as docs/release.md appends result columns: the OID
-- stays, the views keep it (a view stores only the arguments it was called with; defaults are
-- filled in when it is planned), and 80_functions.sql then replaces the body and restates
-- every default. The old defaults are cleared here (pg_node_tree has no input function, and
-- CREATE OR REPLACE would match the old defaults with the last new ones, so "strict" would
-- meet group_by's); nothing calls the functions before 80_functions.sql sets them again.
--
-- Issue 11.2 (one derivation per fact): payment_behaviour gains "on_time_basis text DEFAULT
-- 'payment_received'" the same way.
DO $append$
DECLARE
    a record;
BEGIN
    FOR a IN SELECT x.f::regprocedure AS f, x.arg, x.typ::regtype::oid AS typ FROM (VALUES
        ('collmine.activity_pairs(name, text, text, text)', 'strict', 'pg_catalog.bool'),
        ('collmine.duration_stats(name, text, text, date, date, text)', 'strict', 'pg_catalog.bool'),
        ('collmine.followup_events(name, text, integer, boolean, text)', 'strict', 'pg_catalog.bool'),
        ('collmine.followup_success(name, text, integer, date, date, boolean, text)', 'strict', 'pg_catalog.bool'),
        ('collmine.payment_behaviour(name, date, date, text)', 'on_time_basis', 'pg_catalog.text')) AS x(f, arg, typ) LOOP
        UPDATE pg_catalog.pg_proc
           SET proargtypes    = pg_catalog.array_to_string(proargtypes::pg_catalog.oid[] || a.typ, ' ')::pg_catalog.oidvector,
               proallargtypes = proallargtypes[1:pronargs] || a.typ || proallargtypes[pronargs + 1:],
               proargmodes    = proargmodes[1:pronargs] || 'i'::"char" || proargmodes[pronargs + 1:],
               proargnames    = proargnames[1:pronargs] || a.arg::text || proargnames[pronargs + 1:],
               proargdefaults = NULL,
               pronargdefaults = 0,
               pronargs       = pronargs + 1
         WHERE oid = a.f;
    END LOOP;
END
$append$;
