# consent_csp, consent_csp_allow, consent_csp_max_size, consent_csp_report_uri,
# $consent_csp, consent_permissions_policy, consent_ad_api_recipients and
# consent_expose on gated responses: the headers each sends for a decision,
# the fail-closed bound, an upstream's own policy left alone, and `nginx -t`
# naming the directive for bad values. (README: Policies for what the markup
# cannot show.) The report endpoint is t/131.
use strict;
use warnings;
use Test::More;
use Digest::MD5 qw(md5_hex);
use lib 't/lib';
use ConsentTest qw(:all);

my $db   = rules_db();
my $work = workdir();

my $page = "<html><head><title>t</title></head><body><p>x</p></body></html>\n";
my $up = start_upstream();
my $body_name = md5_hex($page);
write_file($up->dir . "/$body_name", $page);
my $UP = '127.0.0.1:' . $up->port;

my $COMMON = "consent on; consent_site air-booking; consent_first_party ana-example.jp;";
my $LOCATIONS = <<"LOC";
location /enforce/ { $COMMON consent_csp enforce; consent_csp_allow data: "'unsafe-eval'" https://cdn.example.net;
                     access_log $work/csp.log csp; proxy_pass http://$UP; }
location /report/  { $COMMON consent_csp report; consent_csp_report_uri /csp-report; proxy_pass http://$UP; }
location /noto/    { $COMMON consent_csp enforce; consent_csp_report_uri /csp-report report-to=off; proxy_pass http://$UP; }
location /off/     { $COMMON proxy_pass http://$UP; }
location /small/   { $COMMON consent_csp enforce; consent_csp_max_size 200; proxy_pass http://$UP; }
location /pp/      { $COMMON consent_permissions_policy on; proxy_pass http://$UP; }
location /ppmeta/  { $COMMON consent_permissions_policy on; consent_ad_api_recipients meta criteo; proxy_pass http://$UP; }
location /expose/  { $COMMON consent_expose on; proxy_pass http://$UP; }
location /both/    { $COMMON consent_expose on; consent_google_consent_mode on; proxy_pass http://$UP; }
LOC

my $ngx = start_nginx(server => "", http => "consent_rules $db; log_format csp '\$consent_csp';",
                      locations => $LOCATIONS, upstream => $up);

sub get {
    my ($path, $consent, @extra) = @_;
    return http_request(port => $ngx->port, path => $path,
                        headers => ['X-CT-Body' => $body_name, 'Cookie' => "consent=$consent", @extra]);
}

# The sources of a policy's default-src, as a set.
sub sources {
    my ($policy) = @_;
    my ($list) = ($policy // '') =~ /^default-src ([^;]*)/ or return {};
    return { map { $_ => 1 } split / /, $list };
}

my @meta = qw(facebook.net facebook.com fbcdn.net instagram.com cdninstagram.com);
my @tealium = qw(tiqcdn.com tealiumiq.com tealium.com);

# ---- enforce: exactly the allowed recipients' hosts
my $r = get('/enforce/p.html', 'tealium');
is($r->{status}, 200, 'enforce: served');
my $csp = hdr($r, 'Content-Security-Policy');
ok(defined $csp, 'enforce sends Content-Security-Policy');
ok(!defined hdr($r, 'Content-Security-Policy-Report-Only'), '... and no report-only header');
my $src = sources($csp);
ok($src->{"'self'"} && $src->{"'unsafe-inline'"}, "'self' and inline code allowed") or diag($csp);
ok($src->{$_}, "operator source $_") for ('data:', "'unsafe-eval'", 'https://cdn.example.net');
ok($src->{'https://*.ana-example.jp'} && $src->{'https://ana-example.jp'}, 'first-party suffix, both forms');
ok($src->{"https://*.$_"} && $src->{"https://$_"}, "allowed tealium host $_") for @tealium;
ok(!(grep { /facebook|criteo|pinterest|google/ } keys %$src), 'no host of a recipient not allowed')
    or diag($csp);
unlike($csp, qr/;/, 'one default-src list, no report directives without consent_csp_report_uri');
is(scalar keys %$src, 2 + 3 + 2 + 2 * @tealium, 'nothing else in the list');

my $all = hdr(get('/enforce/p.html', 'all'), 'Content-Security-Policy');
ok(sources($all)->{"https://*.$_"}, "consent=all: $_ allowed") for (@meta, 'criteo.com', 'pinterest.com');
my $none = hdr(get('/enforce/p.html', 'none'), 'Content-Security-Policy');
ok(!(grep { /^https:\/\/(?!\*?\.?ana-example\.jp|cdn\.example\.net)/ } keys %{ sources($none) }),
   'consent=none: no recipient host at all') or diag($none);

# the cached policy is the same policy
is(hdr(get('/enforce/p.html', 'tealium'), 'Content-Security-Policy'), $csp,
   'the same decision again: the same policy (from the worker cache)');

# $consent_csp logs the policy sent
my $logged = '';
for (1 .. 100) { $logged = read_file("$work/csp.log") if -e "$work/csp.log"; last if $logged =~ /tiqcdn/; select undef, undef, undef, 0.02 }
like($logged, qr/^\Q$csp\E$/m, '$consent_csp holds the policy sent');

# ---- an upstream's own policy stays, untouched, beside the gate's
$r = get('/enforce/p.html', 'all', 'X-CT-Header' => "Content-Security-Policy: img-src 'none'");
my @policies = hdrs($r, 'Content-Security-Policy');
is(scalar @policies, 2, "the upstream's policy and the gate's: two headers");
is($policies[0], "img-src 'none'", "the upstream's policy is unchanged");

# ---- not gated: no header
$r = http_request(port => $ngx->port, path => '/enforce/x.css',
                  headers => ['X-CT-Body' => $body_name, 'X-CT-Type' => 'text/css', 'Cookie' => 'consent=all']);
ok(!defined hdr($r, 'Content-Security-Policy'), 'a response the gate does not read gets no policy');
ok(!defined hdr(get('/off/p.html', 'all'), 'Content-Security-Policy'), 'consent_csp off (the default): none');

# ---- report: report-only, report-uri and report-to
$r = get('/report/p.html', 'tealium');
my $ro = hdr($r, 'Content-Security-Policy-Report-Only');
ok(!defined hdr($r, 'Content-Security-Policy'), 'report mode never enforces');
like($ro, qr/; report-uri \/csp-report; report-to consent-csp$/, 'report-uri and report-to') or diag($ro);
is(hdr($r, 'Reporting-Endpoints'), 'consent-csp="/csp-report"', 'Reporting-Endpoints names the group');
$r = get('/noto/p.html', 'tealium');
like(hdr($r, 'Content-Security-Policy'), qr/; report-uri \/csp-report$/, 'report-to=off: report-uri only');
ok(!defined hdr($r, 'Reporting-Endpoints'), '... and no Reporting-Endpoints');

# ---- over consent_csp_max_size: fail closed
$r = get('/small/p.html', 'all');
my $small = hdr($r, 'Content-Security-Policy');
is($small, "default-src 'self' 'unsafe-inline' https://*.ana-example.jp https://ana-example.jp",
   'past the bound: the policy without any recipient, never cut, never absent');
ok(scalar $ngx->error_lines(qr/\[warn\].*would exceed consent_csp_max_size 200; sent without them/),
   'and the reason in the log');
like(hdr(get('/small/p.html', 'none'), 'Content-Security-Policy'), qr/^default-src/, 'under the bound: the same');

# ---- Permissions-Policy
my $pp_off = qr/^browsing-topics=\(\), join-ad-interest-group=\(\), run-ad-auction=\(\), attribution-reporting=\(\)/;
like(hdr(get('/pp/p.html', 'tealium'), 'Permissions-Policy'), $pp_off, 'google not allowed: ad APIs off');
ok(!defined hdr(get('/pp/p.html', 'google'), 'Permissions-Policy'), 'google allowed: no Permissions-Policy');
ok(!defined hdr(get('/pp/p.html', 'all'), 'Permissions-Policy'), 'consent=all: none');
ok(!defined hdr(get('/off/p.html', 'none'), 'Permissions-Policy'), 'consent_permissions_policy off: none');
like(hdr(get('/ppmeta/p.html', 'google'), 'Permissions-Policy'), $pp_off,
     'consent_ad_api_recipients meta criteo: google alone does not turn them on');
ok(!defined hdr(get('/ppmeta/p.html', 'criteo'), 'Permissions-Policy'), '... criteo does');
$r = get('/pp/p.html', 'none', 'X-CT-Header' => 'Permissions-Policy: camera=()');
is_deeply([hdrs($r, 'Permissions-Policy')], ['camera=()', hdr(get('/pp/p.html', 'none'), 'Permissions-Policy')],
          "the upstream's Permissions-Policy stays, a header of its own beside the gate's");

# ---- consent_expose: the decision after <head>
$r = get('/expose/p.html', 'tealium,meta');
like($r->{body}, qr/^<html><head><script>window\.consentDecision=Object\.freeze\(\{"allowed":\["meta","tealium"\],"categories":\["advertising","analytics"\],"source":"list","generation":"[0-9a-f]{16}"\}\);\(window\.dataLayer=window\.dataLayer\|\|\[\]\)\.push\(\{"event":"consent_decision","consent_allowed":",meta,tealium,",/,
     'the decision script right after <head>') or diag($r->{body});
$r = get('/both/p.html', 'google');
like($r->{body}, qr/^<html><head><script>window\.dataLayer=window\.dataLayer\|\|\[\];function gtag.*?<\/script><script>window\.consentDecision=.*"allowed":\["google"\]/,
     'with consent mode too: both blocks, consent mode first') or diag($r->{body});
unlike(get('/off/p.html', 'all')->{body}, qr/consentDecision/, 'consent_expose off: nothing injected');

$ngx->stop;
my @bad = $ngx->error_lines(qr/\[(?:alert|crit|emerg)\]|exited on signal/);
ok(!@bad, 'no crash or alert') or diag(join "\n", @bad);

# ---- nginx -t names the directive
my @bad_conf = (
    ['consent_csp strict;', qr/consent_csp/, 'a bad consent_csp value'],
    [q{consent_csp_allow "https://a.example b.example";}, qr/consent_csp_allow/, 'a space inside a source'],
    [q{consent_csp_allow "https://a.example;script-src";}, qr/consent_csp_allow/, 'a semicolon inside a source'],
    [q{consent_csp_allow "'unsafe-eval";}, qr/consent_csp_allow/, 'an unbalanced quote'],
    [q{consent_csp_allow 'x"y';}, qr/consent_csp_allow/, 'a double quote'],
    [q{consent_csp_allow 'unsafe-eval';}, qr/consent_csp_allow.*"'unsafe-eval'" in nginx\.conf/,
     "a keyword whose quotes nginx's own quoting took"],
    ['consent_csp enforce; consent_csp_max_size 20;', qr/consent_csp_max_size.*too small/, 'consent_csp_max_size too small'],
    ['consent_csp_report_uri /r report-to=maybe;', qr/consent_csp_report_uri/, 'a bad report-to parameter'],
    ['consent_ad_api_recipients nobody;', qr/consent_ad_api_recipients.*nobody/, 'an unknown ad-API recipient'],
    ['consent_expose maybe;', qr/consent_expose/, 'a bad consent_expose value'],
);
for my $c (@bad_conf) {
    my ($rc, $msg) = nginx_t(http => "consent_rules $db;",
                             locations => "location / { consent on; consent_site air-booking; $c->[0] return 204; }");
    isnt($rc, 0, "$c->[2] fails nginx -t");
    like($msg, $c->[1], '... naming the directive') or diag($msg);
}
my ($rc, $msg) = nginx_t(http => "consent_rules $db;",
                         locations => "location / { consent on; consent_site air-booking; consent_csp report; "
                                    . "consent_csp_allow data: blob: \"'unsafe-eval'\"; consent_csp_max_size 1k; "
                                    . "consent_csp_report_uri https://r.example/csp; consent_permissions_policy on; "
                                    . "consent_ad_api_recipients google criteo; consent_expose on; return 204; }"
                                    . "location /csp-report { consent_csp_report; }");
is($rc, 0, 'every directive with good values passes nginx -t') or diag($msg);

done_testing();
