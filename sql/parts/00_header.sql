-- collmine install script, layer 0: shared conventions.
--
-- Every object is created schema-qualified in the collmine schema (created by CREATE EXTENSION
-- from collmine.control), and every operator in a function body is written so that it does not
-- depend on the caller's search_path.
COMMENT ON SCHEMA collmine IS 'collmine: process mining for invoice-to-cash';

-- Everyone who may use the database may use collmine's types and functions (functions are
-- executable by PUBLIC by default); without this only the installing role could reach them.
GRANT USAGE ON SCHEMA collmine TO PUBLIC;
