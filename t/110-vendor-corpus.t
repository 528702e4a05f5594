# The vendor snippet corpus (t/corpus/MANIFEST.tsv) through `consentctl filter`:
# every published snippet wrapped in a small first-party page must lose what
# makes the browser contact its vendor without consent (also on a site that
# does not declare the vendor), and come out byte-identical with consent for
# its recipient; every first-party look-alike must come out byte-identical in
# every consent state; the wrapper is never touched. Cases the gate gets wrong
# today carry a reason in the manifest's todo column and run as TODO.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);

my $B = 'build/consentctl';
BAIL_OUT("$B not built (make)") unless -x $B;
my $dir = tempdir(CLEANUP => 1);
my $db  = "$dir/ana.mdb";
system($B, 'compile', 'rules/ana.yaml', '-o', $db) == 0 or BAIL_OUT('compile rules/ana.yaml');

# The first-party page every snippet is pasted into.
my $HEAD = qq{<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n<title>予約</title>\n}
         . qq{<link rel="stylesheet" href="/common/css/site.css">\n<script src="/common/js/site.js"></script>\n</head>\n<body>\n}
         . qq{<header><a href="/"><img src="/common/images/logo.png" alt="ANA"></a></header>\n<main>\n};
my $TAIL = qq{</main>\n<footer><p><a href="/ja/jp/guide/privacy/">プライバシーポリシー</a></p></footer>\n</body>\n</html>\n};

# Sites of rules/ana.yaml: one that declares the recipient, one that does not.
my %declaring = (salesforce => 'amc-app', apple => 'amc-app');
my $DEFAULT_SITE = 'air-booking';
my $UNDECLARING  = 'mall';              # declares google only

sub slurp { local $/; open my $f, '<', $_[0] or die "$_[0]: $!"; my $s = <$f>; close $f; $s }

sub gate {                              # gated bytes of a file for a site and cookie value
    my ($file, $site, $consent) = @_;
    open my $out, '-|', $B, 'filter', '--db', $db, '--site', $site, '--consent', $consent, $file
        or die "$B: $!";
    local $/; my $body = <$out>; close $out;
    is($? >> 8, 0, "consentctl filter exit 0 ($site, $consent)") or diag("$file");
    return $body // '';
}

sub read_manifest {
    my @rows;
    open my $f, '<', 't/corpus/MANIFEST.tsv' or die "MANIFEST.tsv: $!";
    my @cols;
    while (my $line = <$f>) {
        chomp $line;
        next if $line =~ /^#/ || $line eq '';
        my @v = split /\t/, $line, -1;
        if (!@cols) { @cols = @v; next }
        die "MANIFEST.tsv:$.: " . scalar(@v) . " columns" unless @v == @cols;
        my %r; @r{@cols} = @v;
        push @rows, \%r;
    }
    return @rows;
}

# The wrapper comes back unchanged: returns the gated snippet between HEAD and TAIL.
sub wrapped_part {
    my ($out, $what) = @_;
    my $ok = substr($out, 0, length $HEAD) eq $HEAD
          && length($out) >= length($HEAD) + length($TAIL)
          && substr($out, -length $TAIL) eq $TAIL;
    ok($ok, "$what: first-party wrapper byte-identical");
    return $ok ? substr($out, length $HEAD, length($out) - length($HEAD) - length($TAIL)) : $out;
}

sub no_markers {
    my ($part, $markers, $what) = @_;
    my @left = grep { index($part, $_) >= 0 } @$markers;
    ok(!@left, "$what: nothing left that contacts the vendor")
        or diag("still present: @left\n--- gated snippet:\n$part");
}

my @rows = read_manifest();
my %seen;
for my $r (@rows) {
    my $src = "t/corpus/$r->{file}";
    ok(-f $src && !$seen{$r->{file}}++, "$r->{file} listed once and present") or next;
    my $page = $HEAD . slurp($src) . $TAIL;
    my $file = "$dir/page.html";
    open my $w, '>', $file or die "$file: $!"; print $w $page; close $w;

    my $todo = $r->{todo} ne '' ? $r->{todo} : undef;
    if ($r->{recipient} eq '-') {
        for my $consent ('none', 'all') {
            my $out = gate($file, $DEFAULT_SITE, $consent);
            local $TODO = $todo;
            is($out, $page, "look-alike $r->{file} ($consent): byte-identical");
        }
        next;
    }
    my $rcpt    = $r->{recipient};
    my @markers = split /\|/, $r->{markers};
    ok(@markers, "$r->{file}: the manifest names what contacts the vendor");
    my $site = $declaring{$rcpt} // $DEFAULT_SITE;

    my $none = wrapped_part(gate($file, $site, 'none'), "$r->{file} ($site, none)");
    { local $TODO = $todo; no_markers($none, \@markers, "$r->{file} ($site, none)"); }

    is(gate($file, $site, $rcpt), $page, "$r->{file} ($site, consent $rcpt): byte-identical");

    next if $rcpt eq 'google';          # every site of the rules declares google
    my $undeclared = wrapped_part(gate($file, $UNDECLARING, 'all'), "$r->{file} ($UNDECLARING, all)");
    local $TODO = $todo;
    no_markers($undeclared, \@markers, "$r->{file} ($UNDECLARING undeclares $rcpt, all)");
}

# Every recipient with a web tag in rules/ana.yaml has at least one snippet.
my %have = map { $_->{recipient} => 1 } @rows;
my $rules = slurp('rules/ana.yaml');
my @with_hosts;
while ($rules =~ /^  - id: (\S+)\n((?:    .*\n|\s*\n)*)/mg) {
    my ($id, $body) = ($1, $2);
    push @with_hosts, $id if $body =~ /^    hosts:/m;
}
cmp_ok(scalar @with_hosts, '>=', 20, 'rules/ana.yaml: the recipients with hosts are found');
my @no_snippet = grep { !$have{$_} } @with_hosts;
my %no_published = map { $_ => 1 } qw(kakaku naviplus supership cyberagent boldright);
is_deeply([grep { !$no_published{$_} } @no_snippet], [],
          'every recipient with hosts has a snippet, except those with no published snippet found');

done_testing();
