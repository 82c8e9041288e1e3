-- collmine install script, layer 0: shared conventions.
--
-- Every object is created schema-qualified in the collmine schema (created by CREATE EXTENSION
-- from collmine.control), and every operator in a function body is written so that it does not
-- depend on the caller's search_path.
COMMENT ON SCHEMA collmine IS 'collmine: process mining for invoice-to-cash';

-- Everyone who may use the database may use collmine's types and functions (functions are
-- executable by PUBLIC by default); without this only the installing role could reach them.
GRANT USAGE ON SCHEMA collmine TO PUBLIC;

-- Does a relation have this (live, user) column? Shared by every layer that takes column or
-- table names from its caller, so that each checks names the same way before building SQL.
CREATE FUNCTION collmine._has_column(rel regclass, col name)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_attribute a
                   WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attname OPERATOR(pg_catalog.=) col
                     AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped)
$$;

-- A relation's columns, quoted and comma-separated: the hint that follows an unknown column.
CREATE FUNCTION collmine._column_list(rel regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
    FROM pg_attribute a
    WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
$$;
