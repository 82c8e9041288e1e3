#!/usr/bin/perl
# test/gen/erpgen.pl: deterministic generator of synthetic ERP exports for collmine.
#
# Writes the CSV exports that the collmine connectors read (NetSuite SuiteQL tables, Dynamics 365
# Finance & Operations tables, Business Central tables) for an invoice-to-cash process with
# customer segments that pay differently, dunning levels, calls, disputes (some reopened), partial
# payments, payments applied to two invoices, credit memos, write-offs, several subsidiaries and
# currencies. It streams customer by customer, so it can write millions of invoices in constant
# memory, and it prints its ground truth: what a correct connector must derive from the files.
#
# Only core Perl (present wherever postgresql-common is): no modules to install.
# Usage and options: test/gen/README.md, or perl test/gen/erpgen.pl --help.
use strict;
use warnings;
use Getopt::Long;
use POSIX qw(floor strftime);

my %opt = (source => 'netsuite', invoices => 1000, seed => 1, out => '.', start => '2024-01-01',
           end => '2025-06-30', truth => '', dirty => 0, realistic => 0, 'event-truth' => '', 'per-customer' => 25);
GetOptions(\%opt, 'source=s', 'invoices=i', 'seed=i', 'out=s', 'start=s', 'end=s', 'truth=s', 'dirty!', 'realistic!',
           'event-truth=s', 'per-customer=i', 'help')
    or die "erpgen: bad options (see --help)\n";
if ($opt{help}) {
    print "usage: perl test/gen/erpgen.pl --source netsuite|d365fo|d365bc --invoices N --seed S --out DIR\n",
          "                              [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--truth FILE|-] [--dirty]\n",
          "                              [--realistic [--event-truth DIR]]   (netsuite only: real SuiteQL export shape)\n",
          "                              [--per-customer N]   (invoices per customer, default 25)\n";
    exit 0;
}
my $SRC = $opt{source};
die "erpgen: --source must be netsuite, d365fo or d365bc\n" unless $SRC =~ /^(netsuite|d365fo|d365bc)$/;
die "erpgen: --invoices must be at least 1\n" if $opt{invoices} < 1;
# --realistic: the NetSuite files look like real SuiteQL exports (see test/gen/README.md); without it
# every file is byte for byte what earlier versions wrote (the bundled sample, make bench).
my $R = $opt{realistic} ? 1 : 0;
die "erpgen: --realistic is implemented for --source netsuite only\n" if $R && $SRC ne 'netsuite';
die "erpgen: --event-truth needs --realistic\n" if $opt{'event-truth'} ne '' && !$R;
srand($opt{seed});    # Perl >= 5.20 has its own drand48: the same sequence on every platform

use constant DAY => 86400;
$ENV{TZ} = "UTC"; POSIX::tzset();
sub parse_day { my ($y, $m, $d) = $_[0] =~ /^(\d{4})-(\d\d)-(\d\d)$/ or die "erpgen: bad date $_[0]\n";
                return POSIX::mktime(0, 0, 0, $d, $m - 1, $y - 1900); }
my $START = parse_day($opt{start});
my $ASOF  = parse_day($opt{end}) + DAY - 60;       # the extraction time: end day, 23:59
my $SPAN  = floor(($ASOF - $START) / DAY) - 5;

# ---- random helpers -------------------------------------------------------------------------
sub rnd { return rand(); }
sub ri { my ($lo, $hi) = @_; return $lo + floor(rnd() * ($hi - $lo + 1)); }
sub chance { return rnd() < $_[0]; }
sub pick { my @w = @_; my $r = rnd(); my $acc = 0;
           for (my $i = 0; $i < @w; $i++) { $acc += $w[$i]; return $i if $r < $acc; } return $#w; }
sub day_of { return $_[0] - ($_[0] % DAY); }
sub minute_in_day { my ($day, $h1, $h2) = @_; return $day + ri($h1 * 60, $h2 * 60 - 1) * 60; }

# ---- formats per source ---------------------------------------------------------------------
sub iso_date { return strftime('%Y-%m-%d', gmtime($_[0])); }
sub iso_ts   { return strftime('%Y-%m-%dT%H:%M:%SZ', gmtime($_[0])); }
sub ns_date  { my @g = gmtime($_[0]); return sprintf('%d/%d/%d', $g[4] + 1, $g[3], $g[5] + 1900); }
sub ns_ts    { my @g = gmtime($_[0]); my $h = $g[2] % 12; $h = 12 if $h == 0;
               return sprintf('%d/%d/%d %d:%02d %s', $g[4] + 1, $g[3], $g[5] + 1900, $h, $g[1], $g[2] < 12 ? 'am' : 'pm'); }
sub money { my $c = shift; my $s = $c < 0 ? '-' : ''; $c = abs($c); return sprintf('%s%d.%02d', $s, int($c / 100), $c % 100); }
my $EOL = $R ? "\r\n" : "\n";    # real NetSuite CSV exports end lines with CRLF
sub csv { return join(',', map { my $v = defined $_ ? $_ : ''; $v =~ /[",\r\n]/ ? do { (my $q = $v) =~ s/"/""/g; "\"$q\"" } : $v } @_) . $EOL; }

# The time granularity each source exports for each kind of moment: dates become midnight.
my %is_date = (
    netsuite => { gen => 0, doc => 1, applied => 0, reminder => 0, dispute => 0, call => 0, clreq => 0, clapp => 0 },
    d365fo   => { gen => 1, doc => 1, applied => 1, reminder => 1, dispute => 0, call => 0, clreq => 0, clapp => 1 },
    d365bc   => { gen => 1, doc => 1, applied => 1, reminder => 1, dispute => 0, call => 0, clreq => 0, clapp => 0 },
);
sub st { my ($kind, $t) = @_; return $is_date{$SRC}{$kind} ? day_of($t) : $t; }
my %has = (
    netsuite => { sent => 1, calls => 1, cust_calls => 1, clreq => 1, clapp => 1 },
    d365fo   => { sent => 0, calls => 1, cust_calls => 0, clreq => 1, clapp => 1 },
    d365bc   => { sent => 0, calls => 0, cust_calls => 0, clreq => 0, clapp => 1 },
);

# ---- reference data -------------------------------------------------------------------------
my @SUBS = ( { id => 1, name => 'Collmine US Inc.', country => 'US', cur => 'USD', fo => 'usmf', weight => 0.5 },
             { id => 2, name => 'Collmine UK Ltd',  country => 'GB', cur => 'GBP', fo => 'gbsi', weight => 0.3 },
             { id => 3, name => 'Collmine GmbH',    country => 'DE', cur => 'EUR', fo => 'demf', weight => 0.2 } );
my @TERMS = ( { id => 1, name => 'Net 30', days => 30, w => 0.6 }, { id => 2, name => 'Net 45', days => 45, w => 0.25 },
              { id => 3, name => 'Net 60', days => 60, w => 0.15 } );
# segment: share of customers, payment delay after the due date (days), posting lag (days)
my @SEG = ( { name => 'Prompt',   w => 0.35, lo => -15, hi => -1, lag => 1 },
            { name => 'Standard', w => 0.35, lo => -6,  hi => 12, lag => 2 },
            { name => 'Slow',     w => 0.20, lo => 5,   hi => 50, lag => 3 },
            { name => 'Risky',    w => 0.10, lo => 25,  hi => 95, lag => 4 } );
my @REASONS = ('Pricing', 'Quantity', 'Damaged goods', 'Not ordered', 'Duplicate billing');
my @USERS = ('101', '102', '103', '104');       # collectors / AR clerks (employee ids)
# --realistic: company names as real customers have them (UTF-8, commas, quotes)
my @NAMES = ('Müller & Söhne GmbH', 'Société Lyonnaise d\'Équipement', 'Łódź Logistyka Sp. z o.o.', 'Ørsted Handel A/S',
             'São Paulo Comércio Ltda', '北京贸易有限公司', 'Smith, Jones & "Partners" LLC', 'Zürich Präzision AG',
             'Čapek strojírna s.r.o.', 'Þórsson ehf.', 'Acme Corp', 'Ελληνικά Τρόφιμα Α.Ε.');

# ---- output files ---------------------------------------------------------------------------
my %fh;
my %TABLES = (
    netsuite => {
        transaction => [qw(id tranid type trandate createddate duedate closedate entity status foreigntotal foreignamountpaid foreignamountunpaid currency postingperiod posting createdby terms memo custbody_3805_dunning_procedure custbody_3805_dunning_level custbody_3805_dunning_manager custbody_3805_last_dunning_letter_sent)],
        transactionline => [qw(transaction id mainline subsidiary entity foreignamount)],
        nexttransactionlinelink => [qw(previousdoc previousline previoustype nextdoc nextline nexttype linktype foreignamount lastmodifieddate)],
        systemnote => [qw(id date recordtypeid recordid field oldvalue newvalue name context)],
        phonecall => [qw(id title startdate completeddate createddate status assigned owner company transaction)],
        message => [qw(id author recipient messagedate subject isemailed messagetype transaction)],
        customer => [qw(id entityid companyname category creditlimit terms subsidiary salesrep)],
        term => [qw(id name daysuntilnetdue)],
        subsidiary => [qw(id name country)],
        customrecord_3805_dunning_eval_result => [qw(id custrecord_3805_evaluation_result_cust custrecord_3805_eval_result_status custrecord_3805_eval_result_letter_type custrecord_3805_eval_result_invoice_list created)],
    },
    d365fo => {
        CustTrans => [qw(DataAreaId RecId AccountNum Invoice Voucher TransDate DocumentDate DueDate Closed AmountCur SettleAmountCur CurrencyCode TransType LastSettleDate PaymTermId ReasonRefRecId CreatedBy)],
        CustSettlement => [qw(DataAreaId RecId TransRecId OffsetRecid OffsetTransVoucher TransDate SettleAmountCur DueDate)],
        CustCollectionLetterJour => [qw(DataAreaId CollectionLetterNum AccountNum CollectionLetterCode CollectionLetterDate PrintDate Status CreatedBy)],
        CustCollectionLetterTrans => [qw(DataAreaId RecId CollectionLetterNum CustTransId Invoice DueDate RemainAmount)],
        CustDisputeHistory => [qw(DataAreaId RecId CustTrans Status CreatedDateTime ReasonTableRef ResponsibleWorker CreatedBy)],
        smmActivities => [qw(DataAreaId ActivityNumber TypeId Purpose StartDateTime ActualEndDateTime ResponsibleWorker Closed)],
        CustCollectionsLinkTable => [qw(DataAreaId ActivityNumber EntityType RefRecId)],
        CredManCreditLimitAdjTable => [qw(DataAreaId JournalId Status Posted PostedDate CreatedDateTime CreatedBy)],
        CredManCreditLimitAdjTrans => [qw(DataAreaId JournalId CustAccount CreditMax CreditMaxNew)],
        CustTable => [qw(DataAreaId AccountNum CustGroup SegmentId CreditMax PaymTermId PartyCountry)],
        PaymTerm => [qw(DataAreaId PaymTermId NumOfDays)],
    },
    d365bc => {
        'Cust. Ledger Entry' => ['Entry No.', 'Customer No.', 'Posting Date', 'Document Date', 'Document Type', 'Document No.', 'Due Date', 'Open', 'Closed at Date', 'Closed by Entry No.', 'Last Issued Reminder Level', 'Dispute Status', 'Reason Code', 'User ID', 'Currency Code', 'Amount', 'Remaining Amount', 'Global Dimension 1 Code', 'Salesperson Code'],
        'Detailed Cust. Ledg. Entry' => ['Entry No.', 'Cust. Ledger Entry No.', 'Entry Type', 'Posting Date', 'Document Type', 'Document No.', 'Amount', 'Applied Cust. Ledger Entry No.', 'Unapplied', 'User ID', 'Customer No.', 'Currency Code'],
        'Issued Reminder Header' => ['No.', 'Customer No.', 'Posting Date', 'Reminder Level', 'User ID'],
        'Issued Reminder Line' => ['Reminder No.', 'Line No.', 'Entry No.', 'Document Type', 'Document No.'],
        'Change Log Entry' => ['Entry No.', 'Date and Time', 'User ID', 'Table No.', 'Field No.', 'Field Caption', 'Primary Key Field 1 Value', 'Old Value', 'New Value', 'Type of Change'],
        'Customer' => ['No.', 'Name', 'Customer Posting Group', 'Country/Region Code', 'Credit Limit (LCY)', 'Payment Terms Code', 'Salesperson Code'],
    },
);
# --realistic: the file of each table, its extra columns (name => value from the row's columns),
# the columns a real export may lack, and one fixed shuffled column order per file.
my %RECORDTYPE = (CustInvc => 'invoice', CustPymt => 'customerpayment', CustCred => 'creditmemo', Journal => 'journalentry');
my %FILE_OF = $R ? (nexttransactionlinelink => 'previoustransactionlinelink') : ();
my %EXTRA = (
    transaction => [ lastmodifieddate => sub { $_[0]{createddate} }, recordtype => sub { $RECORDTYPE{ $_[0]{type} } || '' },
                     exchangerate => sub { $_[0]{currency} eq 'USD' ? '1.00' : $_[0]{currency} eq 'GBP' ? '1.27' : '1.09' },
                     externalid => sub { '' } ],
    customer => [ email => sub { lc("ap\@$_[0]{entityid}.example") }, phone => sub { '+1 555 0' . substr($_[0]{id}, -3) },
                  isinactive => sub { 'F' }, datecreated => sub { '1/2/2023 9:00 am' } ],
    customrecord_3805_dunning_eval_result => [ owner => sub { '-4' }, isinactive => sub { 'F' },
                  lastmodified => sub { $_[0]{created} }, name => sub { "Evaluation $_[0]{id}" } ],
    phonecall => [ priority => sub { 'MEDIUM' } ],
    message => [ cc => sub { '' }, hasattachment => sub { $_[0]{isemailed} } ],
    systemnote => [ role => sub { $_[0]{name} eq '-4' ? '' : '1014' }, type => sub { $_[0]{oldvalue} eq '' ? 'Set' : 'Change' } ],
);
my %DROPPED = (subsidiary => { country => 1 });    # an optional column this export does not carry
if ($R) {
    # phonecall.message is a real SuiteQL column: calls name invoices in it
    $TABLES{netsuite}{phonecall} = [ @{ $TABLES{netsuite}{phonecall} }, 'message' ];
}
my (%ORDER, %CANON);
for my $t (keys %{ $TABLES{$SRC} }) {
    my @cols = @{ $TABLES{$SRC}{$t} };
    $CANON{$t} = [ @cols ];
    next unless $R;
    my @ex = @{ $EXTRA{$t} || [] };
    my @all = ((grep { !$DROPPED{$t}{$_} } @cols), @ex[grep { $_ % 2 == 0 } 0 .. $#ex]);
    # a shuffle of its own (string hash of the table name and the seed), so the model's random
    # sequence does not depend on it
    my $x = $opt{seed} * 7919; $x = ($x * 31 + ord($_)) % 2147483647 for split //, $t;
    for (my $i = $#all; $i > 0; $i--) { $x = ($x * 48271) % 2147483647; my $j = $x % ($i + 1); @all[$i, $j] = @all[$j, $i]; }
    $ORDER{$t} = \@all;
}
sub fname { my $t = shift; $t = $FILE_OF{$t} if $FILE_OF{$t}; (my $f = $t) =~ s/[^A-Za-z0-9_]+/_/g; $f =~ s/_+$//; return "$opt{out}/$SRC.$f.csv"; }
system('mkdir', '-p', $opt{out}) == 0 or die "erpgen: cannot create $opt{out}\n";
for my $t (sort keys %{ $TABLES{$SRC} }) {
    open(my $h, '>', fname($t)) or die "erpgen: cannot write " . fname($t) . ": $!\n";
    binmode($h, ':raw');
    $fh{$t} = $h;
    print $h csv($R ? @{ $ORDER{$t} } : @{ $TABLES{$SRC}{$t} });
}
# One row of table $t, values in the table's canonical column order (--realistic: written in the
# file's own order, with its extra columns and without the columns it lacks).
sub row {
    my $t = shift;
    if (!$R) { print { $fh{$t} } csv(@_); return; }
    my %v; @v{ @{ $CANON{$t} } } = map { defined $_ ? $_ : '' } @_;
    my @ex = @{ $EXTRA{$t} || [] };
    for (my $i = 0; $i < @ex; $i += 2) { $v{ $ex[$i] } = $ex[$i + 1]->(\%v); }
    print { $fh{$t} } csv(@v{ @{ $ORDER{$t} } });
}

# ---- ground truth ---------------------------------------------------------------------------
my @ACTS = ('Invoice Generated', 'Invoice Sent to Customer', 'Credit Limit Requested', 'Credit Limit Approved',
            'Dispute Registered', 'Dispute Resolved', 'Credit Memo Issued', 'Payment Due Date Passed',
            'Dunning Procedure Initiated', 'Overdue Reminder Sent', 'Collection Call Made', 'Payment Received',
            'Payment Posted', 'Invoice Settled', 'Invoice Written Off');
my %T = map { ("activity:$_" => 0) } @ACTS;
$T{$_} = 0 for qw(invoices invoices_settled invoices_written_off invoices_open invoices_disputed invoices_dispute_reopened invoices_paid_on_time invoices_paid_in_parts payments_applied_to_two_invoices);
sub count { $T{"activity:$_[0]"} += (defined $_[1] ? $_[1] : 1); }

# ---- id counters ----------------------------------------------------------------------------
my %ctr = (ns_tx => 1000, ns_note => 5000, ns_msg => 100, ns_call => 100, ns_eval => 100,
           fo_rec => 5637144576, fo_doc => 0, fo_pay => 0, fo_letter => 0, fo_act => 0, fo_jour => 0, fo_wo => 0, fo_cn => 0,
           bc_entry => 0, bc_dentry => 0, bc_rem => 0, bc_log => 0, inv => 0, pay => 0, cm => 0, je => 0);
sub nid { return ++$ctr{ $_[0] }; }

# ---- reference rows -------------------------------------------------------------------------
if ($SRC eq 'netsuite') {
    row('term', $_->{id}, $_->{name}, $_->{days}) for @TERMS;
    row('subsidiary', $_->{id}, $_->{name}, $_->{country}) for @SUBS;
} elsif ($SRC eq 'd365fo') {
    for my $s (@SUBS) { row('PaymTerm', $s->{fo}, $_->{name}, $_->{days}) for @TERMS; }
}

# ---- --event-truth: the events a connector must derive, one by one, as the NetSuite data template
# (shared/reference/netsuite-data-template.txt, "Where to get" and "Capture") defines them ----
my %RANK; @RANK{@ACTS} = 0 .. $#ACTS;
my %ET;
if ($opt{'event-truth'} ne '') {
    my $d = $opt{'event-truth'};
    system('mkdir', '-p', $d) == 0 or die "erpgen: cannot create $d\n";
    for ([inv => 'invoice_events.truth.csv', 'case_id,activity,ts'],
         [cust => 'customer_events.truth.csv', 'customer_id,entityid,activity,ts'],
         [status => 'invoice_status.truth.csv', 'case_id,customer_id,currency,amount,applied,open_amount,status,netsuite_status,settled_at,written_off_at'],
         [reapp => 'payment_reapplications.truth.csv', 'case_id,payment,payment_posted,reapplied_at']) {
        open(my $h, '>', "$d/$_->[1]") or die "erpgen: cannot write $d/$_->[1]: $!\n";
        binmode($h, ':raw');
        print $h "$_->[2]\n";
        $ET{ $_->[0] } = $h;
    }
}
sub et { my $k = shift; print { $ET{$k} } join(',', map { my $v = defined $_ ? $_ : ''; $v =~ /[",\r\n]/ ? do { (my $q = $v) =~ s/"/""/g; "\"$q\"" } : $v } @_) . "\n" if $ET{$k}; }

# A customer-level event (credit-limit request/approval, an account call naming no invoice).
sub cust_event {
    my ($c, $act, $t) = @_;
    $T{"customer_activity:$act"}++;
    et('cust', $c->{id}, $c->{no}, $act, iso_ts($t));
}

# Every invoice-level event of one invoice, each at the time the template names (comments: the
# template's "Capture" line), written in (ts, template order).
sub invoice_events {
    my ($c, $i) = @_;
    my @ev;
    push @ev, ['Invoice Generated', $i->{created}];                 # creation timestamp of the invoice record
    push @ev, ['Invoice Sent to Customer', $i->{sent}] if defined $i->{sent};    # the e-mailed Message record
    for my $d (@{ $i->{disp} }) {                                   # when the dispute field is set / resolved
        push @ev, ['Dispute Registered', $d->[0]];
        push @ev, ['Dispute Resolved', $d->[1]] if defined $d->[1];
    }
    # the value of the Due Date, when the current date passed it before the invoice was fully paid
    push @ev, ['Payment Due Date Passed', $i->{due_day}]
        if $i->{due_end} <= $ASOF && (!defined $i->{end_ts} || $i->{end_ts} >= $i->{due_end});
    push @ev, ['Dunning Procedure Initiated', $i->{rem}[0][0]] if @{ $i->{rem} };    # dunning level first set
    push @ev, ['Overdue Reminder Sent', $_->[0]] for @{ $i->{rem} };                # each letter sent (not failed)
    push @ev, ['Collection Call Made', $_ - 600] for @{ $i->{calls} };              # the call record's creation
    for my $a (@{ $i->{apps} }) {
        if ($a->{kind} eq 'payment') {
            push @ev, ['Payment Received', $a->{doc_day}];          # the payment's transaction date
            push @ev, ['Payment Posted', $a->{posted}];             # the payment's own GL posting (creation)
            et('reapp', $i->{no}, $a->{shared} ? 'shared' : 'own', iso_ts($a->{posted}), iso_ts($a->{applied})) if $a->{reapplied};
        } elsif ($a->{kind} eq 'credit') {
            push @ev, ['Credit Memo Issued', $a->{created}];        # the credit memo's creation timestamp
        } else {
            push @ev, ['Invoice Written Off', $a->{created}];       # the write-off journal (its creation)
        }
    }
    # the last application that makes the invoice Paid In Full
    push @ev, ['Invoice Settled', $i->{end_ts}] if defined $i->{end_kind} && $i->{end_kind} eq 'settled';
    et('inv', $i->{no}, $_->[0], iso_ts($_->[1])) for sort { $a->[1] <=> $b->[1] || $RANK{ $a->[0] } <=> $RANK{ $b->[0] } } @ev;
    my $status = !defined $i->{end_kind} ? 'open' : $i->{end_kind} eq 'settled' ? 'settled' : 'written_off';
    et('status', $i->{no}, $c->{id}, $c->{sub}{cur}, money($i->{amount}), money($i->{paid}), money($i->{amount} - $i->{paid}), $status,
       $status eq 'open' ? 'A' : 'B', $status eq 'settled' ? iso_ts($i->{end_ts}) : '', $status eq 'written_off' ? iso_ts($i->{end_ts}) : '');
}

my %paid_doc;     # shared payment documents of the current customer: key -> ids
# ---- the model --------------------------------------------------------------------------------
my $PER = $opt{'per-customer'} >= 1 ? $opt{'per-customer'} : die "erpgen: --per-customer must be at least 1\n";
my $NCUST = $opt{invoices} >= $PER ? floor($opt{invoices} / $PER) : 1;
my $made = 0;
for my $k (0 .. $NCUST - 1) {
    my $n = floor($opt{invoices} * ($k + 1) / $NCUST) - floor($opt{invoices} * $k / $NCUST);
    customer($k, $n);
}
# --realistic: prospects, customers with a credit-limit request and no invoice at all yet
if ($R) { prospect($_) for $NCUST .. $NCUST + floor(($NCUST + 9) / 10) - 1; }

# One customer and all its invoices: generate, write, count.
sub customer {
    my ($k, $n) = @_;
    %paid_doc = ();    # shared payments never cross customers: keep memory constant
    my $sub = $SUBS[pick(map { $_->{weight} } @SUBS)];
    my $seg = $SEG[pick(map { $_->{w} } @SEG)];
    my $term = $TERMS[pick(map { $_->{w} } @TERMS)];
    my $c = { k => $k, id => 2000 + $k, no => sprintf('C%05d', $k + 1), sub => $sub, seg => $seg, term => $term,
              collector => $USERS[$k % @USERS], limit => 1000 * ri(10, 200) };
    write_customer($c);
    my @days = sort { $a <=> $b } map { ri(0, $SPAN) } 1 .. $n;
    my @invs;
    my $prev;
    for my $d (@days) {
        my $inv = plan_invoice($c, $START + $d * DAY, $prev);
        push @invs, $inv;
        $prev = $inv;
    }
    write_invoice($c, $_) for @invs;
    # customer-level events: credit limit changes and (NetSuite) calls not tied to an invoice
    my @cl;
    if (chance(0.3)) {
        for (1 .. ri(1, 2)) {
            my $req = minute_in_day($START + ri(10, $SPAN) * DAY, 9, 17);
            my $app = chance(0.8) ? minute_in_day(day_of($req) + ri(1, 5) * DAY, 9, 17) : undef;
            $app = undef if defined $app && $app > $ASOF;
            push @cl, [$req, $app];
        }
    }
    write_credit_limits($c, \@cl);
    if ($R) {    # customer-level events stay with the customer, never copied onto invoices
        for my $x (@cl) {
            cust_event($c, 'Credit Limit Requested', $x->[0]);
            cust_event($c, 'Credit Limit Approved', $x->[1]) if defined $x->[1];
        }
        if ($seg->{name} =~ /Slow|Risky/ && chance(0.5)) {
            my $t = minute_in_day($START + ri(30, $SPAN) * DAY, 9, 17);
            write_customer_call($c, $t);
            cust_event($c, 'Collection Call Made', $t - 900);    # its createddate
        }
        return;
    }
    for my $x (@cl) {
        count('Credit Limit Requested', open_at(\@invs, st('clreq', $x->[0]))) if $has{$SRC}{clreq};
        count('Credit Limit Approved', open_at(\@invs, st('clapp', $x->[1]))) if $has{$SRC}{clapp} && defined $x->[1];
    }
    if ($has{$SRC}{cust_calls} && $seg->{name} =~ /Slow|Risky/ && chance(0.5)) {
        my $t = minute_in_day($START + ri(30, $SPAN) * DAY, 9, 17);
        write_customer_call($c, $t);
        count('Collection Call Made', open_at(\@invs, st('call', $t)));
    }
}

# --realistic: a customer with no invoice, whose only trace is a credit-limit request (and approval).
sub prospect {
    my $k = shift;
    my $c = { k => $k, id => 2000 + $k, no => sprintf('C%05d', $k + 1), sub => $SUBS[$k % @SUBS], seg => $SEG[1],
              term => $TERMS[0], collector => $USERS[$k % @USERS], limit => 0 };
    write_customer($c);
    my $req = minute_in_day($START + ri(10, $SPAN) * DAY, 9, 17);
    my $app = chance(0.7) ? minute_in_day(day_of($req) + ri(1, 5) * DAY, 9, 17) : undef;
    $app = undef if defined $app && $app > $ASOF;
    write_credit_limits($c, [[$req, $app]]);
    cust_event($c, 'Credit Limit Requested', $req);
    cust_event($c, 'Credit Limit Approved', $app) if defined $app;
}

# Invoices of the customer generated at or before $t and not yet settled or written off.
sub open_at {
    my ($invs, $t) = @_;
    return scalar grep { $_->{gen_ts} <= $t && (!defined $_->{end_ts} || $_->{end_ts} > $t) } @$invs;
}

# Decide the life of one invoice (all moments already at the source's granularity).
sub plan_invoice {
    my ($c, $day, $prev) = @_;
    my $i = { seq => nid('inv') };
    $i->{no} = $SRC eq 'netsuite' ? sprintf('INV%07d', $i->{seq}) : $SRC eq 'd365fo' ? sprintf('CIV-%07d', $i->{seq}) : sprintf('PSI%07d', $i->{seq});
    $i->{created} = minute_in_day($day, 8, 18);
    $i->{gen_ts} = st('gen', $i->{created});
    $i->{day} = $day;
    $i->{due_day} = $day + $c->{term}{days} * DAY;
    $i->{due_end} = $i->{due_day} + DAY;
    $i->{amount} = ri(100_00, 25_000_00);
    $i->{sent} = ($has{$SRC}{sent} && chance(0.92)) ? $i->{created} + ri(5, 240) * 60 : undef;
    $i->{sent} = undef if defined $i->{sent} && $i->{sent} > $ASOF;
    # disputes: registered, resolved, sometimes reopened and resolved again
    my @disp;
    my $after = $i->{created};
    if (chance(0.07)) {
        my $reg = minute_in_day($day + ri(3, 20) * DAY, 9, 17);
        my $res = minute_in_day(day_of($reg) + ri(5, 30) * DAY, 9, 17);
        push @disp, [$reg, $res, $REASONS[ri(0, $#REASONS)]];
        if (chance(0.25)) {
            my $reg2 = minute_in_day(day_of($res) + ri(2, 10) * DAY, 9, 17);
            push @disp, [$reg2, minute_in_day(day_of($reg2) + ri(3, 15) * DAY, 9, 17), $disp[0][2]];
        }
        $after = $disp[-1][1];
    }
    # applications in cents: [kind, doc day, applied moment, cents, shared payment]
    my @apps;
    my $remaining = $i->{amount};
    if (@disp && chance(0.5)) {           # a credit memo at the last resolution
        my $cm = floor($remaining * ri(10, 30) / 100);
        my $cday = day_of($after);
        if ($R) {    # created later that day or the next, at a time of day; applied minutes later
            my $created = $after + 60 * ri(20, 120);
            push @apps, { kind => 'credit', doc_day => day_of($created), created => $created,
                          applied => $created + 60 * ri(0, 15), cents => $cm };
        } else {
            push @apps, { kind => 'credit', doc_day => $cday, applied => $after + 60 * ri(1, 30), cents => $cm };
        }
        $remaining -= $cm;
    }
    my $seg = $c->{seg};
    my $writeoff = $seg->{name} eq 'Risky' && chance(0.4);
    my $payday;
    if ($writeoff) {
        if (chance(0.3)) {                # a token partial payment before the write-off
            my $p = floor($remaining * ri(10, 40) / 100);
            my $pd = $i->{due_day} + ri(20, 40) * DAY;
            push @apps, payment($pd, $p, $seg);
            $remaining -= $p;
        }
        my $wd = $i->{due_day} + ri(110, 150) * DAY;
        if ($R) {    # the journal is created during office hours and applied minutes later
            my $created = minute_in_day($wd, 9, 16);
            push @apps, { kind => 'writeoff', doc_day => $wd, created => $created, applied => $created + 60 * ri(1, 30),
                          cents => $remaining };
        } else {
            push @apps, { kind => 'writeoff', doc_day => $wd, applied => $wd + 60 * ri(600, 1000), cents => $remaining };
        }
    } else {
        $payday = $i->{due_day} + ri($seg->{lo}, $seg->{hi}) * DAY;
        $payday = $day + DAY if $payday < $day + DAY;
        $payday = day_of($after) + ri(2, 8) * DAY if $payday <= $after;
        # sometimes one payment pays this invoice and the previous one of the customer
        my $shared;
        if ($prev && $prev->{last_pay} && chance(0.12) && !@disp && !@{ $prev->{disp} }
            && $prev->{last_pay}{doc_day} >= $day + DAY && $prev->{last_pay}{applied} <= $ASOF) {
            $shared = $prev->{last_pay};
            $payday = $shared->{doc_day};
        }
        if (!$shared && chance(0.18) && $payday - 20 * DAY > $day + DAY) {    # partial payment first
            my $p = floor($remaining * ri(30, 70) / 100);
            push @apps, payment($payday - ri(10, 20) * DAY, $p, $seg);
            $remaining -= $p;
            $i->{partial} = 1;
        }
        my $last;
        if ($shared) {
            $last = { %$shared, cents => $remaining, shared => 1, orig => $shared };
            $shared->{cents_total} = ($shared->{cents_total} || $shared->{cents}) + $remaining;
            $shared->{bundled} = 1;
            $T{payments_applied_to_two_invoices}++;
        } else {
            $last = payment($payday, $remaining, $seg);
        }
        push @apps, $last;
        $i->{last_pay} = $last->{shared} ? undef : $last;
        if ($R) {    # an application undone and re-done days later: the link shows the re-application
            for my $a (grep { $_->{kind} eq 'payment' && !$_->{shared} } @apps) {
                next unless chance(0.08);
                my $re = minute_in_day(day_of($a->{posted}) + ri(2, 9) * DAY, 8, 18);
                next if $re > $ASOF;
                $a->{applied} = $re; $a->{reapplied} = 1;
                $i->{last_pay} = undef if $i->{last_pay} && $a == $i->{last_pay};    # never shared
            }
        }
    }
    # keep what happened by the extraction time
    @apps = grep { $_->{applied} <= $ASOF && $_->{doc_day} <= $ASOF } @apps;
    @apps = grep { ($_->{posted} || 0) <= $ASOF && ($_->{created} || 0) <= $ASOF } @apps if $R;
    for my $a (@apps) {
        $a->{doc_ts} = st('doc', $a->{doc_day});
        $a->{applied_ts} = st('applied', $a->{applied});
    }
    $i->{apps} = \@apps;
    my $sum = 0;
    $sum += $_->{cents} for @apps;
    if ($sum == $i->{amount} && @apps) {
        my ($lastapp) = sort { $b->{applied_ts} <=> $a->{applied_ts} } @apps;
        $i->{end_kind} = $lastapp->{kind} eq 'writeoff' ? 'writeoff' : 'settled';
        $i->{end_ts} = $lastapp->{kind} eq 'writeoff' ? ($R ? $lastapp->{created} : $lastapp->{doc_ts}) : $lastapp->{applied_ts};
        $i->{end_raw} = $lastapp->{kind} eq 'writeoff' ? ($R ? $lastapp->{created} : $lastapp->{doc_day}) : $lastapp->{applied};
    }
    $i->{paid} = 0; $i->{paid} += $_->{cents} for @apps;
    @disp = grep { $_->[0] <= $ASOF } @disp;
    $_->[1] = undef for grep { $_->[1] > $ASOF } @disp;
    $i->{disp} = \@disp;
    # dunning: letters 10, 24, 38, 52 days after the due date while the invoice is open
    my @rem;
    my $endraw = defined $i->{end_raw} ? $i->{end_raw} : 9e18;
    for my $lvl (1 .. 4) {
        my $t = minute_in_day($i->{due_day} + (10 + 14 * ($lvl - 1)) * DAY, 6, 7);
        last if $t >= $endraw || $t > $ASOF;
        push @rem, [$t, $lvl];
    }
    $i->{rem} = \@rem;
    my @calls;
    if ($has{$SRC}{calls} && $seg->{name} =~ /Slow|Risky|Standard/) {
        for my $r (@rem) {
            next unless $r->[1] >= 2 && chance(0.6);
            my $t = minute_in_day(day_of($r->[0]) + 2 * DAY, 9, 17);
            push @calls, $t if $t < $endraw && $t <= $ASOF;
        }
    }
    $i->{calls} = \@calls;
    # --realistic: how each call names its invoice (the transaction field, the title, only the
    # message), and which letters failed before the one that was sent
    $i->{callref} = [ map { (qw(tx tx tx tx tx title title title message message))[ri(0, 9)] } @calls ] if $R;
    $i->{failed} = [ map { chance(0.08) ? 1 : 0 } @rem ] if $R;
    $i->{fo_cancelled} = ($SRC eq 'd365fo' && @rem && chance(0.1)) ? 1 : 0;
    $i->{ns_cancelled} = ($SRC eq 'netsuite' && @rem && chance(0.05)) ? 1 : 0;
    truth_invoice($i);
    return $i;
}

# A payment: received on $day, applied (posted) a segment-dependent lag later.
sub payment {
    my ($day, $cents, $seg) = @_;
    my $lag = ri(0, $seg->{lag});
    my $posted = minute_in_day($day + $lag * DAY, 8, 18);
    # posted: when the payment was entered (its createddate, its GL posting); applied: its link's time
    return { kind => 'payment', doc_day => $day, applied => $posted, posted => $posted, cents => $cents };
}

# Count what a correct connector must derive from this invoice.
sub truth_invoice {
    my $i = shift;
    $T{invoices}++;
    count('Invoice Generated');
    count('Invoice Sent to Customer') if defined $i->{sent};
    for my $d (@{ $i->{disp} }) { count('Dispute Registered'); count('Dispute Resolved') if defined $d->[1]; }
    $T{invoices_disputed}++ if @{ $i->{disp} };
    $T{invoices_dispute_reopened}++ if @{ $i->{disp} } > 1;
    count('Dunning Procedure Initiated') if @{ $i->{rem} };
    count('Overdue Reminder Sent', scalar @{ $i->{rem} });
    count('Collection Call Made', scalar @{ $i->{calls} });
    my %docs;
    for my $a (@{ $i->{apps} }) {
        if ($a->{kind} eq 'payment') { count('Payment Received'); count('Payment Posted'); }
        elsif ($a->{kind} eq 'credit') { count('Credit Memo Issued'); }
        else { count('Invoice Written Off'); }
    }
    $T{invoices_paid_in_parts}++ if (grep { $_->{kind} eq "payment" } @{ $i->{apps} }) >= 2;
    if (!defined $i->{end_kind}) { $T{invoices_open}++; }
    elsif ($i->{end_kind} eq 'settled') {
        $T{invoices_settled}++; count('Invoice Settled');
        $T{invoices_paid_on_time}++ if $i->{end_ts} < $i->{due_end};
    } else { $T{invoices_written_off}++; }
    count('Payment Due Date Passed')
        if $i->{due_end} <= $ASOF && (!defined $i->{end_ts} || $i->{end_ts} >= $i->{due_end});
}

# ---- writers ----------------------------------------------------------------------------------
sub write_customer {
    my $c = shift;
    if ($SRC eq 'netsuite') {
        my $name = $R ? "$NAMES[$c->{k} % @NAMES] $c->{no}" : "Customer $c->{no}";
        row('customer', $c->{id}, $c->{no}, $name, $c->{seg}{name}, $c->{limit}, $c->{term}{id}, $c->{sub}{id}, $c->{collector});
    } elsif ($SRC eq 'd365fo') {
        row('CustTable', $c->{sub}{fo}, $c->{no}, $c->{seg}{name} eq 'Risky' ? '30' : '10', $c->{seg}{name}, $c->{limit}, $c->{term}{name}, $c->{sub}{country});
    } else {
        row('Customer', $c->{no}, "Customer $c->{no}", $c->{seg}{name}, $c->{sub}{country}, $c->{limit}, $c->{term}{name}, $c->{collector});
    }
}

sub write_invoice {
    my ($c, $i) = @_;
    my $ns = $SRC eq 'netsuite'; my $fo = $SRC eq 'd365fo';
    my $cur = $c->{sub}{cur};
    my $user = $c->{collector};
    my $status_open = !defined $i->{end_kind};
    if ($ns) {
        my $id = nid('ns_tx');
        $i->{id} = $id;
        my $maxlvl = @{ $i->{rem} } ? $i->{rem}[-1][1] : '';
        row('transaction', $id, $i->{no}, 'CustInvc', ns_date($i->{day}), ns_ts($i->{created}), ns_date($i->{due_day}),
            $status_open ? '' : ns_date(day_of($i->{end_raw})), $c->{id}, $status_open ? 'A' : 'B', money($i->{amount}),
            money($i->{paid}), money($i->{amount} - $i->{paid}), $cur, strftime('%b %Y', gmtime($i->{day})), 'T',
            chance(0.3) ? '-4' : $user, $c->{term}{id}, ($R && $i->{seq} % 7 == 0) ? "PO 4711-$i->{seq}\nDeliver to: Dock 3, \"rear gate\"" : '',
            @{ $i->{rem} } ? '1' : '', $maxlvl, $c->{collector},
            @{ $i->{rem} } ? ns_date($i->{rem}[-1][0]) : '');
        row('transactionline', $id, 0, 'T', $c->{sub}{id}, $c->{id}, money($i->{amount}));
        row('transactionline', $id, 1, 'F', $c->{sub}{id}, $c->{id}, money(-$i->{amount}));
        if (defined $i->{sent}) {
            row('message', nid('ns_msg'), $user, $c->{id}, ns_ts($i->{sent}), "Invoice $i->{no}", 'T', 'EMAIL', $id);
        }
        if (chance(0.05)) { row('message', nid('ns_msg'), $user, $c->{id}, ns_ts($i->{created} + 3600), "Note on $i->{no}", 'F', 'NOTE', $id); }
        for my $d (@{ $i->{disp} }) {
            row('systemnote', nid('ns_note'), ns_ts($d->[0]), -30, $id, 'CUSTBODY_DISPUTE_STATUS', '', $d->[2], $user, 'UIF');
            row('systemnote', nid('ns_note'), ns_ts($d->[1]), -30, $id, 'CUSTBODY_DISPUTE_STATUS', $d->[2], 'Resolved', $user, 'UIF') if defined $d->[1];
        }
        my $lvl = 0;
        my $nr = 0;
        for my $r (@{ $i->{rem} }) {
            row('systemnote', nid('ns_note'), ns_ts($r->[0]), -30, $id, 'CUSTBODY_3805_DUNNING_LEVEL', $lvl || '', $r->[1], -4, 'SLT');
            $lvl = $r->[1];
            if ($R && $i->{failed}[$nr++]) {    # the letter failed (bad e-mail address) and was sent again 30 minutes later
                row('customrecord_3805_dunning_eval_result', nid('ns_eval'), $c->{id}, 'Failed', "Level $r->[1] letter", $id, ns_ts($r->[0] - 1800));
            }
            row('customrecord_3805_dunning_eval_result', nid('ns_eval'), $c->{id}, 'Sent', "Level $r->[1] letter", $id, ns_ts($r->[0]));
        }
        if ($i->{ns_cancelled}) {
            my $t = $i->{rem}[0][0] + 3600;
            row('customrecord_3805_dunning_eval_result', nid('ns_eval'), $c->{id}, 'Cancelled', 'Level 1 letter', $id, ns_ts($t));
        }
        my $nc = 0;
        for my $t (@{ $i->{calls} }) {
            if (!$R) {
                row('phonecall', nid('ns_call'), "Collection call $i->{no}", ns_ts($t - 600), ns_ts($t), ns_ts($t - 600), 'COMPLETE', $user, $user, $c->{id}, $id);
                next;
            }
            my $ref = $i->{callref}[$nc++];
            my ($title, $msg, $tx) = $ref eq 'tx'    ? ('Collection call', "Spoke with accounts payable.\nPromised payment next week.", $id)
                                   : $ref eq 'title' ? ("Collection call $i->{no}", "Left a voicemail.\nWill call back.", '')
                                   :                   ('Collection call', "Called about invoice $i->{no}.\nCustomer says it is in the next payment run.", '');
            row('phonecall', nid('ns_call'), $title, ns_ts($t - 600), ns_ts($t), ns_ts($t - 600), 'COMPLETE', $user, $user, $c->{id}, $tx, $msg);
        }
        for my $a (@{ $i->{apps} }) {
            my ($did, $dno, $type, $memo);
            if ($a->{kind} eq 'payment' && $a->{shared}) {
                ($did, $dno) = @{ $paid_doc{ $a->{orig}{key} } };
            } else {
                $did = nid('ns_tx');
                if ($a->{kind} eq 'payment') { $dno = sprintf('PYMT%07d', nid('pay')); $type = 'CustPymt'; $memo = ''; }
                elsif ($a->{kind} eq 'credit') { $dno = sprintf('CM%07d', nid('cm')); $type = 'CustCred'; $memo = 'Dispute settlement'; }
                else { $dno = sprintf('JE%07d', nid('je')); $type = 'Journal'; $memo = 'Bad debt write-off'; }
                my $total = $a->{cents_total} || $a->{cents};
                # --realistic: each document's createddate is its real creation (a payment's is its
                # posting), and memos run over several lines
                my $created = !$R ? $a->{doc_day} + 8 * 3600 : $a->{kind} eq 'payment' ? $a->{posted} : $a->{created};
                $memo = $memo eq '' ? "Lockbox $dno\nRemittance advice attached" : "$memo\nRef: $i->{no}" if $R;
                row('transaction', $did, $dno, $type, ns_date($a->{doc_day}), ns_ts($created), '', '', $c->{id},
                    $type eq 'CustPymt' ? 'C' : $type eq 'CustCred' ? 'B' : '', money($total), '', '', $cur,
                    strftime('%b %Y', gmtime($a->{doc_day})), 'T', $user, '', $memo, '', '', '', '');
                row('transactionline', $did, 0, 'T', $c->{sub}{id}, $c->{id}, money(-$total));
                if ($a->{kind} eq 'payment' && $a->{bundled}) { $a->{key} = "$did"; $paid_doc{$did} = [$did, $dno]; }
            }
            my $ntype = $a->{kind} eq 'payment' ? 'CustPymt' : $a->{kind} eq 'credit' ? 'CustCred' : 'Journal';
            row('nexttransactionlinelink', $id, 0, 'CustInvc', $did, 0, $ntype, 'Payment', money($a->{cents}), ns_ts($a->{applied}));
        }
        invoice_events($c, $i) if $R;
    } elsif ($fo) {
        my $rec = nid('fo_rec');
        $i->{id} = $rec;
        my $dat = $c->{sub}{fo};
        row('CustTrans', $dat, $rec, $c->{no}, $i->{no}, sprintf('SIV%07d', $i->{seq}), iso_date($i->{day}), iso_date($i->{day}),
            iso_date($i->{due_day}), $status_open ? '' : iso_date(day_of($i->{end_raw})), money($i->{amount}), money($i->{paid}), $cur,
            'Sales', $status_open ? '' : iso_date(day_of($i->{end_raw})), $c->{term}{name}, '', chance(0.4) ? 'Batch' : "usr$user");
        for my $d (@{ $i->{disp} }) {
            row('CustDisputeHistory', $dat, nid('fo_rec'), $rec, 1, iso_ts($d->[0]), $d->[2], "W$user", "usr$user");
            row('CustDisputeHistory', $dat, nid('fo_rec'), $rec, 2, iso_ts($d->[0] + 3600), $d->[2], "W$user", "usr$user") if chance(0.3);
            row('CustDisputeHistory', $dat, nid('fo_rec'), $rec, 3, iso_ts($d->[1]), $d->[2], "W$user", "usr$user") if defined $d->[1];
        }
        for my $r (@{ $i->{rem} }) {
            my $num = sprintf('CL%07d', nid('fo_letter'));
            row('CustCollectionLetterJour', $dat, $num, $c->{no}, $r->[1], iso_date($r->[0]), iso_date($r->[0]), 2, 'Batch');
            row('CustCollectionLetterTrans', $dat, nid('fo_rec'), $num, $rec, $i->{no}, iso_date($i->{due_day}), money($i->{amount}));
        }
        if ($i->{fo_cancelled}) {
            my $num = sprintf('CL%07d', nid('fo_letter'));
            row('CustCollectionLetterJour', $dat, $num, $c->{no}, 1, iso_date($i->{rem}[0][0] + DAY), iso_date($i->{rem}[0][0] + DAY), 3, "usr$user");
            row('CustCollectionLetterTrans', $dat, nid('fo_rec'), $num, $rec, $i->{no}, iso_date($i->{due_day}), money($i->{amount}));
        }
        for my $t (@{ $i->{calls} }) {
            my $an = sprintf('ACT-%07d', nid('fo_act'));
            row('smmActivities', $dat, $an, 'Call', 'Collections call', iso_ts($t - 600), iso_ts($t), "W$user", 1);
            row('CustCollectionsLinkTable', $dat, $an, 2, $rec);
        }
        if (@{ $i->{calls} } && chance(0.3)) {     # a task, not a call: ignored
            my $an = sprintf('ACT-%07d', nid('fo_act'));
            row('smmActivities', $dat, $an, 'Task', 'Check remittance', iso_ts($i->{calls}[0] + 3600), iso_ts($i->{calls}[0] + 7200), "W$user", 1);
            row('CustCollectionsLinkTable', $dat, $an, 2, $rec);
        }
        for my $a (@{ $i->{apps} }) {
            my ($orec, $vou);
            if ($a->{kind} eq 'payment' && $a->{shared}) {
                ($orec, $vou) = @{ $paid_doc{ $a->{orig}{key} } };
            } else {
                $orec = nid('fo_rec');
                my ($type, $inv) = ('Payment', '');
                if ($a->{kind} eq 'payment') { $vou = sprintf('PAY%07d', nid('pay')); }
                elsif ($a->{kind} eq 'credit') { $vou = sprintf('CCN%07d', nid('cm')); $type = 'Sales'; $inv = $vou; }
                else { $vou = sprintf('WO%07d', nid('je')); $type = 'WriteOff'; }
                my $total = $a->{cents_total} || $a->{cents};
                row('CustTrans', $dat, $orec, $c->{no}, $inv, $vou, iso_date($a->{doc_day}), iso_date($a->{doc_day}), '', '',
                    money(-$total), money(-$total), $cur, $type, '', '', '', "usr$user");
                if ($a->{kind} eq 'payment' && $a->{bundled}) { $a->{key} = "$orec"; $paid_doc{$orec} = [$orec, $vou]; }
            }
            row('CustSettlement', $dat, nid('fo_rec'), $rec, $orec, $vou, iso_date($a->{applied}), money($a->{cents}), iso_date($i->{due_day}));
        }
    } else {
        my $e = nid('bc_entry');
        $i->{id} = $e;
        my $lcy = $cur eq 'USD' ? '' : $cur;
        row('Cust. Ledger Entry', $e, $c->{no}, iso_date($i->{day}), iso_date($i->{day}), 'Invoice', $i->{no}, iso_date($i->{due_day}),
            $status_open ? 'true' : 'false', $status_open ? '' : iso_date(day_of($i->{end_raw})), '',
            @{ $i->{rem} } ? $i->{rem}[-1][1] : 0, '', '', chance(0.3) ? 'JOBQUEUE' : "USER$user", $lcy, money($i->{amount}),
            money($i->{amount} - $i->{paid}), $c->{sub}{fo}, $c->{collector});
        row('Detailed Cust. Ledg. Entry', nid('bc_dentry'), $e, 'Initial Entry', iso_date($i->{day}), 'Invoice', $i->{no}, money($i->{amount}), '', 'false', "USER$user", $c->{no}, $lcy);
        for my $d (@{ $i->{disp} }) {
            row('Change Log Entry', nid('bc_log'), iso_ts($d->[0]), "USER$user", 21, 86, 'Dispute Status', $e, '', uc($d->[2]), 'Modification');
            row('Change Log Entry', nid('bc_log'), iso_ts($d->[1]), "USER$user", 21, 86, 'Dispute Status', $e, uc($d->[2]), '', 'Modification') if defined $d->[1];
        }
        for my $r (@{ $i->{rem} }) {
            my $num = sprintf('IR%07d', nid('bc_rem'));
            row('Issued Reminder Header', $num, $c->{no}, iso_date($r->[0]), $r->[1], 'JOBQUEUE');
            row('Issued Reminder Line', $num, 10000, $e, 'Invoice', $i->{no});
        }
        for my $a (@{ $i->{apps} }) {
            my ($pe, $dno, $dt);
            if ($a->{kind} eq 'payment' && $a->{shared}) {
                ($pe, $dno, $dt) = @{ $paid_doc{ $a->{orig}{key} } };
            } else {
                $pe = nid('bc_entry');
                my $reason = '';
                if ($a->{kind} eq 'payment') { $dno = sprintf('PMT%07d', nid('pay')); $dt = 'Payment'; }
                elsif ($a->{kind} eq 'credit') { $dno = sprintf('PCM%07d', nid('cm')); $dt = 'Credit Memo'; }
                else { $dno = sprintf('WO%07d', nid('je')); $dt = ''; $reason = 'WRITEOFF'; }
                my $total = $a->{cents_total} || $a->{cents};
                row('Cust. Ledger Entry', $pe, $c->{no}, iso_date($a->{doc_day}), iso_date($a->{doc_day}), $dt, $dno, '', 'false', '', '', '', '', $reason,
                    "USER$user", $lcy, money(-$total), '0.00', $c->{sub}{fo}, $c->{collector});
                row('Detailed Cust. Ledg. Entry', nid('bc_dentry'), $pe, 'Initial Entry', iso_date($a->{doc_day}), $dt, $dno, money(-$total), '', 'false', "USER$user", $c->{no}, $lcy);
                if ($a->{kind} eq 'payment' && $a->{bundled}) { $a->{key} = "$pe"; $paid_doc{$pe} = [$pe, $dno, $dt]; }
            }
            my $pd = iso_date($a->{applied});
            row('Detailed Cust. Ledg. Entry', nid('bc_dentry'), $e, 'Application', $pd, $dt, $dno, money(-$a->{cents}), $pe, 'false', "USER$user", $c->{no}, $lcy);
            row('Detailed Cust. Ledg. Entry', nid('bc_dentry'), $pe, 'Application', $pd, $dt, $dno, money($a->{cents}), $e, 'false', "USER$user", $c->{no}, $lcy);
        }
    }
}

sub write_credit_limits {
    my ($c, $cl) = @_;
    for my $x (@$cl) {
        my ($req, $app) = @$x;
        my $new = $c->{limit} + 1000 * ri(5, 50);
        if ($SRC eq 'netsuite') {
            row('systemnote', nid('ns_note'), ns_ts($req), -2, $c->{id}, 'CUSTENTITY_CREDIT_LIMIT_REQUEST', '', $new, $c->{collector}, 'UIF');
            row('systemnote', nid('ns_note'), ns_ts($app), -2, $c->{id}, 'CREDITLIMIT', $c->{limit}, $new, '105', 'UIF') if defined $app;
        } elsif ($SRC eq 'd365fo') {
            my $j = sprintf('CLA%06d', nid('fo_jour'));
            row('CredManCreditLimitAdjTable', $c->{sub}{fo}, $j, defined $app ? 'Posted' : 'Created', defined $app ? 1 : 0,
                defined $app ? iso_date($app) : '', iso_ts($req), "usr$c->{collector}");
            row('CredManCreditLimitAdjTrans', $c->{sub}{fo}, $j, $c->{no}, $c->{limit}, $new);
        } else {
            row('Change Log Entry', nid('bc_log'), iso_ts($app), 'CREDITMGR', 18, 20, 'Credit Limit (LCY)', $c->{no}, $c->{limit}, $new, 'Modification') if defined $app;
        }
        $c->{limit} = $new if defined $app;
    }
}

sub write_customer_call {
    my ($c, $t) = @_;
    row('phonecall', nid('ns_call'), "Account review $c->{no}", ns_ts($t - 900), ns_ts($t), ns_ts($t - 900), 'COMPLETE', $c->{collector}, $c->{collector}, $c->{id}, '',
        $R ? "Quarterly account review.\nNo single invoice discussed; credit line and contacts updated." : ());
}

# ---- deliberate data-quality problems (--dirty), none of which may change the ground truth ----
if ($opt{dirty}) {
    if ($SRC eq 'netsuite') {
        row('message', 100, '101', '2000', ns_ts($START + 3600), 'Duplicate export row', 'F', 'NOTE', '');   # id 100 is unused: a
        row('message', 100, '101', '2000', ns_ts($START + 3600), 'Duplicate export row', 'F', 'NOTE', '');   # duplicated note
        row('nexttransactionlinelink', 999999, 0, 'CustInvc', 999998, 0, 'CustPymt', 'Payment', '10.00', ns_ts($START + 7200));
    } elsif ($SRC eq 'd365fo') {
        row('CustSettlement', 'usmf', 1, 1, 2, 'PAY-UNKNOWN', iso_date($START), '10.00', iso_date($START));
    } else {
        row('Issued Reminder Line', 'IR-UNKNOWN', 10000, 99999999, 'Invoice', 'PSI-UNKNOWN');
    }
}

close($_) for values %fh, values %ET;

# ---- print the ground truth -------------------------------------------------------------------
if ($opt{truth} ne '') {
    my $h;
    if ($opt{truth} eq '-') { $h = \*STDOUT; } else { open($h, '>', $opt{truth}) or die "erpgen: cannot write $opt{truth}: $!\n"; }
    print $h "source,metric,value\n";
    print $h csv($SRC, $_, $T{$_}) for (map { "activity:$_" } @ACTS), sort grep { !/^activity:/ } keys %T;
    print $h csv($SRC, 'as_of', iso_ts($ASOF));
    close($h) unless $opt{truth} eq '-';
}
