# conf/grafana/consent-dashboard.json queries only what consent_status
# exposes: every metric a panel or variable names is a family in the
# exposition of an nginx that gated a page (elements removed and
# neutralized, an unknown host, an oversize element), and every label a
# panel groups or filters by is a label of that family's samples.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);
use JSON::PP;
use IO::Socket::INET;
use Digest::MD5 qw(md5_hex);

ConsentTest::require_module();
my $dash = JSON::PP->new->decode(ConsentTest::read_file(repo_root() . '/conf/grafana/consent-dashboard.json'));
my $db = rules_db();
my $up = start_upstream();
my $UP = '127.0.0.1:' . $up->port;

my $page = "<html><head><title>t</title></head><body>\n"
         . qq{<script src="https://connect.facebook.net/en_US/fbevents.js"></script>\n}
         . qq{<script src="https://cdn.example-unknown.org/a.js"></script>\n}
         . '<script>fbq("init","1");' . ('x' x 2048) . "</script>\n"
         . "<p>content</p></body></html>\n";
write_file($up->dir . '/' . md5_hex($page), $page);   # the upstream serves bodies by md5

my $ngx = start_nginx(
    http => "consent_rules $db; consent_zone consent_g 1m;", upstream => $up, server => '',
    locations => "location /status { consent_status; }\n"
               . "location /s/ { consent on; consent_site air-booking; consent_max_element_size 1k; proxy_pass http://$UP; }\n"
               . "location /n/ { consent on; consent_site air-booking; consent_action neutralize; proxy_pass http://$UP; }\n"
               . "location /csp-report { consent_site air-booking; consent_csp_report; }");
for my $p ('/s/x', '/n/x') {
    my $res = http_request(port => $ngx->port, path => $p,
                           headers => ['X-CT-Body' => md5_hex($page), 'X-CT-Split' => 'whole']);
    is($res->{status}, 200, "GET $p");
}
# a body in a coding the gate cannot read (consent_undecodable's default: 502)
{
    my $res = http_request(port => $ngx->port, path => '/s/br',
                           headers => ['X-CT-Body' => md5_hex($page), 'X-CT-Split' => 'whole',
                                       'X-CT-Header' => 'Content-Encoding: br']);
    is($res->{status}, 502, 'GET /s/br: refused, a coding the gate cannot read');
}
# a CSP violation report, for the samples of its family
{
    my $report = '{"csp-report":{"blocked-uri":"https://connect.facebook.net/x.js",'
               . '"effective-directive":"script-src-elem","disposition":"report"}}';
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ngx->port, Proto => 'tcp')
        or die "connect: $!";
    print $s "POST /csp-report HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
           . "Content-Type: application/csp-report\r\nContent-Length: " . length($report) . "\r\n\r\n$report";
    local $/;
    like(<$s> // '', qr{^HTTP/1\.1 204 }, 'a CSP violation report');
}
my $res = http_request(port => $ngx->port, path => '/status');
is($res->{status}, 200, 'scrape');
my (%family, %labels);
for my $l (split /\n/, $res->{body}) {
    if ($l =~ /^# TYPE (\S+) /) { $family{$1} = 1; next }
    next if $l =~ /^#/;
    my ($name, $lab) = $l =~ /^([a-z_]+)(?:\{([^}]*)\})? / or next;
    $labels{$name}{$1} = 1 while defined $lab && $lab =~ /([a-z_]+)="/g;
}

# every query of the dashboard: panels' targets and the template variables
my @queries;
for my $p (@{ $dash->{panels} }) {
    push @queries, [$p->{title}, $_->{expr}] for @{ $p->{targets} };
}
for my $v (@{ $dash->{templating}{list} }) {
    push @queries, ["variable $v->{name}", $v->{definition}] if $v->{definition};
}
ok(@queries >= 9, scalar(@queries) . ' queries');
my %used;
for my $q (@queries) {
    my ($title, $expr) = @$q;
    my @metrics = $expr =~ /\b(consent_[a-z_]+)/g;
    ok(@metrics, "$title: names a consent metric");
    for my $m (@metrics) {
        $used{$m} = 1;
        ok($family{$m}, "$title: $m is exposed by consent_status");
    }
    # labels grouped by or matched on, checked against the samples of the
    # query's metrics (instance is Prometheus' own)
    my @lab = map { split /\s*,\s*/ } $expr =~ /\bby \(([^)]*)\)/g;
    push @lab, $expr =~ /[{,]\s*([a-z_]+)\s*=~?"/g;
    push @lab, $expr =~ /label_values\([a-z_]+,\s*([a-z_]+)\)/g;
    for my $l (grep { $_ ne 'instance' } @lab) {
        ok((grep { $labels{$_}{$l} } @metrics), "$title: label '$l' is on its samples")
            or diag explain { metrics => \@metrics, labels => { map { $_ => $labels{$_} } @metrics } };
    }
}
# and the dashboard shows every family the module exposes
for my $f (sort keys %family) {
    ok($used{$f}, "$f has a panel");
}
$ngx->stop;
done_testing();
