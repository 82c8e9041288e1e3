-- Every public object of collmine (a function, aggregate, type, table or view whose name does not
-- start with "_") has a COMMENT: \df+ and \dT+ and every client that reads pg_description show
-- what it is. The expected output is no rows; a new public object without COMMENT ON shows up here.
SELECT pg_describe_object(d.classid, d.objid, 0) AS uncommented
FROM pg_depend d
LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
LEFT JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'collmine')
  AND d.deptype = 'e'
  AND d.classid IN ('pg_proc'::regclass, 'pg_type'::regclass, 'pg_class'::regclass)
  AND coalesce(p.proname, t.typname, c.relname) NOT LIKE '\_%'
  -- a table's row type is described by the table's comment (18 lists it as a member, 15 does not)
  AND NOT (t.typrelid <> 0 AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) <> 'c')
  AND obj_description(d.objid, d.classid::regclass::text) IS NULL
ORDER BY 1;
