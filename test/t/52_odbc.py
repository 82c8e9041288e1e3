"""test/t/52_odbc.py: a BI client through ODBC (psqlODBC's Unicode driver via unixODBC, with
pyodbc as BI tools' Python connectors use it) reads every collmine dashboard view and its
materialized variant. It checks the column contract of docs/dashboards/*.md twice, as an ODBC
client sees it: the catalog (SQLColumns: names, in order, and type names) and the result set
(names, and the Python type of every value the driver delivers). The contract is the CONTRACT
table of test/t/51_psycopg2.py, read from that file (without running it), so that it exists
once. Run by test/t/52_odbc.sh as: 52_odbc.py DSN SCHEMA PATH_OF_51_psycopg2.py"""
import ast
import datetime
import decimal
import sys

import pyodbc

# what each contract type arrives as through psqlODBC (booleans as SQL_BIT: BoolsAsChar=0)
PYTYPE = {"text": str, "int8": int, "int4": int, "numeric": decimal.Decimal,
          "date": datetime.date, "bool": bool, "timestamptz": datetime.datetime, "float8": float}


def read_contract(path):
    """The CONTRACT literal of 51_psycopg2.py, without importing psycopg2 or running the file."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "CONTRACT" for t in node.targets):
            return ast.literal_eval(node.value)
    sys.exit("no CONTRACT table in %s" % path)


def main():
    dsn, schema, contract_file = sys.argv[1:4]
    contract = read_contract(contract_file)
    conn = pyodbc.connect("DSN=%s" % dsn, autocommit=True)
    failures = []
    cur = conn.cursor()
    names = [r[0] for r in cur.execute("SELECT unnest(collmine.dashboard_names())").fetchall()]
    if sorted(names) != sorted(contract):
        failures.append("dashboard names %r differ from the contract %r" % (names, sorted(contract)))
    for view in contract:
        want = list(contract[view])
        for rel in (view, view + "_mv"):
            # the catalog, as a BI tool lists a table's fields before it queries them
            cols = cur.columns(table=rel, schema=schema).fetchall()
            got = [(c.column_name, c.type_name) for c in sorted(cols, key=lambda c: c.ordinal_position)]
            if got != want:
                failures.append("%s: SQLColumns gives %r, expected %r" % (rel, got, want))
                continue
            # the result set
            rows = cur.execute('SELECT * FROM "%s"."%s"' % (schema, rel)).fetchall()
            got_names = [d[0] for d in cur.description]
            if got_names != [c for c, _ in want]:
                failures.append("%s: result columns %r, expected %r" % (rel, got_names, [c for c, _ in want]))
                continue
            if not rows:
                failures.append("%s: no rows on the test log" % rel)
            for row in rows:
                for value, (col, t) in zip(row, want):
                    if value is not None and not isinstance(value, PYTYPE[t]):
                        failures.append("%s.%s: %r is %s, expected %s" % (rel, col, value, type(value).__name__, PYTYPE[t].__name__))
            print("ok - ODBC %s.%s: %d columns with their documented names and types, %d rows" % (schema, rel, len(got), len(rows)))
    # one value a BI tool would show: the January EUR DSO of the hand-made log (29.76)
    dso = cur.execute('SELECT round(dso, 2) FROM "%s".invoice_to_cash_overview_mv '
                      "WHERE month = ? AND currency = 'EUR'" % schema, datetime.date(2024, 1, 1)).fetchone()[0]
    if dso != decimal.Decimal("29.76"):
        failures.append("January EUR DSO is %r, expected 29.76" % dso)
    conn.close()
    for f in failures:
        print("not ok - " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
