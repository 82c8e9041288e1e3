-- collmine install script, layer 0: shared conventions.
--
-- Every object is created schema-qualified in the collmine schema (created by CREATE EXTENSION
-- from collmine.control), and every operator in a function body is written so that it does not
-- depend on the caller's search_path.
COMMENT ON SCHEMA collmine IS 'collmine: process mining for invoice-to-cash';
