# consentctl audit: HAR captures in Chromium's and Firefox's shapes generated
# from every site's fixture page (t/tools/make-har.pl), judged against the
# fixture manifests (t/lib/ConsentOracle.pm); the hand-written edge cases in
# t/har/ (a tag manager injecting pixels, a clean capture, every bad input);
# every exit code; bounded memory on a large capture.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;
use lib 't/lib';
use ConsentTest qw(:all);
use ConsentOracle;

my $B = consentctl_path();
BAIL_OUT("$B not built (make)") unless -x $B;
my $dir = tempdir(CLEANUP => 1);
my $rules = ConsentOracle::load_rules(repo_root() . '/rules/ana.yaml');
my $db = "$dir/ana.mdb";
system("$B compile rules/ana.yaml -o $db >/dev/null") == 0 or BAIL_OUT('compile');

sub audit {              # (stdout, exit code, stderr) of consentctl audit ARGS
    my ($args) = @_;
    my $out = `$B audit $args 2>$dir/stderr`;
    return ($out, $? >> 8, ConsentTest::read_file("$dir/stderr"));
}
sub audit_json {
    my ($args) = @_;
    my ($out, $rc, $err) = audit("--format json $args");
    my $doc = eval { JSON::PP->new->decode($out) };
    return ($doc, $rc, $err);
}
sub by_id { my ($list, $key) = @_; return { map { $_->{$key} => $_ } @$list } }

# ---- every site's fixture page, both browsers' shapes
my $n = 0;
for my $site (@{ $rules->{site_order} }) {
    my ($m) = ConsentOracle::site_fixture($site);
    my $html = ConsentTest::fixture_path($m->{fixture});
    my $shape = $n++ % 2 ? 'firefox' : 'chromium';
    my $har = "$dir/$site.har";
    # the page, plus one request to a host of each recipient in its markup
    my %in_page;
    for my $e (@{ $m->{elements} }) { $in_page{$_} = 1 for @{ $e->{recipients} } }
    system("perl t/tools/make-har.pl --shape $shape --url https://www.ana.co.jp/$site/ "
           . "--html $html " . ($shape eq 'firefox' ? '--base64 ' : '') . "> $har") == 0
        or die 'make-har';
    subtest "$site ($shape)" => sub {
        my ($doc, $rc) = audit_json("--rules $db --site $site $har");
        ok($doc, 'JSON report') or return;
        my %declared = map { $_ => 1 } ConsentOracle::declared_ids($rules, $site);
        my @undeclared = grep { !$declared{$_} } sort keys %in_page;
        is($rc, @undeclared ? 1 : 0, 'exit code: findings iff undeclared recipients in the page');
        is($doc->{site}{id}, $site, 'site');
        is(scalar @{ $doc->{states} }, 2 + keys %declared, 'states: none, all, each declared');
        my $rec = by_id($doc->{recipients}, 'id');
        for my $r (sort keys %in_page) {
            ok($rec->{$r}, "$r named") or next;
            my %rm = map { $_ => 1 } @{ $rec->{$r}{removed_in} };
            my %kp = map { $_ => 1 } @{ $rec->{$r}{kept_in} };
            ok($rm{none}, "$r removed with consent none");
            if ($declared{$r}) {
                ok($kp{all} && $kp{$r}, "$r kept with all and alone");
                ok(!$kp{none}, "$r not kept with none");
            } else {
                ok(!%kp, "undeclared $r kept in no state");
                ok((grep { $_->{kind} eq 'undeclared_element' && $_->{detail} =~ /belongs to \Q$r\E,/ }
                    @{ $doc->{findings} }), "undeclared $r is a finding");
            }
        }
        for my $r (keys %$rec) {
            ok($in_page{$r} || $declared{$r}, "$r: in the page or declared");
        }
    };
}

# ---- the same page as text, as base64 and as gzip bytes: the same report
{
    my $html = ConsentTest::fixture_path('air-booking.html');
    my %doc;
    for my $how ('', '--base64', '--gzip') {
        my $har = "$dir/ab$how.har";
        system("perl t/tools/make-har.pl --url https://www.ana.co.jp/ab/ --html $html $how > $har") == 0 or die;
        my ($doc, $rc) = audit_json("--rules $db --site air-booking $har");
        $doc{$how} = JSON::PP->new->canonical->encode($doc->{pages}[0]{elements});
        is($doc->{pages}[0]{bytes}, -s $html, "body $how: decoded length");
    }
    is($doc{'--base64'}, $doc{''}, 'base64 body: same elements as text');
    is($doc{'--gzip'}, $doc{''}, 'gzip body: same elements as text');
}

# ---- run-time injection: the markup has only GTM; the tag manager loads
#      Meta's pixel, which only a browser-side policy can stop
{
    my ($doc, $rc) = audit_json("--rules $db --site air-booking t/har/gtm-inject.har");
    is($rc, 0, 'gtm-inject on air-booking (declares google and meta): clean');
    my $req = by_id($doc->{requests}, 'host');
    is($req->{'www.googletagmanager.com'}{origin}, 'in_markup', 'GTM request: in markup');
    is($req->{'www.google-analytics.com'}{origin}, 'in_markup', 'GA collect: google has an element in the markup');
    is($req->{'connect.facebook.net'}{origin}, 'at_run_time', 'fbevents.js: at run time');
    is($req->{'www.facebook.com'}{origin}, 'at_run_time', 'pixel: at run time');
    ok(!$req->{'www.ana.co.jp'}, 'first-party request not listed');
    my $rec = by_id($doc->{recipients}, 'id');
    is_deeply($rec->{meta}{requests}, { in_markup => 0, at_run_time => 2 }, 'meta: 2 run-time requests');
    is($rec->{meta}{elements}, 0, 'meta: no element in the markup');
    is_deeply($rec->{google}{removed_in}, [grep { $_ ne 'all' && $_ ne 'google' }
                                           map { $_->{id} } @{ $doc->{states} }],
              'google: GTM removed in every state but all and google');

    ($doc, $rc) = audit_json("--rules $db --site mall t/har/gtm-inject.har");
    is($rc, 1, 'gtm-inject on mall (google only): findings');
    my @f = grep { $_->{kind} eq 'undeclared_request' } @{ $doc->{findings} };
    is(scalar @f, 2, 'two undeclared hosts contacted');
    like($f[0]{detail}, qr/connect\.facebook\.net \(meta\).*injected at run time/, 'named, at run time');

    my ($text) = audit("--rules $db --site air-booking t/har/gtm-inject.har");
    like($text, qr/^  www\.facebook\.com\s+meta\s+1\s+at run time/m, 'text report: at run time');
}

# ---- the sample report in doc/ is what the tool prints today
{
    my ($out, $rc) = audit("--rules rules/ana.yaml --site mall --format md t/har/gtm-inject.har");
    is($rc, 1, 'sample: findings');
    (my $doc = ConsentTest::read_file(repo_root() . '/doc/audit-sample.md')) =~ s/\A<!--[^\n]*-->\n//;
    is($doc, $out, 'doc/audit-sample.md is current');
}

# ---- exit codes and states
{
    my ($out, $rc) = audit("--rules $db --site air-booking t/har/clean.har");
    is($rc, 0, 'clean capture: 0');
    like($out, qr/^Result: clean$/m, 'text: Result: clean');
    ($out, $rc) = audit("--rules rules/ana.yaml --site air-booking --format md t/har/clean.har");
    is($rc, 0, 'rules as YAML source');
    like($out, qr/^\| google \(Google LLC\.\) \| yes \| 1 \|/m, 'md: recipients table');
    ($out, $rc) = audit("--rules $db --site air-booking --format html t/har/clean.har");
    like($out, qr{<td class="removed">removed</td>}, 'html: removed cells marked');

    my ($doc) = audit_json("--rules $db --site air-booking --consent analytics "
                           . "--cookie 'OptanonConsent=groups=C0001:1,C0002:0,C0004:1' "
                           . "--cookie 'list:prefs=google' t/har/clean.har");
    my @st = @{ $doc->{states} };
    is(scalar @st, 3, 'given states replace the default ones');
    is_deeply([sort @{ $st[0]{allowed} }],
              [sort keys %{ ConsentOracle::allowed($rules, 'air-booking', 'analytics') }],
              '--consent analytics: the declared analytics recipients');
    is_deeply([sort @{ $st[1]{allowed} }],
              [sort keys %{ ConsentOracle::allowed($rules, 'air-booking', 'advertising') }],
              'OneTrust C0004: advertising (the default map)');
    is($st[1]{id}, 'cookie OptanonConsent', 'cookie state named');
    is_deeply($st[2]{allowed}, ['google'], 'FORMAT:NAME=VALUE');
    is_deeply($doc->{pages}[0]{elements}[0]{decisions},
              [map { (grep { $_ eq 'google' } @{ $_->{allowed} }) ? 'kept' : 'removed' } @st],
              'gtag removed in the states that do not allow google');

    my %bad = (
        'truncated.har'        => qr/truncated\.har: entry 0 \(byte \d+\): file truncated/,
        'malformed.har'        => qr/malformed\.har: entry 0 \(byte \d+\): malformed JSON at byte \d+/,
        'no-content.har'       => qr/no-content\.har: entry 0 \(https:\/\/www\.ana\.co\.jp\/clean\/\): HTML response without content\.text/,
        'unknown-encoding.har' => qr/entry 0 .*unknown content\.encoding 'quoted-printable'/,
        'brotli.har'           => qr/entry 0 .*body still br-compressed/,
        'not-a-har.har'        => qr/not a HAR: no log\.entries/,
    );
    for my $f (sort keys %bad) {
        my ($o, $c, $e) = audit("--rules $db --site air-booking t/har/clean.har t/har/$f");
        is($c, 2, "$f: 2");
        like($e, $bad{$f}, "$f: error names the entry");
        is($o, '', "$f: no report");
    }
    for my $args ("--rules $db --site nosuch t/har/clean.har",
                  "--rules $db --site air-booking $dir/missing.har",
                  "--rules $dir/missing.mdb --site air-booking t/har/clean.har",
                  "--rules $db --site air-booking --cookie 'Weird=1' t/har/clean.har",
                  "--rules $db --site air-booking --consent 'a;b' t/har/clean.har",
                  "--rules $db --site air-booking --format pdf t/har/clean.har",
                  "--rules $db --site air-booking") {
        my (undef, $c, $e) = audit($args);
        is($c, 2, "2: $args");
        isnt($e, '', '... with a reason');
    }
}

# ---- memory stays bounded: a capture of many large entries under a
#      virtual-memory limit far below its size
{
    my $big = "$dir/big.har";
    my $mb = $ENV{CONSENT_AUDIT_BIG_MB} || 160;
    open my $fh, '>', $big or die;
    print $fh qq({"log":{"version":"1.2","creator":{"name":"t","version":"1"},"entries":[);
    my $page = ConsentTest::read_file(ConsentTest::fixture_path('air-booking.html'));
    my $e = JSON::PP->new->canonical->encode({
        request => { url => 'https://www.ana.co.jp/' },
        response => { status => 200, content => { mimeType => 'text/html', text => $page } } });
    my $img = JSON::PP->new->encode({
        request => { url => 'https://www.ana.co.jp/big.jpg' },
        response => { status => 200, content => { mimeType => 'image/jpeg',
                      encoding => 'base64', text => 'A' x (1 << 20) } } });
    print $fh $e;
    print $fh ",$img" for 1 .. $mb;
    print $fh "]}}\n";
    close $fh;
    my $t = time;
    my $out = `ulimit -v 131072; $B audit --rules $db --site air-booking --format json $big 2>&1`;
    my $rc = $? >> 8;
    ok($rc == 0 || $rc == 1, "a ${mb} MB capture under a 128 MB address-space limit")
        or diag(substr($out, 0, 500));
    like($out, qr/"entries": @{[ $mb + 1 ]}/, 'every entry read');
    note('took ' . (time - $t) . ' s');
}

done_testing();
