-- collmine install script, layer 1: the Oracle NetSuite connector.
--
-- Staging tables carry the SuiteQL / SuiteAnalytics Connect ("NetSuite2.com") column names of
-- ../shared/erp-mapping.md; collmine.netsuite_build(schema, settings) derives the canonical log.
-- The case id is the invoice's tranid. See docs/connectors.md for the derivation table.

SELECT collmine._cm_def('netsuite', 'transaction',
    ARRAY['id', 'tranid', 'type', 'trandate', 'createddate', 'duedate', 'closedate', 'entity', 'status',
          'foreigntotal', 'foreignamountpaid', 'foreignamountunpaid', 'currency', 'postingperiod', 'posting',
          'createdby', 'terms', 'memo', 'custbody_3805_dunning_procedure', 'custbody_3805_dunning_level',
          'custbody_3805_dunning_manager', 'custbody_3805_last_dunning_letter_sent'],
    ARRAY['id', 'tranid', 'type', 'trandate']);
SELECT collmine._cm_def('netsuite', 'transactionline',
    ARRAY['transaction', 'id', 'mainline', 'subsidiary', 'entity', 'foreignamount'],
    ARRAY['transaction', 'id']);
SELECT collmine._cm_def('netsuite', 'nexttransactionlinelink',
    ARRAY['previousdoc', 'previousline', 'previoustype', 'nextdoc', 'nextline', 'nexttype', 'linktype',
          'foreignamount', 'lastmodifieddate'],
    ARRAY['previousdoc', 'nextdoc', 'foreignamount', 'lastmodifieddate']);
SELECT collmine._cm_def('netsuite', 'systemnote',
    ARRAY['id', 'date', 'recordtypeid', 'recordid', 'field', 'oldvalue', 'newvalue', 'name', 'context'],
    ARRAY['id', 'date', 'recordtypeid', 'recordid', 'field']);
SELECT collmine._cm_def('netsuite', 'phonecall',
    ARRAY['id', 'title', 'startdate', 'completeddate', 'createddate', 'status', 'assigned', 'owner',
          'company', 'transaction', 'message'],
    ARRAY['id', 'completeddate']);
SELECT collmine._cm_def('netsuite', 'message',
    ARRAY['id', 'author', 'recipient', 'messagedate', 'subject', 'isemailed', 'messagetype', 'transaction'],
    ARRAY['id', 'messagedate', 'transaction']);
SELECT collmine._cm_def('netsuite', 'customer',
    ARRAY['id', 'entityid', 'companyname', 'category', 'creditlimit', 'terms', 'subsidiary', 'salesrep',
          'billcountry'],
    ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'term', ARRAY['id', 'name', 'daysuntilnetdue'], ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'subsidiary', ARRAY['id', 'name', 'country'], ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'customrecord_3805_dunning_eval_result',
    ARRAY['id', 'custrecord_3805_evaluation_result_cust', 'custrecord_3805_eval_result_status',
          'custrecord_3805_eval_result_letter_type', 'custrecord_3805_eval_result_invoice_list', 'created'],
    ARRAY['id', 'custrecord_3805_eval_result_invoice_list', 'created']);
-- the mirror of nexttransactionlinelink: an export may hold either link table or both
SELECT collmine._cm_def('netsuite', 'previoustransactionlinelink',
    ARRAY['previousdoc', 'previousline', 'previoustype', 'nextdoc', 'nextline', 'nexttype', 'linktype',
          'foreignamount', 'lastmodifieddate'],
    ARRAY['previousdoc', 'nextdoc', 'foreignamount', 'lastmodifieddate']);
-- collectors' names (custbody_3805_dunning_manager, customer.salesrep are employee ids)
SELECT collmine._cm_def('netsuite', 'employee', ARRAY['id', 'entityid', 'firstname', 'lastname', 'email'], ARRAY['id']);
-- currency codes (transaction.currency is a currency id in SuiteQL)
SELECT collmine._cm_def('netsuite', 'currency', ARRAY['id', 'name', 'symbol'], ARRAY['id']);

-- Derive the canonical events and invoices of <schema> from its NetSuite staging tables.
-- The rule of each activity is the data template's (../shared/reference/netsuite-data-template.txt,
-- "Where to get" and "Capture"); docs/connectors.md puts each rule next to the template's text.
-- Each step is an internal function below; s is the validated settings, pc the parse context,
-- src the relation to read for each staging table (itself, or its de-duplicated copy).
CREATE FUNCTION collmine.netsuite_build(log_schema name, settings jsonb DEFAULT '{}')
RETURNS TABLE(activity text, events bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    s jsonb := collmine._cm_settings('netsuite', settings);
    pc jsonb := collmine._cm_parse_context(s);
    src jsonb;
BEGIN
    PERFORM collmine._cm_begin('netsuite', log_schema);
    src := collmine._netsuite_stage(log_schema);
    PERFORM collmine._netsuite_invoices(src, s, pc);
    PERFORM collmine._netsuite_applications(src, s, pc);
    PERFORM collmine._netsuite_messages(src, pc);
    PERFORM collmine._netsuite_dunning_letters(src, s, pc);
    PERFORM collmine._netsuite_system_notes(src, s, pc);
    PERFORM collmine._netsuite_calls(src, s, pc);
    PERFORM collmine._netsuite_unmatched_settings(s, src->>'systemnote', src->>'customrecord_3805_dunning_eval_result',
                                                  src->>'transaction', src->>'nexttransactionlinelink');
    RETURN QUERY SELECT * FROM collmine._cm_finish('netsuite', log_schema, s);
END
$$;
COMMENT ON FUNCTION collmine.netsuite_build(name, jsonb) IS
    'derive <schema>.events, invoices, customer_events and applications from the NetSuite staging tables; returns events per activity';

-- Step: the staging tables, checked and de-duplicated ({table: relation to read}). The two link
-- tables are one fact seen from either end: when the mirror (previoustransactionlinelink) has
-- rows, "nexttransactionlinelink" names their union, once per link (_cm_ns_link).
CREATE FUNCTION collmine._netsuite_stage(p_schema name)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    src jsonb;
    has_prev boolean;
BEGIN
    -- staging schemas made by an earlier version lack the tables and columns added since
    PERFORM collmine._cm_create_missing_tables('netsuite', p_schema);
    PERFORM collmine._cm_add_columns(p_schema, 'phonecall', ARRAY['message text']);
    PERFORM collmine._cm_add_columns(p_schema, 'customer', ARRAY['billcountry text']);
    PERFORM collmine._cm_require(p_schema, 'netsuite', ARRAY['transaction_search']);   -- read only by netsuite_from_saved_search
    src := collmine._cm_stage(p_schema, '[["transaction", "id"], ["transactionline", "transaction", "id"],
        ["nexttransactionlinelink", "previousdoc", "previousline", "nextdoc", "nextline"],
        ["previoustransactionlinelink", "previousdoc", "previousline", "nextdoc", "nextline"],
        ["systemnote", "id"], ["phonecall", "id"], ["message", "id"], ["customer", "id"], ["term", "id"],
        ["subsidiary", "id"], ["customrecord_3805_dunning_eval_result", "id"], ["employee", "id"], ["currency", "id"]]');

    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', src->>'previoustransactionlinelink') INTO has_prev;
    IF has_prev THEN
        DROP TABLE IF EXISTS pg_temp._cm_ns_link;
        EXECUTE format($q$CREATE TEMP TABLE _cm_ns_link AS
            SELECT DISTINCT ON (k.previousdoc, k.previousline, k.nextdoc, k.nextline)
                   k.previousdoc, k.previousline, k.previoustype, k.nextdoc, k.nextline, k.nexttype, k.linktype,
                   k.foreignamount, k.lastmodifieddate
            FROM (SELECT 1 AS pref, x.* FROM %s x UNION ALL SELECT 2, y.* FROM %s y) k
            ORDER BY k.previousdoc, k.previousline, k.nextdoc, k.nextline, k.pref$q$,
            src->>'nexttransactionlinelink', src->>'previoustransactionlinelink');
        ANALYZE pg_temp._cm_ns_link;
        src := src || '{"nexttransactionlinelink": "pg_temp._cm_ns_link"}';
    END IF;
    RETURN src;
END
$$;

-- Step: the invoices (_cm_inv) and their customers (_cm_cust), with the checks on transaction
-- types, invoice statuses and countries. Template attributes: CustomerId the customer's
-- entityid (else its internal id), Country the customer's billing country (country_source),
-- CollectorName the dunning manager's (else the sales rep's) employee name, currency code,
-- credit limit, the NetSuite status (A Open, B Paid In Full, ...), and the unpaid amount for
-- the cross-check.
CREATE FUNCTION collmine._netsuite_invoices(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    tr text := src->>'transaction';
BEGIN
    -- transaction types outside the known set are reported once per value
    EXECUTE format($q$INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
        SELECT 'unknown_enum_value', 'warning', 'transaction', 'id=' || t.id, format('column "type" has unknown value "%%s"', t.type)
        FROM %s t WHERE t.type IS NULL OR t.type NOT IN ('CustInvc', 'CustPymt', 'CustCred', 'Journal', 'Deposit', 'CustDep', 'CustRfnd')$q$, tr);

    -- the invoices
    EXECUTE format($q$INSERT INTO pg_temp._cm_inv
        SELECT t.tranid, t.id, t.entity, coalesce(nullif(btrim(c.entityid), ''), t.entity), c.companyname, c.category,
               coalesce(sl.name, sc.name, l.subsidiary, c.subsidiary),
               coalesce(nullif(btrim(concat_ws(' ', e.firstname, e.lastname)), ''), e.entityid,
                        coalesce(t.custbody_3805_dunning_manager, c.salesrep)),
               CASE WHEN %2$L = 'customer' THEN c.billcountry ELSE coalesce(sl.country, sc.country) END,
               coalesce(te.name, t.terms),
               collmine._cm_num(te.daysuntilnetdue, 'term', 'daysuntilnetdue', 'id=' || te.id, %11$L::jsonb)::integer,
               coalesce(cy.symbol, t.currency), collmine._cm_num(t.foreigntotal, 'transaction', 'foreigntotal', 'id=' || t.id, %11$L::jsonb),
               coalesce(collmine._cm_ts(t.createddate, 'transaction', 'createddate', 'id=' || t.id, %11$L::jsonb),
                        td.d::timestamp AT TIME ZONE %10$L),
               td.d,
               collmine._cm_date(t.duedate, 'transaction', 'duedate', 'id=' || t.id, %11$L::jsonb),
               t.createdby, t.createdby = ANY (%1$L::text[]), 'transaction:' || t.id,
               CASE st.code WHEN 'A' THEN 'Open' WHEN 'B' THEN 'Paid In Full' WHEN 'D' THEN 'Pending Approval'
                            WHEN 'E' THEN 'Rejected' WHEN 'V' THEN 'Voided' ELSE t.status END,
               CASE st.code WHEN 'A' THEN true WHEN 'B' THEN false END,
               collmine._cm_num(t.foreignamountunpaid, 'transaction', 'foreignamountunpaid', 'id=' || t.id, %11$L::jsonb),
               collmine._cm_num(c.creditlimit, 'customer', 'creditlimit', 'id=' || c.id, %11$L::jsonb)
        FROM %3$s t
        CROSS JOIN LATERAL (SELECT collmine._cm_date(t.trandate, 'transaction', 'trandate', 'id=' || t.id, %11$L::jsonb) AS d) td
        CROSS JOIN LATERAL (SELECT CASE upper(btrim(regexp_replace(t.status, '^CustInvc:', '')))
                                       WHEN 'A' THEN 'A' WHEN 'OPEN' THEN 'A' WHEN 'B' THEN 'B' WHEN 'PAID IN FULL' THEN 'B'
                                       WHEN 'D' THEN 'D' WHEN 'PENDING APPROVAL' THEN 'D' WHEN 'E' THEN 'E'
                                       WHEN 'REJECTED' THEN 'E' WHEN 'V' THEN 'V' WHEN 'VOIDED' THEN 'V' END AS code) st
        LEFT JOIN (SELECT DISTINCT ON (x.transaction) x.transaction, x.subsidiary FROM %4$s x
                   ORDER BY x.transaction, (x.mainline = 'T') DESC, collmine._cm_key(x.id), x.id) l ON l.transaction = t.id
        LEFT JOIN %5$s c ON c.id = t.entity
        LEFT JOIN %6$s te ON te.id = t.terms
        LEFT JOIN %7$s sl ON sl.id = l.subsidiary
        LEFT JOIN %7$s sc ON sc.id = c.subsidiary
        LEFT JOIN %8$s e ON e.id = coalesce(t.custbody_3805_dunning_manager, c.salesrep)
        LEFT JOIN %9$s cy ON cy.id = t.currency
        WHERE t.type = 'CustInvc'$q$, collmine._cm_list(s->'automated_users'), s->>'country_source', tr, src->>'transactionline',
        src->>'customer', src->>'term', src->>'subsidiary', src->>'employee', src->>'currency', s->>'timezone', pc);
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_enum_value', 'warning', 'transaction', i.source_ref, i.case_id,
           format('column "status" has unknown value "%s"; the status cross-check skips it', i.source_status)
    FROM _cm_inv i WHERE i.source_open IS NULL AND i.source_status IS NOT NULL
      AND i.source_status NOT IN ('Pending Approval', 'Rejected', 'Voided');
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'missing_country', 'info', 'customer', format('%s invoices', count(*) FILTER (WHERE i.country IS NULL)),
           format('%s of %s invoices have no country: %s', count(*) FILTER (WHERE i.country IS NULL), count(*),
                  CASE WHEN s->>'country_source' = 'customer'
                       THEN 'the customer export has no billcountry (the template''s billing country); "country_source": "subsidiary" takes the subsidiary''s'
                       ELSE 'the subsidiary has no country' END)
    FROM _cm_inv i HAVING count(*) FILTER (WHERE i.country IS NULL) > 0;
    EXECUTE format('INSERT INTO pg_temp._cm_cust SELECT c.id, coalesce(nullif(btrim(c.entityid), %L), c.id) FROM %s c', '', src->>'customer');
END
$$;

-- Step: the applications (_cm_app): a payment, credit memo or journal linked to the invoice.
-- Template: Payment Received at the payment's transaction date; Payment Posted at its GL
-- posting (posting 'T': its creation time), once; Credit Memo Issued and Invoice Written Off at
-- the document's creation time. The link's lastmodifieddate is when the payment was applied:
-- later than the posting by more than reapplication_after, it is a re-application (rework),
-- kept as such. Applying documents missing from the export are findings and left out.
CREATE FUNCTION collmine._netsuite_applications(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_app
        SELECT x.case_id, x.kind, x.doc_ref, x.amount, x.currency,
               CASE WHEN x.kind = 'payment' THEN x.doc_day ELSE coalesce(x.created, x.doc_day) END,
               greatest(x.applied, x.created, x.doc_day),   -- never before the document exists
               x.user_id, x.auto, x.source_ref, x.sort_key,
               CASE WHEN x.kind = 'payment' AND x.posting IS NOT FALSE THEN coalesce(x.created, x.doc_day) END,
               x.kind = 'payment' AND x.posting IS NOT FALSE AND x.applied > coalesce(x.created, x.doc_day) + %1$L::interval,
               x.kind = 'payment' AND x.posting IS FALSE
        FROM (SELECT coalesce(i.tranid, 'transaction id=' || k.previousdoc) AS case_id,
                     CASE WHEN n.type = 'CustPymt' THEN 'payment'
                          WHEN n.type IN ('CustCred', 'Journal') AND n.memo ~* %2$L THEN 'writeoff'
                          WHEN n.type = 'CustCred' THEN 'credit'
                          ELSE 'other' END AS kind,
                     coalesce(n.tranid, 'transaction id=' || k.nextdoc) AS doc_ref,
                     abs(collmine._cm_num(k.foreignamount, 'nexttransactionlinelink', 'foreignamount', format('%%s->%%s', k.previousdoc, k.nextdoc), %8$L::jsonb)) AS amount,
                     coalesce(cy.symbol, n.currency) AS currency,
                     collmine._cm_day(n.trandate, 'transaction', 'trandate', 'id=' || n.id, %8$L::jsonb) AS doc_day,
                     collmine._cm_ts(n.createddate, 'transaction', 'createddate', 'id=' || n.id, %8$L::jsonb) AS created,
                     collmine._cm_ts(k.lastmodifieddate, 'nexttransactionlinelink', 'lastmodifieddate', format('%%s->%%s', k.previousdoc, k.nextdoc), %8$L::jsonb) AS applied,
                     collmine._cm_bool(n.posting) AS posting,
                     n.createdby AS user_id, n.createdby = ANY (%3$L::text[]) AS auto,
                     format('nexttransactionlinelink:%%s->%%s/%%s', k.previousdoc, k.nextdoc, coalesce(k.nextline, '')) AS source_ref,
                     collmine._cm_key(k.nextdoc) AS sort_key
              FROM %4$s k
              LEFT JOIN %5$s i ON i.id = k.previousdoc
              LEFT JOIN %6$s n ON n.id = k.nextdoc
              LEFT JOIN %7$s cy ON cy.id = n.currency
              WHERE i.id IS NULL OR i.type = 'CustInvc') x$q$,
        s->>'reapplication_after', s->>'writeoff_memo_pattern', collmine._cm_list(s->'automated_users'),
        src->>'nexttransactionlinelink', src->>'transaction', src->>'transaction', src->>'currency', pc);
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_document', 'warning', 'nexttransactionlinelink', a.source_ref, a.case_id, 'the applying transaction is not in the export; ignored'
    FROM _cm_app a WHERE a.doc_ref LIKE 'transaction id=%';
    DELETE FROM _cm_app a WHERE a.doc_ref LIKE 'transaction id=%';
END
$$;

-- Step: Invoice Sent to Customer (_cm_raw): an e-mailed message on the invoice.
CREATE FUNCTION collmine._netsuite_messages(src jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.tranid, 'transaction id=' || m.transaction), NULL, 'Invoice Sent to Customer',
               collmine._cm_ts(m.messagedate, 'message', 'messagedate', 'id=' || m.id, %3$L::jsonb), m.author, false, NULL,
               'message:' || m.id, collmine._cm_key(m.id)
        FROM %1$s m LEFT JOIN %2$s i ON i.id = m.transaction
        WHERE coalesce(collmine._cm_bool(m.isemailed), true) AND (i.id IS NULL OR i.type = 'CustInvc')$q$,
        src->>'message', src->>'transaction', pc);
END
$$;

-- Step: Overdue Reminder Sent (_cm_raw): each dunning letter (evaluation result) whose status is
-- not one of dunning_ignored_statuses (by default Cancelled, Rejected, Failed: no letter went
-- out), for each invoice in its list, at its creation.
CREATE FUNCTION collmine._netsuite_dunning_letters(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.tranid, 'transaction id=' || btrim(inv)), e.custrecord_3805_evaluation_result_cust, 'Overdue Reminder Sent',
               collmine._cm_ts(e.created, 'customrecord_3805_dunning_eval_result', 'created', 'id=' || e.id, %4$L::jsonb), NULL, true,
               e.custrecord_3805_eval_result_letter_type, 'customrecord_3805_dunning_eval_result:' || e.id, collmine._cm_key(e.id)
        FROM %1$s e CROSS JOIN LATERAL unnest(string_to_array(e.custrecord_3805_eval_result_invoice_list, ',')) inv
        LEFT JOIN %2$s i ON i.id = btrim(inv)
        WHERE btrim(inv) <> '' AND coalesce(e.custrecord_3805_eval_result_status, '') <> ALL (%3$L::text[])$q$,
        src->>'customrecord_3805_dunning_eval_result', src->>'transaction', collmine._cm_list(s->'dunning_ignored_statuses'), pc);
END
$$;

-- Step: the system notes (_cm_raw): dunning level set (Dunning Procedure Initiated), dispute
-- field changes (dispute:disputed / resolved / reason, turned into Dispute Registered and
-- Resolved by _cm_explicit_events), credit limit requested and approved (customer-level).
CREATE FUNCTION collmine._netsuite_system_notes(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT CASE WHEN n.recordtypeid = %2$L THEN coalesce(i.tranid, 'transaction id=' || n.recordid) END,
               CASE WHEN n.recordtypeid = %3$L THEN n.recordid END,
               CASE WHEN upper(n.field) = upper(%4$L) THEN 'Dunning Procedure Initiated'
                    WHEN upper(n.field) = upper(%5$L) AND coalesce(n.newvalue, '') = ANY (%6$L::text[]) THEN 'dispute:resolved'
                    WHEN upper(n.field) = upper(%5$L) THEN 'dispute:disputed'
                    WHEN upper(n.field) = upper(%12$L) THEN 'dispute:reason'
                    WHEN upper(n.field) = upper(%7$L) THEN 'Credit Limit Approved'
                    ELSE 'Credit Limit Requested' END,
               collmine._cm_ts(n.date, 'systemnote', 'date', 'id=' || n.id, %13$L::jsonb), n.name,
               n.name = ANY (%8$L::text[]) OR coalesce(n.context, '') <> ALL (%9$L::text[]),
               n.newvalue, 'systemnote:' || n.id, collmine._cm_key(n.id)
        FROM %1$s n LEFT JOIN %10$s i ON i.id = n.recordid AND n.recordtypeid = %2$L
        WHERE (n.recordtypeid = %2$L AND upper(n.field) IN (upper(%4$L), upper(%5$L), upper(%12$L))
               AND (i.id IS NULL OR i.type = 'CustInvc')
               AND NOT (upper(n.field) = upper(%4$L) AND coalesce(n.newvalue, '') IN ('', '0'))
               AND NOT (upper(n.field) = upper(%12$L) AND coalesce(n.newvalue, '') = ''))
           OR (n.recordtypeid = %3$L AND upper(n.field) IN (upper(%7$L), upper(%11$L)))$q$,
        src->>'systemnote', s->>'transaction_recordtypeid', s->>'customer_recordtypeid', s->>'dunning_level_field',
        s->>'dispute_field', collmine._cm_list(s->'dispute_resolved_values'), s->>'credit_limit_field',
        collmine._cm_list(s->'automated_users'), collmine._cm_list(s->'interactive_contexts'), src->>'transaction',
        s->>'credit_limit_request_field', coalesce(s->>'dispute_reason_field', ''), pc);
END
$$;

-- Step: Collection Call Made (_cm_raw). Template: a Phone Call whose related record is the
-- customer and whose message references the invoice number. A completed call belongs to the
-- invoice in its transaction field, else to each invoice of its customer whose number (tranid)
-- is a word of its title or message (call_invoice_in_text), else to the customer alone: a
-- customer-level event, never copied onto invoices unless customer_events_on_invoices says so.
-- Reads _cm_inv (the invoices' numbers and customers).
CREATE FUNCTION collmine._netsuite_calls(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp._cm_ns_call;
    EXECUTE format($q$CREATE TEMP TABLE _cm_ns_call AS
        SELECT p.id, nullif(btrim(p.company), '') AS company, p.title, p.message,
               CASE WHEN i.type = 'CustInvc' THEN i.tranid
                    WHEN i.id IS NULL AND coalesce(btrim(p.transaction), '') <> '' THEN 'transaction id=' || p.transaction END AS case_id,
               collmine._cm_ts(coalesce(nullif(btrim(p.%2$I), ''), p.completeddate), 'phonecall',
                               CASE WHEN coalesce(btrim(p.%2$I), '') = '' THEN 'completeddate' ELSE %2$L END, 'id=' || p.id, %4$L::jsonb) AS ts,
               coalesce(btrim(p.%2$I), '') = '' AS time_fallback,
               coalesce(p.assigned, p.owner) AS user_id, collmine._cm_key(p.id) AS sort_key
        FROM %1$s p LEFT JOIN %3$s i ON i.id = p.transaction
        WHERE coalesce(p.completeddate, '') <> ''$q$, src->>'phonecall', s->>'call_time_field', src->>'transaction', pc);
    ANALYZE pg_temp._cm_ns_call;
    ANALYZE pg_temp._cm_inv;
    DROP TABLE IF EXISTS pg_temp._cm_ns_callref;
    CREATE TEMP TABLE _cm_ns_callref (id text, case_id text);
    IF (s->>'call_invoice_in_text')::boolean THEN
        INSERT INTO _cm_ns_callref
        SELECT DISTINCT c.id, i.case_id
        FROM _cm_ns_call c
        CROSS JOIN LATERAL regexp_split_to_table(concat_ws(' ', c.title, c.message), '[^[:alnum:]_/-]+') w(tok)
        JOIN _cm_inv i ON i.case_id = w.tok AND (c.company IS NULL OR i.customer_key = c.company)
        WHERE c.case_id IS NULL AND w.tok <> '';
        ANALYZE pg_temp._cm_ns_callref;
    END IF;
    INSERT INTO _cm_raw
    SELECT coalesce(c.case_id, r.case_id), CASE WHEN c.case_id IS NULL AND r.case_id IS NULL THEN c.company END,
           'Collection Call Made', c.ts, c.user_id, false, c.title, 'phonecall:' || c.id, c.sort_key
    FROM _cm_ns_call c LEFT JOIN _cm_ns_callref r ON r.id = c.id
    WHERE c.case_id IS NOT NULL OR r.case_id IS NOT NULL OR c.company IS NOT NULL;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT CASE WHEN c.company IS NULL THEN 'unlinked_call' ELSE 'customer_level_call' END,
           CASE WHEN c.company IS NULL THEN 'warning' ELSE 'info' END, 'phonecall', 'phonecall:' || c.id,
           CASE WHEN c.company IS NULL THEN 'a call with no invoice, no invoice number in its title or message and no customer; ignored'
                ELSE format('a call of customer %s naming no invoice: a customer-level event (customer_events)', c.company) END
    FROM _cm_ns_call c
    WHERE c.case_id IS NULL AND NOT EXISTS (SELECT 1 FROM _cm_ns_callref r WHERE r.id = c.id);

    -- calls timed by completeddate because call_time_field was empty: kept, and counted
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'call_time_fallback', 'info', 'phonecall', format('%s calls', count(*)),
           format('%s completed calls have no %s: timed by completeddate instead', count(*), s->>'call_time_field')
    FROM _cm_ns_call c WHERE c.time_fallback HAVING count(*) > 0;
END
$$;

-- A setting that names a field, a status or a value that occurs nowhere in the export derives
-- nothing: say so in the data-quality report instead of giving a silent zero.
CREATE FUNCTION collmine._netsuite_unmatched_settings(s jsonb, sn text, ev text, tr text, lk text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    r record;
BEGIN
    EXECUTE format($q$SELECT count(*) FILTER (WHERE n.recordtypeid = %2$L) AS tx_notes,
               count(*) FILTER (WHERE n.recordtypeid = %3$L) AS cust_notes,
               count(*) FILTER (WHERE n.recordtypeid = %2$L AND upper(n.field) = upper(%4$L)) AS dispute,
               count(*) FILTER (WHERE n.recordtypeid = %2$L AND upper(n.field) = upper(%4$L)
                                AND coalesce(n.newvalue, '') = ANY (%5$L::text[])) AS resolved,
               count(*) FILTER (WHERE n.recordtypeid = %2$L AND upper(n.field) = upper(%6$L)) AS dunning,
               count(*) FILTER (WHERE n.recordtypeid = %2$L AND upper(n.field) = upper(%7$L)) AS reason,
               count(*) FILTER (WHERE n.recordtypeid = %3$L AND upper(n.field) = upper(%8$L)) AS climit,
               count(*) FILTER (WHERE n.recordtypeid = %3$L AND upper(n.field) = upper(%9$L)) AS crequest,
               (SELECT string_agg(f, ', ') FROM (SELECT DISTINCT upper(m.field) AS f FROM %1$s m
                 WHERE m.recordtypeid = %2$L ORDER BY 1 LIMIT 12) x) AS tx_fields,
               (SELECT string_agg(f, ', ') FROM (SELECT DISTINCT upper(m.field) AS f FROM %1$s m
                 WHERE m.recordtypeid = %3$L ORDER BY 1 LIMIT 12) x) AS cust_fields
        FROM %1$s n$q$,
        sn, s->>'transaction_recordtypeid', s->>'customer_recordtypeid', s->>'dispute_field',
        collmine._cm_list(s->'dispute_resolved_values'), s->>'dunning_level_field', s->>'dispute_reason_field',
        s->>'credit_limit_field', s->>'credit_limit_request_field') INTO r;
    INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'setting_matches_nothing', 'warning', 'systemnote', x.setting,
           format('setting %s = %s matches no system note (of %s on %s records); %s derives nothing. Fields present: %s',
                  x.setting, s->x.setting, x.notes, x.kind, x.what, coalesce(x.fields, 'none'))
    FROM (VALUES ('dispute_field', r.dispute, r.tx_notes, 'transaction', 'Dispute Registered / Resolved', r.tx_fields),
                 ('dunning_level_field', r.dunning, r.tx_notes, 'transaction', 'an explicit Dunning Procedure Initiated', r.tx_fields),
                 ('dispute_reason_field', CASE WHEN s->>'dispute_reason_field' IS NULL THEN 1 ELSE r.reason END, r.tx_notes,
                  'transaction', 'the dispute reason', r.tx_fields),
                 ('credit_limit_field', r.climit, r.cust_notes, 'customer', 'Credit Limit Approved', r.cust_fields),
                 ('credit_limit_request_field', r.crequest, r.cust_notes, 'customer', 'Credit Limit Requested', r.cust_fields))
         AS x(setting, matched, notes, kind, what, fields)
    WHERE x.matched = 0;
    INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'setting_matches_nothing', 'warning', 'systemnote', 'dispute_resolved_values',
           format('setting dispute_resolved_values = %s matches none of the %s dispute notes: no dispute is ever resolved',
                  s->'dispute_resolved_values', r.dispute)
    WHERE r.dispute > 0 AND r.resolved = 0;
    EXECUTE format($q$INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
        SELECT 'setting_matches_nothing', 'info', 'customrecord_3805_dunning_eval_result', 'dunning_ignored_statuses',
               format('setting dunning_ignored_statuses = %%s matches none of the %%s dunning letters; statuses present: %%s',
                      %2$L, count(*), string_agg(DISTINCT coalesce(e.custrecord_3805_eval_result_status, '(empty)'), ', '))
        FROM %1$s e
        HAVING count(*) > 0 AND count(*) FILTER (WHERE coalesce(e.custrecord_3805_eval_result_status, '') = ANY (%3$L::text[])) = 0$q$,
        ev, s->'dunning_ignored_statuses', collmine._cm_list(s->'dunning_ignored_statuses'));
    EXECUTE format($q$INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
        SELECT 'setting_matches_nothing', 'warning', 'transaction', 'writeoff_memo_pattern',
               format('setting writeoff_memo_pattern = %%s matches the memo of none of the %%s journals applied to invoices: no write-off is derived',
                      %2$L, count(*))
        FROM %1$s k JOIN %3$s n ON n.id = k.nextdoc
        WHERE n.type = 'Journal'
        HAVING count(*) > 0 AND count(*) FILTER (WHERE n.memo ~* %2$L) = 0$q$,
        lk, s->>'writeoff_memo_pattern', tr);
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Saved-search exports. Users without SuiteQL access export a transaction saved search to CSV,
-- with display column names and display values. netsuite_from_saved_search turns such an export
-- (one row per transaction, or per transaction and applying transaction) into the SuiteQL-shaped
-- staging tables, so that netsuite_build derives the log the same way.
-- ---------------------------------------------------------------------------------------------
SELECT collmine._cm_def('netsuite', 'transaction_search',
    ARRAY['Internal ID', 'Type', 'Date', 'Date Created', 'Document Number', 'Name', 'Due Date/Receive By',
          'Amount', 'Amount Remaining', 'Amount Paid', 'Status', 'Terms', 'Subsidiary', 'Currency',
          'Date Closed', 'Applying Transaction', 'Applying Link Amount', 'Sales Rep', 'Memo', 'Created By'],
    ARRAY['Internal ID', 'Type', 'Date', 'Document Number', 'Amount']);

CREATE FUNCTION collmine.netsuite_from_saved_search(log_schema name)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    n bigint;
    src text;
BEGIN
    PERFORM collmine._cm_require(log_schema, 'netsuite',
        ARRAY['systemnote', 'phonecall', 'message', 'term', 'subsidiary', 'customrecord_3805_dunning_eval_result']);
    -- the export as the coordinator reads it (a copy when Citus distributes it: the steps below
    -- join it with itself on the document number, which is no distribution column)
    src := collmine._cm_citus_local(log_schema, 'transaction_search');
    -- the saved search replaces what the SuiteQL tables it feeds held before
    EXECUTE format('TRUNCATE %1$I.transaction, %1$I.transactionline, %1$I.nexttransactionlinelink, %1$I.customer', log_schema);
    -- one transaction per internal id; display type names become SuiteQL type ids
    EXECUTE format($q$INSERT INTO %1$I.transaction (id, tranid, type, trandate, createddate, duedate, closedate, entity,
                                                    status, foreigntotal, foreignamountpaid, foreignamountunpaid,
                                                    currency, createdby, terms, memo)
        SELECT DISTINCT ON (s."Internal ID") s."Internal ID", s."Document Number",
               CASE s."Type" WHEN 'Invoice' THEN 'CustInvc' WHEN 'Payment' THEN 'CustPymt'
                             WHEN 'Credit Memo' THEN 'CustCred' WHEN 'Journal' THEN 'Journal'
                             WHEN 'Deposit' THEN 'Deposit' WHEN 'Customer Deposit' THEN 'CustDep'
                             WHEN 'Customer Refund' THEN 'CustRfnd' ELSE s."Type" END,
               s."Date", s."Date Created", s."Due Date/Receive By", s."Date Closed", s."Name", s."Status",
               s."Amount", s."Amount Paid", s."Amount Remaining", s."Currency", s."Created By", s."Terms", s."Memo"
        FROM %2$s s
        WHERE coalesce(s."Internal ID", '') <> ''
        ORDER BY s."Internal ID", s::text$q$, log_schema, src);
    GET DIAGNOSTICS n = ROW_COUNT;
    EXECUTE format($q$INSERT INTO %1$I.transactionline (transaction, id, mainline, subsidiary, entity)
        SELECT DISTINCT ON (s."Internal ID") s."Internal ID", '0', 'T', s."Subsidiary", s."Name"
        FROM %2$s s WHERE coalesce(s."Internal ID", '') <> ''
        ORDER BY s."Internal ID", s::text$q$, log_schema, src);
    EXECUTE format($q$INSERT INTO %1$I.customer (id, companyname, salesrep)
        SELECT DISTINCT ON (s."Name") s."Name", s."Name", s."Sales Rep"
        FROM %2$s s WHERE coalesce(s."Name", '') <> ''
        ORDER BY s."Name", s."Sales Rep" NULLS LAST$q$, log_schema, src);
    -- "Applying Transaction" is display text such as "Payment #PYMT0042": find that document in
    -- the export by its number; the application happened on the applying document's date
    EXECUTE format($q$INSERT INTO %1$I.nexttransactionlinelink (previousdoc, previoustype, nextdoc, nexttype, linktype, foreignamount, lastmodifieddate)
        SELECT DISTINCT s."Internal ID", 'CustInvc', coalesce(a."Internal ID", 'unknown ' || s."Applying Transaction"),
               a."Type", 'Payment', s."Applying Link Amount", a."Date"
        FROM %2$s s
        LEFT JOIN (SELECT DISTINCT ON (x."Document Number") x.* FROM %2$s x
                   ORDER BY x."Document Number", x."Internal ID") a
               ON a."Document Number" = coalesce(substring(s."Applying Transaction" FROM '#\s*(\S+)\s*$'), btrim(s."Applying Transaction"))
        WHERE s."Type" = 'Invoice' AND coalesce(s."Applying Transaction", '') <> ''$q$, log_schema, src);
    RETURN n;
END
$$;
COMMENT ON FUNCTION collmine.netsuite_from_saved_search(name) IS
    'fill the NetSuite staging tables transaction, transactionline, nexttransactionlinelink and customer from a saved-search export in <schema>.transaction_search';
