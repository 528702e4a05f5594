# consent_unknown pass | log | strip and consent_first_party: third-party
# hosts that no recipient covers. First-party hosts (the request's own host,
# its subdomains, consent_first_party) and relative URLs are never touched;
# unknown third-party ones are left alone, logged once per rule generation
# and worker, or removed like an undeclared recipient's.
use strict;
use warnings;
use Test::More;
use Digest::MD5 qw(md5_hex);
use lib 't/lib';
use ConsentTest qw(:all);

my $db   = rules_db();
my $ctl  = consentctl_path();
my $work = workdir();

my %el = (
    third_script => q{<script src="https://cdn.thirdparty-example.net/lib.js?v=1"></script>},
    third_img    => q{<img src="//img.other-example.org/p.gif" alt="">},
    third_link   => q{<link rel="preconnect" href="https://fonts.thirdparty-example.net">},
    own_abs      => q{<script src="http://www.localhost/app.js"></script>},
    own_listed   => q{<script src="https://static.ana-example.jp/site.js"></script>},
    relative     => q{<script src="/js/app.js"></script><img src="logo.png">},
    meta         => q{<script src="https://connect.facebook.net/en_US/fbevents.js"></script>},
    plain_link   => q{<a href="https://elsewhere-example.com/">a plain link is not gated</a>},
);
my @order = qw(third_script own_abs relative third_img own_listed meta third_link plain_link);
my $page = "<html><head><title>t</title>\n"
         . join('', map { "$el{$_}\n" } @order) . "</head><body><p>x</p></body></html>\n";
sub page_without {
    my %gone = map { $_ => 1 } @_;
    return "<html><head><title>t</title>\n"
         . join('', map { $gone{$_} ? "\n" : "$el{$_}\n" } @order)
         . "</head><body><p>x</p></body></html>\n";
}
my @third = qw(third_script third_img third_link);
my @third_hosts = qw(cdn.thirdparty-example.net img.other-example.org fonts.thirdparty-example.net);

my $live = "$work/unknown-live.mdb";
system("cp '$db' '$live.tmp' && mv '$live.tmp' '$live'") == 0 or BAIL_OUT('copy rules');

my $up = start_upstream();
my $body_name = md5_hex($page);
write_file($up->dir . "/$body_name", $page);
my $port = $up->port;

my $locs = '';
for my $policy (qw(pass log strip)) {
    $locs .= <<"LOC";
    location /$policy/ {
        consent on;
        consent_site air-booking;
        consent_unknown $policy;
        consent_first_party .ana-example.jp;
        proxy_pass http://127.0.0.1:$port;
    }
LOC
}
$locs .= <<"LOC";
    location /neutralize/ {
        consent on;
        consent_site air-booking;
        consent_action neutralize;
        consent_unknown strip;
        consent_first_party ana-example.jp;
        proxy_pass http://127.0.0.1:$port;
    }
    location /nofirst/ {
        consent on;
        consent_site air-booking;
        consent_unknown strip;
        proxy_pass http://127.0.0.1:$port;
    }
LOC

my $ngx = start_nginx(http => "consent_rules $live;", server => '', locations => $locs,
                      upstream => $up);

sub get {
    my ($path, $split, $consent) = @_;
    return http_request(port => $ngx->port, path => $path,
                        headers => ['X-CT-Body' => $body_name, 'X-CT-Split' => $split // 'whole',
                                    'Cookie' => 'consent=' . ($consent // 'all')]);
}

for my $split ('whole', 1, 7, 'random:1') {
    bytes_eq(get('/pass/p.html', $split)->{body}, $page, "pass: untouched [split $split]");
    bytes_eq(get('/log/p.html', $split)->{body}, $page, "log: untouched [split $split]");
    bytes_eq(get('/strip/p.html', $split)->{body}, page_without(@third),
             "strip: exactly the unknown third-party elements go [split $split]");
}

bytes_eq(get('/nofirst/p.html')->{body}, page_without(@third, 'own_listed'),
         'strip without consent_first_party: other sites\' hosts are third-party too');

my $neu = get('/neutralize/p.html', 'whole', 'none')->{body};
unlike($neu, qr/thirdparty-example|other-example/, 'neutralize: unknown hosts are stripped, not neutralized');
like($neu, qr/<script type="text\/plain" data-consent="meta"/,
     'neutralize still neutralizes a declared recipient') or diag($neu);

my $log = sub { my ($re) = @_; scalar $ngx->error_lines($re) };
for my $h (@third_hosts) {
    is($log->(qr/\[warn\].*third-party host "\Q$h\E" is covered by no recipient in rules generation [0-9a-f]{16}\b/),
       1, "$h is logged once for this generation and worker, however many responses");
}
is($log->(qr/third-party host "[^"]*(?:localhost|elsewhere-example)/), 0,
   'the request\'s own hosts and plain links are never logged');
is($log->(qr/third-party host "static\.ana-example\.jp".*GET \/(?!nofirst\/)/), 0,
   'consent_first_party hosts are not logged where listed');
ok($log->(qr/third-party host "static\.ana-example\.jp".*its elements are removed/),
   'under strip the log says the elements are removed');

# A new rule generation logs each host again, once.
(my $yaml = read_file(repo_root() . '/rules/ana.yaml')) =~ s/(- id: air-booking\n\s+name: "[^"]*)"/$1 (b)"/
    or BAIL_OUT('no air-booking name in rules/ana.yaml');
write_file("$work/unknown-b.yaml", $yaml);
my $out = qx{'$ctl' compile '$work/unknown-b.yaml' -o '$live' 2>&1};
is($?, 0, 'a new generation compiles over the live file') or diag($out);
get('/log/p.html') for 1 .. 3;
is($log->(qr/third-party host "cdn\.thirdparty-example\.net"/), 2,
   'a new generation logs the host once more');

$ngx->stop;

# ------------------------------------------------ nginx -t
my ($rc, $msg) = nginx_t(http => "consent_rules $db;",
                         locations => 'location / { consent_unknown remove; return 204; }');
isnt($rc, 0, 'a bad consent_unknown value fails nginx -t');
like($msg, qr/consent_unknown/, 'naming the directive');
($rc, $msg) = nginx_t(http => "consent_rules $db;",
                      locations => 'location / { consent_first_party https://ana.co.jp/; return 204; }');
isnt($rc, 0, 'a URL instead of a host suffix fails nginx -t');
like($msg, qr/consent_first_party/, 'naming the directive');

done_testing();
