-- collmine install script, layer 1: the Dynamics 365 Finance & Operations connector.
--
-- Staging tables carry the F&O table/entity column names (CustTrans, CustSettlement, collection
-- letters, dispute history, activities, credit-limit adjustments). Enums may be exported as
-- integers (Synapse Link, BYOD) or as names (data management packages): both are accepted.
-- The case id is DataAreaId || '/' || Invoice.

SELECT collmine._cm_def('d365fo', 'CustTrans',
    ARRAY['DataAreaId', 'RecId', 'AccountNum', 'Invoice', 'Voucher', 'TransDate', 'DocumentDate', 'DueDate',
          'Closed', 'AmountCur', 'SettleAmountCur', 'CurrencyCode', 'TransType', 'LastSettleDate',
          'PaymTermId', 'ReasonRefRecId', 'CreatedBy'],
    ARRAY['DataAreaId', 'RecId', 'AccountNum', 'Invoice', 'TransDate', 'AmountCur', 'TransType']);
SELECT collmine._cm_def('d365fo', 'CustSettlement',
    ARRAY['DataAreaId', 'RecId', 'TransRecId', 'OffsetRecid', 'OffsetTransVoucher', 'TransDate',
          'SettleAmountCur', 'DueDate'],
    ARRAY['RecId', 'TransRecId', 'OffsetRecid', 'TransDate', 'SettleAmountCur']);
SELECT collmine._cm_def('d365fo', 'CustCollectionLetterJour',
    ARRAY['DataAreaId', 'CollectionLetterNum', 'AccountNum', 'CollectionLetterCode', 'CollectionLetterDate',
          'PrintDate', 'Status', 'CreatedBy'],
    ARRAY['DataAreaId', 'CollectionLetterNum', 'CollectionLetterDate', 'Status']);
SELECT collmine._cm_def('d365fo', 'CustCollectionLetterTrans',
    ARRAY['DataAreaId', 'RecId', 'CollectionLetterNum', 'CustTransId', 'Invoice', 'DueDate', 'RemainAmount'],
    ARRAY['DataAreaId', 'RecId', 'CollectionLetterNum', 'CustTransId']);
SELECT collmine._cm_def('d365fo', 'CustDisputeHistory',
    ARRAY['DataAreaId', 'RecId', 'CustTrans', 'Status', 'CreatedDateTime', 'ReasonTableRef',
          'ResponsibleWorker', 'CreatedBy'],
    ARRAY['RecId', 'CustTrans', 'Status', 'CreatedDateTime']);
SELECT collmine._cm_def('d365fo', 'smmActivities',
    ARRAY['DataAreaId', 'ActivityNumber', 'TypeId', 'Purpose', 'StartDateTime', 'ActualEndDateTime',
          'ResponsibleWorker', 'Closed'],
    ARRAY['ActivityNumber', 'TypeId', 'ActualEndDateTime']);
SELECT collmine._cm_def('d365fo', 'CustCollectionsLinkTable',
    ARRAY['DataAreaId', 'ActivityNumber', 'EntityType', 'RefRecId'],
    ARRAY['ActivityNumber', 'EntityType', 'RefRecId']);
SELECT collmine._cm_def('d365fo', 'CredManCreditLimitAdjTable',
    ARRAY['DataAreaId', 'JournalId', 'Status', 'Posted', 'PostedDate', 'CreatedDateTime', 'CreatedBy'],
    ARRAY['DataAreaId', 'JournalId', 'Posted', 'CreatedDateTime']);
SELECT collmine._cm_def('d365fo', 'CredManCreditLimitAdjTrans',
    ARRAY['DataAreaId', 'JournalId', 'CustAccount', 'CreditMax', 'CreditMaxNew'],
    ARRAY['DataAreaId', 'JournalId', 'CustAccount']);
SELECT collmine._cm_def('d365fo', 'CustTable',
    ARRAY['DataAreaId', 'AccountNum', 'CustGroup', 'SegmentId', 'CreditMax', 'PaymTermId', 'PartyCountry'],
    ARRAY['DataAreaId', 'AccountNum']);
SELECT collmine._cm_def('d365fo', 'PaymTerm',
    ARRAY['DataAreaId', 'PaymTermId', 'NumOfDays'], ARRAY['PaymTermId']);

-- Derive the canonical events and invoices of <schema> from its F&O staging tables.
-- Each step is an internal function below; s is the validated settings, pc the parse context,
-- src the relation to read for each staging table (itself, or its de-duplicated copy).
CREATE FUNCTION collmine.d365fo_build(log_schema name, settings jsonb DEFAULT '{}')
RETURNS TABLE(activity text, events bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    s jsonb := collmine._cm_settings('d365fo', settings);
    pc jsonb := collmine._cm_parse_context(s);
    src jsonb;
BEGIN
    PERFORM collmine._cm_begin('d365fo', log_schema);
    PERFORM collmine._cm_require(log_schema, 'd365fo');
    src := collmine._cm_stage(log_schema, '[["CustTrans", "RecId"], ["CustSettlement", "RecId"],
        ["CustCollectionLetterJour", "DataAreaId", "CollectionLetterNum"], ["CustCollectionLetterTrans", "RecId"],
        ["CustDisputeHistory", "RecId"], ["smmActivities", "DataAreaId", "ActivityNumber"],
        ["CustCollectionsLinkTable", "DataAreaId", "ActivityNumber", "EntityType", "RefRecId"],
        ["CredManCreditLimitAdjTable", "DataAreaId", "JournalId"],
        ["CredManCreditLimitAdjTrans", "DataAreaId", "JournalId", "CustAccount"],
        ["CustTable", "DataAreaId", "AccountNum"], ["PaymTerm", "DataAreaId", "PaymTermId"]]');
    PERFORM collmine._d365fo_transactions(src, s, pc);
    PERFORM collmine._d365fo_invoices(src, s, pc);
    PERFORM collmine._d365fo_settlements(src, s, pc);
    PERFORM collmine._d365fo_collection_letters(src, s, pc);
    PERFORM collmine._d365fo_disputes(src, s, pc);
    PERFORM collmine._d365fo_calls(src, s, pc);
    PERFORM collmine._d365fo_credit_limits(src, s, pc);
    DROP TABLE pg_temp._cm_fo_trans;
    RETURN QUERY SELECT * FROM collmine._cm_finish('d365fo', log_schema, s);
END
$$;
COMMENT ON FUNCTION collmine.d365fo_build(name, jsonb) IS
    'derive <schema>.events and <schema>.invoices from the Dynamics 365 F&O staging tables; returns events per activity';

-- Step: the customer transactions decoded once (_cm_fo_trans: TransType as a name, amount,
-- date), for the invoice and settlement steps.
CREATE FUNCTION collmine._d365fo_transactions(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    -- LedgerTransType values used here; the write-off type is a setting
    transtype jsonb := '{"0": "None", "2": "Sales", "8": "Cust", "13": "CollectionLetter",
                         "15": "Payment", "24": "Settlement"}'::jsonb
                       || (SELECT coalesce(jsonb_object_agg(w, w), '{}') FROM unnest(collmine._cm_list(s->'writeoff_transtypes')) w);
BEGIN
    DROP TABLE IF EXISTS pg_temp._cm_fo_trans;
    EXECUTE format($q$CREATE TEMP TABLE _cm_fo_trans AS
        SELECT t.*, collmine._cm_enum(t."TransType", %1$L, 'CustTrans', 'TransType', 'RecId=' || t."RecId") AS tt,
               collmine._cm_num(t."AmountCur", 'CustTrans', 'AmountCur', 'RecId=' || t."RecId", %3$L::jsonb) AS amt,
               collmine._cm_day(t."TransDate", 'CustTrans', 'TransDate', 'RecId=' || t."RecId", %3$L::jsonb) AS ts
        FROM %2$s t$q$, transtype, src->>'CustTrans', pc);
    ANALYZE pg_temp._cm_fo_trans;
END
$$;

-- Step: the invoices (_cm_inv): sales or customer transactions with an invoice number and a
-- positive amount, with their customer and payment terms.
CREATE FUNCTION collmine._d365fo_invoices(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_inv
        SELECT t."DataAreaId" || '/' || t."Invoice", t."RecId", t."DataAreaId" || '/' || t."AccountNum", t."AccountNum", NULL,
               coalesce(c."SegmentId", c."CustGroup"), t."DataAreaId", NULL, c."PartyCountry", t."PaymTermId",
               collmine._cm_num(p."NumOfDays", 'PaymTerm', 'NumOfDays', 'PaymTermId=' || p."PaymTermId", %4$L::jsonb)::integer,
               t."CurrencyCode", t.amt, t.ts,
               collmine._cm_date(t."TransDate", 'CustTrans', 'TransDate', 'RecId=' || t."RecId", %4$L::jsonb),
               collmine._cm_date(t."DueDate", 'CustTrans', 'DueDate', 'RecId=' || t."RecId", %4$L::jsonb),
               t."CreatedBy", t."CreatedBy" = ANY (%1$L::text[]), 'CustTrans:' || t."RecId"
        FROM pg_temp._cm_fo_trans t
        LEFT JOIN %2$s c ON c."DataAreaId" = t."DataAreaId" AND c."AccountNum" = t."AccountNum"
        LEFT JOIN %3$s p ON p."PaymTermId" = t."PaymTermId" AND coalesce(p."DataAreaId", t."DataAreaId") = t."DataAreaId"
        WHERE t.tt IN ('Sales', 'Cust') AND coalesce(t."Invoice", '') <> '' AND t.amt > 0$q$,
        collmine._cm_list(s->'automated_users'), src->>'CustTable', src->>'PaymTerm', pc);
    ANALYZE pg_temp._cm_inv;
END
$$;

-- Step: the applications (_cm_app): settlements of an invoice against a payment, credit note
-- or write-off (writeoff_transtypes). Offset transactions missing from the export are findings
-- and left out.
CREATE FUNCTION collmine._d365fo_settlements(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_app
        SELECT coalesce(i."DataAreaId" || '/' || i."Invoice", 'CustTrans RecId=' || x."TransRecId"),
               CASE WHEN o.tt = ANY (%1$L::text[]) THEN 'writeoff'
                    WHEN o.tt = 'Payment' THEN 'payment'
                    WHEN o.tt IN ('Sales', 'Cust') AND o.amt < 0 THEN 'credit'
                    ELSE 'other' END,
               coalesce(o."DataAreaId" || '/' || coalesce(nullif(o."Invoice", ''), o."Voucher"), 'CustTrans RecId=' || x."OffsetRecid"),
               abs(collmine._cm_num(x."SettleAmountCur", 'CustSettlement', 'SettleAmountCur', 'RecId=' || x."RecId", %4$L::jsonb)),
               o."CurrencyCode", o.ts,
               collmine._cm_day(x."TransDate", 'CustSettlement', 'TransDate', 'RecId=' || x."RecId", %4$L::jsonb),
               o."CreatedBy", o."CreatedBy" = ANY (%2$L::text[]), 'CustSettlement:' || x."RecId", collmine._cm_key(x."OffsetRecid")
        FROM %3$s x
        LEFT JOIN pg_temp._cm_fo_trans i ON i."RecId" = x."TransRecId"
        LEFT JOIN pg_temp._cm_fo_trans o ON o."RecId" = x."OffsetRecid"
        WHERE i."RecId" IS NULL OR (i.tt IN ('Sales', 'Cust') AND coalesce(i."Invoice", '') <> '' AND i.amt > 0)$q$,
        collmine._cm_list(s->'writeoff_transtypes'), collmine._cm_list(s->'automated_users'), src->>'CustSettlement', pc);
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_document', 'warning', 'CustSettlement', a.source_ref, a.case_id, 'the offset transaction is not in the export; ignored'
    FROM _cm_app a WHERE a.doc_ref LIKE 'CustTrans RecId=%' AND a.case_id NOT LIKE 'CustTrans RecId=%';
    DELETE FROM _cm_app a WHERE a.doc_ref LIKE 'CustTrans RecId=%' AND a.case_id NOT LIKE 'CustTrans RecId=%';
END
$$;

-- Step: Overdue Reminder Sent (_cm_raw): each posted collection letter line; cancelled letters
-- are ignored.
CREATE FUNCTION collmine._d365fo_collection_letters(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    letterstatus jsonb := '{"0": "None", "1": "Created", "2": "Posted", "3": "Cancelled"}';
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.case_id, 'CustTrans RecId=' || l."CustTransId"), NULL, 'Overdue Reminder Sent',
               coalesce(collmine._cm_day(j."PrintDate", 'CustCollectionLetterJour', 'PrintDate', 'CollectionLetterNum=' || j."CollectionLetterNum", %5$L::jsonb),
                        collmine._cm_day(j."CollectionLetterDate", 'CustCollectionLetterJour', 'CollectionLetterDate', 'CollectionLetterNum=' || j."CollectionLetterNum", %5$L::jsonb)),
               j."CreatedBy", j."CreatedBy" = ANY (%1$L::text[]), j."CollectionLetterCode",
               'CustCollectionLetterTrans:' || l."RecId", collmine._cm_key(l."RecId")
        FROM %2$s l
        JOIN %3$s j ON j."CollectionLetterNum" = l."CollectionLetterNum" AND coalesce(j."DataAreaId", '') = coalesce(l."DataAreaId", '')
        LEFT JOIN pg_temp._cm_inv i ON i.src_id = l."CustTransId"
        WHERE collmine._cm_enum(j."Status", %4$L, 'CustCollectionLetterJour', 'Status', 'CollectionLetterNum=' || j."CollectionLetterNum") = 'Posted'$q$,
        collmine._cm_list(s->'automated_users'), src->>'CustCollectionLetterTrans', src->>'CustCollectionLetterJour', letterstatus, pc);
END
$$;

-- Step: disputes (_cm_raw): dispute history rows with status Disputed (1) and Resolved (3).
CREATE FUNCTION collmine._d365fo_disputes(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    disputestatus jsonb := '{"0": "None", "1": "Disputed", "2": "PromiseToPay", "3": "Resolved",
                             "4": "PromiseBroken", "5": "PromiseKept"}';
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.case_id, 'CustTrans RecId=' || d."CustTrans"), NULL,
               CASE d.st WHEN 'Disputed' THEN 'dispute:disputed' ELSE 'dispute:resolved' END,
               collmine._cm_ts(d."CreatedDateTime", 'CustDisputeHistory', 'CreatedDateTime', 'RecId=' || d."RecId", %4$L::jsonb),
               coalesce(d."ResponsibleWorker", d."CreatedBy"), d."CreatedBy" = ANY (%1$L::text[]), d."ReasonTableRef",
               'CustDisputeHistory:' || d."RecId", collmine._cm_key(d."RecId")
        FROM (SELECT h.*, collmine._cm_enum(h."Status", %2$L, 'CustDisputeHistory', 'Status', 'RecId=' || h."RecId") AS st FROM %3$s h) d
        LEFT JOIN pg_temp._cm_inv i ON i.src_id = d."CustTrans"
        WHERE d.st IN ('Disputed', 'Resolved')$q$,
        collmine._cm_list(s->'automated_users'), disputestatus, src->>'CustDisputeHistory', pc);
END
$$;

-- Step: Collection Call Made (_cm_raw): finished activities of a call type (call_types) linked
-- to a transaction (entity type 2).
CREATE FUNCTION collmine._d365fo_calls(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.case_id, 'CustTrans RecId=' || k."RefRecId"), NULL, 'Collection Call Made',
               collmine._cm_ts(a."ActualEndDateTime", 'smmActivities', 'ActualEndDateTime', 'ActivityNumber=' || a."ActivityNumber", %4$L::jsonb),
               a."ResponsibleWorker", false, a."Purpose", 'smmActivities:' || a."ActivityNumber", collmine._cm_key(k."RefRecId")
        FROM %1$s a
        JOIN %2$s k ON k."ActivityNumber" = a."ActivityNumber" AND coalesce(k."DataAreaId", '') = coalesce(a."DataAreaId", '')
        LEFT JOIN pg_temp._cm_inv i ON i.src_id = k."RefRecId"
        WHERE a."TypeId" = ANY (%3$L::text[]) AND coalesce(a."ActualEndDateTime", '') <> ''
          AND btrim(k."EntityType") IN ('2', 'Transaction', 'CustTrans')$q$,
        src->>'smmActivities', src->>'CustCollectionsLinkTable', collmine._cm_list(s->'call_types'), pc);
END
$$;

-- Step: credit-limit adjustment journals (_cm_raw, customer-level): Credit Limit Requested when
-- created, Credit Limit Approved when posted.
CREATE FUNCTION collmine._d365fo_credit_limits(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    noyes jsonb := '{"0": "No", "1": "Yes"}';
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT NULL, r."DataAreaId" || '/' || r."CustAccount", 'Credit Limit Requested',
               collmine._cm_ts(j."CreatedDateTime", 'CredManCreditLimitAdjTable', 'CreatedDateTime', 'JournalId=' || j."JournalId", %5$L::jsonb),
               j."CreatedBy", j."CreatedBy" = ANY (%3$L::text[]), r."CreditMaxNew", 'CredManCreditLimitAdjTable:' || j."JournalId", NULL::numeric
        FROM %1$s j JOIN %2$s r ON r."JournalId" = j."JournalId" AND r."DataAreaId" = j."DataAreaId"
        UNION ALL
        SELECT NULL, r."DataAreaId" || '/' || r."CustAccount", 'Credit Limit Approved',
               collmine._cm_day(j."PostedDate", 'CredManCreditLimitAdjTable', 'PostedDate', 'JournalId=' || j."JournalId", %5$L::jsonb),
               j."CreatedBy", j."CreatedBy" = ANY (%3$L::text[]), r."CreditMaxNew", 'CredManCreditLimitAdjTable:' || j."JournalId" || ':posted', NULL::numeric
        FROM %1$s j JOIN %2$s r ON r."JournalId" = j."JournalId" AND r."DataAreaId" = j."DataAreaId"
        WHERE collmine._cm_enum(j."Posted", %4$L, 'CredManCreditLimitAdjTable', 'Posted', 'JournalId=' || j."JournalId") = 'Yes'$q$,
        src->>'CredManCreditLimitAdjTable', src->>'CredManCreditLimitAdjTrans', collmine._cm_list(s->'automated_users'), noyes, pc);
END
$$;
