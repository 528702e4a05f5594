# consent_csp_report: the endpoint browsers send CSP violation reports to.
# Both formats (application/csp-report, application/reports+json) are
# attributed through the live rules and counted in
# consent_csp_violations_total{site,recipient,directive,mode}; drift hosts
# also in consent_unknown_hosts_total. Bad input gets 405/415/411/413/400 and
# counts nothing; no document URL, query string, cookie or address reaches
# the counters or the log; a flood of garbage leaves the worker's memory
# where it was. (README: Violation reports.)
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use lib 't/lib';
use ConsentTest qw(:all);

my $db = rules_db();
$SIG{PIPE} = 'IGNORE';    # a refused body may be left unread

my $LOCATIONS = <<'LOC';
location /status { consent_status; }
location = /csp-report { consent_site air-booking; consent_first_party ana-example.jp; consent_csp_report; }
location = /nosite { consent_csp_report; }
LOC
my $ngx = start_nginx(server => '', http => "consent_rules $db; consent_zone csp_t 1m;",
                      locations => $LOCATIONS);

# One request with a body; $len overrides Content-Length (undef: the body's,
# 'chunked': sent chunked).
sub post {
    my (%a) = @_;
    my $body = $a{body} // '';
    my @h = ('Content-Type' => $a{type} // 'application/csp-report',
             'Cookie' => 'session=SECRET-COOKIE', @{ $a{headers} || [] });
    my $payload = $body;
    if (($a{len} // '') eq 'chunked') {
        push @h, 'Transfer-Encoding' => 'chunked';
        $payload = sprintf("%x\r\n%s\r\n0\r\n\r\n", length $body, $body);
    } else {
        push @h, 'Content-Length' => $a{len} // length $body;
    }
    my $req = ConsentTest::request_text(method => $a{method} // 'POST', path => $a{path} // '/csp-report',
                                        headers => \@h, close => 1);
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ngx->port, Proto => 'tcp',
                                  Timeout => 5) or die "connect: $!";
    binmode $s;
    print $s $req . ($a{no_body} ? '' : $payload);
    local $/;
    my $raw = <$s> // '';
    close $s;
    return ConsentTest::parse_response($raw, $a{method} // 'POST');
}

sub legacy {
    my ($blocked, $directive, $disposition) = @_;
    return json_encode({ 'csp-report' => {
        'document-uri' => 'https://www.ana-example.jp/booking?pnr=SECRET-QUERY',
        'referrer' => 'https://www.ana-example.jp/?mail=SECRET-REFERRER',
        'blocked-uri' => $blocked, 'effective-directive' => $directive,
        'violated-directive' => $directive, 'original-policy' => "default-src 'self'",
        'disposition' => $disposition, 'status-code' => 200 } });
}

sub metrics { http_request(port => $ngx->port, path => '/status')->{body} }

sub count {
    my ($m, %l) = @_;
    my $labels = join ',', map { "$_=\"$l{$_}\"" } qw(site recipient directive mode);
    return $m =~ /^consent_csp_violations_total\{\Q$labels\E\} (\d+)$/m ? $1 : 0;
}

# ---- accepted reports
my $r = post(body => legacy('https://connect.facebook.net/en_US/fbevents.js', 'script-src-elem', 'report'));
is($r->{status}, 204, 'a CSP2 report: 204');
is($r->{body}, '', '... without a body');
post(body => legacy('https://connect.facebook.net/signals/config/1', 'script-src-elem', 'report'));
post(body => legacy('https://sslwidget.criteo.com/event?a=1', 'img-src', 'enforce'),
     type => 'application/csp-report; charset=utf-8');
post(body => legacy('inline', 'script-src-elem', 'enforce'));
post(body => legacy('https://cdn.ana-example.jp/x.js', 'script-src-elem', 'enforce'));
post(body => legacy('https://beacon.drift-vendor.example/p?uid=SECRET-UID', 'connect-src', 'enforce'));

my $batch = json_encode([
    { type => 'csp-violation', age => 10, url => 'https://www.ana-example.jp/?q=SECRET-QUERY',
      user_agent => 'x', body => { documentURL => 'https://www.ana-example.jp/?q=SECRET-QUERY',
      blockedURL => 'https://ct.pinterest.com/v3/?tid=SECRET-TID', effectiveDirective => 'connect-src',
      disposition => 'report' } },
    { type => 'deprecation', body => { id => 'x' } },
    { type => 'csp-violation', body => { blockedURL => 'https://ct.pinterest.com/user/',
      effectiveDirective => 'connect-src', disposition => 'report' } },
]);
is(post(body => $batch, type => 'application/reports+json')->{status}, 204, 'a Reporting API batch: 204');

my $m = metrics();
is(count($m, site => 'air-booking', recipient => 'meta', directive => 'script-src-elem', mode => 'report'), 2,
   'meta: two reports, attributed by host suffix') or diag($m);
is(count($m, site => 'air-booking', recipient => 'criteo', directive => 'img-src', mode => 'enforce'), 1,
   'criteo: img-src, enforce');
is(count($m, site => 'air-booking', recipient => 'pinterest', directive => 'connect-src', mode => 'report'), 2,
   'pinterest: both violations of the batch, the deprecation report ignored');
is(count($m, site => 'air-booking', recipient => 'other', directive => 'script-src-elem', mode => 'enforce'), 1,
   'inline: "other"');
is(count($m, site => 'air-booking', recipient => 'first-party', directive => 'script-src-elem', mode => 'enforce'), 1,
   'a consent_first_party host: "first-party"');
is(count($m, site => 'air-booking', recipient => 'unknown', directive => 'connect-src', mode => 'enforce'), 1,
   'host drift: "unknown"');
like($m, qr/^consent_unknown_hosts_total\{site="air-booking",host="beacon\.drift-vendor\.example"\} 1$/m,
     '... and the host in the bounded unknown-host series');
is(scalar $ngx->error_lines(qr/CSP report names third-party host "beacon\.drift-vendor\.example"/), 1,
   'the drift host is logged once');

# a location without consent_site counts under site "-"
post(path => '/nosite', body => legacy('https://connect.facebook.net/x.js', 'script-src-elem', 'enforce'));
is(count(metrics(), site => '-', recipient => 'meta', directive => 'script-src-elem', mode => 'enforce'), 1,
   'no consent_site: site "-"');

# ---- bad input: the status, and nothing counted
my @bad = (
    [405, 'GET',              method => 'GET', no_body => 1],
    [405, 'PUT',              method => 'PUT'],
    [415, 'text/plain',       type => 'text/plain', body => legacy('https://connect.facebook.net/', 'script-src', 'report')],
    [415, 'no content type',  type => '', body => '{}'],
    [413, 'over 64 KB',       body => '{"csp-report":{"blocked-uri":"' . ('a' x 65536) . '"}}'],
    [413, 'a Content-Length over 64 KB, no body sent', len => 10_000_000, no_body => 1],
    [411, 'chunked (no length)', len => 'chunked', body => legacy('https://connect.facebook.net/', 'script-src', 'report')],
    [400, 'malformed JSON',   body => '{"csp-report": {"blocked-uri": '],
    [400, 'not JSON at all',  body => "\x00\xff\xfe garbage"],
    [400, 'empty body',       body => ''],
    [400, 'an array as csp-report', body => '[1,2]'],
    [400, 'an object as reports+json', type => 'application/reports+json', body => '{"type":"csp-violation"}'],
    [400, 'duplicate keys',   body => '{"csp-report":{},"csp-report":{}}'],
    [400, 'nested 30000 deep', type => 'application/reports+json', body => ('[' x 30000) . (']' x 30000)],
);
for my $b (@bad) {
    my ($status, $name, %a) = @$b;
    $r = post(%a);
    is($r->{status}, $status, "$name: $status");
    is(hdr($r, 'Allow'), 'POST', '... with Allow: POST') if $status == 405;
}
is(count(metrics(), site => 'air-booking', recipient => 'meta', directive => 'script-src-elem', mode => 'report'), 2,
   'bad input counted nothing');
unlike(metrics(), qr/host="(?!beacon\.drift-vendor\.example)/, 'and added no host series');
is(post(body => '{"csp-report":{}}')->{status}, 204, 'JSON of the shape without a violation: 204, nothing counted');

# ---- no visitor data in the counters or the log
my $all_text = metrics() . ConsentTest::read_file($ngx->error_log);
unlike($all_text, qr/SECRET|pnr=|documentURL|document-uri|session=/, 'no document URL, query, cookie in counters or log');
unlike(metrics(), qr/127\.0\.0\.1/, 'no client address in the counters');

# ---- a flood of garbage and oversize reports costs bounded memory
sub proc_file { open(my $fh, '<', $_[0]) or return ''; local $/; return <$fh> // '' }
sub worker_rss {
    my ($kid) = grep { proc_file("/proc/$_/stat") =~ /^\d+ \(nginx\) \S+ \Q$ngx->{pid}\E / }
                map { (split m{/})[2] } glob('/proc/[0-9]*/stat');
    return 0 unless $kid;
    my ($rss) = proc_file("/proc/$kid/status") =~ /^VmRSS:\s+(\d+)/m;
    return $rss // 0;
}
my $big = '[' . join(',', map { json_encode({ type => 'csp-violation', body => {
    blockedURL => "https://h$_.flood-example.net/p", effectiveDirective => 'img-src', disposition => 'enforce' } }) } 1 .. 400) . ']';
$big = substr($big, 0, 65000) if length $big > 65000;
for (1 .. 30) { post(body => '{"csp-report": {"blocked-uri": ' . ('[' x 1000)); }
my $rss0 = worker_rss();
for my $i (1 .. 200) {
    post(body => "garbage $i " . ('x' x 60000));
    post(type => 'application/reports+json', body => $big);
}
my $rss1 = worker_rss();
SKIP: {
    # AddressSanitizer keeps freed memory in quarantine: RSS says nothing there
    skip 'RSS under AddressSanitizer (make asan-nginx) grows by its quarantine', 1
        if ($ENV{ASAN_OPTIONS} // '') ne '';
    ok($rss0 > 0 && $rss1 - $rss0 < 4096, "400 garbage bodies and full batches: worker RSS grew by under 4 MB ($rss0 -> $rss1 kB)");
}
$m = metrics();
my $flood_series = () = $m =~ /flood-example/g;
ok($flood_series <= 100, "a batch counts at most 100 violations: $flood_series flood hosts kept");

$ngx->stop;
my @crash = $ngx->error_lines(qr/\[(?:alert|crit|emerg)\]|exited on signal/);
ok(!@crash, 'no crash or alert') or diag(join "\n", @crash);

done_testing();
