-- collmine install script, layer 1: the Dynamics 365 Business Central connector.
--
-- Staging tables carry BC's table and field names as quoted identifiers ("Cust. Ledger Entry",
-- "Document No.", ...). Option fields may be exported as integers or as captions. The case id
-- is the invoice's "Document No.".

SELECT collmine._cm_def('d365bc', 'Cust. Ledger Entry',
    ARRAY['Entry No.', 'Customer No.', 'Posting Date', 'Document Date', 'Document Type', 'Document No.',
          'Due Date', 'Open', 'Closed at Date', 'Closed by Entry No.', 'Last Issued Reminder Level',
          'Dispute Status', 'Reason Code', 'User ID', 'Currency Code', 'Amount', 'Remaining Amount',
          'Global Dimension 1 Code', 'Salesperson Code'],
    ARRAY['Entry No.', 'Customer No.', 'Posting Date', 'Document Type', 'Document No.', 'Amount']);
SELECT collmine._cm_def('d365bc', 'Detailed Cust. Ledg. Entry',
    ARRAY['Entry No.', 'Cust. Ledger Entry No.', 'Entry Type', 'Posting Date', 'Document Type', 'Document No.',
          'Amount', 'Applied Cust. Ledger Entry No.', 'Unapplied', 'User ID', 'Customer No.', 'Currency Code'],
    ARRAY['Entry No.', 'Cust. Ledger Entry No.', 'Entry Type', 'Posting Date', 'Amount', 'Applied Cust. Ledger Entry No.']);
SELECT collmine._cm_def('d365bc', 'Issued Reminder Header',
    ARRAY['No.', 'Customer No.', 'Posting Date', 'Reminder Level', 'User ID'],
    ARRAY['No.', 'Posting Date']);
SELECT collmine._cm_def('d365bc', 'Issued Reminder Line',
    ARRAY['Reminder No.', 'Line No.', 'Entry No.', 'Document Type', 'Document No.'],
    ARRAY['Reminder No.', 'Line No.', 'Entry No.']);
SELECT collmine._cm_def('d365bc', 'Change Log Entry',
    ARRAY['Entry No.', 'Date and Time', 'User ID', 'Table No.', 'Field No.', 'Field Caption',
          'Primary Key Field 1 Value', 'Old Value', 'New Value', 'Type of Change'],
    ARRAY['Entry No.', 'Date and Time', 'Table No.', 'Primary Key Field 1 Value', 'New Value']);
SELECT collmine._cm_def('d365bc', 'Customer',
    ARRAY['No.', 'Name', 'Customer Posting Group', 'Country/Region Code', 'Credit Limit (LCY)',
          'Payment Terms Code', 'Salesperson Code'],
    ARRAY['No.']);

-- Derive the canonical events and invoices of <schema> from its Business Central staging tables.
-- Each step is an internal function below; s is the validated settings, pc the parse context,
-- src the relation to read for each staging table (itself, or its de-duplicated copy).
CREATE FUNCTION collmine.d365bc_build(log_schema name, settings jsonb DEFAULT '{}')
RETURNS TABLE(activity text, events bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    s jsonb := collmine._cm_settings('d365bc', settings);
    pc jsonb := collmine._cm_parse_context(s);
    src jsonb;
BEGIN
    PERFORM collmine._cm_begin('d365bc', log_schema);
    PERFORM collmine._cm_require(log_schema, 'd365bc');
    src := collmine._cm_stage(log_schema, '[["Cust. Ledger Entry", "Entry No."], ["Detailed Cust. Ledg. Entry", "Entry No."],
        ["Issued Reminder Header", "No."], ["Issued Reminder Line", "Reminder No.", "Line No."],
        ["Change Log Entry", "Entry No."], ["Customer", "No."]]');
    PERFORM collmine._d365bc_ledger_entries(src, s, pc);
    PERFORM collmine._d365bc_invoices(src, s, pc);
    PERFORM collmine._d365bc_applications(src, s, pc);
    PERFORM collmine._d365bc_reminders(src, s, pc);
    PERFORM collmine._d365bc_change_log(src, s, pc);
    DROP TABLE pg_temp._cm_bc_le;
    RETURN QUERY SELECT * FROM collmine._cm_finish('d365bc', log_schema, s);
END
$$;
COMMENT ON FUNCTION collmine.d365bc_build(name, jsonb) IS
    'derive <schema>.events and <schema>.invoices from the Business Central staging tables; returns events per activity';

-- Step: the customer ledger entries decoded once (_cm_bc_le: document type as a caption,
-- amount, currency with local_currency for the blank code), for the invoice and application
-- steps.
CREATE FUNCTION collmine._d365bc_ledger_entries(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    doctype jsonb := '{"0": "", "1": "Payment", "2": "Invoice", "3": "Credit Memo",
                       "4": "Finance Charge Memo", "5": "Reminder", "6": "Refund"}';
BEGIN
    DROP TABLE IF EXISTS pg_temp._cm_bc_le;
    EXECUTE format($q$CREATE TEMP TABLE _cm_bc_le AS
        SELECT e.*,
               -- a blank "Document Type" (general journal lines) is the empty caption
               CASE WHEN btrim(coalesce(e."Document Type", '')) IN ('', '0') THEN ''
                    ELSE collmine._cm_enum(e."Document Type", %L, 'Cust. Ledger Entry', 'Document Type', 'Entry No.=' || e."Entry No.") END AS dt,
               collmine._cm_num(e."Amount", 'Cust. Ledger Entry', 'Amount', 'Entry No.=' || e."Entry No.", %L::jsonb) AS amt,
               coalesce(nullif(e."Currency Code", ''), %L) AS cur
        FROM %s e$q$, doctype, pc, s->>'local_currency', src->>'Cust. Ledger Entry');
    ANALYZE pg_temp._cm_bc_le;
END
$$;

-- Step: the invoices (_cm_inv): ledger entries of document type Invoice, with their customer.
CREATE FUNCTION collmine._d365bc_invoices(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_inv
        SELECT e."Document No.", e."Entry No.", e."Customer No.", e."Customer No.", c."Name", c."Customer Posting Group",
               e."Global Dimension 1 Code", coalesce(e."Salesperson Code", c."Salesperson Code"), c."Country/Region Code",
               c."Payment Terms Code",
               collmine._cm_date(e."Due Date", 'Cust. Ledger Entry', 'Due Date', 'Entry No.=' || e."Entry No.", %3$L::jsonb)
                 - collmine._cm_date(coalesce(e."Document Date", e."Posting Date"), 'Cust. Ledger Entry', 'Document Date', 'Entry No.=' || e."Entry No.", %3$L::jsonb),
               e.cur, e.amt,
               collmine._cm_day(e."Posting Date", 'Cust. Ledger Entry', 'Posting Date', 'Entry No.=' || e."Entry No.", %3$L::jsonb),
               collmine._cm_date(coalesce(e."Document Date", e."Posting Date"), 'Cust. Ledger Entry', 'Document Date', 'Entry No.=' || e."Entry No.", %3$L::jsonb),
               collmine._cm_date(e."Due Date", 'Cust. Ledger Entry', 'Due Date', 'Entry No.=' || e."Entry No.", %3$L::jsonb),
               e."User ID", e."User ID" = ANY (%1$L::text[]), 'Cust. Ledger Entry:' || e."Entry No."
        FROM pg_temp._cm_bc_le e LEFT JOIN %2$s c ON c."No." = e."Customer No."
        WHERE e.dt = 'Invoice'$q$, collmine._cm_list(s->'automated_users'), src->>'Customer', pc);
    ANALYZE pg_temp._cm_inv;
END
$$;

-- Step: the applications (_cm_app): detailed entries of type Application on the invoice's
-- ledger entry, not unapplied; a write-off is an applied entry whose reason code is one of
-- writeoff_reason_codes. Applied entries missing from the export are findings and left out.
CREATE FUNCTION collmine._d365bc_applications(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    entrytype jsonb := '{"1": "Initial Entry", "2": "Application", "3": "Unrealized Loss", "4": "Unrealized Gain",
                         "5": "Realized Loss", "6": "Realized Gain", "7": "Payment Discount",
                         "8": "Payment Discount (VAT Excl.)", "9": "Payment Discount (VAT Adjustment)",
                         "10": "Appln. Rounding", "11": "Correction of Remaining Amount", "12": "Payment Tolerance",
                         "13": "Payment Discount Tolerance", "14": "Payment Tolerance (VAT Excl.)",
                         "15": "Payment Tolerance (VAT Adjustment)", "16": "Payment Discount Tolerance (VAT Excl.)",
                         "17": "Payment Discount Tolerance (VAT Adjustment)"}';
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_app
        SELECT coalesce(i."Document No.", 'Cust. Ledger Entry No.=' || d."Cust. Ledger Entry No."),
               CASE WHEN o."Reason Code" = ANY (%1$L::text[]) THEN 'writeoff'
                    WHEN o.dt IN ('Payment', 'Refund') THEN 'payment'
                    WHEN o.dt = 'Credit Memo' THEN 'credit'
                    ELSE 'other' END,
               coalesce(o."Document No.", 'Cust. Ledger Entry No.=' || d."Applied Cust. Ledger Entry No."),
               abs(collmine._cm_num(d."Amount", 'Detailed Cust. Ledg. Entry', 'Amount', 'Entry No.=' || d."Entry No.", %5$L::jsonb)),
               o.cur,
               collmine._cm_day(coalesce(o."Document Date", o."Posting Date"), 'Cust. Ledger Entry', 'Document Date', 'Entry No.=' || o."Entry No.", %5$L::jsonb),
               collmine._cm_day(d."Posting Date", 'Detailed Cust. Ledg. Entry', 'Posting Date', 'Entry No.=' || d."Entry No.", %5$L::jsonb),
               d."User ID", d."User ID" = ANY (%2$L::text[]), 'Detailed Cust. Ledg. Entry:' || d."Entry No.",
               collmine._cm_key(d."Applied Cust. Ledger Entry No.")
        FROM %3$s d
        LEFT JOIN pg_temp._cm_bc_le i ON i."Entry No." = d."Cust. Ledger Entry No."
        LEFT JOIN pg_temp._cm_bc_le o ON o."Entry No." = d."Applied Cust. Ledger Entry No."
        WHERE collmine._cm_enum(d."Entry Type", %4$L, 'Detailed Cust. Ledg. Entry', 'Entry Type', 'Entry No.=' || d."Entry No.") = 'Application'
          AND NOT coalesce(collmine._cm_bool(d."Unapplied"), false)
          AND (i."Entry No." IS NULL OR i.dt = 'Invoice')$q$,
        collmine._cm_list(s->'writeoff_reason_codes'), collmine._cm_list(s->'automated_users'),
        src->>'Detailed Cust. Ledg. Entry', entrytype, pc);
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_document', 'warning', 'Detailed Cust. Ledg. Entry', a.source_ref, a.case_id, 'the applied ledger entry is not in the export; ignored'
    FROM _cm_app a WHERE a.doc_ref LIKE 'Cust. Ledger Entry No.=%' AND a.case_id NOT LIKE 'Cust. Ledger Entry No.=%';
    DELETE FROM _cm_app a WHERE a.doc_ref LIKE 'Cust. Ledger Entry No.=%' AND a.case_id NOT LIKE 'Cust. Ledger Entry No.=%';
END
$$;

-- Step: Overdue Reminder Sent (_cm_raw): each issued reminder line on the invoice's ledger
-- entry, at its reminder's posting date.
CREATE FUNCTION collmine._d365bc_reminders(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.case_id, 'Cust. Ledger Entry No.=' || l."Entry No."), NULL, 'Overdue Reminder Sent',
               collmine._cm_day(h."Posting Date", 'Issued Reminder Header', 'Posting Date', 'No.=' || h."No.", %4$L::jsonb),
               h."User ID", h."User ID" = ANY (%1$L::text[]), h."Reminder Level",
               'Issued Reminder Line:' || l."Reminder No." || '/' || l."Line No.", collmine._cm_key(l."Line No.")
        FROM %2$s l
        LEFT JOIN %3$s h ON h."No." = l."Reminder No."
        LEFT JOIN pg_temp._cm_inv i ON i.src_id = l."Entry No."
        WHERE coalesce(l."Entry No.", '') NOT IN ('', '0')$q$,
        collmine._cm_list(s->'automated_users'), src->>'Issued Reminder Line', src->>'Issued Reminder Header', pc);
END
$$;

-- Step: the change log (_cm_raw): "Dispute Status" (dispute_field) set or cleared on an invoice
-- entry (table 21); the credit limit (credit_limit_field) changed on a customer (table 18,
-- customer-level).
CREATE FUNCTION collmine._d365bc_change_log(src jsonb, s jsonb, pc jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT CASE WHEN btrim(g."Table No.") = '21' THEN coalesce(i.case_id, 'Cust. Ledger Entry No.=' || g."Primary Key Field 1 Value") END,
               CASE WHEN btrim(g."Table No.") = '18' THEN g."Primary Key Field 1 Value" END,
               CASE WHEN btrim(g."Table No.") = '18' THEN 'Credit Limit Approved'
                    WHEN coalesce(g."New Value", '') = ANY (%1$L::text[]) THEN 'dispute:resolved'
                    ELSE 'dispute:disputed' END,
               collmine._cm_ts(g."Date and Time", 'Change Log Entry', 'Date and Time', 'Entry No.=' || g."Entry No.", %6$L::jsonb),
               g."User ID", g."User ID" = ANY (%2$L::text[]), g."New Value",
               'Change Log Entry:' || g."Entry No.", collmine._cm_key(g."Entry No.")
        FROM %3$s g
        LEFT JOIN pg_temp._cm_inv i ON i.src_id = g."Primary Key Field 1 Value" AND btrim(g."Table No.") = '21'
        WHERE (btrim(g."Table No.") = '21' AND %4$L IN (g."Field Caption", g."Field No."))
           OR (btrim(g."Table No.") = '18' AND %5$L IN (g."Field Caption", g."Field No."))$q$,
        collmine._cm_list(s->'dispute_resolved_values'), collmine._cm_list(s->'automated_users'), src->>'Change Log Entry',
        s->>'dispute_field', s->>'credit_limit_field', pc);
END
$$;
