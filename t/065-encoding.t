# Content-Encoding: a `consent on` response never reaches the visitor ungated.
# gzip (also x-gzip, several members) and deflate (zlib-wrapped and raw) are
# decoded by the module when gunzip is off, gated, and give the same bytes as
# the identity response under every split of the *encoded* body; corrupt,
# truncated and oversized (consent_max_decoded_size) bodies fail closed; br,
# zstd, compress, unknown and stacked codings follow consent_undecodable
# (strip_all: an empty body; pass: unchanged; error, the default: 502);
# HEAD, 204 and 304 are untouched; SSI includes (subrequests) are decoded or
# emptied on their own; consent_undecodable_total counts, and one
# warn line per response says why.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);
use ConsentOracle;
use Digest::MD5 qw(md5_hex);
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Compress::Deflate qw(deflate $DeflateError);
use IO::Compress::RawDeflate qw(rawdeflate $RawDeflateError);

my $db    = rules_db();
my $rules = ConsentOracle::load_rules(repo_root() . '/rules/ana.yaml');
my $HTTP  = "consent_rules $db;\nconsent_cookie consent;";

my $air_html = (ConsentOracle::site_fixture('air-booking'))[1];
my ($air_none, $air_none_b) = ConsentOracle::expected_for($rules, 'air-booking', 'none');
my ($air_ga)                = ConsentOracle::expected_for($rules, 'air-booking', 'google|adobe');

my $ON = 'consent on; consent_site air-booking;';

sub gz  { my ($d, $z) = ($_[0]); gzip(\$d => \$z, Minimal => 1) or die $GzipError; $z }
sub zl  { my ($d, $z) = ($_[0]); deflate(\$d => \$z) or die $DeflateError; $z }
sub raw { my ($d, $z) = ($_[0]); rawdeflate(\$d => \$z) or die $RawDeflateError; $z }

# three gzip members, cut inside elements
my $third = int(length($air_html) / 3);
my $multi = gz(substr($air_html, 0, $third)) . gz(substr($air_html, $third, $third))
          . gz(substr($air_html, 2 * $third));

# A first gzip member that is a whole page, then bytes that are no gzip: the
# gate has read the page when the decoder refuses the rest.
my $head_page = qq{<p>kept</p><script src="https://connect.facebook.net/en_US/fbevents.js"></script><p>end</p>};
my $head_gated = '<p>kept</p><p>end</p>';
my $garbage_tail = gz($head_page) . "NOT GZIP <script src=\"https://connect.facebook.net/x.js\"></script>";

# The fixture's gzip with its last 12 bytes cut (CRC and length trailer).
my $air_gz = gz($air_html);
my $truncated = substr($air_gz, 0, length($air_gz) - 12);

my @cases;

# ---------------------------------------------------------------- decoded and gated
push @cases,
  { name => 'identity: the reference', fixture => 'air-booking.html', cookie => 'none', location => $ON,
    expect => { body => $air_none, blocked => $air_none_b } },
  { name => 'gzip upstream, gunzip off, plain client: gated, same bytes as identity',
    fixture => 'air-booking.html', up_gzip => 1, cookie => 'none', location => $ON,
    expect => { body => $air_none, blocked => $air_none_b,
                no_headers => ['Content-Encoding', 'Content-Length'], headers => { Vary => qr/Cookie/ } } },
  { name => 'gzip upstream, gunzip off, gzip client, gzip off: gated, identity out',
    fixture => 'air-booking.html', up_gzip => 1, client_gzip => 1, cookie => 'none', location => $ON,
    expect => { body => $air_none, no_headers => ['Content-Encoding'] } },
  { name => 'gzip upstream, gunzip off, gzip client, gzip on: gated, compressed again',
    fixture => 'air-booking.html', up_gzip => 1, client_gzip => 1, cookie => 'google|adobe',
    location => "$ON gzip on; gzip_min_length 1;",
    expect => { body => $air_ga, headers => { 'Content-Encoding' => 'gzip' } } },
  { name => 'gzip upstream with Content-Length, gunzip off', fixture => 'air-booking.html', up_gzip => 1,
    up_framing => 'length', splits => ['whole'], cookie => 'none', location => $ON,
    expect => { body => $air_none, no_headers => ['Content-Encoding', 'Content-Length'] } },
  { name => 'gzip upstream, proxy_buffering off, tiny buffers', fixture => 'air-booking.html', up_gzip => 1,
    cookie => 'none',
    location => "$ON proxy_buffering off; proxy_buffer_size 1k;",
    expect => { body => $air_none } },
  { name => 'x-gzip is gzip', body => $air_gz, up_headers => ['Content-Encoding: x-gzip'],
    cookie => 'none', location => $ON,
    expect => { body => $air_none, no_headers => ['Content-Encoding'] } },
  { name => 'GZIP in capitals, with identity listed too', body => $air_gz,
    up_headers => ['Content-Encoding: identity, GZIP'], cookie => 'none', location => $ON,
    expect => { body => $air_none, no_headers => ['Content-Encoding'] } },
  { name => 'gzip of three members', body => $multi, up_headers => ['Content-Encoding: gzip'],
    cookie => 'none', location => $ON,
    expect => { body => $air_none, no_headers => ['Content-Encoding'] } },
  { name => 'deflate (zlib-wrapped, RFC 9110)', body => zl($air_html), up_headers => ['Content-Encoding: deflate'],
    cookie => 'none', location => $ON,
    expect => { body => $air_none, blocked => $air_none_b, no_headers => ['Content-Encoding'] } },
  { name => 'deflate sent raw (no zlib header)', body => raw($air_html), up_headers => ['Content-Encoding: deflate'],
    cookie => 'none', location => $ON,
    expect => { body => $air_none, no_headers => ['Content-Encoding'] } },
  { name => 'deflate with consent for google and adobe', body => zl($air_html),
    up_headers => ['Content-Encoding: deflate'], cookie => 'google|adobe', location => $ON,
    expect => { body => $air_ga } },
  { name => 'Content-Encoding: identity is gated as is', fixture => 'air-booking.html',
    up_headers => ['Content-Encoding: identity'], cookie => 'none', location => $ON,
    expect => { body => $air_none } },
  { name => 'an empty gzip body (chunked, no bytes)', body => '', up_headers => ['Content-Encoding: gzip'],
    cookie => 'none', location => $ON, splits => ['whole'],
    expect => { body => '' } },
  { name => 'gzip upstream + gunzip on still goes through nginx gunzip', fixture => 'air-booking.html',
    up_gzip => 1, cookie => 'none', location => "$ON gunzip on;",
    expect => { body => $air_none, no_headers => ['Content-Encoding'] } };

# Large pages: many times the decoder's buffers (8 x 16k), so they are
# reused, and with a slow client the upstream waits for them.
{
    my $n = 20;
    my $big = $air_html x $n;
    my $exp = $air_none x $n;
    push @cases,
      { name => "large gzip page ($n fixture copies)", body => gz($big), up_headers => ['Content-Encoding: gzip'],
        cookie => 'none', location => $ON, splits => ['whole', 7, 'random:1'], expect => { body => $exp } },
      { name => 'large gzip page, slow client (limit_rate)', body => gz($big),
        up_headers => ['Content-Encoding: gzip'], cookie => 'none', splits => ['whole', 'random:2'],
        location => "$ON limit_rate 600k; proxy_buffering off;", expect => { body => $exp } },
      { name => 'large gzip page, small proxy buffers spilling to a temp file', body => gz($big),
        up_headers => ['Content-Encoding: gzip'], cookie => 'none', splits => ['whole', 'random:3'],
        location => "$ON proxy_buffer_size 1k; proxy_buffers 2 1k; proxy_busy_buffers_size 1k; limit_rate 800k;",
        expect => { body => $exp } },
      { name => 'large deflate page through gzip on', body => zl($big), up_headers => ['Content-Encoding: deflate'],
        cookie => 'none', client_gzip => 1, location => "$ON gzip on;", splits => ['whole', 'random:5'],
        expect => { body => $exp, headers => { 'Content-Encoding' => 'gzip' } } };
}

# ---------------------------------------------------------------- refused gzip/deflate, ending cleanly
for my $v ('strip_all', 'pass') {
    push @cases,
      { name => "gzip with bytes after the member that are no gzip, $v: ends after the gated page",
        body => $garbage_tail, up_headers => ['Content-Encoding: gzip'], cookie => 'none',
        location => "$ON consent_undecodable $v;",
        expect => { body => $head_gated, no_headers => ['Content-Encoding'] } },
      { name => "truncated gzip, $v: a prefix of the gated page", body => $truncated,
        up_headers => ['Content-Encoding: gzip'], cookie => 'none', location => "$ON consent_undecodable $v;",
        expect => { check => sub {
            my ($res, $got) = @_;
            ok(length($got) > length($air_none) / 2, 'most of the page came out');
            is(substr($air_none, 0, length $got), $got, 'a prefix of the gated page');
        } } };
}

# ---------------------------------------------------------------- codings the gate cannot read
my $tracker_body = qq{\x1b\x00<script src="https://connect.facebook.net/x.js"></script>\xff<img src="//www.facebook.com/tr">};
for my $enc ('br', 'zstd', 'compress', 'x-snappy', 'gzip, br', 'deflate, gzip') {
    my @ce = ("Content-Encoding: $enc");
    push @cases,
      { name => "Content-Encoding $enc, default (error): 502, nothing of the body",
        body => $tracker_body, up_headers => [@ce, 'ETag: "e1"'], cookie => 'none', location => $ON,
        splits => ['whole', 7],
        expect => { status => 502, unlike => [qr/facebook/], no_headers => ['Content-Encoding', 'ETag'] } },
      { name => "Content-Encoding $enc, strip_all: empty body, headers fixed",
        body => $tracker_body, cookie => 'none', location => "$ON consent_undecodable strip_all;",
        up_headers => [@ce, 'ETag: "e1"', 'Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT',
                       'Cache-Control: public, max-age=600'],
        expect => { body => '', headers => { 'Content-Length' => '0', 'Cache-Control' => 'no-store' },
                    no_headers => ['Content-Encoding', 'ETag', 'Last-Modified', 'Transfer-Encoding'] } },
      { name => "Content-Encoding $enc, pass: byte-identical, coding kept",
        body => $tracker_body, up_headers => [@ce], cookie => 'none', location => "$ON consent_undecodable pass;",
        expect => { same => 1, headers => { 'Content-Encoding' => $enc } } };
}
push @cases,
  { name => 'br in a location without consent: untouched', body => $tracker_body,
    up_headers => ['Content-Encoding: br'], cookie => 'none', location => 'consent off;',
    expect => { same => 1, headers => { 'Content-Encoding' => 'br' } } },
  { name => 'br, not HTML (consent_types): untouched', body => $tracker_body, type => 'application/json',
    up_headers => ['Content-Encoding: br'], cookie => 'none', location => $ON,
    expect => { same => 1, headers => { 'Content-Encoding' => 'br' } } },
  { name => 'two Content-Encoding headers are stacked codings', body => $tracker_body,
    up_headers => ['Content-Encoding: gzip', 'Content-Encoding: br'], cookie => 'none',
    location => "$ON consent_undecodable strip_all;",
    expect => { body => '', no_headers => ['Content-Encoding'] } },
  { name => 'strip_all, static file with Content-Encoding br (add_header): empty',
    backend => 'static', static => { 'index.html' => $tracker_body }, cookie => 'none',
    location => "$ON consent_undecodable strip_all; add_header Content-Encoding br;",
    expect => { body => '', headers => { 'Content-Length' => '0' }, no_headers => ['Content-Encoding'] } },
  { name => 'error, static file with Content-Encoding br: 500 (no upstream to blame)',
    backend => 'static', static => { 'index.html' => $tracker_body }, cookie => 'none',
    location => "$ON add_header Content-Encoding br;",
    expect => { status => 500, unlike => [qr/facebook/], no_headers => ['Content-Encoding'] } };

# ---------------------------------------------------------------- no body: untouched
for my $v ('error', 'strip_all') {
    push @cases,
      { name => "HEAD with br, $v: untouched", method => 'HEAD', body => $tracker_body,
        up_headers => ['Content-Encoding: br', 'ETag: "e1"'], cookie => 'none',
        location => "$ON consent_undecodable $v;",
        expect => { headers => { 'Content-Encoding' => 'br', ETag => '"e1"' } } },
      { name => "204 with br, $v: untouched", up_status => 204, up_headers => ['Content-Encoding: br'],
        cookie => 'none', location => "$ON consent_undecodable $v;",
        expect => { status => 204, headers => { 'Content-Encoding' => 'br' } } },
      { name => "304 with br, $v: untouched", up_status => 304, up_headers => ['Content-Encoding: br'],
        cookie => 'none', location => "$ON consent_undecodable $v;",
        expect => { status => 304, headers => { 'Content-Encoding' => 'br' } } };
}

run_cases({ http => $HTTP }, \@cases);

# ---------------------------------------------------------------- cut off, counted, logged once
my $up = start_upstream();
my $UP = '127.0.0.1:' . $up->port;

sub body_name {
    my ($body) = @_;
    my $name = md5_hex($body);
    write_file($up->dir . "/$name", $body);
    return $name;
}

my $bomb = gz(' ' x (2 * 1024 * 1024));
my %B = (tracker => body_name($tracker_body), garbage => body_name($garbage_tail),
         truncated => body_name($truncated), bomb => body_name($bomb), air => body_name($air_gz));

# SSI includes are subrequests: one gzip-encoded (decoded and gated on its
# own), one br with strip_all (nothing of it)
my $snippet = body_name(gz(q{<i>x</i><script src="https://connect.facebook.net/en_US/fbevents.js"></script><i>y</i>}));
my $ssi_dir = static_dir('ssi-065', 'page.html' => qq{<p>a</p><!--# include virtual="/ssigz/x" --><p>b</p>}
                                                 . qq{<!--# include virtual="/ssibr/x" --><p>c</p>});

my $ngx = start_nginx(
    http => "$HTTP\nconsent_zone enc_t 1m;", upstream => $up, server => '',
    locations => join("\n",
        'location /status { consent_status; }',
        "location /e/ { $ON proxy_pass http://$UP; }",
        "location /s/ { $ON consent_undecodable strip_all; proxy_pass http://$UP; }",
        "location /p/ { $ON consent_undecodable pass; proxy_pass http://$UP; }",
        "location /b/ { $ON consent_undecodable strip_all; consent_max_decoded_size 1m; proxy_pass http://$UP; }",
        "location /be/ { $ON consent_max_decoded_size 1m; proxy_pass http://$UP; }",
        "location /ssi/ { ssi on; alias $ssi_dir/; }",
        "location /ssigz/ { $ON proxy_pass http://$UP; proxy_set_header X-CT-Body $snippet;"
          . " proxy_set_header X-CT-Split 7; proxy_set_header X-CT-Header 'Content-Encoding: gzip'; }",
        "location /ssibr/ { $ON consent_undecodable strip_all; proxy_pass http://$UP;"
          . " proxy_set_header X-CT-Body $B{tracker}; proxy_set_header X-CT-Header 'Content-Encoding: br'; }"));

sub get {
    my ($path, $body, $split, @h) = @_;
    return http_request(port => $ngx->port, path => $path,
                        headers => ['X-CT-Body' => $B{$body}, 'X-CT-Split' => $split // 'whole',
                                    'X-CT-Req' => "$path-$body-" . ($split // 'whole'),
                                    'Cookie' => 'consent=none', @h]);
}

# error: the response is cut off (at worst before its header went out); what
# did go out was gated
for my $split ('whole', 1, 'random:3') {
    my $res = get('/e/', 'garbage', $split, 'X-CT-Header' => 'Content-Encoding: gzip');
    ok($res->{error}, "[split $split] error: corrupt gzip cuts the response off") or diag explain $res;
    is(substr($head_gated, 0, length $res->{body}), $res->{body}, "[split $split] error: what came out was gated");

    $res = get('/e/', 'truncated', $split, 'X-CT-Header' => 'Content-Encoding: gzip');
    ok($res->{error}, "[split $split] error: truncated gzip cuts the response off");
    is(substr($air_none, 0, length $res->{body}), $res->{body}, "[split $split] error: truncated, gated");
}

{
    my $res = get('/b/', 'bomb', 'whole', 'X-CT-Header' => 'Content-Encoding: gzip');
    is($res->{status}, 200, 'over consent_max_decoded_size, strip_all: 200');
    ok(!$res->{error}, 'over consent_max_decoded_size, strip_all: ends cleanly') or diag $res->{error};
    is(length($res->{body}), 1024 * 1024, 'over consent_max_decoded_size: the bound, no byte more');
    $res = get('/be/', 'bomb', 'whole', 'X-CT-Header' => 'Content-Encoding: gzip');
    ok($res->{error}, 'over consent_max_decoded_size, error: cut off');
    $res = get('/b/', 'air', 'random:1', 'X-CT-Header' => 'Content-Encoding: gzip');
    bytes_eq($res->{body}, $air_none, 'under the bound: the gated page');
}

{
    my $res = http_request(port => $ngx->port, path => '/ssi/page.html', headers => ['Cookie' => 'consent=none']);
    ok(!$res->{error}, 'SSI: well-formed') or diag $res->{error};
    is($res->{body}, '<p>a</p><i>x</i><i>y</i><p>b</p><p>c</p>',
       'SSI: the gzip include decoded and gated, the br one empty (strip_all)');
}

{
    get('/s/', 'tracker', 'whole', 'X-CT-Header' => 'Content-Encoding: br');
    get('/s/', 'tracker', 'whole', 'X-CT-Header' => 'Content-Encoding: br');
    get('/p/', 'tracker', 'whole', 'X-CT-Header' => 'Content-Encoding: zstd');
    get('/e/', 'tracker', 'whole', 'X-CT-Header' => 'Content-Encoding: gzip, br');
    get('/e/', 'tracker', 'whole', 'X-CT-Header' => 'Content-Encoding: lzma');
    get('/p/', 'garbage', 'whole', 'X-CT-Header' => 'Content-Encoding: gzip');
    my $st = http_request(port => $ngx->port, path => '/status');
    my %v = map { /^(\S+) (\d+)$/ ? ($1 => $2) : () } grep { /^consent_undecodable_total\{/ } split /\n/, $st->{body};
    my $s = 'consent_undecodable_total{site="air-booking",';
    my %want = (
        "${s}encoding=\"br\",action=\"strip_all\"}"   => 3,
        "${s}encoding=\"zstd\",action=\"pass\"}"      => 1,
        "${s}encoding=\"stacked\",action=\"error\"}"  => 1,
        "${s}encoding=\"other\",action=\"error\"}"    => 1,
        "${s}encoding=\"gzip\",action=\"pass\"}"      => 1,
        # the split loop and the bound above
        "${s}encoding=\"gzip\",action=\"error\"}"     => 7,
        "${s}encoding=\"gzip\",action=\"strip_all\"}" => 1,
    );
    is_deeply(\%v, \%want, 'consent_undecodable_total per site, coding and action') or diag $st->{body};
    like($st->{body}, qr/^# TYPE consent_undecodable_total counter$/m, 'described as a counter');
}

$ngx->stop;
{
    my @warn = $ngx->error_lines(qr/\[warn\].*consent: .*consent_undecodable/);
    is(scalar @warn, 15, 'one warn line per response refused') or diag join "\n", @warn;
    my @br = grep { /\(br\); consent_undecodable strip_all: an empty body is sent/ } @warn;
    is(scalar @br, 3, 'the line names the coding and what was done');
    ok((grep { /corrupt gzip data after \d+ decoded bytes \(gzip\); consent_undecodable pass: the body ends there/ } @warn),
       'a corrupt body: why, and after how many bytes');
    ok((grep { /over consent_max_decoded_size/ } @warn), 'the bound named');
}

# ---------------------------------------------------------------- nginx -t
for my $bad ('strip', 'drop', 'on') {
    my ($rc, $out) = nginx_t(http => "consent_rules $db;",
                             server => "consent on; consent_site mall; consent_undecodable $bad;");
    isnt($rc, 0, "consent_undecodable $bad: nginx -t fails");
    like($out, qr/\[emerg\].*invalid "consent_undecodable" value "\Q$bad\E"/, "names the directive") or diag $out;
}
for my $bad ('lots', '512') {
    my ($rc, $out) = nginx_t(http => "consent_rules $db;",
                             server => "consent on; consent_site mall; consent_max_decoded_size $bad;");
    isnt($rc, 0, "consent_max_decoded_size $bad: nginx -t fails");
    like($out, qr/\[emerg\].*consent_max_decoded_size/, "names the directive") or diag $out;
}
{
    my ($rc, $out) = nginx_t(http => "consent_rules $db;",
                             server => "consent on; consent_site mall; consent_undecodable strip_all; "
                                     . "consent_max_decoded_size 8m;");
    is($rc, 0, 'valid values: nginx -t succeeds') or diag $out;
}

done_testing;
