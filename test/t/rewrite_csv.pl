#!/usr/bin/perl
# test/t/rewrite_csv.pl: rewrite a CSV export as another tool would have written it, for
# test/t/41_load_roles.sh. Not a test itself (run-tests.sh runs only test/t/*.sh).
#
#   perl rewrite_csv.pl plain|messy IN OUT [COLUMN ...]
#
# Both modes first append " Ünïcødé Müller" and a line break with "zweite Zeile" to the first
# data row's value of each named COLUMN (a non-ASCII name and a memo with an embedded newline).
# plain keeps the column order, LF line ends and no byte order mark, so that a positional
# \copy loads it; messy writes a UTF-8 byte order mark, the header in upper case, the columns
# in reverse order with an extra column "ZZ_EXPORT_NOTE" second, and CRLF line ends.
# Unquoted empty fields stay unquoted (NULL for COPY), quoted ones stay quoted (empty string).
use strict;
use warnings;

my ($mode, $in, $out, @edit) = @ARGV;
die "usage: rewrite_csv.pl plain|messy IN OUT [COLUMN ...]\n" unless $mode && $mode =~ /^(plain|messy)$/ && $out;

open my $fh, '<:raw', $in or die "$in: $!\n";
my $text = do { local $/; <$fh> };
close $fh;

# records of [value, quoted] fields
my (@rows, @row);
pos($text) = 0;
while (pos($text) < length $text) {
    my ($v, $q);
    if ($text =~ /\G"((?:[^"]|"")*)"/gc) { ($v = $1) =~ s/""/"/g; $q = 1; }
    else { $text =~ /\G([^,\r\n]*)/gc; $v = $1; $q = 0; }
    push @row, [$v, $q];
    if ($text =~ /\G,/gc) { next; }
    $text =~ /\G(\r?\n)?/gc;
    push @rows, [@row];
    @row = ();
}
my @header = map { $_->[0] } @{ $rows[0] };
for my $col (@edit) {
    my ($i) = grep { $header[$_] eq $col } 0 .. $#header;
    die "$in: no column $col\n" unless defined $i;
    $rows[1][$i] = [$rows[1][$i][0] . " \xc3\x9cn\xc3\xafc\xc3\xb8d\xc3\xa9 M\xc3\xbcller\nzweite Zeile", 1];
}

my $eol = "\n";
if ($mode eq 'messy') {
    $eol = "\r\n";
    for my $r (0 .. $#rows) {
        my @f = reverse @{ $rows[$r] };
        splice @f, 1, 0, [$r == 0 ? 'ZZ_EXPORT_NOTE' : "note $r, kept out", 1];
        $f[$_][0] = uc $f[$_][0] for $r == 0 ? (0 .. $#f) : ();
        $rows[$r] = \@f;
    }
}
open my $oh, '>:raw', $out or die "$out: $!\n";
print $oh "\xef\xbb\xbf" if $mode eq 'messy';
for my $r (@rows) {
    print $oh join(',', map {
        my ($v, $q) = @$_;
        ($q || $v =~ /[",\r\n]/) ? '"' . ($v =~ s/"/""/gr) . '"' : $v;
    } @$r), $eol;
}
close $oh;
