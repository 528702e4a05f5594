# Transport: gzip after the gate, gzip-compressed upstreams with gunzip,
# proxy buffering on/off (incl. tiny buffers), static files (sendfile on and
# off, small output buffers), large pages, keep-alive and HTTP/1.0 clients,
# consent_max_element_size.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);
use ConsentOracle;

my $db    = rules_db();
my $rules = ConsentOracle::load_rules(repo_root() . '/rules/ana.yaml');
my $HTTP  = "consent_rules $db;\nconsent_cookie consent;";

sub expect_for { ConsentOracle::expected_for($rules, @_) }
my $air_html = (ConsentOracle::site_fixture('air-booking'))[1];
my ($air_none, $air_none_b) = expect_for('air-booking', 'none');
my ($air_ga)                = expect_for('air-booking', 'google|adobe');
my ($tour_none)             = expect_for('tour-booking', 'none');
my ($gour_an)               = expect_for('gourmet', 'analytics');

my $ON  = 'consent on; consent_site air-booking;';
my @cases;

# ---------------------------------------------------------------- gzip
push @cases,
  { name => 'gzip on after the gate, gzip client', fixture => 'air-booking.html', cookie => 'none',
    client_gzip => 1, location => "$ON gzip on; gzip_min_length 1;",
    expect => { body => $air_none, blocked => $air_none_b,
                headers => { 'Content-Encoding' => 'gzip', Vary => qr/Cookie/i },
                no_headers => ['Content-Length'] } },
  { name => 'gzip on, client without gzip gets plain', fixture => 'air-booking.html', cookie => 'none',
    location => "$ON gzip on; gzip_min_length 1;",
    expect => { body => $air_none, no_headers => ['Content-Encoding'] } },
  { name => 'gzip upstream + gunzip on, plain client', fixture => 'air-booking.html', up_gzip => 1,
    cookie => 'none', location => "$ON gunzip on;",
    expect => { body => $air_none, blocked => $air_none_b, no_headers => ['Content-Encoding', 'Content-Length'] } },
  { name => 'gzip upstream + gunzip on, gzip client', fixture => 'air-booking.html', up_gzip => 1,
    client_gzip => 1, cookie => 'none', location => "$ON gunzip on;",
    expect => { body => $air_none, blocked => $air_none_b } },
  { name => 'gzip upstream + gunzip on + gzip on, gzip client gets gzip', fixture => 'air-booking.html',
    up_gzip => 1, client_gzip => 1, cookie => 'google|adobe',
    location => "$ON gunzip on; gzip on; gzip_min_length 1;",
    expect => { body => $air_ga, headers => { 'Content-Encoding' => 'gzip' } } },
  { name => 'gzip upstream + gunzip on + gzip on, plain client', fixture => 'air-booking.html',
    up_gzip => 1, cookie => 'google|adobe', location => "$ON gunzip on; gzip on; gzip_min_length 1;",
    expect => { body => $air_ga, no_headers => ['Content-Encoding'] } },
  { name => 'gzip upstream with Content-Length + gunzip on', fixture => 'tour-booking.html', up_gzip => 1,
    up_framing => 'length', splits => ['whole'], cookie => 'none',
    location => 'consent on; consent_site tour-booking; gunzip on;',
    expect => { body => $tour_none, no_headers => ['Content-Encoding', 'Content-Length'] } },
  { name => 'gzip upstream, consent off: passes compressed', fixture => 'air-booking.html', up_gzip => 1,
    client_gzip => 1, cookie => 'none', location => 'consent off; gunzip on;', splits => ['whole', 7],
    expect => { same => 1, headers => { 'Content-Encoding' => 'gzip' } } };

# Encoded bodies the gate cannot read must never be parsed as HTML (bytes
# that look like a tag inside a compressed stream are not a tag); with
# consent_undecodable pass they go through untouched (t/065 has the rest).
for my $enc ('br', 'zstd') {
    push @cases,
      { name => "Content-Encoding $enc, consent_undecodable pass: byte-identical", cookie => 'none',
        location => "$ON gunzip on; consent_undecodable pass;",
        body => qq{\x1b\x00<script src="https://connect.facebook.net/x.js"></script>\xff<img src="//www.facebook.com/tr">},
        up_headers => ["Content-Encoding: $enc"],
        expect => { same => 1, headers => { 'Content-Encoding' => $enc } } };
}
push @cases,
  { name => 'gzip upstream without gunzip: decoded by the module and gated', fixture => 'air-booking.html',
    up_gzip => 1, client_gzip => 1, cookie => 'none', location => $ON, splits => ['whole', 7],
    expect => { body => $air_none, no_headers => ['Content-Encoding'] } };

# ---------------------------------------------------------------- proxy buffering
for my $b ('on', 'off') {
    push @cases,
      { name => "proxy_buffering $b", fixture => 'air-booking.html', cookie => 'none',
        location => "$ON proxy_buffering $b;", expect => { body => $air_none, blocked => $air_none_b } },
      { name => "proxy_buffering $b, tiny buffers", fixture => 'tour-booking.html', cookie => 'none',
        location => "consent on; consent_site tour-booking; proxy_buffering $b; proxy_buffer_size 1k; proxy_buffers 2 1k; proxy_busy_buffers_size 1k; proxy_temp_file_write_size 1k; proxy_max_temp_file_size 64k;",
        expect => { body => $tour_none } },
      { name => "proxy_buffering $b, keep-alive upstream pool", fixture => 'gourmet.html',
        backend => 'proxy_keepalive', cookie => 'analytics',
        location => "consent on; consent_site gourmet; proxy_buffering $b;",
        expect => { body => $gour_an } };
}
push @cases,
  { name => 'proxy buffering spills to a temp file', fixture => 'tour-booking.html', cookie => 'none',
    location => 'consent on; consent_site tour-booking; proxy_buffering on; proxy_buffer_size 1k; proxy_buffers 2 1k; proxy_busy_buffers_size 1k; proxy_temp_file_write_size 1k; proxy_max_temp_file_size 10m;'
              . ' limit_rate 64k;',
    splits => ['whole', 'random:4'],
    expect => { body => $tour_none, check => sub {
        my ($res, $got, $split, $ngx, $c) = @_;
        ok(scalar $ngx->error_lines(qr{buffered to a temporary file.*GET /c/$c->{_id}/}),
           "[split $split] the response really went through a temp file");
    } } };

# ---------------------------------------------------------------- static files
for my $sf ('on', 'off') {
    push @cases,
      { name => "static file, sendfile $sf", backend => 'static', cookie => 'none',
        static => { 'index.html' => 'fixture:air-booking.html' },
        location => "$ON sendfile $sf;",
        expect => { body => $air_none, blocked => $air_none_b,
                    no_headers => ['Content-Length', 'Accept-Ranges'], headers => { Vary => qr/Cookie/i } } },
      { name => "static file, sendfile $sf, 512-byte output buffers", backend => 'static', cookie => 'none',
        static => { 'index.html' => 'fixture:air-booking.html' },
        location => "$ON sendfile $sf; output_buffers 2 512;",
        expect => { body => $air_none } };
}
push @cases,
  { name => 'static file with root and gzip', backend => 'static_root', cookie => 'google|adobe', client_gzip => 1,
    static => { 'index.html' => 'fixture:air-booking.html' },
    location => "$ON gzip on; gzip_min_length 1;",
    expect => { body => $air_ga, headers => { 'Content-Encoding' => 'gzip' } } };

# ---------------------------------------------------------------- big pages
{
    my $n = 40;                       # ~800 KB: many buffers, many elements
    my $big = $air_html x $n;
    my $exp = $air_none x $n;
    push @cases,
      { name => "large page ($n fixture copies)", body => $big, cookie => 'none', location => $ON,
        splits => ['whole', 7, 'random:1', 'random:2'], expect => { body => $exp } },
      { name => "large page, proxy_buffering off", body => $big, cookie => 'none',
        location => "$ON proxy_buffering off;", splits => ['whole', 'random:3'], expect => { body => $exp } },
      { name => "large page through gzip", body => $big, cookie => 'none', client_gzip => 1,
        location => "$ON gzip on;", splits => ['whole', 'random:5'],
        expect => { body => $exp, headers => { 'Content-Encoding' => 'gzip' } } };
}

# ---------------------------------------------------------------- HTTP/1.0 client
push @cases,
  { name => 'HTTP/1.0 client (close-delimited response)', fixture => 'air-booking.html', cookie => 'none',
    http_version => '1.0', location => $ON, expect => { body => $air_none, no_headers => ['Content-Length'] } };

# ---------------------------------------------------------------- consent_max_element_size
my $pad  = join '', map { "  /* ライセンス表記 line $_ */\n" } 1 .. 200;      # ~6 KB
my $attr = "<script>fbq('init','1');\n$pad</script>";
my $unat = "<script>window.ANA={};\n$pad var s=\"</scr\"+\"ipt>\";</script>";
my $src  = "<script src=\"https://connect.facebook.net/en_US/fbevents.js\">\n$pad</script>";
my $MAX  = "$ON consent_max_element_size 1k;";
push @cases,
  { name => 'max 1k: attributed inline script bigger than the limit removed whole',
    body => "<p>a</p>$attr<p>b</p>", cookie => 'none', location => $MAX,
    expect => { body => '<p>a</p><p>b</p>', blocked => ['meta'] } },
  { name => 'max 1k: unattributed inline script bigger than the limit passes',
    body => "<p>a</p>$unat<p>b</p>", cookie => 'none', location => $MAX,
    expect => { same => 1, blocked => [] } },
  { name => 'max 1k: script src with a big body removed whole',
    body => "<p>a</p>$src<p>b</p>", cookie => 'none', location => $MAX,
    expect => { body => '<p>a</p><p>b</p>' } },
  { name => 'max 1k: consented big script kept',
    body => "<p>a</p>$attr<p>b</p>", cookie => 'meta', location => $MAX, expect => { same => 1 } },
  { name => 'max 1k: big unattributed then attributed',
    body => "$unat|$attr|$unat", cookie => 'none', location => $MAX,
    expect => { body => "$unat||$unat" } },
  { name => 'max 1k: big first-party noscript passes',
    body => "<noscript><p>$pad</p><img src=\"/nojs.gif\"></noscript>", cookie => 'none', location => $MAX,
    expect => { same => 1 } };
{
    my $pad300 = "/*" . ('0123456789abcdef' x 19200) . "*/";                 # ~300 KB
    push @cases,
      { name => 'default max (256k): 300 KB unattributed inline script passes',
        body => "<p>a</p><script>var a=1;$pad300</script><p>b</p>", cookie => 'none', location => $ON,
        splits => ['whole', 'random:1'], expect => { same => 1 } },
      { name => 'default max (256k): 300 KB attributed inline script removed whole',
        body => "<p>a</p><script>gtag('js',new Date());$pad300</script><p>b</p>", cookie => 'none',
        location => $ON, splits => ['whole', 'random:1'], expect => { body => '<p>a</p><p>b</p>' } },
      { name => 'max 512k: 300 KB script with the signature at its end removed',
        body => "<p>a</p><script>$pad300 gtag('js');</script><p>b</p>", cookie => 'none',
        location => "$ON consent_max_element_size 512k;", splits => ['whole', 'random:2'],
        expect => { body => '<p>a</p><p>b</p>' } };
}

run_cases({ http => $HTTP }, \@cases);

# ---------------------------------------------------------------- keep-alive client
# Per-request state: consecutive requests on one client connection with
# different cookies must each get their own result.
{
    my $up  = ConsentTest::Upstream->start;
    my $ngx = ConsentTest::Nginx->start(http => $HTTP, server => '', upstream => $up,
        locations => "location / { $ON proxy_pass http://127.0.0.1:" . $up->port . "; }");
    my $name = Digest::MD5::md5_hex($air_html);
    ConsentTest::write_file($up->dir . "/$name", $air_html);
    my ($all) = expect_for('air-booking', 'all');
    my @order = (['none', $air_none], ['all', $all], ['google|adobe', $air_ga], ['none', $air_none]);
    for my $split ('whole', 1) {
        my @res = http_pipeline(port => $ngx->port, requests => [ map { {
            path => '/index.html',
            headers => ['X-CT-Body' => $name, 'X-CT-Split' => $split, Cookie => "consent=$_->[0]"],
        } } @order ]);
        is(scalar @res, scalar @order, "keep-alive [$split]: all responses received");
        for my $i (0 .. $#order) {
            ok(!$res[$i]{error}, "keep-alive [$split] #$i well-formed") or diag $res[$i]{error};
            bytes_eq($res[$i]{body}, $order[$i][1], "keep-alive [$split] #$i consent=$order[$i][0]");
        }
    }
    $ngx->stop;
    $up->stop;
}

# ---------------------------------------------------------------- proxy_cache, filters after the gate
# nginx's proxy_cache keeps the upstream's page, never a gated one: every hit
# is gated afresh for its own visitor. sub_filter, addition and SSI run after
# the gate, on its output, also when the gate ends the response at the
# upstream's Content-Length before the upstream module sends its last buffer;
# an SSI include of a gated location is gated as a subrequest of its own.
{
    my $up    = ConsentTest::Upstream->start;
    my $cache = ConsentTest::workdir() . '/proxy-cache-040';
    my $fbq   = q{<script src="https://connect.facebook.net/en_US/fbevents.js"></script>};
    my $after = ConsentTest::static_dir('after-040',
        'before.html'  => "<p>added before the body</p>\n",
        'after.html'   => "<p>added after the body</p>\n",
        'snippet.html' => "<i>x</i>$fbq<i>y</i>");
    my $pass = 'proxy_pass http://127.0.0.1:' . $up->port . ';';
    my $ngx = ConsentTest::Nginx->start(upstream => $up, server => '',
        http => "$HTTP\nproxy_cache_path $cache keys_zone=ct040:1m;",
        locations => join("\n",
            "location /cache/ { $ON proxy_cache ct040; proxy_cache_key \$uri; proxy_cache_valid 200 10m;"
              . " add_header X-Cache \$upstream_cache_status; $pass }",
            "location /sub/ { $ON sub_filter '</body>' '<p>after the gate</p></body>'; $pass }",
            "location /add/ { $ON add_before_body /after/before.html; add_after_body /after/after.html; $pass }",
            "location /ssi/ { $ON ssi on; $pass }",
            "location /after/ { alias $after/; }",
            "location /gated/ { $ON alias $after/; }"));
    my $html = $air_html;
    my $name = Digest::MD5::md5_hex($html);
    ConsentTest::write_file($up->dir . "/$name", $html);
    my ($all) = expect_for('air-booking', 'all');
    my $get = sub {
        my ($path, $cookie, $split) = @_;
        return http_request(port => $ngx->port, path => $path, headers => [
            'X-CT-Body' => $name, 'X-CT-Split' => $split, 'X-CT-Framing' => 'length',
            Cookie => "consent=$cookie"]);
    };

    my @visits = (['none', $air_none, 'MISS'], ['all', $all, 'HIT'],
                  ['google|adobe', $air_ga, 'HIT'], ['none', $air_none, 'HIT']);
    for my $v (@visits) {
        my $res = $get->('/cache/p.html', $v->[0], 7);
        ok(!$res->{error}, "proxy_cache consent=$v->[0]: well-formed") or diag $res->{error};
        is(hdr($res, 'X-Cache'), $v->[2], "proxy_cache consent=$v->[0]: $v->[2]");
        bytes_eq($res->{body}, $v->[1], "proxy_cache consent=$v->[0] ($v->[2]): gated for this visitor");
    }

    (my $sub_exp = $air_none) =~ s{</body>}{<p>after the gate</p></body>};
    isnt($sub_exp, $air_none, 'the fixture has a </body> for sub_filter');
    for my $split ('whole', 1, 7, 'random:3') {
        my $res = $get->("/sub/$split", 'none', $split);
        ok(!$res->{error}, "sub_filter after the gate [$split]: well-formed") or diag $res->{error};
        bytes_eq($res->{body}, $sub_exp, "sub_filter after the gate [$split]: body");
        $res = $get->("/add/$split", 'none', $split);
        ok(!$res->{error}, "addition after the gate [$split]: well-formed") or diag $res->{error};
        bytes_eq($res->{body}, "<p>added before the body</p>\n$air_none<p>added after the body</p>\n",
                 "addition after the gate [$split]: body");
    }

    my $ssi = qq{<p>a</p>$fbq<!--# include virtual="/after/after.html" -->}
            . qq{<p>b</p><!--# include virtual="/gated/snippet.html" --><p>c</p>};
    my $ssi_name = Digest::MD5::md5_hex($ssi);
    ConsentTest::write_file($up->dir . "/$ssi_name", $ssi);
    for my $split ('whole', 1, 7) {
        my $res = http_request(port => $ngx->port, path => "/ssi/$split", headers => [
            'X-CT-Body' => $ssi_name, 'X-CT-Split' => $split, 'X-CT-Framing' => 'length',
            Cookie => 'consent=none']);
        ok(!$res->{error}, "SSI after the gate [$split]: well-formed") or diag $res->{error};
        bytes_eq($res->{body}, "<p>a</p><p>added after the body</p>\n<p>b</p><i>x</i><i>y</i><p>c</p>",
                 "SSI after the gate [$split]: includes expanded, the gated one gated");
    }
    $ngx->stop;
    $up->stop;
}

# ---------------------------------------------------------------- streaming
# The gate streams: bytes before a pending element reach the client while the
# upstream stalls in the middle of that element's start tag.
{
    my $up  = ConsentTest::Upstream->start;
    my $ngx = ConsentTest::Nginx->start(http => $HTTP, server => '', upstream => $up,
        locations => "location / { $ON proxy_buffering off; proxy_pass http://127.0.0.1:" . $up->port . "; }");
    my $text = "<p>" . ("\xe6\x97\xa5\xe6\x9c\xac" x 1200) . "</p>\n";   # ~7 KB before the tag
    my $tag  = q{<script src="https://connect.facebook.net/en_US/fbevents.js"></script>};
    my $body = "$text$tag<p>tail</p>\n";
    my $name = Digest::MD5::md5_hex($body);
    ConsentTest::write_file($up->dir . "/$name", $body);
    my $stall = 0.8;
    for my $cookie ('none', 'all') {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ngx->port) or die $!;
        my $t0 = Time::HiRes::time();
        print $s "GET /s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: consent=$cookie\r\n"
               . "X-CT-Body: $name\r\nX-CT-Split: 64\r\nX-CT-Pause: " . (length($text) + 10) . ":" . ($stall * 1000) . "\r\n\r\n";
        my ($raw, $t_text) = ('', undef);
        while (sysread($s, $raw, 65536, length $raw)) {
            $t_text //= Time::HiRes::time() - $t0 if index($raw, '</p>') >= 0;
        }
        my $t_end = Time::HiRes::time() - $t0;
        close $s;
        my $res = ConsentTest::parse_response($raw, 'GET');
        my $exp = $cookie eq 'none' ? "$text<p>tail</p>\n" : $body;
        bytes_eq($res->{body}, $exp, "streaming consent=$cookie: body");
        ok($t_end >= $stall, "streaming consent=$cookie: the upstream stalled (${t_end}s)");
        ok(defined $t_text && $t_text < $stall / 2,
           "streaming consent=$cookie: text before the pending tag arrived during the stall")
            or diag "text arrived after " . ($t_text // 'never') . "s, total ${t_end}s";
    }
    $ngx->stop;
    $up->stop;
}

done_testing;
