#!/usr/bin/env bash
# Every ```sql block in docs/*.md and README.md runs as written: each page's blocks run in
# order, in a fresh database with collmine installed, and any error fails the test.
# Blocks fenced as ```sql norun are shown to readers but not run (e.g. they need pg_cron).
# A page that continues another says so in a comment, <!-- doctest: after docs/kpis.md -->,
# and the blocks of those pages run first, in the same database.
set -euo pipefail
cd "$(dirname "$0")/../.."
status=0
# The runnable SQL of one page.
blocks() {
    awk '
        /^```sql[[:space:]]*$/ { inblock = 1; next }
        /^```/ && inblock      { inblock = 0; print ""; next }
        inblock                { print }
    ' "$1"
}

for page in README.md docs/*.md docs/*/*.md; do
    [ -f "$page" ] || continue
    prefix=""
    for before in $(sed -n 's/^<!-- doctest: after \(.*\) -->$/\1/p' "$page"); do
        prefix="$prefix
$(blocks "$before")"
    done
    script="$prefix
$(blocks "$page")"
    [ -n "$script" ] || continue
    db="doctest_$(echo "$page" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9\n' '_')"
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    # pages may show CREATE EXTENSION themselves; it is already installed here
    script=$(echo "$script" | sed 's/^CREATE EXTENSION collmine;/CREATE EXTENSION IF NOT EXISTS collmine;/')
    if out=$( { echo "CREATE EXTENSION collmine;"; echo "$script"; } | \
              psql -X -q -v ON_ERROR_STOP=1 -d "$db" 2>&1 >/dev/null); then
        echo "ok - $page"
    else
        echo "not ok - $page"
        echo "$out" | sed 's/^/    /' | head -20
        status=1
    fi
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
done
exit $status
