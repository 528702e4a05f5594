# nginx features an operator combines with a body filter, each with the gate:
# limit_rate / limit_rate_after, HTTP/2 (cleartext, prior knowledge),
# error_page (static, intercepted upstream errors, 502), X-Accel-Redirect to
# internal locations, "return 200 '...'", proxy_cache with gzip (MISS then
# HIT), a slow client behind a small socket send buffer, and pipelined
# keep-alive requests whose first response ends at its Content-Length.
# Every body is compared byte for byte with the oracle or an exact string.
#
# CT045_DEBUG=1 adds "error_log .../debug.log debug;" to every nginx here.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);
use ConsentOracle;
use Digest::MD5 qw(md5_hex);
use Errno qw(EINTR EAGAIN);
use File::Path qw(make_path);
use IO::Select;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);

my $db    = rules_db();
my $rules = ConsentOracle::load_rules(repo_root() . '/rules/ana.yaml');
my $HTTP  = "consent_rules $db;\nconsent_cookie consent;";

sub expect_for { (ConsentOracle::expected_for($rules, @_))[0] }
my $air      = (ConsentOracle::site_fixture('air-booking'))[1];
my $air_none = expect_for('air-booking', 'none');
my $air_all  = expect_for('air-booking', 'all');
my $air_ga   = expect_for('air-booking', 'google|adobe');
isnt($air_none, $air, 'the oracle removes something for consent=none');

my $ON  = 'consent on; consent_site air-booking;';
my $FBQ = q{<script src="https://connect.facebook.net/en_US/fbevents.js"></script>};

my $up = start_upstream();
my %body_name;
sub body_name {                     # the upstream's file name for a body
    my ($body) = @_;
    my $name = md5_hex($body);
    write_file($up->dir . "/$name", $body) unless $body_name{$name}++;
    return $name;
}
my $PASS = 'proxy_pass http://127.0.0.1:' . $up->port . ';';

my $DEBUG_SEQ = 0;
sub http_conf {
    my ($extra) = @_;
    my $h = $HTTP;
    $h .= "\nerror_log " . workdir() . '/debug-045-' . (++$DEBUG_SEQ) . '.log debug;' if $ENV{CT045_DEBUG};
    $h .= "\n$extra" if defined $extra;
    return $h;
}

sub well_formed {
    my ($res, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return ok(!$res->{error}, "$name: well-formed") || diag("error: $res->{error}");
}

# Several requests at once, each on its own connection (Connection: close),
# read concurrently: rate-limited responses overlap instead of adding up.
sub parallel_requests {
    my (%a) = @_;
    my @reqs = @{ $a{requests} };
    my (@raw, %sock_i, @done);
    my $sel = IO::Select->new;
    my $t0 = time;
    for my $i (0 .. $#reqs) {
        my $req = ConsentTest::request_text(%{ $reqs[$i] }, close => 1);
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $a{port}, Proto => 'tcp')
            or die "connect: $!";
        binmode $s;
        ConsentTest::_write_all($s, $req) or die "write: $!";
        $raw[$i] = '';
        $sock_i{fileno $s} = $i;
        $sel->add($s);
    }
    my $deadline = time + ($a{timeout} || 20);
    while ($sel->count && time < $deadline) {
        for my $s ($sel->can_read($deadline - time)) {
            my $i = $sock_i{fileno $s};
            my $n = sysread($s, $raw[$i], 65536, length $raw[$i]);
            next if !defined $n && ($! == EINTR || $! == EAGAIN);
            if (!$n) {
                $sel->remove($s);
                close $s;
                $done[$i] = time - $t0;
            }
        }
    }
    my @res;
    for my $i (0 .. $#reqs) {
        if (!$done[$i]) {
            push @res, { status => 0, headers => [], body => '',
                         error => "timeout after " . length($raw[$i]) . " bytes", raw => $raw[$i] };
            next;
        }
        push @res, ConsentTest::parse_response($raw[$i], 'GET');
        $res[-1]{took} = $done[$i];
    }
    for my $s ($sel->handles) { close $s }
    return @res;
}

# ================================================================ 1. limit_rate
# ~200 KB gated page sent in many rate-limited writes; chunked and
# Content-Length upstream framing, proxy buffering on and off, static files
# (sendfile off and on), and limit_rate_after (100k, then 16k/s). All
# requests run concurrently (~6 s in all). limit_rate counts the bytes sent,
# i.e. the gate's output. nginx itself turns limit_rate off for unbuffered
# proxied responses (ngx_http_upstream_send_response sets r->limit_rate = 0
# when proxy_buffering is off), so /rate-nobuf/ is checked for its body only.
{
    my $n   = 20;
    my $big = $air x $n;                     # ~400 KB upstream, ~200 KB gated (consent=none)
    my $exp = $air_none x $n;
    my $name = body_name($big);
    my $dir = static_dir('rate-static', 'index.html' => $big);
    my $ngx = ConsentTest::Nginx->start(http => http_conf(), server => '', upstream => $up,
        locations => join("\n",
            "location /rate/ { $ON limit_rate 32k; $PASS }",
            "location /rate-nobuf/ { $ON limit_rate 32k; proxy_buffering off; $PASS }",
            "location /rate-after/ { $ON limit_rate_after 100k; limit_rate 16k; $PASS }",
            "location /rate-all/ { $ON limit_rate 64k; $PASS }",
            "location /rate-static/ { $ON limit_rate 32k; alias $dir/; }",
            "location /rate-sendfile/ { $ON limit_rate_after 100k; limit_rate 16k; sendfile on; alias $dir/; }"));
    # (limit_rate KB/s, limit_rate_after KB) per location, for the least time
    # a response must take: nginx allows one second's worth up front
    my %rate = ('rate' => [32, 0], 'rate-nobuf' => undef, 'rate-after' => [16, 100], 'rate-all' => [64, 0],
                'rate-static' => [32, 0], 'rate-sendfile' => [16, 100]);
    my @plan;
    for my $framing ('chunked', 'length') {
        for my $loc ('rate', 'rate-nobuf', 'rate-after') {
            push @plan, { loc => $loc, framing => $framing, cookie => 'none', exp => $exp,
                          split => $loc eq 'rate-nobuf' ? 'random:2' : 'whole' };
        }
        push @plan, { loc => 'rate-all', framing => $framing, cookie => 'all',
                      exp => $air_all x $n, split => 7 };
    }
    push @plan, { loc => 'rate-static', path => '/rate-static/index.html', cookie => 'none', exp => $exp },
                { loc => 'rate-sendfile', path => '/rate-sendfile/index.html', cookie => 'google|adobe',
                  exp => $air_ga x $n };
    my $t0 = time;
    my @res = parallel_requests(port => $ngx->port, timeout => 25, requests => [ map { {
        path    => $_->{path} // "/$_->{loc}/$_->{framing}",
        headers => [($_->{framing} ? ('X-CT-Body' => $name, 'X-CT-Split' => $_->{split},
                                      'X-CT-Framing' => $_->{framing}) : ()),
                    Cookie => "consent=$_->{cookie}"],
    } } @plan ]);
    my $took = time - $t0;
    for my $i (0 .. $#plan) {
        my $p = $plan[$i];
        my $tag = "limit_rate /$p->{loc}/ " . ($p->{framing} // 'static') . " consent=$p->{cookie}";
        well_formed($res[$i], $tag);
        is($res[$i]{status}, 200, "$tag: status");
        bytes_eq($res[$i]{body}, $p->{exp}, "$tag: body");
        my $r = $rate{$p->{loc}} or next;
        my ($kps, $after) = @$r;
        my $min = (length($p->{exp}) / 1024 - $after - $kps) / $kps - 0.5;
        ok(($res[$i]{took} // 0) >= $min, sprintf('%s: rate-limited (%.1fs, at least %.1fs)',
                                                 $tag, $res[$i]{took} // -1, $min));
    }
    note(sprintf 'limit_rate: %.1fs for all', $took);
    $ngx->stop;
}

# ================================================================ 2. HTTP/2 cleartext
# The harness's server has a fixed "listen"; a second server block in the
# http config listens with "http2" on its own port. curl speaks h2c with
# prior knowledge.
SKIP: {
    my $curl = `sh -c 'command -v curl' 2>/dev/null`;
    chomp $curl;
    my $h2 = $curl && `$curl --version 2>/dev/null` =~ /\bHTTP2\b/;
    skip 'curl with HTTP/2 support is missing', 1 unless $h2;

    my $port2 = free_port();
    my $static = static_dir('h2-static', 'index.html' => $air);
    my $ngx = ConsentTest::Nginx->start(server => '', upstream => $up, locations => '',
        http => http_conf("server {\n listen 127.0.0.1:$port2 http2;\n server_name h2;\n"
            . " location /p/ { $ON $PASS }\n"
            . " location /nobuf/ { $ON proxy_buffering off; $PASS }\n"
            . " location /gz/ { $ON gzip on; gzip_min_length 1; $PASS }\n"
            . " location /chunk1k/ { $ON http2_chunk_size 1k; proxy_buffers 4 4k; $PASS }\n"
            . " location /ret/ { $ON default_type text/html; return 200 '<p>a</p>$FBQ<p>b</p>'; }\n"
            . " location /e404/ { $ON root $static; error_page 404 /s/index.html; }\n"
            . " location /s/ { $ON alias $static/; }\n"
            . "}"));
    my $tmp = workdir() . '/h2';
    make_path($tmp);
    my $seq = 0;
    my $curl_get = sub {
        my ($path, @h) = @_;
        my @opt = ref $h[0] ? @{ shift @h } : ();
        my $id = ++$seq;
        my @cmd = ($curl, '-sS', @opt, '--http2-prior-knowledge', '--max-time', '15',
                   '-o', "$tmp/$id.body", '-D', "$tmp/$id.head", '-w', '%{http_version}');
        push @cmd, '-H', $_ for @h;
        push @cmd, "http://127.0.0.1:$port2$path";
        open my $ph, '-|', @cmd or die "curl: $!";
        my $ver = do { local $/; <$ph> };
        close $ph;
        my $rc = $? >> 8;
        my $head = -f "$tmp/$id.head" ? read_file("$tmp/$id.head") : '';
        my $body = -f "$tmp/$id.body" ? read_file("$tmp/$id.body") : '';
        my ($status) = $head =~ m{^HTTP/\S+ ([0-9]{3})}m;
        return { rc => $rc, ver => $ver, head => $head, body => $body, status => $status // 0 };
    };
    my $big = $air x 40;                     # ~800 KB: many DATA frames and WINDOW_UPDATEs
    my $big_name = body_name($big);
    my $name = body_name($air);
    my @h2cases = (
        ['proxy, whole',              '/p/a',     $name,     'whole',    'chunked', 'none', $air_none],
        ['proxy, whole',              '/p/b',     $name,     'whole',    'chunked', 'all',  $air_all],
        ['proxy, split 7',            '/p/c',     $name,     7,          'chunked', 'none', $air_none],
        ['proxy, Content-Length',     '/p/d',     $name,     'random:1', 'length',  'none', $air_none],
        ['proxy, Content-Length',     '/p/e',     $name,     'whole',    'length',  'all',  $air_all],
        ['proxy_buffering off',       '/nobuf/f', $name,     'random:3', 'chunked', 'none', $air_none],
        ['800 KB page',               '/p/g',     $big_name, 'whole',    'length',  'none', $air_none x 40],
        ['800 KB page, buffering off','/nobuf/h', $big_name, 'random:2', 'chunked', 'all',  $air_all x 40],
        ['800 KB page, http2_chunk_size 1k, small proxy buffers, client reading at 400 KB/s',
                                      '/chunk1k/j', $big_name, 'whole',  'length',  'none', $air_none x 40,
                                      ['--limit-rate', '400k']],
    );
    for my $c (@h2cases) {
        my ($what, $path, $bn, $split, $framing, $cookie, $exp, $opt) = @$c;
        my $tag = "HTTP/2 $what ($framing) consent=$cookie";
        my $r = $curl_get->($path, $opt || [], "X-CT-Body: $bn", "X-CT-Split: $split", "X-CT-Framing: $framing",
                            "Cookie: consent=$cookie");
        is($r->{rc}, 0, "$tag: curl exit 0 (well-formed)");
        is($r->{ver}, '2', "$tag: spoken over HTTP/2");
        is($r->{status}, 200, "$tag: status");
        unlike($r->{head}, qr/^content-length:/mi, "$tag: no Content-Length");
        bytes_eq($r->{body}, $exp, "$tag: body");
    }
    for my $c (['/ret/x', 'none', 200, '<p>a</p><p>b</p>'], ['/ret/y', 'all', 200, "<p>a</p>$FBQ<p>b</p>"],
               ['/e404/missing.html', 'none', 404, $air_none], ['/e404/missing.html', 'all', 404, $air_all]) {
        my ($path, $cookie, $status, $exp) = @$c;
        my $tag = "HTTP/2 $path consent=$cookie";
        my $r = $curl_get->($path, "Cookie: consent=$cookie");
        is($r->{rc}, 0, "$tag: curl exit 0 (well-formed)");
        is($r->{status}, $status, "$tag: status");
        bytes_eq($r->{body}, $exp, "$tag: body");
    }
    for my $cookie ('none', 'all') {
        my $tag = "HTTP/2 static file consent=$cookie";
        my $r = $curl_get->('/s/index.html', "Cookie: consent=$cookie");
        is($r->{rc}, 0, "$tag: curl exit 0 (well-formed)");
        bytes_eq($r->{body}, $cookie eq 'none' ? $air_none : $air_all, "$tag: body");
    }
    {
        my $tag = 'HTTP/2 gzip on, gzip client, consent=google|adobe';
        my $r = $curl_get->('/gz/i', "X-CT-Body: $name", 'X-CT-Framing: length', 'Accept-Encoding: gzip',
                            'Cookie: consent=google|adobe');
        is($r->{rc}, 0, "$tag: curl exit 0 (well-formed)");
        like($r->{head}, qr/^content-encoding: gzip/mi, "$tag: gzip");
        my $got = eval { gunzip_bytes($r->{body}) };
        bytes_eq($got, $air_ga, "$tag: gunzipped body");
    }
    # several multiplexed streams on one connection
    {
        my @cmd = ($curl, '-sS', '--no-progress-meter', '--http2-prior-knowledge', '--max-time', '20', '--parallel',
                   '--parallel-immediate', '-H', "X-CT-Body: $big_name", '-H', 'X-CT-Split: random:1',
                   '-H', 'Cookie: consent=none');
        push @cmd, '-o', "$tmp/mux$_.body", "http://127.0.0.1:$port2/nobuf/mux$_" for 1 .. 4;
        system(@cmd);
        is($? >> 8, 0, 'HTTP/2 4 multiplexed streams: curl exit 0');
        for (1 .. 4) {
            my $got = -f "$tmp/mux$_.body" ? read_file("$tmp/mux$_.body") : undef;
            bytes_eq($got, $air_none x 40, "HTTP/2 multiplexed stream $_: body");
        }
    }
    $ngx->stop;
}

# ================================================================ 3. error_page
# The error page is a static file carrying trackers, served in a location
# (or a server) with consent on: it is gated like any page; its status stays.
{
    my $small404 = "<html><body><h1>Not found</h1>$FBQ<p>back</p></body></html>\n";
    my $errdir = static_dir('errpages', 'custom404.html' => $air, 'small404.html' => $small404,
                            'custom50x.html' => $air);
    my $dead = free_port();                  # nothing listens there: 502
    my $port3 = free_port();
    my $ngx = ConsentTest::Nginx->start(upstream => $up, server => '',
        http => http_conf("server {\n listen 127.0.0.1:$port3;\n server_name srv;\n $ON\n"
            . " root $errdir;\n error_page 404 /custom404.html;\n"
            . " location / { }\n"
            . " location /p/ { proxy_intercept_errors on; $PASS }\n"
            . "}"),
        locations => join("\n",
            "location /static/ { $ON root $errdir; error_page 404 /custom404.html; }",
            "location /small/ { $ON root $errdir; error_page 404 /small404.html; }",
            "location /up/ { $ON proxy_intercept_errors on; error_page 404 /custom404.html; $PASS }",
            "location /dead/ { $ON error_page 502 /custom50x.html; proxy_pass http://127.0.0.1:$dead; }",
            "location /named/ { $ON root $errdir; error_page 404 = \@fallback; }",
            "location \@fallback { $ON proxy_set_header X-CT-Body \$http_x_ct_next; $PASS }",
            "location /upoff/ { $ON error_page 404 /custom404-off.html; proxy_intercept_errors on; $PASS }",
            "location = /custom404.html { $ON root $errdir; }",
            "location = /small404.html { $ON root $errdir; }",
            "location = /custom50x.html { $ON root $errdir; }",
            "location = /custom404-off.html { consent off; alias $errdir/custom404.html; }"));
    my $name = body_name("<p>upstream 404 body</p>$FBQ");
    my @e = (
        ['static missing file',      $ngx->port, '/static/missing.html', [],                        'none', 404, $air_none],
        ['static missing file',      $ngx->port, '/static/missing.html', [],                        'all',  404, $air_all],
        ['small error page',         $ngx->port, '/small/missing.html',  [],                        'none', 404,
            "<html><body><h1>Not found</h1><p>back</p></body></html>\n"],
        ['small error page',         $ngx->port, '/small/missing.html',  [],                        'all',  404, $small404],
        ['upstream 404 intercepted', $ngx->port, '/up/x', ['X-CT-Body' => $name, 'X-CT-Status' => 404], 'none', 404, $air_none],
        ['upstream 404 intercepted, length', $ngx->port, '/up/y',
            ['X-CT-Body' => $name, 'X-CT-Status' => 404, 'X-CT-Framing' => 'length'],          'google|adobe', 404, $air_ga],
        ['upstream down, error_page 502', $ngx->port, '/dead/z', [],                           'none', 502, $air_none],
        ['error_page 404 = @fallback (proxied), missing file', $ngx->port, '/named/missing.html',
            ['X-CT-Next' => body_name($air)],                                                   'none', 200, $air_none],
        ['error page location consent off', $ngx->port, '/upoff/x', ['X-CT-Body' => $name, 'X-CT-Status' => 404],
                                                                                                 'none', 404, $air],
        ['server-level consent + error_page, static', $port3, '/missing.html', [],              'none', 404, $air_none],
        ['server-level consent + error_page, upstream 404', $port3, '/p/x',
            ['X-CT-Body' => $name, 'X-CT-Status' => 404],                                       'none', 404, $air_none],
    );
    for my $c (@e) {
        my ($what, $port, $path, $h, $cookie, $status, $exp) = @$c;
        my $tag = "error_page: $what, consent=$cookie";
        my $res = http_request(port => $port, path => $path, timeout => 15,
                               headers => [@$h, Cookie => "consent=$cookie"]);
        well_formed($res, $tag);
        is($res->{status}, $status, "$tag: status $status");
        bytes_eq($res->{body}, $exp, "$tag: body");
    }
    $ngx->stop;
}

# ================================================================ 4. X-Accel-Redirect
# The upstream answers with X-Accel-Redirect; nginx serves the internal
# location instead: gated there when that location has consent on, not when
# it has consent off.
{
    my $dir = static_dir('xaccel', 'page.html' => $air);
    my $ngx = ConsentTest::Nginx->start(http => http_conf(), server => '', upstream => $up,
        locations => join("\n",
            "location /xa/ { $ON $PASS }",
            "location /xa-off/ { consent off; $PASS }",
            "location /internal/ { internal; $ON alias $dir/; }",
            "location /internal-off/ { internal; consent off; alias $dir/; }",
            "location /internal-proxy/ { internal; $ON proxy_set_header X-CT-Body \$http_x_ct_next;"
              . " proxy_set_header X-CT-Framing length; proxy_set_header X-CT-Header ''; $PASS }"));
    my $name = body_name("<p>the upstream's own body, replaced</p>");
    my $page = body_name($air);
    my @x = (
        ['gated location -> internal consent on',  '/xa/1',     '/internal/page.html',     'none', $air_none],
        ['gated location -> internal consent on',  '/xa/2',     '/internal/page.html',     'google|adobe', $air_ga],
        ['ungated location -> internal consent on', '/xa-off/3', '/internal/page.html',    'none', $air_none],
        ['gated location -> internal consent off', '/xa/4',     '/internal-off/page.html', 'none', $air],
        ['ungated location -> internal consent off', '/xa-off/5', '/internal-off/page.html', 'none', $air],
        ['gated location -> internal proxied page', '/xa/6',    '/internal-proxy/p',       'none', $air_none],
    );
    for my $c (@x) {
        my ($what, $path, $target, $cookie, $exp) = @$c;
        my $tag = "X-Accel-Redirect: $what, consent=$cookie";
        my $res = http_request(port => $ngx->port, path => $path, timeout => 15, headers => [
            'X-CT-Body' => $name, 'X-CT-Header' => "X-Accel-Redirect: $target", 'X-CT-Next' => $page,
            Cookie => "consent=$cookie"]);
        well_formed($res, $tag);
        is($res->{status}, 200, "$tag: status");
        bytes_eq($res->{body}, $exp, "$tag: body");
    }
    $ngx->stop;
}

# ================================================================ 5. return 200 "..."
{
    my $ret = "<html><head>$FBQ</head><body><p>hello</p>"
            . q{<img height="1" width="1" src="https://www.facebook.com/tr?id=1&ev=PageView"></body></html>};
    (my $conf_ret = $ret) =~ s/'/\\'/g;
    my $ngx = ConsentTest::Nginx->start(http => http_conf(), server => '', upstream => $up,
        locations => join("\n",
            "location /ret/ { $ON default_type text/html; return 200 '$conf_ret'; }",
            "location /ret404/ { $ON default_type text/html; return 404 '$conf_ret'; }",
            "location /retoff/ { consent off; default_type text/html; return 200 '$conf_ret'; }",
            "location /rettext/ { $ON default_type text/plain; return 200 '$conf_ret'; }"));
    my $gated = "<html><head></head><body><p>hello</p></body></html>";
    my @r = (
        ['/ret/a',     'none', 200, $gated],
        ['/ret/b',     'all',  200, $ret],
        ['/ret404/c',  'none', 404, $gated],
        ['/retoff/d',  'none', 200, $ret],
        ['/rettext/e', 'none', 200, $ret],
    );
    for my $c (@r) {
        my ($path, $cookie, $status, $exp) = @$c;
        my $tag = "return $status in $path consent=$cookie";
        for my $ver ('1.1', '1.0') {
            my $res = http_request(port => $ngx->port, path => $path, version => $ver, timeout => 15,
                                   headers => [Cookie => "consent=$cookie"]);
            well_formed($res, "$tag HTTP/$ver");
            is($res->{status}, $status, "$tag HTTP/$ver: status");
            bytes_eq($res->{body}, $exp, "$tag HTTP/$ver: body");
        }
    }
    $ngx->stop;
}

# ================================================================ 6. proxy_cache + gzip
# MISS then HITs with different consent cookies, gzip-accepting client: every
# gunzipped body is gated for its own visitor. Also a gzip upstream with
# gunzip on in front of the cache.
{
    my $cache = workdir() . '/cache-045';
    my $ngx = ConsentTest::Nginx->start(server => '', upstream => $up,
        http => http_conf("proxy_cache_path $cache keys_zone=ct045:1m;"),
        locations => join("\n",
            "location /cz/ { $ON proxy_cache ct045; proxy_cache_key \$uri; proxy_cache_valid 200 10m;"
              . " add_header X-Cache \$upstream_cache_status; gzip on; gzip_min_length 1; $PASS }",
            "location /czg/ { $ON proxy_cache ct045; proxy_cache_key \$uri; proxy_cache_valid 200 10m;"
              . " add_header X-Cache \$upstream_cache_status; gunzip on; gzip on; gzip_min_length 1; $PASS }"));
    my $name = body_name($air);
    my @visits = (['none', $air_none, 'MISS'], ['all', $air_all, 'HIT'],
                  ['google|adobe', $air_ga, 'HIT'], ['none', $air_none, 'HIT']);
    for my $loc ('cz', 'czg') {
        for my $framing ('chunked', 'length') {
            for my $v (@visits) {
                my $tag = "proxy_cache + gzip /$loc/ $framing consent=$v->[0] ($v->[2])";
                my $res = http_request(port => $ngx->port, path => "/$loc/$framing.html", timeout => 15,
                    headers => ['X-CT-Body' => $name, 'X-CT-Split' => 7, 'X-CT-Framing' => $framing,
                                ($loc eq 'czg' ? ('X-CT-Gzip' => 1) : ()),
                                'Accept-Encoding' => 'gzip', Cookie => "consent=$v->[0]"]);
                well_formed($res, $tag);
                is(hdr($res, 'X-Cache'), $v->[2], "$tag: X-Cache");
                is(hdr($res, 'Content-Encoding'), 'gzip', "$tag: gzip");
                my $got = eval { gunzip_bytes($res->{body}) };
                ok(defined $got, "$tag: decodes") or diag $@;
                bytes_eq($got, $v->[1], "$tag: gunzipped body");
            }
        }
    }
    # a client without gzip on a cached entry
    my $res = http_request(port => $ngx->port, path => '/cz/length.html', timeout => 15,
        headers => ['X-CT-Body' => $name, Cookie => 'consent=none']);
    well_formed($res, 'proxy_cache + gzip, plain client on HIT');
    ok(!defined hdr($res, 'Content-Encoding'), 'proxy_cache + gzip, plain client on HIT: not encoded');
    bytes_eq($res->{body}, $air_none, 'proxy_cache + gzip, plain client on HIT: body');
    $ngx->stop;
}

# ================================================================ 7. slow client
# ~500 KB gated page to a client that reads 2 KB at a time with pauses,
# through a listen socket with sndbuf=4k (a second server block: the
# harness's own listen cannot take parameters), so nginx's writes block.
{
    my $n   = 25;
    my $big = $air x $n;                     # ~500 KB
    my $name = body_name($big);
    my $dir = static_dir('slow-static', 'index.html' => $big);
    my $port7 = free_port();
    # a debug log of this server alone shows the writes that did not complete
    my $debug = `$ConsentTest::NGINX -V 2>&1` =~ /--with-debug/ ? workdir() . '/slow-debug.log' : undef;
    my $ngx = ConsentTest::Nginx->start(server => '', upstream => $up, locations => '',
        http => http_conf("server {\n listen 127.0.0.1:$port7 sndbuf=4k;\n server_name slow;\n"
            . ($debug ? " error_log $debug debug;\n" : '')
            . " location /p/ { $ON $PASS }\n"
            . " location /small/ { $ON proxy_buffers 4 4k; proxy_max_temp_file_size 0; $PASS }\n"
            . " location /nobuf/ { $ON proxy_buffering off; $PASS }\n"
            . " location /gz/ { $ON gzip on; gzip_min_length 1; $PASS }\n"
            . " location /s/ { $ON alias $dir/; }\n"
            . " location /sf/ { $ON sendfile on; alias $dir/; }\n"
            . "}"));
    my $slow_get = sub {
        my ($path, @h) = @_;
        socket(my $s, Socket::PF_INET(), Socket::SOCK_STREAM(), 0) or die "socket: $!";
        setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', 4096)) or die "rcvbuf: $!";
        connect($s, Socket::pack_sockaddr_in($port7, Socket::inet_aton('127.0.0.1'))) or die "connect: $!";
        binmode $s;
        ConsentTest::_write_all($s, ConsentTest::request_text(path => $path, headers => \@h, close => 1));
        my $raw = '';
        my $sel = IO::Select->new($s);
        my $deadline = time + 20;
        my $reads = 0;
        my $eof = 0;
        while (time < $deadline) {
            next unless $sel->can_read($deadline - time);
            my $r = sysread($s, $raw, 2048, length $raw);
            next if !defined $r && ($! == EINTR || $! == EAGAIN);
            if (!$r) { $eof = 1; last }
            sleep 0.004 if ++$reads % 2 == 0;
        }
        close $s;
        return { status => 0, headers => [], body => '', error => 'timeout after ' . length($raw) . ' bytes' }
            unless $eof;
        my $res = ConsentTest::parse_response($raw, 'GET');
        $res->{reads} = $reads;
        return $res;
    };
    my @s = (
        ['proxy, chunked',          '/p/a',     ['X-CT-Body' => $name, 'X-CT-Framing' => 'chunked'], 'none', $air_none x $n],
        ['proxy, Content-Length',   '/p/b',     ['X-CT-Body' => $name, 'X-CT-Framing' => 'length'],  'none', $air_none x $n],
        ['proxy, small buffers, no temp file', '/small/c',
            ['X-CT-Body' => $name, 'X-CT-Framing' => 'length', 'X-CT-Split' => 'random:1'], 'none', $air_none x $n],
        ['proxy_buffering off',     '/nobuf/d', ['X-CT-Body' => $name, 'X-CT-Framing' => 'length'],  'all',  $air_all x $n],
        ['gzip on, gzip client',    '/gz/e',    ['X-CT-Body' => $name, 'X-CT-Framing' => 'length', 'X-CT-Split' => 7,
                                                 'Accept-Encoding' => 'gzip'], 'none', $air_none x $n],
        ['static file',             '/s/index.html',  [], 'none', $air_none x $n],
        ['static file, sendfile on', '/sf/index.html', [], 'google|adobe', $air_ga x $n],
    );
    for my $c (@s) {
        my ($what, $path, $h, $cookie, $exp) = @$c;
        my $tag = "slow client (sndbuf=4k): $what, consent=$cookie";
        my $t0 = time;
        my $res = $slow_get->($path, @$h, Cookie => "consent=$cookie");
        well_formed($res, $tag);
        is($res->{status}, 200, "$tag: status");
        my $got = $res->{body};
        if (lc(hdr($res, 'Content-Encoding') // '') eq 'gzip') {
            $got = eval { gunzip_bytes($got) };
        }
        bytes_eq($got, $exp, "$tag: body");
        # nginx's writes to this client blocked (not asserted for gzip: the
        # compressed page is small enough to fit the socket buffers at times)
        if ($debug && $path !~ m{^/gz/}) {
            my ($cid) = map { /\*(\d+) http request line: "GET \Q$path\E / ? $1 : () }
                        split /\n/, read_file($debug);
            my $blocked = defined $cid ? () = read_file($debug) =~ /\*$cid (?:writev|sendfile|send)\(\) not ready/g : 0;
            ok($blocked > 0, "$tag: nginx's writes blocked ($blocked times)");
        }
        note(sprintf "%s: %d reads, %.2fs", $tag, $res->{reads} // 0, time - $t0);
    }
    $ngx->stop;
}

# ================================================================ 8. pipelined keep-alive
# Requests sent at once on one connection; the first response is gated and
# ends at the upstream's Content-Length (the gate ends it before the upstream
# module's last buffer): the next responses on the connection stay intact.
{
    my $dir = static_dir('pipe-static', 'index.html' => $air);
    my $ngx = ConsentTest::Nginx->start(http => http_conf(), server => '', upstream => $up,
        locations => join("\n",
            "location /p/ { $ON $PASS }",
            "location /ka/ { $ON proxy_pass http://ct_upstream_ka; proxy_set_header Connection \"\"; }",
            "location /off/ { consent off; $PASS }",
            "location /s/ { $ON alias $dir/; }",
            "location /ret/ { $ON default_type text/html; return 200 '<p>a</p>$FBQ<p>b</p>'; }"));
    my $name  = body_name($air);
    my $small = body_name("<p>x</p>$FBQ<p>y</p>");
    for my $split ('whole', 1, 7, 'random:2') {
        for my $loc ('p', 'ka') {
            my @order = (
                ["/$loc/1", $name,  'length',  'none',         $air_none],
                ["/$loc/2", $name,  'length',  'all',          $air_all],
                ["/off/3",  $name,  'length',  'none',         $air],
                ["/$loc/4", $small, 'length',  'none',         '<p>x</p><p>y</p>'],
                ["/s/index.html", undef, undef, 'google|adobe', $air_ga],
                ["/ret/6",  undef,  undef,     'none',         '<p>a</p><p>b</p>'],
                ["/$loc/7", $name,  'chunked', 'none',         $air_none],
                ["/$loc/8", $name,  'length',  'google|adobe', $air_ga],
            );
            my @res = http_pipeline(port => $ngx->port, requests => [ map { {
                path => $_->[0],
                headers => [(defined $_->[1] ? ('X-CT-Body' => $_->[1], 'X-CT-Split' => $split,
                                                'X-CT-Framing' => $_->[2]) : ()),
                            Cookie => "consent=$_->[3]"],
            } } @order ]);
            my $tag = "pipelined keep-alive /$loc/ [$split]";
            is(scalar @res, scalar @order, "$tag: all responses received");
            for my $i (0 .. $#order) {
                my $t = "$tag #$i $order[$i][0] consent=$order[$i][3]";
                my $res = $res[$i] || { error => 'missing', body => undef };
                well_formed($res, $t);
                bytes_eq($res->{body}, $order[$i][4], "$t: body");
            }
        }
    }
    $ngx->stop;
}

$up->stop;
done_testing;
