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
          'company', 'transaction'],
    ARRAY['id', 'completeddate']);
SELECT collmine._cm_def('netsuite', 'message',
    ARRAY['id', 'author', 'recipient', 'messagedate', 'subject', 'isemailed', 'messagetype', 'transaction'],
    ARRAY['id', 'messagedate', 'transaction']);
SELECT collmine._cm_def('netsuite', 'customer',
    ARRAY['id', 'entityid', 'companyname', 'category', 'creditlimit', 'terms', 'subsidiary', 'salesrep'],
    ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'term', ARRAY['id', 'name', 'daysuntilnetdue'], ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'subsidiary', ARRAY['id', 'name', 'country'], ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'customrecord_3805_dunning_eval_result',
    ARRAY['id', 'custrecord_3805_evaluation_result_cust', 'custrecord_3805_eval_result_status',
          'custrecord_3805_eval_result_letter_type', 'custrecord_3805_eval_result_invoice_list', 'created'],
    ARRAY['id', 'custrecord_3805_eval_result_invoice_list', 'created']);

-- Derive the canonical events and invoices of <schema> from its NetSuite staging tables.
CREATE FUNCTION collmine.netsuite_build(p_schema name, p_settings jsonb DEFAULT '{}')
RETURNS TABLE(activity text, events bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    s jsonb := collmine._cm_settings('netsuite', p_settings);
    tr text; tl text; lk text; sn text; pc text; msg text; cu text; te text; su text; ev text;
    auto_users text[] := collmine._cm_list(s->'automated_users');
    ui_ctx text[] := collmine._cm_list(s->'interactive_contexts');
BEGIN
    PERFORM collmine._cm_begin('netsuite', p_schema, s);
    PERFORM collmine._cm_require(p_schema, 'netsuite', ARRAY['transaction_search']);   -- read only by netsuite_from_saved_search
    tr  := collmine._cm_dedup(p_schema, 'transaction', ARRAY['id']);
    tl  := collmine._cm_dedup(p_schema, 'transactionline', ARRAY['transaction', 'id']);
    lk  := collmine._cm_dedup(p_schema, 'nexttransactionlinelink', ARRAY['previousdoc', 'previousline', 'nextdoc', 'nextline']);
    sn  := collmine._cm_dedup(p_schema, 'systemnote', ARRAY['id']);
    pc  := collmine._cm_dedup(p_schema, 'phonecall', ARRAY['id']);
    msg := collmine._cm_dedup(p_schema, 'message', ARRAY['id']);
    cu  := collmine._cm_dedup(p_schema, 'customer', ARRAY['id']);
    te  := collmine._cm_dedup(p_schema, 'term', ARRAY['id']);
    su  := collmine._cm_dedup(p_schema, 'subsidiary', ARRAY['id']);
    ev  := collmine._cm_dedup(p_schema, 'customrecord_3805_dunning_eval_result', ARRAY['id']);

    -- transaction types outside the known set are reported once per value
    EXECUTE format($q$INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
        SELECT 'unknown_enum_value', 'warning', 'transaction', 'id=' || t.id, format('column "type" has unknown value "%%s"', t.type)
        FROM %s t WHERE t.type IS NULL OR t.type NOT IN ('CustInvc', 'CustPymt', 'CustCred', 'Journal', 'Deposit', 'CustDep', 'CustRfnd')$q$, tr);

    -- invoices
    EXECUTE format($q$INSERT INTO pg_temp._cm_inv
        SELECT t.tranid, t.id, t.entity, t.entity, c.companyname, c.category,
               coalesce(sl.name, sc.name, l.subsidiary, c.subsidiary), coalesce(t.custbody_3805_dunning_manager, c.salesrep),
               coalesce(sl.country, sc.country), coalesce(te.name, t.terms),
               collmine._cm_num(te.daysuntilnetdue, 'term', 'daysuntilnetdue', 'id=' || te.id)::integer,
               t.currency, collmine._cm_num(t.foreigntotal, 'transaction', 'foreigntotal', 'id=' || t.id),
               coalesce(collmine._cm_ts(t.createddate, 'transaction', 'createddate', 'id=' || t.id),
                        collmine._cm_day(t.trandate, 'transaction', 'trandate', 'id=' || t.id)),
               collmine._cm_date(t.trandate, 'transaction', 'trandate', 'id=' || t.id),
               collmine._cm_date(t.duedate, 'transaction', 'duedate', 'id=' || t.id),
               t.createdby, t.createdby = ANY (%L::text[]), 'transaction:' || t.id
        FROM %s t
        LEFT JOIN (SELECT DISTINCT ON (x.transaction) x.transaction, x.subsidiary FROM %s x
                   ORDER BY x.transaction, (x.mainline = 'T') DESC, collmine._cm_key(x.id), x.id) l ON l.transaction = t.id
        LEFT JOIN %s c ON c.id = t.entity
        LEFT JOIN %s te ON te.id = t.terms
        LEFT JOIN %s sl ON sl.id = l.subsidiary
        LEFT JOIN %s sc ON sc.id = c.subsidiary
        WHERE t.type = 'CustInvc'$q$, auto_users, tr, tl, cu, te, su, su);

    -- applications: a payment, credit memo or journal linked to the invoice
    EXECUTE format($q$INSERT INTO pg_temp._cm_app
        SELECT coalesce(i.tranid, 'transaction id=' || k.previousdoc),
               CASE WHEN n.type = 'CustPymt' THEN 'payment'
                    WHEN n.type IN ('CustCred', 'Journal') AND n.memo ~* %L THEN 'writeoff'
                    WHEN n.type = 'CustCred' THEN 'credit'
                    ELSE 'other' END,
               coalesce(n.tranid, 'transaction id=' || k.nextdoc),
               abs(collmine._cm_num(k.foreignamount, 'nexttransactionlinelink', 'foreignamount', format('%%s->%%s', k.previousdoc, k.nextdoc))),
               n.currency,
               collmine._cm_day(n.trandate, 'transaction', 'trandate', 'id=' || n.id),
               collmine._cm_ts(k.lastmodifieddate, 'nexttransactionlinelink', 'lastmodifieddate', format('%%s->%%s', k.previousdoc, k.nextdoc)),
               n.createdby, n.createdby = ANY (%L::text[]),
               format('nexttransactionlinelink:%%s->%%s/%%s', k.previousdoc, k.nextdoc, coalesce(k.nextline, '')),
               collmine._cm_key(k.nextdoc)
        FROM %s k
        LEFT JOIN %s i ON i.id = k.previousdoc
        LEFT JOIN %s n ON n.id = k.nextdoc
        WHERE i.id IS NULL OR i.type = 'CustInvc'$q$, s->>'writeoff_memo_pattern', auto_users, lk, tr, tr);
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_document', 'warning', 'nexttransactionlinelink', a.source_ref, a.case_id, 'the applying transaction is not in the export; ignored'
    FROM _cm_app a WHERE a.doc_ref LIKE 'transaction id=%';
    DELETE FROM _cm_app a WHERE a.doc_ref LIKE 'transaction id=%';

    -- Invoice Sent to Customer: an e-mailed message on the invoice
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.tranid, 'transaction id=' || m.transaction), NULL, 'Invoice Sent to Customer',
               collmine._cm_ts(m.messagedate, 'message', 'messagedate', 'id=' || m.id), m.author, false, NULL,
               'message:' || m.id, collmine._cm_key(m.id)
        FROM %s m LEFT JOIN %s i ON i.id = m.transaction
        WHERE coalesce(collmine._cm_bool(m.isemailed), true) AND (i.id IS NULL OR i.type = 'CustInvc')$q$, msg, tr);

    -- Overdue Reminder Sent: each dunning evaluation result, for each invoice in its list
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.tranid, 'transaction id=' || btrim(inv)), e.custrecord_3805_evaluation_result_cust, 'Overdue Reminder Sent',
               collmine._cm_ts(e.created, 'customrecord_3805_dunning_eval_result', 'created', 'id=' || e.id), NULL, true,
               e.custrecord_3805_eval_result_letter_type, 'customrecord_3805_dunning_eval_result:' || e.id, collmine._cm_key(e.id)
        FROM %s e CROSS JOIN LATERAL unnest(string_to_array(e.custrecord_3805_eval_result_invoice_list, ',')) inv
        LEFT JOIN %s i ON i.id = btrim(inv)
        WHERE btrim(inv) <> '' AND coalesce(e.custrecord_3805_eval_result_status, '') <> ALL (%L::text[])$q$,
        ev, tr, collmine._cm_list(s->'dunning_ignored_statuses'));

    -- system notes: dunning level set, dispute field changes, credit limit changes
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT CASE WHEN n.recordtypeid = %2$L THEN coalesce(i.tranid, 'transaction id=' || n.recordid) END,
               CASE WHEN n.recordtypeid = %3$L THEN n.recordid END,
               CASE WHEN upper(n.field) = upper(%4$L) THEN 'Dunning Procedure Initiated'
                    WHEN upper(n.field) = upper(%5$L) AND coalesce(n.newvalue, '') = ANY (%6$L::text[]) THEN 'dispute:resolved'
                    WHEN upper(n.field) = upper(%5$L) THEN 'dispute:disputed'
                    WHEN upper(n.field) = upper(%7$L) THEN 'Credit Limit Approved'
                    ELSE 'Credit Limit Requested' END,
               collmine._cm_ts(n.date, 'systemnote', 'date', 'id=' || n.id), n.name,
               n.name = ANY (%8$L::text[]) OR coalesce(n.context, '') <> ALL (%9$L::text[]),
               n.newvalue, 'systemnote:' || n.id, collmine._cm_key(n.id)
        FROM %1$s n LEFT JOIN %10$s i ON i.id = n.recordid AND n.recordtypeid = %2$L
        WHERE (n.recordtypeid = %2$L AND upper(n.field) IN (upper(%4$L), upper(%5$L))
               AND (i.id IS NULL OR i.type = 'CustInvc')
               AND NOT (upper(n.field) = upper(%4$L) AND coalesce(n.newvalue, '') IN ('', '0')))
           OR (n.recordtypeid = %3$L AND upper(n.field) IN (upper(%7$L), upper(%11$L)))$q$,
        sn, s->>'transaction_recordtypeid', s->>'customer_recordtypeid', s->>'dunning_level_field',
        s->>'dispute_field', collmine._cm_list(s->'dispute_resolved_values'), s->>'credit_limit_field',
        auto_users, ui_ctx, tr, s->>'credit_limit_request_field');

    -- Collection Call Made: completed phone calls, on the invoice or else on the customer
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT CASE WHEN coalesce(p.transaction, '') <> '' THEN coalesce(i.tranid, 'transaction id=' || p.transaction) END,
               p.company, 'Collection Call Made',
               collmine._cm_ts(p.completeddate, 'phonecall', 'completeddate', 'id=' || p.id),
               coalesce(p.assigned, p.owner), false, p.title, 'phonecall:' || p.id, collmine._cm_key(p.id)
        FROM %s p LEFT JOIN %s i ON i.id = p.transaction
        WHERE coalesce(p.completeddate, '') <> ''
          AND (coalesce(p.transaction, '') <> '' OR coalesce(p.company, '') <> '')$q$, pc, tr);

    RETURN QUERY SELECT * FROM collmine._cm_finish('netsuite', p_schema, s);
END
$$;
COMMENT ON FUNCTION collmine.netsuite_build(name, jsonb) IS
    'derive <schema>.events and <schema>.invoices from the NetSuite staging tables; returns events per activity';

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

CREATE FUNCTION collmine.netsuite_from_saved_search(p_schema name)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM collmine._cm_require(p_schema, 'netsuite',
        ARRAY['systemnote', 'phonecall', 'message', 'term', 'subsidiary', 'customrecord_3805_dunning_eval_result']);
    -- the saved search replaces what the SuiteQL tables it feeds held before
    EXECUTE format('TRUNCATE %1$I.transaction, %1$I.transactionline, %1$I.nexttransactionlinelink, %1$I.customer', p_schema);
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
        FROM %1$I.transaction_search s
        WHERE coalesce(s."Internal ID", '') <> ''
        ORDER BY s."Internal ID", s::text$q$, p_schema);
    GET DIAGNOSTICS n = ROW_COUNT;
    EXECUTE format($q$INSERT INTO %1$I.transactionline (transaction, id, mainline, subsidiary, entity)
        SELECT DISTINCT ON (s."Internal ID") s."Internal ID", '0', 'T', s."Subsidiary", s."Name"
        FROM %1$I.transaction_search s WHERE coalesce(s."Internal ID", '') <> ''
        ORDER BY s."Internal ID", s::text$q$, p_schema);
    EXECUTE format($q$INSERT INTO %1$I.customer (id, companyname, salesrep)
        SELECT DISTINCT ON (s."Name") s."Name", s."Name", s."Sales Rep"
        FROM %1$I.transaction_search s WHERE coalesce(s."Name", '') <> ''
        ORDER BY s."Name", s."Sales Rep" NULLS LAST$q$, p_schema);
    -- "Applying Transaction" is display text such as "Payment #PYMT0042": find that document in
    -- the export by its number; the application happened on the applying document's date
    EXECUTE format($q$INSERT INTO %1$I.nexttransactionlinelink (previousdoc, previoustype, nextdoc, nexttype, linktype, foreignamount, lastmodifieddate)
        SELECT DISTINCT s."Internal ID", 'CustInvc', coalesce(a."Internal ID", 'unknown ' || s."Applying Transaction"),
               a."Type", 'Payment', s."Applying Link Amount", a."Date"
        FROM %1$I.transaction_search s
        LEFT JOIN (SELECT DISTINCT ON (x."Document Number") x.* FROM %1$I.transaction_search x
                   ORDER BY x."Document Number", x."Internal ID") a
               ON a."Document Number" = coalesce(substring(s."Applying Transaction" FROM '#\s*(\S+)\s*$'), btrim(s."Applying Transaction"))
        WHERE s."Type" = 'Invoice' AND coalesce(s."Applying Transaction", '') <> ''$q$, p_schema);
    RETURN n;
END
$$;
COMMENT ON FUNCTION collmine.netsuite_from_saved_search(name) IS
    'fill the NetSuite staging tables transaction, transactionline, nexttransactionlinelink and customer from a saved-search export in <schema>.transaction_search';
