# consentctl import-entities (services.json-shaped list -> recipients) and
# consentctl compile with several rule files, run as commands (no nginx).
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);

my $B = 'build/consentctl';
plan skip_all => "$B not built (make)" unless -x $B;
my $dir = tempdir(CLEANUP => 1);
my $LIST = 't/import/services.json';

sub run {            # (stdout, exit code) of consentctl with a shell-quoted argv
    my ($args) = @_;
    my $out = `$B $args 2>$dir/stderr`;
    return ($out, $? >> 8);
}
sub slurp { local $/; open my $f, '<', $_[0] or die "$_[0]: $!"; my $s = <$f>; $s }
sub spew  { open my $f, '>', $_[0] or die "$_[0]: $!"; print $f $_[1]; close $f }
sub stderr_text { slurp("$dir/stderr") }

# ---- import
my ($out, $rc) = run("import-entities $LIST --exclude rules/ana.yaml -o $dir/imported.yaml");
is($rc, 0, 'import: exit 0') or diag stderr_text();
is($out, '', 'import -o: nothing on stdout');
my $yaml = slurp("$dir/imported.yaml");

my ($again) = run("import-entities $LIST --exclude rules/ana.yaml");
is($again, $yaml, 'import: stdout and -o agree, and a second run gives the same bytes');

# recipients as "id name category [hosts]", in the order written
my @recs;
while ($yaml =~ /^  - id: (\S+)\n    name: (".*")\n    category: (\S+)\n    hosts:\n((?:      - \S+\n)+)/mg) {
    my ($id, $name, $cat, $hosts) = ($1, $2, $3, $4);
    push @recs, join(' ', $id, $name, $cat, '[' . join(',', $hosts =~ /- (\S+)/g) . ']');
}
is_deeply(\@recs, [
    'adnexus-example "Adnexus Example" advertising [adnexus-stats.com,adnexus-tracker.com,adnx-cdn.net]',
    'advertising-2 "Advertising" advertising [ad-category-clash.jp]',
    'coin-hive-ish "Coin Hive-ish" crypto-mining [coin-hiveish.com]',
    'fp-lab "FP Lab" fingerprinting [fplab-id.net]',
    'google-2 "Google" advertising [gstatic-ads.example]',
    "pixel-count \"Pixel Count \x{e6}\x{a0}\x{aa}\x{e5}\x{bc}\x{8f}\x{e4}\x{bc}\x{9a}\x{e7}\x{a4}\x{be}\" analytics [pc-beacon.co.uk,pixelcount.io]",
    'widget-co "Widget \"Co\"" functional [widgetco-embed.com]',
], 'import: one recipient per entity, sorted by id; strictest category; '
 . 'ids unique against ANA ids and categories; ANA-owned domains (and their subdomains), '
 . 'path entries and the emptied entity (Criteo) left out; hosts normalised');
like($yaml, qr/^sites: \[\]$/m, 'import: no site declares them');
like($yaml, qr/Left out: domains owned by the --exclude rules: 4;\n# entries with a path: 1; entities with no domain left: 1\./,
     'import: the header counts what was left out');

# ---- compile together with the ANA rules, dump
my $db = "$dir/ana+imported.mdb";
($out, $rc) = run("compile rules/ana.yaml $dir/imported.yaml -o $db");
is($rc, 0, 'compile rules/ana.yaml + imported: exit 0') or diag stderr_text();
($out, $rc) = run("dump $db");
is($rc, 0, 'dump: exit 0');
like($out, qr/^source: rules\/ana\.yaml \Q$dir\E\/imported\.yaml$/m, 'dump: meta source lists both files');
like($out, qr/^recipient adnexus-example\n  name: Adnexus Example\n  category: advertising\n(?:  .*\n)*?  host adnexus-stats\.com\n  host adnexus-tracker\.com\n  host adnx-cdn\.net\n/m,
     'dump: the imported recipient with its hosts');
like($out, qr/^recipient google\n(?:  .*\n)*?  host googletagmanager\.com\n/m,
     'dump: googletagmanager.com still belongs to the ANA recipient google');
unlike($out, qr/^recipient criteo-2$/m, 'dump: no second Criteo');
my ($site) = $out =~ /^(site air-booking\n(?:  .*\n)*)/m;
ok($site && $site !~ /declares (?:adnexus-example|google-2|pixel-count)\b/, 'dump: air-booking declares no imported recipient');

# ---- the gate on an ANA site: imported hosts stripped, consented ANA tags kept
my $GTM = 'https://www.googletagmanager.com/gtag/js?id=G-TEST';
spew("$dir/page.html",
     qq{<p>a</p><script src="https://cdn.adnexus-tracker.com/t.js"></script>}
   . qq{<script src="$GTM"></script>}
   . qq{<img src="https://pixelcount.io/p.gif"><p>b</p>});
($out, $rc) = run("filter --db $db --site air-booking --consent google $dir/page.html");
is($rc, 0, 'filter: exit 0');
is($out, qq{<p>a</p><script src="$GTM"></script><p>b</p>},
   'filter, consent google: imported script and pixel stripped, consented google tag kept');
($out, $rc) = run("filter --db $db --site air-booking --consent all $dir/page.html");
is($out, qq{<p>a</p><script src="$GTM"></script><p>b</p>},
   'filter, consent all: imported recipients are still stripped (no site declares them)');
($out, $rc) = run("filter --db $db --site air-booking --report $dir/page.html");
like($out, qr/^8 script adnexus-example removed$/m, 'filter --report names the imported recipient');

# ---- without --exclude the output clashes with the ANA rules: both places named
($out, $rc) = run("import-entities $LIST -o $dir/all.yaml");
is($rc, 0, 'import without --exclude: exit 0');
($out, $rc) = run("compile rules/ana.yaml $dir/all.yaml -o $dir/clash.mdb");
is($rc, 1, 'compile ANA + unexcluded import: exit 1');
like(stderr_text(), qr{^\Q$dir\E/all\.yaml:\d+:9: duplicate recipient id 'google' \(first defined at rules/ana\.yaml:24\)$}m,
     'the clash names both file:line');
ok(!-e "$dir/clash.mdb", 'compile: no database written on error');

# ---- check with the ANA rules, as compile: the clash as findings, at both places
{
    # cs_ops_check_sources() does the work (unit test test_ops_check.c)
    ($out, $rc) = run("check rules/ana.yaml $dir/imported.yaml");
    is($rc, 0, 'check rules/ana.yaml imported.yaml: no findings');
    is($out, '', 'check rules/ana.yaml imported.yaml: prints nothing');
    ($out, $rc) = run("check rules/ana.yaml $dir/all.yaml");
    is($rc, 1, 'check ANA + unexcluded import: findings');
    like($out, qr{^\Q$dir\E/all\.yaml:\d+:9: duplicate recipient id 'google' \(first defined at rules/ana\.yaml:24\)$}m,
         'check: the clash names both file:line, on stdout');
}

# ---- compile: ids defined twice across files
spew("$dir/dup.yaml", <<'Y');
recipients:
  - id: google
    name: Again
    category: advertising
    hosts: [again.example]
  - id: other
    name: Other
    category: analytics
    hosts: [other.example, DoubleClick.net]
sites:
  - id: air-booking
    name: Again
    declares: [google]
gpc_categories: [advertising]
Y
($out, $rc) = run("compile rules/ana.yaml $dir/dup.yaml -o $dir/dup.mdb");
is($rc, 1, 'compile: duplicates across files: exit 1');
my $err = stderr_text();
like($err, qr{^\Q$dir\E/dup\.yaml:2:9: duplicate recipient id 'google' \(first defined at rules/ana\.yaml:24\)$}m,
     'duplicate recipient id names both file:line');
like($err, qr{^\Q$dir\E/dup\.yaml:9:28: host suffix 'doubleclick\.net' already belongs to recipient 'google' \(first defined at rules/ana\.yaml:34\)}m,
     'host suffix owned by two recipients names both file:line');
like($err, qr{^\Q$dir\E/dup\.yaml:11:9: duplicate site id 'air-booking' \(first defined at rules/ana\.yaml:\d+\)$}m,
     'duplicate site id names both file:line');
like($err, qr{^\Q$dir\E/dup\.yaml:14:1: 'gpc_categories' is given again \(first at rules/ana\.yaml:\d+\)}m,
     'gpc_categories in two files names both');

# several files: each needs recipients or sites; one file alone needs both
spew("$dir/recipients-only.yaml", "recipients:\n  - id: solo\n    name: Solo\n    category: analytics\n    hosts: [solo.example]\n");
($out, $rc) = run("compile rules/ana.yaml $dir/recipients-only.yaml -o $dir/two.mdb");
is($rc, 0, 'compile: a recipients-only file with another file') or diag stderr_text();
($out, $rc) = run("compile $dir/recipients-only.yaml -o $dir/one.mdb");
is($rc, 1, 'compile: a recipients-only file alone: exit 1');
like(stderr_text(), qr/recipients-only\.yaml:1:1: missing 'sites'/, '... missing sites named');
spew("$dir/empty-map.yaml", "format: 1\n");
($out, $rc) = run("compile rules/ana.yaml $dir/empty-map.yaml -o $dir/two.mdb");
is($rc, 1, 'compile: a file with neither recipients nor sites: exit 1');

# ---- import errors: file:line, exit codes
spew("$dir/bad.json", qq({\n  "categories": {\n    "Advertising": [\n      {"X": {"https://x/": ["x.com",]}}\n    ]\n  }\n}\n));
spew("$dir/imported.yaml.keep", $yaml);
($out, $rc) = run("import-entities $dir/bad.json -o $dir/imported.yaml");
is($rc, 1, 'import: invalid JSON: exit 1');
like(stderr_text(), qr{^\Q$dir\E/bad\.json:4:\d+: JSON syntax error: }m, 'import: invalid JSON named with file:line:col');
is(slurp("$dir/imported.yaml"), $yaml, 'import: -o output untouched on error');
ok(!glob("$dir/imported.yaml.tmp.*"), 'import: no temporary file left');

spew("$dir/shape.json", qq({"categories": {\n  "Advertising": [\n    {"X": {"https://x/": "x.com"}},\n    {"Y": {"https://y/": ["bad domain.com", "y.com"]}},\n    {"Z": ["z.com"]}\n  ],\n  "Analytics": {"W": 1}\n}}\n));
($out, $rc) = run("import-entities $dir/shape.json");
is($rc, 1, 'import: wrong shape: exit 1');
$err = stderr_text();
like($err, qr{^\Q$dir\E/shape\.json:4:\d+: domain 'bad domain\.com' of 'Y' contains whitespace$}m, 'import: bad domain named with file:line');
like($err, qr{^\Q$dir\E/shape\.json:5:\d+: entity 'Z' must map URLs to lists of domains$}m, 'import: entity without URL map named');
like($err, qr{^\Q$dir\E/shape\.json:7:\d+: category 'Analytics' must be a list of entities$}m, 'import: category not a list named');
is($out, '', 'import: nothing written on error');

spew("$dir/nocat.json", qq({"license": "x"}\n));
($out, $rc) = run("import-entities $dir/nocat.json");
is($rc, 1, 'import: no "categories": exit 1');
like(stderr_text(), qr{^\Q$dir\E/nocat\.json:1:\d+: "categories" must be an object}m, '... named');

($out, $rc) = run("import-entities $dir/missing.json");
is($rc, 2, 'import: missing file: exit 2');
($out, $rc) = run("import-entities $LIST --exclude t/rules/bad_regex.yaml");
is($rc, 1, 'import: invalid --exclude rules: exit 1');
like(stderr_text(), qr{^t/rules/bad_regex\.yaml:\d+:\d+: }m, '... with the compiler\'s findings');
($out, $rc) = run("import-entities");
is($rc, 2, 'import: no file: usage, exit 2');
($out, $rc) = run("import-entities $LIST --exclude");
is($rc, 2, 'import: --exclude without a file: exit 2');

done_testing();
