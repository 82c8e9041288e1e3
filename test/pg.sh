#!/usr/bin/env bash
# test/pg.sh: the throwaway-PostgreSQL toolkit behind `make test`, `make demo` and `make bench`.
#
# Sourced by the other scripts (or run as `test/pg.sh ensure-headers`). It
#   - installs Debian's server headers when they are missing (as root; otherwise says how),
#   - stages a private copy of the server with collmine installed into it, so tests never write
#     to system directories and several checkouts can test at once,
#   - starts a cluster on a private Unix socket (no TCP), as an unprivileged user when invoked
#     as root, because PostgreSQL refuses to run as root,
#   - and always stops and removes it again (callers trap cm_cleanup).
set -euo pipefail

CM_TOP=${CM_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# Which server: PG_CONFIG when given; else PG=NN (15: Debian's package; 17, 18: a build from
# Debian's source package kept in a cache outside the repository, test/pgbuild.sh); else 15.
if [ -z "${PG_CONFIG:-}" ]; then
    case "${PG:-15}" in
        15) PG_CONFIG=$(ls /usr/lib/postgresql/15/bin/pg_config 2>/dev/null || command -v pg_config || true) ;;
        *)  PG_CONFIG=$(bash "$CM_TOP/test/pgbuild.sh" "$PG") || exit $? ;;
    esac
fi
export PG_CONFIG
# The major version of that server (Debian package names, pg_cron availability).
CM_PGMAJOR=${CM_PGMAJOR:-$( { "$PG_CONFIG" --version 2>/dev/null || echo "x ${PG:-15}"; } | sed -E 's/^[^0-9]*([0-9]+).*/\1/')}

cm_log() { printf '[collmine] %s\n' "$*" >&2; }
cm_die() { printf '[collmine] error: %s\n' "$*" >&2; exit 1; }

# Install one or more Debian packages when running as root; otherwise explain what to run.
cm_apt() {
    if [ "$(id -u)" -ne 0 ]; then
        cm_die "missing package(s): $* (run: sudo apt-get install -y $*)"
    fi
    cm_log "installing $* from Debian's packages"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || cm_die "apt-get install $* failed"
    fi
}

# The server headers and PGXS come from postgresql-server-dev-NN.
cm_ensure_headers() {
    [ -n "$PG_CONFIG" ] || cm_die "no pg_config found: install postgresql-$CM_PGMAJOR"
    if [ ! -f "$("$PG_CONFIG" --includedir-server)/postgres.h" ]; then
        cm_apt "postgresql-server-dev-$CM_PGMAJOR"
    fi
    command -v make >/dev/null && command -v gcc >/dev/null || cm_apt make gcc
}

# Build, then stage a relocated server copy under $CM_RUN/root with collmine installed in it.
# PostgreSQL finds share/ and lib/ relative to its own binary, so a copied tree is self-contained.
cm_stage() {
    local bindir sharedir pkglibdir built_for
    # Objects compiled against another server's headers must not be linked into this one.
    built_for="$PG_CONFIG $("$PG_CONFIG" --version)"
    if [ "$(cat "$CM_TOP/build/built-for" 2>/dev/null || true)" != "$built_for" ]; then
        make -s -C "$CM_TOP" PG_CONFIG="$PG_CONFIG" clean >/dev/null
        mkdir -p "$CM_TOP/build"; echo "$built_for" > "$CM_TOP/build/built-for"
    fi
    make -s -C "$CM_TOP" PG_CONFIG="$PG_CONFIG" >/dev/null
    bindir=$("$PG_CONFIG" --bindir); sharedir=$("$PG_CONFIG" --sharedir); pkglibdir=$("$PG_CONFIG" --pkglibdir)
    CM_ROOT=$CM_RUN/root
    mkdir -p "$CM_ROOT$(dirname "$bindir")" "$CM_ROOT$(dirname "$sharedir")" "$CM_ROOT$(dirname "$pkglibdir")"
    cp -a "$(dirname "$bindir")/." "$CM_ROOT$(dirname "$bindir")/"
    cp -a "$sharedir" "$CM_ROOT$(dirname "$sharedir")/"
    [ -d "$CM_ROOT$pkglibdir" ] || cp -a "$pkglibdir" "$CM_ROOT$(dirname "$pkglibdir")/"
    # extra extensions a test needs (pg_cron, postgres_fdw) are copied in by cm_add_extension
    make -s -C "$CM_TOP" PG_CONFIG="$PG_CONFIG" install DESTDIR="$CM_ROOT" >/dev/null
    CM_BIN=$CM_ROOT$bindir
    # scripts that call plain psql get the client of the server under test
    PATH=$CM_BIN:$PATH
    export CM_BIN CM_ROOT PATH
}

# Copy another installed extension (its control, scripts and library) into the staged root.
cm_add_extension() {
    local name=$1 sharedir pkglibdir
    sharedir=$("$PG_CONFIG" --sharedir); pkglibdir=$("$PG_CONFIG" --pkglibdir)
    cp -a "$sharedir/extension/$name"* "$CM_ROOT$sharedir/extension/" 2>/dev/null || true
    cp -a "$pkglibdir/$name"* "$CM_ROOT$pkglibdir/" 2>/dev/null || true
}

# A private run directory, readable by the unprivileged cluster user.
cm_rundir() {
    CM_RUN=$(mktemp -d "${TMPDIR:-/tmp}/collmine-run.XXXXXX")
    chmod 755 "$CM_RUN"
    export CM_RUN
}

# Who runs the server: ourselves, or an unprivileged account when we are root.
cm_server_user() {
    if [ "$(id -u)" -ne 0 ]; then id -un; return; fi
    if id postgres >/dev/null 2>&1; then echo postgres; return; fi
    id collmine >/dev/null 2>&1 || useradd --system --no-create-home collmine
    echo collmine
}

cm_as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && su -s /bin/bash "$CM_USER" -c "$*")
    else
        bash -c "$*"
    fi
}

# Sanitizer reports (make SANITIZE=1 test: see src/sanitize.c) and crashed backends in the logs of
# every cluster started so far; nothing when there are none.
cm_sanitizer_reports() {
    grep -h -A20 -E '==[0-9]+==|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer|server process .* (was terminated by signal|exited with exit code)' \
        "$CM_RUN"/server*.log 2>/dev/null | head -200 || true
}

# Start cluster number $1 (default 1) in $CM_RUN/dataN, socket in $CM_RUN, port 5440+N.
# Extra postgresql.conf lines may be passed in $CM_CONF.
cm_start() {
    local n=${1:-1} data port
    data=$CM_RUN/data$n; port=$((5440 + n))
    CM_USER=$(cm_server_user); export CM_USER
    mkdir -p "$data"; chown "$CM_USER" "$data" "$CM_RUN"
    cm_as_server_user "'$CM_BIN/initdb' -D '$data' -A trust -U postgres --encoding=UTF8 --locale=C >'$CM_RUN/initdb$n.log' 2>&1" \
        || { cat "$CM_RUN/initdb$n.log" >&2; cm_die "initdb failed"; }
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$CM_RUN'"
        echo "port = $port"
        echo "fsync = off"
        echo "max_worker_processes = 16"
        echo "timezone = 'UTC'"
        printf '%s\n' "${CM_CONF:-}"
    } >> "$data/postgresql.conf"
    cm_as_server_user "'$CM_BIN/pg_ctl' -D '$data' -l '$CM_RUN/server$n.log' -w -t 60 start >/dev/null" \
        || { cat "$CM_RUN/server$n.log" >&2; cm_die "server $n did not start"; }
    CM_STARTED="${CM_STARTED:-} $n"
    export PGHOST=$CM_RUN PGUSER=postgres
    [ "$n" = 1 ] && export PGPORT=$port
    return 0
}

# Stop every cluster we started and remove the run directory; safe to call twice.
cm_cleanup() {
    local n
    [ -n "${CM_RUN:-}" ] && [ -d "$CM_RUN" ] || return 0
    for n in ${CM_STARTED:-}; do
        cm_as_server_user "'$CM_BIN/pg_ctl' -D '$CM_RUN/data$n' -m immediate -w stop >/dev/null 2>&1" || true
    done
    CM_STARTED=
    if [ -n "${CM_KEEP:-}" ]; then cm_log "kept $CM_RUN (CM_KEEP set)"; else rm -rf "$CM_RUN"; fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    case "${1:-}" in
        ensure-headers) cm_ensure_headers ;;
        *) echo "usage: test/pg.sh ensure-headers" >&2; exit 2 ;;
    esac
fi
