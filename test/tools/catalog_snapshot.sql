-- test/tools/catalog_snapshot.sql: everything the collmine extension defines, one line per fact,
-- in a stable order, so that two databases (a fresh install and an upgraded one) can be diffed.
-- Run with psql -X -At -f; the output does not depend on OIDs or creation order.
WITH members AS (
    SELECT d.classid, d.objid
    FROM pg_depend d
    WHERE d.refclassid = 'pg_extension'::regclass
      AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'collmine')
      AND d.deptype = 'e'
), described AS (
    SELECT m.classid, m.objid, pg_describe_object(m.classid, m.objid, 0) AS what
    FROM members m
)
SELECT line FROM (
    -- every member, with its comment
    SELECT what || ' | comment: ' || coalesce(obj_description(objid, (SELECT relname FROM pg_class WHERE oid = classid)), '<none>') AS line
    FROM described
    UNION ALL
    -- functions and procedures: the full definition (aggregates below)
    SELECT 'def ' || what || E'\n' || pg_get_functiondef(p.oid) || ' | acl ' || coalesce(p.proacl::text, '<default>')
    FROM described d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
    WHERE p.prokind <> 'a'
    UNION ALL
    -- aggregates: every support function and flag
    SELECT format('agg %s: trans %s state %s sspace %s final %s modify %s extra %s combine %s ser %s deser %s init %s minit %s kind %s parallel %s',
                  d.what, a.aggtransfn::regprocedure, a.aggtranstype::regtype, a.aggtransspace,
                  a.aggfinalfn, a.aggfinalmodify, a.aggfinalextra, a.aggcombinefn, a.aggserialfn,
                  a.aggdeserialfn, a.agginitval, a.aggminitval, a.aggkind, p.proparallel)
    FROM described d JOIN pg_aggregate a ON d.classid = 'pg_proc'::regclass AND a.aggfnoid = d.objid
    JOIN pg_proc p ON p.oid = a.aggfnoid
    UNION ALL
    -- types: storage properties and support functions
    SELECT format('type %s: len %s byval %s type %s category %s input %s output %s receive %s send %s typmod %s align %s storage %s analyze %s subscript %s',
                  d.what, t.typlen, t.typbyval, t.typtype, t.typcategory, t.typinput, t.typoutput,
                  t.typreceive, t.typsend, t.typmodin, t.typalign, t.typstorage, t.typanalyze,
                  CASE WHEN t.typsubscript = 0 THEN '-' ELSE t.typsubscript::regproc::text END)
    FROM described d JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
    UNION ALL
    -- columns of tables, views and composite types, in order
    SELECT format('column %s.%s #%s %s notnull %s default %s', c.oid::regclass, a.attname, a.attnum,
                  format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(ad.adbin, ad.adrelid))
    FROM described d
    JOIN pg_class c ON (d.classid = 'pg_class'::regclass AND c.oid = d.objid)
                    OR (d.classid = 'pg_type'::regclass AND c.reltype = d.objid)
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
    UNION ALL
    -- relations: kind, options, privileges, row security; views: their definition
    SELECT format('relation %s: kind %s options %s acl %s rls %s', c.oid::regclass, c.relkind, c.reloptions,
                  c.relacl, c.relrowsecurity)
           || CASE WHEN c.relkind IN ('v', 'm') THEN E'\n' || pg_get_viewdef(c.oid) ELSE '' END
    FROM described d JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
    UNION ALL
    -- constraints and indexes of extension tables
    SELECT format('constraint %s on %s: %s', co.conname, co.conrelid::regclass, pg_get_constraintdef(co.oid))
    FROM described d JOIN pg_constraint co ON d.classid = 'pg_class'::regclass AND co.conrelid = d.objid
    UNION ALL
    SELECT format('index on %s: %s', i.indrelid::regclass, regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \S+', 'CREATE \1INDEX'))
    FROM described d JOIN pg_index i ON d.classid = 'pg_class'::regclass AND i.indrelid = d.objid
    UNION ALL
    -- casts and operators
    SELECT format('cast %s -> %s via %s context %s method %s', ca.castsource::regtype, ca.casttarget::regtype,
                  ca.castfunc::regprocedure, ca.castcontext, ca.castmethod)
    FROM described d JOIN pg_cast ca ON d.classid = 'pg_cast'::regclass AND ca.oid = d.objid
    UNION ALL
    SELECT format('operator %s: proc %s commutator %s negator %s restrict %s join %s',
                  o.oid::regoperator, o.oprcode, o.oprcom::regoperator, o.oprnegate::regoperator, o.oprrest, o.oprjoin)
    FROM described d JOIN pg_operator o ON d.classid = 'pg_operator'::regclass AND o.oid = d.objid
    UNION ALL
    -- the schema's privileges
    SELECT 'schema collmine acl ' || coalesce(nspacl::text, '<default>') FROM pg_namespace WHERE nspname = 'collmine'
) s
ORDER BY line;

-- The contents of the extension's own tables (the connectors' staging definitions).
SELECT format('staging_columns %s', s) FROM collmine.staging_columns s ORDER BY 1;
