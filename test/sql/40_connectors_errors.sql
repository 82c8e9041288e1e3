-- Malformed exports and wrong settings: every error names the column and the row, carries an
-- SQLSTATE and a hint; with on_error = report the bad value is listed instead of stopping.
SET client_min_messages = warning;
SET timezone = 'UTC';
\set SHOW_CONTEXT never
\set VERBOSITY default
SELECT count(*) AS staging_tables FROM collmine.create_staging('netsuite', 'cm_err');

-- a clean invoice to start from
INSERT INTO cm_err.transaction (id, tranid, type, trandate, createddate, duedate, entity, foreigntotal, currency)
VALUES ('1', 'INV1', 'CustInvc', '2024-03-01', '2024-03-01 09:00', '2024-03-31', '10', '100.00', 'USD');
SELECT activity, events FROM collmine.netsuite_build('cm_err') WHERE events > 0;

-- a bad date: February 30th
UPDATE cm_err.transaction SET duedate = '2024-02-30' WHERE id = '1';
SELECT * FROM collmine.netsuite_build('cm_err');
-- the same row with on_error = report: loaded, the due date read as NULL, both reported
SELECT activity, events FROM collmine.netsuite_build('cm_err', '{"on_error": "report"}') WHERE events > 0;
SELECT check_name, severity, problems, examples, description FROM collmine.data_quality('cm_err');

-- a display-format date (saved searches) without the date_format setting, then with it
UPDATE cm_err.transaction SET trandate = '3/1/2024', duedate = '3/31/2024' WHERE id = '1';
SELECT * FROM collmine.netsuite_build('cm_err');
SELECT activity, events FROM collmine.netsuite_build('cm_err', '{"date_format": "MM/DD/YYYY"}') WHERE events > 0;
SELECT case_id, invoice_date, due_date FROM cm_err.invoices;
-- a display date that the format cannot read (month 13)
UPDATE cm_err.transaction SET duedate = '13/31/2024' WHERE id = '1';
SELECT * FROM collmine.netsuite_build('cm_err', '{"date_format": "MM/DD/YYYY"}');
-- a timestamp that is not ISO 8601 and no timestamp_format
UPDATE cm_err.transaction SET trandate = '2024-03-01', duedate = '2024-03-31', createddate = '3/1/2024 9:00 pm' WHERE id = '1';
SELECT * FROM collmine.netsuite_build('cm_err');
SELECT activity, events FROM collmine.netsuite_build('cm_err', '{"timestamp_format": "MM/DD/YYYY HH12:MI am"}') WHERE events > 0;
SELECT activity, ts FROM cm_err.events;
UPDATE cm_err.transaction SET createddate = '2024-03-01 09:00' WHERE id = '1';

-- a non-numeric amount (thousands separator)
UPDATE cm_err.transaction SET foreigntotal = '1,234.50' WHERE id = '1';
SELECT * FROM collmine.netsuite_build('cm_err');
UPDATE cm_err.transaction SET foreigntotal = '100.00' WHERE id = '1';

-- a staging table that lacks a column (made by hand, or altered)
ALTER TABLE cm_err.phonecall DROP COLUMN completeddate;
SELECT * FROM collmine.netsuite_build('cm_err');
-- create_staging again adds the missing column (as for a table made by an earlier version)
SELECT count(*) > 0 AS staging_tables_kept FROM collmine.create_staging('netsuite', 'cm_err');
SELECT attnum > 10 AS added_last FROM pg_attribute WHERE attrelid = 'cm_err.phonecall'::regclass AND attname = 'completeddate';

-- a file loaded with the wrong delimiter: whole lines land in the first column
INSERT INTO cm_err.message (id) VALUES ('61;101;;2024-03-01 10:00;Invoice INV1;T;EMAIL;1');
SELECT * FROM collmine.netsuite_build('cm_err');
TRUNCATE cm_err.message;

-- ---- the checked import path: collmine.import_csv -------------------------------------------
-- columns in another order than the staging table, a quoted field with a comma and a quote
COPY cm_err.csv_import (line) FROM stdin WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02');
id,subject,transaction,messagedate,isemailed
61,"Invoice INV1, ""final""",1,2024-03-01 10:00,T
\.
SELECT collmine.import_csv('cm_err.message') AS rows_imported;
SELECT id, subject, transaction, messagedate, isemailed, author FROM cm_err.message;
SELECT count(*) AS landing_rows_left FROM cm_err.csv_import;
-- a quoted field with a line break spans two landed lines and is joined again
COPY cm_err.csv_import (line) FROM stdin WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02');
id,subject,transaction,messagedate
66,"first line
second line",1,2024-03-01 11:00
\.
SELECT collmine.import_csv('cm_err.message') AS rows_imported;
SELECT id, subject FROM cm_err.message WHERE id = '66';
DELETE FROM cm_err.message WHERE id = '66';
-- a CRLF file with a line break inside a quoted field: COPY would stop at the bare line feed
-- ("unquoted newline found in data"), so the landing strips the carriage returns on the client
\copy cm_err.csv_import (line) FROM PROGRAM 'printf ''id,subject,transaction,messagedate\r\n67,"memo line 1\nmemo line 2",1,2024-03-01 12:00\r\n'' | tr -d "\r"' WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')
SELECT collmine.import_csv('cm_err.message') AS rows_imported;
SELECT id, subject, messagedate FROM cm_err.message WHERE id = '67';
DELETE FROM cm_err.message WHERE id = '67';

-- wrong delimiter: the header is one field that contains ';'
COPY cm_err.csv_import (line) FROM stdin WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02');
id;subject;transaction;messagedate
62;Reminder;1;2024-03-02 10:00
\.
SELECT collmine.import_csv('cm_err.message');
-- and with the right delimiter it loads
SELECT collmine.import_csv('cm_err.message', ';') AS rows_imported;

-- a required column missing from the header
COPY cm_err.csv_import (line) FROM stdin WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02');
id,subject,transaction
63,Reminder,1
\.
SELECT collmine.import_csv('cm_err.message');
TRUNCATE cm_err.csv_import;

-- a line with a field too many (an unquoted comma)
COPY cm_err.csv_import (line) FROM stdin WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02');
id,subject,transaction,messagedate
64,Reminder,1,2024-03-02 10:00
65,Reminder, second,1,2024-03-03 10:00
\.
SELECT collmine.import_csv('cm_err.message');
TRUNCATE cm_err.csv_import;
SELECT collmine.import_csv('cm_err.message');
SELECT collmine.import_csv('cm_err.events');
SELECT collmine.import_csv('cm_err.message', ';;');

-- ---- settings and names ---------------------------------------------------------------------
SELECT * FROM collmine.netsuite_build('cm_err', '{"dispute_feild": "X"}');
SELECT * FROM collmine.netsuite_build('cm_err', '{"on_error": "ignore"}');
SELECT * FROM collmine.netsuite_build('cm_err', '{"timezone": "Mars/Olympus"}');
SELECT * FROM collmine.netsuite_build('cm_err', '{"as_of": "end of June"}');
SELECT * FROM collmine.netsuite_build('cm_err', '{"automated_users": "-4"}');
SELECT * FROM collmine.netsuite_build('cm_err', '{"dunning_ignored_statuses": ["Cancelled", 3]}');
SELECT * FROM collmine.netsuite_build('cm_err', '{"dispute_field": ["A"]}');
SELECT * FROM collmine.netsuite_build('cm_err', '{"date_format": null}');
SELECT * FROM collmine.netsuite_build('cm_err', '{"date_format": ""}');
SELECT * FROM collmine.d365bc_build('cm_err', '{"local_currency": 840}');
SELECT * FROM collmine.netsuite_build('cm_missing');
SELECT * FROM collmine.create_staging('sap', 'cm_err');
SELECT * FROM collmine.data_quality('cm_missing');

-- the SQLSTATEs of these errors
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN others THEN
    RETURN SQLSTATE;
END $$;
UPDATE cm_err.transaction SET duedate = '2024-02-30' WHERE id = '1';
SELECT 'bad date' AS error, pg_temp.sqlstate_of($$SELECT * FROM collmine.netsuite_build('cm_err')$$) AS sqlstate;
UPDATE cm_err.transaction SET duedate = '2024-03-31', foreigntotal = 'USD 100' WHERE id = '1';
SELECT 'non-numeric amount' AS error, pg_temp.sqlstate_of($$SELECT * FROM collmine.netsuite_build('cm_err')$$) AS sqlstate;
UPDATE cm_err.transaction SET foreigntotal = '100' WHERE id = '1';
ALTER TABLE cm_err.term DROP COLUMN name;
SELECT 'missing column' AS error, pg_temp.sqlstate_of($$SELECT * FROM collmine.netsuite_build('cm_err')$$) AS sqlstate;
ALTER TABLE cm_err.term ADD COLUMN name text;
INSERT INTO cm_err.term (id) VALUES ('1;Net 30;30');
SELECT 'whole lines in a column' AS error, pg_temp.sqlstate_of($$SELECT * FROM collmine.netsuite_build('cm_err')$$) AS sqlstate;
TRUNCATE cm_err.term;
INSERT INTO cm_err.csv_import (line) VALUES ('id;name;daysuntilnetdue'), ('1;Net 30;30');
SELECT 'wrong delimiter' AS error, pg_temp.sqlstate_of($$SELECT collmine.import_csv('cm_err.term')$$) AS sqlstate;
SELECT 'unknown setting' AS error, pg_temp.sqlstate_of($$SELECT * FROM collmine.netsuite_build('cm_err', '{"x": 1}')$$) AS sqlstate;
SELECT 'clean again' AS error, pg_temp.sqlstate_of($$SELECT * FROM collmine.netsuite_build('cm_err')$$) AS sqlstate;

-- a build leaves none of its temporary tables in the session
SELECT count(*) AS cm_temp_tables FROM pg_class
 WHERE relnamespace = pg_my_temp_schema() AND relname LIKE '\_cm\_%';
-- with the index in place, a build takes no SHARE lock on events (a writer would wait for it);
-- it reads back the events it wrote (AccessShareLock, which blocks no reader or writer) for
-- the invoices' payment measures (collmine._payment_facts_sql)
BEGIN;
SELECT count(*) AS activities FROM collmine.netsuite_build('cm_err');
SELECT mode FROM pg_locks WHERE relation = 'cm_err.events'::regclass AND locktype = 'relation' ORDER BY mode;
ROLLBACK;

-- Business Central: an unknown option value is loaded and flagged, not dropped
SELECT count(*) AS staging_tables FROM collmine.create_staging('d365bc', 'cm_err_bc');
INSERT INTO cm_err_bc."Cust. Ledger Entry" ("Entry No.", "Customer No.", "Posting Date", "Document Type", "Document No.", "Due Date", "Amount")
VALUES ('1', 'C1', '2024-03-01', 'Invoice', 'INV1', '2024-03-31', '100.00'),
       ('2', 'C1', '2024-03-02', '9', 'X1', NULL, '5.00');
INSERT INTO cm_err_bc."Detailed Cust. Ledg. Entry" ("Entry No.", "Cust. Ledger Entry No.", "Entry Type", "Posting Date", "Amount", "Applied Cust. Ledger Entry No.")
VALUES ('10', '1', 'Initial Entry', '2024-03-01', '100.00', NULL),
       ('11', '1', 'Revaluation', '2024-03-05', '-5.00', '2');
SELECT activity, events FROM collmine.d365bc_build('cm_err_bc') WHERE events > 0;
SELECT check_name, severity, problems, examples, description FROM collmine.data_quality('cm_err_bc');

DROP SCHEMA cm_err, cm_err_bc CASCADE;
