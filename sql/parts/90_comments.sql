-- ==== comments on every public object ================================================================
-- Every function, aggregate, type and view of collmine whose name does not start with "_" has a
-- COMMENT (test/sql/01_comments.sql fails otherwise). This part adds those that the layers'
-- own parts do not set; it runs last, and sql/upgrade/0.1.0--0.2.0/90_comments.sql carries the
-- same statements to upgraded databases. A layer that adds a public object comments it in its
-- own part.

-- type support functions (trace, dfg)
COMMENT ON FUNCTION collmine.trace_in(cstring) IS 'text input of collmine.trace (the versioned text form)';
COMMENT ON FUNCTION collmine.trace_out(collmine.trace) IS 'text output of collmine.trace (the versioned text form)';
COMMENT ON FUNCTION collmine.trace_recv(internal) IS 'binary input of collmine.trace (COPY BINARY, binary protocol)';
COMMENT ON FUNCTION collmine.trace_send(collmine.trace) IS 'binary output of collmine.trace (COPY BINARY, binary protocol)';
COMMENT ON FUNCTION collmine.dfg_in(cstring) IS 'text input of collmine.dfg (the versioned text form)';
COMMENT ON FUNCTION collmine.dfg_out(collmine.dfg) IS 'text output of collmine.dfg (the versioned text form)';
COMMENT ON FUNCTION collmine.dfg_recv(internal) IS 'binary input of collmine.dfg (COPY BINARY, binary protocol)';
COMMENT ON FUNCTION collmine.dfg_send(collmine.dfg) IS 'binary output of collmine.dfg (COPY BINARY, binary protocol)';

-- aggregate support functions: called by the aggregates, not meant to be called directly
COMMENT ON FUNCTION collmine.trace_agg_trans(internal, text, timestamptz) IS
    'transition function of trace_agg(activity, ts): collects one event';
COMMENT ON FUNCTION collmine.trace_agg_trans(internal, text, timestamptz, bigint) IS
    'transition function of trace_agg(activity, ts, ord): collects one event';
COMMENT ON FUNCTION collmine.trace_agg_combine(internal, internal) IS
    'combine function of trace_agg: merges two partial event collections (parallel aggregation)';
COMMENT ON FUNCTION collmine.trace_agg_serialize(internal) IS
    'serialize function of trace_agg: a partial state as bytea (parallel aggregation)';
COMMENT ON FUNCTION collmine.trace_agg_deserialize(bytea, internal) IS
    'deserialize function of trace_agg: a partial state from bytea (parallel aggregation)';
COMMENT ON FUNCTION collmine.trace_agg_final(internal) IS
    'final function of trace_agg: sorts the events by (ts, ord) and builds the trace';
COMMENT ON FUNCTION collmine.dfg_agg_trans(collmine.dfg, collmine.trace) IS
    'transition function of dfg_agg(trace): adds one trace to the graph';
COMMENT ON FUNCTION collmine.dfg_agg_trans(collmine.dfg, collmine.trace, numeric) IS
    'transition function of dfg_agg(trace, weight): adds one weighted trace to the graph';
COMMENT ON FUNCTION collmine.dfg_merge_trans(collmine.dfg, collmine.dfg) IS
    'transition and combine function of dfg_union and combine function of dfg_agg: merges two graphs';
COMMENT ON FUNCTION collmine.policy_tally_trans(bigint[], collmine.trace, collmine.rule[]) IS
    'transition function of policy_tally: adds one trace''s rule outcomes to the tally';
COMMENT ON FUNCTION collmine.policy_tally_combine(bigint[], bigint[]) IS
    'combine function of policy_tally and policy_tally_union: adds two tallies';

-- functions on a trace
COMMENT ON FUNCTION collmine.trace_start_activity(collmine.trace) IS 'the first activity of the trace';
COMMENT ON FUNCTION collmine.trace_end_activity(collmine.trace) IS 'the last activity of the trace';
COMMENT ON FUNCTION collmine.trace_start_time(collmine.trace) IS 'the time of the first event';
COMMENT ON FUNCTION collmine.trace_end_time(collmine.trace) IS 'the time of the last event';
COMMENT ON FUNCTION collmine.trace_directly_follows(collmine.trace, text, text) IS
    'true when some occurrence of activity a is immediately followed by activity b';
COMMENT ON FUNCTION collmine.trace_eventually_follows(collmine.trace, text, text) IS
    'true when some occurrence of activity a is followed, at any later position, by activity b';
COMMENT ON FUNCTION collmine.trace_first_time(collmine.trace, text) IS
    'the time of the first occurrence of the activity (NULL when it does not occur)';
COMMENT ON FUNCTION collmine.trace_last_time(collmine.trace, text) IS
    'the time of the last occurrence of the activity (NULL when it does not occur)';

-- KPI functions over a canonical log (docs/kpis.md)
COMMENT ON FUNCTION collmine.invoice_snapshot(name, date, text) IS
    'per invoice: its state as of the end of day as_of (default: the date of the last event), the base of the balance and aging KPIs';
COMMENT ON FUNCTION collmine.aging(name, date, text) IS
    'aging buckets of the open balance as of a date, per group and currency';
COMMENT ON FUNCTION collmine.receivables_kpis(name, date, date, text) IS
    'DSO (standard and count-back), best possible DSO, ADD and CEI for one period, per group and currency';
COMMENT ON FUNCTION collmine.payment_behaviour(name, date, date, text, text) IS
    'payment behaviour of the invoices settled in a period: days to pay, days late (plain and amount-weighted), on-time rate';
COMMENT ON FUNCTION collmine.terms_compliance(name, date, date, text) IS
    'payment terms compliance and due-date deviations from the terms for a period, grouped by terms by default';
COMMENT ON FUNCTION collmine.activity_pairs(name, text, text, text, boolean) IS
    'every occurrence of from_activity in a case paired with the same-numbered occurrence of to_activity, with its duration (an interval, and in days)';
COMMENT ON FUNCTION collmine.duration_stats(name, text, text, date, date, text, boolean) IS
    'duration statistics (intervals, and in days) of the activity pairs completed in a period, and how many were still open at its end';
COMMENT ON FUNCTION collmine.cycle_time(name, date, date, text) IS
    'invoice-to-cash cycle time: Invoice Generated to Invoice Settled, for invoices settled in the period';
COMMENT ON FUNCTION collmine.posting_lag(name, date, date, text) IS
    'payment posting lag: Payment Received to Payment Posted, for payments posted in the period';
COMMENT ON FUNCTION collmine.dispute_resolution_time(name, date, date, text) IS
    'dispute resolution time: Dispute Registered to Dispute Resolved, for disputes resolved in the period';
COMMENT ON FUNCTION collmine.credit_approval_time(name, date, date, text) IS
    'credit approval cycle time: Credit Limit Requested to Credit Limit Approved, for approvals in the period';
COMMENT ON FUNCTION collmine.dunning_adherence(name, date, date, integer, text) IS
    'dunning adherence: of the invoices still open grace_days after their due date, how many were dunned in time, late or not at all';
COMMENT ON FUNCTION collmine.followup_events(name, text, integer, boolean, text, boolean) IS
    'each occurrence of a trigger activity (or the first per case) and whether the invoice was paid or settled within N days after it';
COMMENT ON FUNCTION collmine.followup_success(name, text, integer, date, date, boolean, text, boolean) IS
    'follow-up success per group for the trigger activities that happened in the period';
COMMENT ON FUNCTION collmine.collection_success_after_dunning(name, date, date, integer, text) IS
    'collection success after dunning: invoices first reminded in the period and paid within within_days';
COMMENT ON FUNCTION collmine.contact_success(name, date, date, integer, text) IS
    'collections contact success: collection calls made in the period followed by a payment within within_days';
COMMENT ON FUNCTION collmine.manual_activity_share(name, date, date, text) IS
    'events in a period by manual, automated and unknown, per group and activity, with the manual share';
COMMENT ON FUNCTION collmine.write_off_rate(name, date, date, text) IS
    'write-offs in a period by count and value over the invoices closed in it, and the bad-debt ratio';
COMMENT ON FUNCTION collmine.root_causes(name, text, text[], integer) IS
    'ranks the values of each invoice attribute by outcome rate, with lift, support and significance';
COMMENT ON FUNCTION collmine.normal_cdf(double precision) IS
    'standard normal cumulative distribution function Phi(z) (used for root-cause p-values)';

-- dashboards (docs/dashboards/README.md)
COMMENT ON FUNCTION collmine.dashboard_names() IS
    'the dashboard names, in documentation order; the materialized variant of each is <name>_mv';
COMMENT ON FUNCTION collmine.create_dashboards(name, name, boolean, boolean) IS
    'creates the dashboard views, and their materialized variants, for the log in log_schema in target_schema; returns the relations created';
COMMENT ON FUNCTION collmine.drop_dashboards(name) IS
    'drops the dashboard views and materialized views of target_schema, nothing else; returns how many';
COMMENT ON FUNCTION collmine.refresh_dashboards(name, boolean) IS
    'refreshes every dashboard materialized view in target_schema, concurrently by default; returns how many';
