#!/usr/bin/env bash
# test/t/80_meta.sh: META.json is a valid PGXN distribution description (META spec 1.0.0,
# https://pgxn.org/spec/): well-formed JSON, every required key with a value of the right form,
# a license the spec knows, semantic versions, and versions that agree with collmine.control.
# Debian has no package of PGXN::Meta::Validator, so the spec's rules for the keys collmine uses
# are checked here with core Perl (JSON::PP).
set -euo pipefail
cd "$(dirname "$0")/../.."
perl -MJSON::PP -e '
    my $fail = 0;
    sub check { my ($ok, $what) = @_; print(($ok ? "ok" : "not ok"), " - META.json: $what\n"); $fail++ unless $ok; }
    open my $fh, "<", "META.json" or die "META.json: $!";
    my $meta = eval { JSON::PP->new->decode(do { local $/; <$fh> }) };
    check(ref $meta eq "HASH", "is a JSON object") or exit 1;
    open my $cf, "<", "collmine.control" or die;
    my ($control) = map { /^default_version = .(.*).$/ ? $1 : () } <$cf>;
    my $semver = qr/^\d+\.\d+\.\d+(?:-[0-9A-Za-z-]+)?$/;
    my %licenses = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd
        freebsd gfdl_1_2 gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1
        openssl perl_5 postgresql qpl_1_0 ssleay sun zlib open_source restricted unrestricted unknown);
    check(($meta->{name} // "") =~ /^[A-Za-z][A-Za-z0-9_-]*$/, "name is a valid distribution name");
    check(length($meta->{abstract} // ""), "abstract is set");
    check(($meta->{version} // "") =~ $semver, "version is a semantic version");
    check(($meta->{version} // "") eq $control, "version equals collmine.control default_version ($control)");
    check(ref $meta->{maintainer} eq "ARRAY" ? @{$meta->{maintainer}} > 0 : length($meta->{maintainer} // ""), "maintainer is set");
    check(!ref $meta->{license} ? $licenses{$meta->{license} // ""} : ref $meta->{license} eq "HASH", "license is one the spec knows");
    check(($meta->{"meta-spec"}{version} // "") eq "1.0.0", "meta-spec version is 1.0.0");
    my $p = $meta->{provides}{collmine};
    check(ref $p eq "HASH", "provides the collmine extension");
    check(($p->{version} // "") eq $control, "provides collmine version $control");
    check(length($p->{file} // "") && ($p->{file} eq "sql/collmine--$control.sql" || -f $p->{file}), "provides.file exists or is the generated install script");
    check(!defined $p->{docfile} || -f $p->{docfile}, "provides.docfile exists");
    check(!defined $meta->{release_status} || $meta->{release_status} =~ /^(stable|testing|unstable)$/, "release_status is stable, testing or unstable");
    my $req = $meta->{prereqs}{runtime}{requires}{PostgreSQL};
    check(defined $req && $req =~ $semver, "requires a PostgreSQL version (semantic)");
    exit($fail ? 1 : 0);
'
