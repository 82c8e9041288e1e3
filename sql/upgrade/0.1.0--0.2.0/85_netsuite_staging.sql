-- Issue 9 (parts 2-5) and issue 13.4: NetSuite activities derived as the data template says,
-- the export checked against itself, attributes from the template, customer-level events kept
-- once (customer_events), payment applications kept (applications), settings validated and
-- implausible dates reported. The functions are restated by 80_functions.sql (which runs first, so
-- that _cm_def is current); this fragment registers the new staging tables and columns.

-- staging tables: new optional columns and tables (a fresh install registers them in this order)
DELETE FROM collmine.staging_columns WHERE source = 'netsuite' AND table_name IN ('phonecall', 'customer');
SELECT collmine._cm_def('netsuite', 'phonecall',
    ARRAY['id', 'title', 'startdate', 'completeddate', 'createddate', 'status', 'assigned', 'owner',
          'company', 'transaction', 'message'],
    ARRAY['id', 'completeddate']);
SELECT collmine._cm_def('netsuite', 'customer',
    ARRAY['id', 'entityid', 'companyname', 'category', 'creditlimit', 'terms', 'subsidiary', 'salesrep',
          'billcountry'],
    ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'previoustransactionlinelink',
    ARRAY['previousdoc', 'previousline', 'previoustype', 'nextdoc', 'nextline', 'nexttype', 'linktype',
          'foreignamount', 'lastmodifieddate'],
    ARRAY['previousdoc', 'nextdoc', 'foreignamount', 'lastmodifieddate']);
SELECT collmine._cm_def('netsuite', 'employee', ARRAY['id', 'entityid', 'firstname', 'lastname', 'email'], ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'currency', ARRAY['id', 'name', 'symbol'], ARRAY['id']);
