#!/usr/bin/env bash
# test/citus-lib.sh: Citus for collmine's scale-out test and benchmark (sourced after test/pg.sh).
#
# Citus is not packaged for Debian bookworm and is never copied into this repository. Its source
# (and the one patch Debian's PostgreSQL 15 needs) comes from a vendor directory beside the
# checkout: $CM_CITUS_VENDOR, default ../shared/vendor/citus relative to the repository. It is
# built once per (source, patch, server version) into a cache directory OUTSIDE the repository
# that survives fresh clones, and reused from there:
#     ${CM_CITUS_CACHE:-/var/cache/collmine}/citus-13.2.2-pg15-<hash>/root
# (falling back to ~/.cache/collmine when /var/cache is not writable). The hash covers the
# tarball, the patch and `pg_config --version`, so a changed patch or server rebuilds.
#
#   cm_citus_vendor      prints the vendor directory, or fails when it is absent
#   cm_citus_build       builds into the cache unless it is already there; prints the cache dir
#   cm_citus_install     copies the cached build into the staged server root ($CM_ROOT)
#   cm_citus_stage       all of the above, plus a run directory and the staged server
#   cm_citus_start N..   starts clusters N.. with shared_preload_libraries = citus
#   cm_citus_node DB N   creates the citus extension in DB on node N (before it joins)
#   cm_citus_cluster DB C W..  creates DB with citus+collmine on coordinator C and workers W..
set -euo pipefail

CM_CITUS_VERSION=13.2.2

cm_citus_vendor() {
    local d=${CM_CITUS_VENDOR:-$CM_TOP/../shared/vendor/citus}
    [ -f "$d/citus-$CM_CITUS_VERSION.tar.gz" ] || return 1
    (cd "$d" && pwd)
}

# The cache directory for this source, patch and server.
cm_citus_cachedir() {
    local vendor=$1 base hash
    hash=$( { cat "$vendor/citus-$CM_CITUS_VERSION.tar.gz" "$vendor"/*.patch; "$PG_CONFIG" --version; } |
            sha256sum | cut -c1-12)
    base=${CM_CITUS_CACHE:-/var/cache/collmine}
    if ! mkdir -p "$base" 2>/dev/null || [ ! -w "$base" ]; then base=${XDG_CACHE_HOME:-$HOME/.cache}/collmine; mkdir -p "$base"; fi
    echo "$base/citus-$CM_CITUS_VERSION-pg$CM_PGMAJOR-$hash"
}

# Build Citus into the cache (once; a lock keeps concurrent runs from building twice).
cm_citus_build() {
    local vendor cache src log missing p
    vendor=$(cm_citus_vendor) || cm_die "no Citus source in ${CM_CITUS_VENDOR:-../shared/vendor/citus}"
    cache=$(cm_citus_cachedir "$vendor")
    exec 9>"$cache.lock"
    flock 9
    if [ -f "$cache/root/.complete" ]; then
        flock -u 9; echo "$cache"; return 0
    fi
    cm_log "building Citus $CM_CITUS_VERSION into $cache (once; about 5 minutes on 2 cores)"
    # the libraries Citus's configure looks for (the recipe in the vendor README)
    missing=$(for p in libzstd-dev liblz4-dev libkrb5-dev libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev; do
                  dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
    [ -z "$missing" ] || cm_apt $missing
    rm -rf "$cache.build"; mkdir -p "$cache.build"
    src=$cache.build/citus-$CM_CITUS_VERSION; log=$cache.build/build.log
    tar -xzf "$vendor/citus-$CM_CITUS_VERSION.tar.gz" -C "$cache.build"
    for p in "$vendor"/*.patch; do (cd "$src" && patch -s -p1 < "$p"); done
    # with_llvm=no: no JIT bitcode, which halves the build and which the tests never use
    if ! (cd "$src" && ./configure --without-libcurl PG_CONFIG="$PG_CONFIG" && make -j"$(nproc)" with_llvm=no &&
          make install with_llvm=no DESTDIR="$cache.build/root") >"$log" 2>&1; then
        tail -40 "$log" >&2; flock -u 9; cm_die "Citus build failed (log: $log)"
    fi
    rm -rf "$cache"; mkdir -p "$cache"
    mv "$cache.build/root" "$cache/root"; mv "$log" "$cache/build.log"
    touch "$cache/root/.complete"
    rm -rf "$cache.build"
    flock -u 9
    echo "$cache"
}

# Copy the cached build's library and extension files into the staged server (as cm_add_extension
# does for packaged extensions).
cm_citus_install() {
    local cache=$1 sharedir pkglibdir
    sharedir=$("$PG_CONFIG" --sharedir); pkglibdir=$("$PG_CONFIG" --pkglibdir)
    cp -a "$cache/root$pkglibdir/." "$CM_ROOT$pkglibdir/"
    cp -a "$cache/root$sharedir/extension/." "$CM_ROOT$sharedir/extension/"
}

# Everything before the clusters start: headers, the cached Citus build, a run directory that
# is removed on exit, and the staged server with collmine, Citus and auto_explain in it.
cm_citus_stage() {
    local cache
    cm_ensure_headers
    cache=$(cm_citus_build)
    cm_rundir
    trap cm_cleanup EXIT
    cm_stage
    cm_citus_install "$cache"
    cm_add_extension auto_explain
}

# Start clusters with Citus preloaded. Nodes reach each other over the private Unix socket
# directory ($CM_RUN) and their distinct ports; SSL does not apply to Unix sockets. A node that
# connects to itself (Citus does so for some plans, e.g. a query over an intermediate result
# that it cannot run locally) uses citus.local_hostname, by default localhost over TCP, where
# these servers do not listen: it is the socket directory here.
cm_citus_start() {
    local n
    for n in "$@"; do
        CM_CONF="shared_preload_libraries = 'citus'
citus.node_conninfo = 'sslmode=disable'
citus.local_hostname = '$CM_RUN'
max_connections = 200
${CM_CITUS_CONF:-}" cm_start "$n"
    done
}

# Database $1 on node $2 with the citus extension (before the node joins a cluster).
cm_citus_node() {
    local db=$1 n=$2
    if [ "$db" != postgres ]; then
        "$CM_BIN/psql" -X -q -h "$CM_RUN" -U postgres -p $((5440 + n)) -d postgres -c "CREATE DATABASE $db" >/dev/null
    fi
    "$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CM_RUN" -U postgres -p $((5440 + n)) -d "$db" \
        -c "SET client_min_messages = warning" -c "CREATE EXTENSION citus" >/dev/null
}

# In database $1: Citus on every node, node $2 the coordinator, the rest workers, then collmine
# created once on the coordinator (Citus propagates CREATE EXTENSION to the workers, and to
# workers added later).
cm_citus_cluster() {
    local db=$1 coord=$2 n
    shift 2
    for n in "$coord" "$@"; do cm_citus_node "$db" "$n"; done
    {
        echo "SET client_min_messages = warning;"
        echo "SELECT citus_set_coordinator_host('$CM_RUN', $((5440 + coord)));"
        for n in "$@"; do echo "SELECT citus_add_node('$CM_RUN', $((5440 + n)));"; done
        echo "CREATE EXTENSION collmine;"
    } | "$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CM_RUN" -U postgres -p $((5440 + coord)) -d "$db" >/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    . "$(cd "$(dirname "$0")" && pwd)/pg.sh"
    case "${1:-}" in
        build) cm_ensure_headers; cm_citus_build ;;
        *) echo "usage: test/citus-lib.sh build" >&2; exit 2 ;;
    esac
fi
