#!/usr/bin/env bash
# test/pgbuild.sh: a PostgreSQL server of a major version that Debian stable does not ship,
# built once from Debian's source package and kept in a cache outside the repository.
#
#   test/pgbuild.sh 17       prints the path of pg_config of a cached build, building it if needed
#   test/pgbuild.sh 18
#
# Where the source comes from: Debian's source package postgresql-NN from the suite in
# CM_PG_SUITE_NN below (17: trixie, 18: sid), fetched with `apt-get source` through a PRIVATE,
# source-only apt configuration: its own sources list (deb-src only), its own state and cache
# directories. The system's apt sources and lists are never touched. The mirror is the one the
# machine's own apt sources use. Signatures are checked against the machine's
# /usr/share/keyrings/debian-archive-keyring.gpg (trixie and sid Release files are signed with keys
# it carries; when it is too old, the script downloads the current debian-archive-keyring package
# from Debian, checked against the machine's keyring, extracts its keyring into the cache (never
# installing it) and tries again; there is no unchecked fallback). apt also checks each downloaded
# file against the hashes in the signed Sources index.
#
# When the mirror answers 404 for the files of the version the index lists (it did for 17.12 in
# November 2026) but still serves an earlier point release of the same Debian revision, that one
# is used, checked the way dscverify checks a .dsc: the .dsc's signature against Debian's
# uploader keys (the debian-keyring package, installed when missing) and the tarball against the
# signed SHA-256 (pb_fetch_earlier). BUILD-INFO records which version was built and why.
#
# What is built: the upstream tarball inside the source package (postgresql-NN_X.Y.orig.tar.*),
# without Debian's patches, configured without ICU, readline and documentation; contrib only
# postgres_fdw (test/t/60_fdw_shards.sh). Built into $CM_PG_CACHE/pg-X.Y (default
# /var/cache/collmine), keyed by the exact version, under a lock, and renamed into place only when
# complete, so a half-built tree is never used and parallel checkouts build it once.
set -euo pipefail

CM_PG_CACHE=${CM_PG_CACHE:-/var/cache/collmine}
CM_PG_SUITE_17=trixie
CM_PG_SUITE_18=sid

pb_log() { printf '[pgbuild] %s\n' "$*" >&2; }
pb_die() { printf '[pgbuild] error: %s\n' "$*" >&2; exit 1; }

# The Debian mirror the machine's own apt sources use (deb822 first, then one-line format).
pb_mirror() {
    local uri=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
              /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' \
              /etc/apt/sources.list)
    fi
    [ -n "$uri" ] || pb_die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
    echo "${uri%/}"
}

# apt-get (or apt-cache, with PB_TOOL=apt-cache) with the private configuration in $PB_APT.
pb_apt_get() {
    "${PB_TOOL:-apt-get}" -q \
        -o Dir::Etc::SourceList="$PB_APT/sources.list" \
        -o Dir::Etc::SourceParts="$PB_APT/sources.list.d" \
        -o Dir::State="$PB_APT/state" \
        -o Dir::Cache="$PB_APT/cache" \
        -o Debug::NoLocking=1 \
        -o APT::Sandbox::User=root \
        "$@"
}

# Write the private source-only configuration and read the Sources index for one suite.
pb_apt_setup() {
    local suite=$1 mirror
    mirror=$(pb_mirror)
    PB_APT=$CM_PG_CACHE/apt-$suite
    mkdir -p "$PB_APT/sources.list.d" "$PB_APT/state/lists/partial" "$PB_APT/cache/archives/partial"
    # a keyring fetched by an earlier run (pb_keyring_update) holds the system's keys and newer ones
    [ -n "${PB_KEYRING:-}" ] || [ ! -f "$CM_PG_CACHE/keyring/debian-archive-keyring.gpg" ] || PB_KEYRING=$CM_PG_CACHE/keyring/debian-archive-keyring.gpg
    printf 'deb-src [signed-by=%s] %s %s main\n' "${PB_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}" \
        "$mirror" "$suite" > "$PB_APT/sources.list"
    if ! pb_apt_get update >"$PB_APT/update.log" 2>&1 || grep -qE '^(W|E):.*(NO_PUBKEY|not signed|invalid)' "$PB_APT/update.log"; then
        cat "$PB_APT/update.log" >&2
        pb_log "signature check failed: fetching the current debian-archive-keyring into the cache and retrying"
        pb_keyring_update
        printf 'deb-src [signed-by=%s] %s %s main\n' "$PB_KEYRING" "$mirror" "$suite" > "$PB_APT/sources.list"
        pb_apt_get update >"$PB_APT/update.log" 2>&1 || { cat "$PB_APT/update.log" >&2; pb_die "apt-get update for $suite failed"; }
        ! grep -qE '^(W|E):' "$PB_APT/update.log" || { cat "$PB_APT/update.log" >&2; pb_die "apt-get update for $suite: signature problem"; }
    fi
}

# A newer keyring: Debian's own package from the sid suite, itself checked against the current keyring.
pb_keyring_update() {
    local d; d=$(mktemp -d)
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s sid main\n' "$(pb_mirror)" > "$d/s.list"
    mkdir -p "$d/state/lists/partial" "$d/cache/archives/partial"
    apt-get -q -o Dir::Etc::SourceList="$d/s.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State="$d/state" -o Dir::Cache="$d/cache" update >&2
    (cd "$d" && apt-get -q -o Dir::Etc::SourceList="$d/s.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State="$d/state" -o Dir::Cache="$d/cache" download debian-archive-keyring >&2)
    # extracted into the cache, never installed: the system's keyring stays as it is
    mkdir -p "$CM_PG_CACHE/keyring"
    dpkg-deb -x "$d"/debian-archive-keyring_*.deb "$d/x"
    cp "$d/x/usr/share/keyrings/debian-archive-keyring.gpg" "$CM_PG_CACHE/keyring/"
    PB_KEYRING=$CM_PG_CACHE/keyring/debian-archive-keyring.gpg
    rm -rf "$d"
}

# The exact version of source package postgresql-NN in the suite, from the private index.
pb_version() {
    { PB_TOOL=apt-cache pb_apt_get showsrc "postgresql-$1" 2>/dev/null || true; } \
        | awk '/^Version:/ { print $2 }' | sort -V | tail -1
}

pb_need_tools() {
    local missing=""
    command -v bison >/dev/null || missing="$missing bison"
    command -v flex >/dev/null || missing="$missing flex"
    command -v gcc >/dev/null || missing="$missing gcc"
    command -v make >/dev/null || missing="$missing make"
    command -v perl >/dev/null || missing="$missing perl"
    command -v bzip2 >/dev/null || missing="$missing bzip2"   # the upstream tarball is .tar.bz2
    [ -f /usr/include/zlib.h ] || missing="$missing zlib1g-dev"
    [ -z "$missing" ] && return 0
    [ "$(id -u)" -eq 0 ] || pb_die "missing build tools:$missing (run: sudo apt-get install -y$missing)"
    pb_log "installing$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 || true; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; }
}

# The Directory field of source package postgresql-NN in the private index (its folder in the pool).
pb_pool_dir() {
    { PB_TOOL=apt-cache pb_apt_get showsrc "postgresql-$1" 2>/dev/null || true; } \
        | awk -v v="$2" '/^Version:/ { hit = ($2 == v) } hit && /^Directory:/ { print $2; exit }'
}

# The mirror keeps the files of earlier point releases in the pool for a while after the index
# moves on, and sometimes serves those while answering 404 for the release the index lists.
# Fetch the newest earlier point release (same Debian revision suffix, up to 6 back) into the
# current directory, trusted the way dscverify trusts a .dsc: its inline signature must verify
# against the machine's debian-keyring (the keys of Debian's uploaders, from Debian's own
# package, installed when missing), and each file must match the SHA-256 in the signed part.
# Prints the version fetched; status 3 when none could be had.
pb_fetch_earlier() {
    local major=$1 version=$2 upstream rev minor m v dir base signed f sum size
    upstream=${version%%-*}; rev=${version#"$upstream"}; minor=${upstream#*.}
    case "$minor" in ''|*[!0-9]*) return 3 ;; esac
    dir=$(pb_pool_dir "$major" "$version")
    [ -n "$dir" ] || return 3
    base="$(pb_mirror)/$dir"
    if [ ! -f /usr/share/keyrings/debian-keyring.gpg ]; then
        [ "$(id -u)" -eq 0 ] || { pb_log "debian-keyring is needed to check an earlier release (sudo apt-get install debian-keyring)"; return 3; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debian-keyring >/dev/null 2>&1 || return 3
    fi
    for m in $(seq $((minor - 1)) -1 $((minor > 6 ? minor - 6 : 0))); do
        v="$major.$m$rev"
        curl -sf -o "postgresql-${major}_$v.dsc" "$base/postgresql-${major}_$v.dsc" || continue
        signed="postgresql-${major}_$v.dsc.verified"
        if ! gpgv --keyring /usr/share/keyrings/debian-keyring.gpg --output "$signed" \
                "postgresql-${major}_$v.dsc" >/dev/null 2>&1; then
            pb_log "postgresql-${major}_$v.dsc: signature does not verify against debian-keyring; not used"
            continue
        fi
        # the upstream tarball named in the signed part, fetched and checked against its hash
        read -r sum size f < <(awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 }
                                     on && $3 ~ /\.orig\.tar\./ { print; exit }' "$signed")
        [ -n "${f:-}" ] || continue
        curl -sf -o "$f" "$base/$f" || continue
        if [ "$(sha256sum "$f" | cut -d' ' -f1)" != "$sum" ]; then
            pb_log "$f: SHA-256 differs from the signed .dsc; not used"; rm -f "$f"; continue
        fi
        pb_log "using postgresql-$major=$v: the mirror serves it, its .dsc is signed by a Debian uploader and the tarball matches"
        echo "$v"; return 0
    done
    return 3
}

# Fetch the source of version $2 of major $1 into the directory $3 (apt-get source, or an
# earlier point release when the mirror does not serve that one). Prints the version fetched.
pb_fetch() {
    local major=$1 version=$2 work=$3 v
    if (cd "$work" && pb_apt_get source --download-only "postgresql-$major=$version" >"$work/source.log" 2>&1); then
        echo "$version"; return 0
    fi
    grep -E '^(E|W|Err)' "$work/source.log" >&2 || cat "$work/source.log" >&2
    # The mirror lists the package but answers 404 for its files: an earlier point release, or
    # else the source cannot be had here (status 3, which `make test` reports as a skip); any
    # other failure is an error.
    grep -q '404' "$work/source.log" || pb_die "apt-get source postgresql-$major=$version failed"
    pb_log "the mirror does not serve the source of postgresql-$major=$version (404); trying earlier point releases"
    if v=$(cd "$work" && pb_fetch_earlier "$major" "$version"); then
        echo "$v"; return 0
    fi
    pb_log "no earlier point release of postgresql-$major could be fetched and checked"
    return 3
}

# Build the source fetched into $work (a fresh directory) for version $2 of major $1 into $3.
pb_build() {
    local major=$1 version=$2 prefix=$3 work=$4 tarball src
    tarball=$(ls "$work"/postgresql-"$major"_*.orig.tar.* | head -1)
    [ -f "$tarball" ] || pb_die "no upstream tarball in the source package postgresql-$major=$version"
    tar -C "$work" -xf "$tarball"
    src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'postgresql-*' | head -1)
    pb_log "building PostgreSQL $version in $src (log: $work/build.log)"
    (
        cd "$src"
        ./configure --prefix="$prefix" --without-icu --without-readline --with-zlib \
            --without-llvm --disable-nls CFLAGS="-O2" >"$work/build.log" 2>&1
        make -s -j"$(nproc)" >>"$work/build.log" 2>&1
        make -s install DESTDIR="$work/root" >>"$work/build.log" 2>&1
        make -s -C contrib/postgres_fdw install DESTDIR="$work/root" >>"$work/build.log" 2>&1
    ) || { tail -50 "$work/build.log" >&2; pb_die "building PostgreSQL $version failed (kept $work)"; }
    printf 'postgresql-%s %s from Debian suite %s%s, built %s\n' "$major" "$version" \
        "$(eval echo "\$CM_PG_SUITE_$major")" "${PB_FALLBACK_NOTE:-}" "$(date -u +%FT%TZ)" > "$work/root$prefix/BUILD-INFO"
    # installed under DESTDIR and moved into place whole: a cache entry is complete or absent
    rm -rf "$prefix"
    mv "$work/root$prefix" "$prefix"
    rm -rf "$work"
}

# Print pg_config of a cached build of major $1, building it first when the cache has none.
pb_ensure() {
    local major=$1 suite version final work rc
    suite=$(eval echo "\${CM_PG_SUITE_$major:-}")
    [ -n "$suite" ] || pb_die "no source suite known for PostgreSQL $major (known: 17, 18; 15 is Debian's package)"
    mkdir -p "$CM_PG_CACHE"
    exec 9>"$CM_PG_CACHE/.lock-$major"
    flock 9
    # A build already in the cache is used without asking the network (offline re-runs work).
    final=$(ls -d "$CM_PG_CACHE"/pg-"$major".*/BUILD-INFO 2>/dev/null | sort -V | tail -1 || true)
    final=${final%/BUILD-INFO}
    if [ -n "$final" ] && [ -f "$final/BUILD-INFO" ] && [ -z "${CM_PG_REFRESH:-}" ]; then
        echo "$final/bin/pg_config"; return 0
    fi
    pb_need_tools
    pb_apt_setup "$suite"
    version=$(pb_version "$major")
    [ -n "$version" ] || pb_die "source package postgresql-$major not found in suite $suite"
    final=$CM_PG_CACHE/pg-${version%%-*}
    if [ ! -f "$final/BUILD-INFO" ]; then
        work=$(mktemp -d "$CM_PG_CACHE/build-$major.XXXXXX")
        local listed=$version
        rc=0; version=$(pb_fetch "$major" "$version" "$work") || rc=$?
        [ "$rc" -eq 0 ] || { rm -rf "$work"; exit "$rc"; }
        [ "$version" = "$listed" ] || PB_FALLBACK_NOTE=" (which lists $listed, not served by the mirror; this earlier point release's .dsc verified against debian-keyring)"
        final=$CM_PG_CACHE/pg-${version%%-*}
        if [ -f "$final/BUILD-INFO" ]; then rm -rf "$work"; else pb_build "$major" "$version" "$final" "$work"; fi
    fi
    echo "$final/bin/pg_config"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    [ $# -eq 1 ] || { echo "usage: test/pgbuild.sh 17|18" >&2; exit 2; }
    pb_ensure "$1"
fi
