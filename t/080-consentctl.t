# consentctl check / diff / filter / disclosure, run as a command (no nginx).
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;

my $B = 'build/consentctl';
plan skip_all => "$B not built (make)" unless -x $B;
my $dir = tempdir(CLEANUP => 1);

sub run {            # (stdout, exit code) of consentctl with a shell-quoted argv
    my ($args, $stdin) = @_;
    my $cmd = "$B $args 2>$dir/stderr";
    $cmd .= " < $stdin" if defined $stdin;
    my $out = `$cmd`;
    return ($out, $? >> 8);
}
sub slurp { local $/; open my $f, '<', $_[0] or die "$_[0]: $!"; my $s = <$f>; $s }
sub spew  { open my $f, '>', $_[0] or die "$_[0]: $!"; print $f $_[1]; close $f }

my $db = "$dir/ana.mdb";
my ($out, $rc) = run("compile rules/ana.yaml -o $db");
is($rc, 0, 'compile rules/ana.yaml');

# ---- check
($out, $rc) = run('check rules/ana.yaml');
is($rc, 0, 'check: rules/ana.yaml has no findings');
is($out, '', 'check: ... and prints nothing');

($out, $rc) = run('check t/ops/overlap.yaml');
is($rc, 1, 'check: overlapping suffix is a finding');
like($out, qr{^t/ops/overlap\.yaml:15: warning: host 'widgets\.facebook\.com' of recipient 'acme' lies under 'facebook\.com' of recipient 'meta'}m,
     'check: overlap named with file:line');

($out, $rc) = run('check t/ops/catastrophic.yaml');
is($rc, 1, 'check: catastrophic signature is a finding');
like($out, qr{^t/ops/catastrophic\.yaml:10: error: signature slow:000 is catastrophic: .*match limit exceeded}m,
     'check: catastrophic signature named with file:line');

($out, $rc) = run('check t/rules/bad_regex.yaml');
is($rc, 1, 'check: compiler errors are findings');
like($out, qr{^t/rules/bad_regex\.yaml:\d+:\d+: }m, 'check: compiler finding as FILE:LINE:COL');

($out, $rc) = run("check $dir/missing.yaml");
is($rc, 2, 'check: missing file is an I/O error');

# ---- check with several files: compiled together (a site of one file
# declares a recipient of another), each finding at its own FILE:LINE
spew("$dir/a.yaml", <<'EOF');
recipients:
  - id: alpha
    name: Alpha
    category: analytics
    sent: [cookie]
    purpose: measurement
    hosts: [alpha-cdn.example]
sites:
  - id: one
    name: One
    declares: [alpha, beta]
EOF
spew("$dir/b.yaml", <<'EOF');
recipients:
  - id: beta
    name: Beta
    category: advertising
    hosts:
      - beta.example
      - img.alpha-cdn.example
    signatures:
      - 'beta\.init'
      - '(?:a+)+$'
EOF
($out, $rc) = run("check $dir/a.yaml");
is($rc, 1, 'check: a.yaml alone declares an undefined recipient');
like($out, qr{^\Q$dir\E/a\.yaml:11:\d+: .*'beta'}m, 'check: ... a compiler finding in a.yaml');
{
    # cs_ops_check_sources() does the work (unit test test_ops_check.c)
    ($out, $rc) = run("check $dir/a.yaml $dir/b.yaml");
    is($rc, 1, 'check A B: findings');
    like($out, qr{^\Q$dir\E/b\.yaml:7: warning: host 'img\.alpha-cdn\.example' of recipient 'beta' lies under 'alpha-cdn\.example' of recipient 'alpha' at \Q$dir\E/a\.yaml:7 }m,
         'check A B: overlap at the host in b.yaml, naming the suffix in a.yaml');
    like($out, qr{^\Q$dir\E/b\.yaml:10: error: signature beta:001 is catastrophic: }m,
         'check A B: catastrophic signature at its line in b.yaml');
    like($out, qr{^\Q$dir\E/a\.yaml:11: warning: site 'one' declares 'beta' with an empty purpose}m,
         'check A B: empty declaration at the site in a.yaml');
    ($out, $rc) = run("check $dir/a.yaml $dir/missing.yaml");
    is($rc, 2, 'check A B: an unreadable file is an I/O error');
}

# ---- diff
($out, $rc) = run("diff $db $db");
is($rc, 0, 'diff: DB vs itself: identical');
is($out, '', 'diff: DB vs itself: no output');

($out, $rc) = run("diff $db rules/ana.yaml");
is($rc, 0, 'diff: DB vs its source: identical');

my $y = slurp('rules/ana.yaml');
(my $m = $y) =~ s/name: "Google LLC\."/name: "Google LLC"/ or die;
$m =~ s{(\n      - googletagmanager\.com\n)}{$1      - example-tags.com\n} or die;
spew("$dir/mod.yaml", $m);
($out, $rc) = run("diff $db $dir/mod.yaml");
is($rc, 1, 'diff: modified source differs');
is($out, qq{~ recipients/google name: "Google LLC." -> "Google LLC"\n+ hosts/example-tags.com: "google"\n},
   'diff: exactly the changes, in sub-database then key order');
($out, $rc) = run("diff $dir/mod.yaml $db");
is($out, qq{~ recipients/google name: "Google LLC" -> "Google LLC."\n- hosts/example-tags.com: "google"\n},
   'diff: reversed');

# ---- filter (cases as in t/020-tokenizer.t: air-booking, consent none)
my $FB = 'https://connect.facebook.net/en_US/fbevents.js';
spew("$dir/a.html", qq{<p>a</p><script src="$FB"></script><p>b</p>});
($out, $rc) = run("filter --db $db --site air-booking $dir/a.html");
is($rc, 0, 'filter: exit 0');
is($out, '<p>a</p><p>b</p>', 'filter: the gate output of t/020 "script src of a recipient is removed"');
($out, $rc) = run("filter --db $db --site air-booking --consent meta - ", "$dir/a.html");
is($out, qq{<p>a</p><script src="$FB"></script><p>b</p>}, 'filter: consented (stdin): kept');
($out, $rc) = run("filter --db $db --site air-booking --report $dir/a.html");
is($out, "8 script meta removed\n", 'filter --report: removed');
($out, $rc) = run("filter --db $db --site air-booking --action neutralize $dir/a.html");
is($out, qq{<p>a</p><script type="text/plain" data-consent="meta" data-consent-src="$FB"></script><p>b</p>},
   'filter: neutralize');
($out, $rc) = run("filter --db $db --site air-booking --action neutralize --report $dir/a.html");
is($out, "8 script meta neutralized\n", 'filter --report: neutralized');
spew("$dir/b.html", qq{<script src="/js/a.js"></script><img src="https://www.facebook.com/tr?id=1"><script>gtag("js")</script>});
($out, $rc) = run("filter --db $db --site air-booking --consent meta --report $dir/b.html");
is($out, "0 script - kept\n32 img meta kept\n76 script google removed\n", 'filter --report: kept and removed');
# a consent manager's vendor list names hosts as data: kept, and the report
# ties it to no one, as the gate does (an inline loader of the same host is
# tied)
my $cmp = qq{<script>var cmp = {vendors: ["connect.facebook.net", "www.googletagmanager.com"]};</script>};
spew("$dir/c.html", $cmp . qq{<script>var s = document.createElement("script"); s.src = "https://connect.facebook.net/x.js";</script>});
($out, $rc) = run("filter --db $db --site air-booking --consent all --report $dir/c.html");
is($out, "0 script - kept\n" . length($cmp) . " script meta kept\n", 'filter --report: an inline script is tied as the gate ties it (data names no one)');
# a site's tagging host is its recipient's in filter as in the module: on
# that site only, for a script src and for an inline loader alike
($out, $rc) = run("compile t/rules/tagging_hosts.yaml -o $dir/tag.mdb");
is($rc, 0, 'compile t/rules/tagging_hosts.yaml');
my $sgtm = qq{<script src="https://sgtm.shop.example/gtm.js"></script>}
         . qq{<script>var s=document.createElement("script");s.src="https://sgtm.shop.example/x.js";</script>|};
spew("$dir/t.html", $sgtm);
($out, $rc) = run("filter --db $dir/tag.mdb --site shop $dir/t.html");
is($out, '|', 'filter: the site\'s tagging host ties both scripts to its recipient');
($out, $rc) = run("filter --db $dir/tag.mdb --site blog $dir/t.html");
is($out, $sgtm, 'filter: on another site the same host is first-party');
($out, $rc) = run("filter --db $db --site nosuch $dir/a.html");
is($rc, 2, 'filter: unknown site is a usage error');

# ---- disclosure
($out, $rc) = run("disclosure --db $db --site mall --format json");
is($rc, 0, 'disclosure: exit 0');
my $j = decode_json($out);
is_deeply([map { $_->{id} } @{$j->{recipients}}], ['google'], 'disclosure mall: exactly google');
is($j->{recipients}[0]{name}, 'Google LLC.', 'disclosure mall: legal name');
is($j->{recipients}[0]{service}, 'Google Analytics', 'disclosure mall: service');
is_deeply($j->{recipients}[0]{sent}, ['cookie'], 'disclosure mall: mall-specific sent');
is($j->{recipients}[0]{purpose}, "\x{30b5}\x{30a4}\x{30c8}\x{5229}\x{7528}\x{8005}\x{306b}\x{95a2}\x{3059}\x{308b}\x{30a2}\x{30af}\x{30bb}\x{30b9}\x{60c5}\x{5831}\x{3092}\x{5206}\x{6790}\x{3059}\x{308b}\x{305f}\x{3081}\x{306b}\x{5229}\x{7528}\x{3057}\x{307e}\x{3059}\x{3002}",
   'disclosure mall: mall-specific purpose');

my @air = qw(google lineyahoo microsoft meta x criteo rtbhouse smartnews tiktok tealium adobe pinterest skyscanner);
($out, $rc) = run("disclosure --db rules/ana.yaml --site air-booking --format json --lang en");
$j = decode_json($out);
is_deeply([map { $_->{id} } @{$j->{recipients}}], \@air, 'disclosure air-booking (source): 13 in declaration order');
is($j->{headings}[2], 'Information sent', 'disclosure: English headings');
($out, $rc) = run("disclosure --db $db --site air-booking --format json");
$j = decode_json($out);
is_deeply([map { $_->{id} } @{$j->{recipients}}], \@air, 'disclosure air-booking (DB): 13 in declaration order (the DB stores it)');

for my $f (qw(html md json)) {
    my ($from_db) = run("disclosure --db $db --site amc-app --format $f");
    my ($from_src) = run("disclosure --db rules/ana.yaml --site amc-app --format $f");
    is($from_db, $from_src, "disclosure $f: the same table from the DB and from its source");
}

($out, $rc) = run("disclosure --db $db --site mall");
like($out, qr{<th>\x{e9}\x{80}\x{81}\x{e4}\x{bf}\x{a1}\x{e5}\x{85}\x{88}</th>}, 'disclosure html: Japanese heading 送信先');

($out, $rc) = run('disclosure --db t/ops/escape.yaml --site shop');
like($out, qr{<h2>[^<]* &lt;x&gt;</h2>}, 'html: site name escaped');
like($out, qr{<td>Alpha &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&quot; &#39;Ltd&#39;</td>}, 'html: name escaped');
like($out, qr{<li>a&lt;b</li>}, 'html: list item escaped');
unlike($out, qr{<b>|a<b}, 'html: no raw planted markup');
($out, $rc) = run('disclosure --db t/ops/escape.yaml --site shop --format json');
$j = decode_json($out);
is($j->{recipients}[0]{name}, q{Alpha <b>&</b> "Co" 'Ltd'}, 'json: round-trips');
is_deeply($j->{recipients}[0]{sent}, ['a<b', "tab\there"], 'json: control chars escaped');
($out, $rc) = run("disclosure --db $db --site nosuch");
is($rc, 1, 'disclosure: unknown site is exit 1');

done_testing();
