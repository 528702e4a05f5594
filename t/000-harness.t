# Self-test of the replay harness against stock nginx WITHOUT the module:
# chunk splitting, gzip upstream, keep-alive upstream, static files, HEAD,
# 304, ports and teardown.  If this fails, nothing else can be trusted.
use strict;
use warnings;
use utf8;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);

my $page = "<!DOCTYPE html>\n<html lang=\"ja\"><head><title>予約 &amp; テスト</title></head>\n"
         . "<body>\n" . join('', map { "<p>段落 $_ — ANAの航空券予約</p>\n" } 1 .. 200)
         . "</body></html>\n";
utf8::encode($page);

# --- split specs ----------------------------------------------------------
for my $spec ('whole', 1, 7, 'random:1', 'random:2', 'random:3', 'list:1,2,3') {
    my @s = split_sizes($spec, length $page);
    my $sum = 0;
    $sum += $_ for @s;
    is($sum, length $page, "split $spec covers the body");
    ok(!grep({ $_ < 1 } @s), "split $spec has no empty chunk");
}
is(scalar(split_sizes(1, 100)), 100, "split 1 gives one chunk per byte");
is_deeply([split_sizes('random:5', 5000)], [split_sizes('random:5', 5000)], 'random split is deterministic');
isnt(join(',', split_sizes('random:1', 5000)), join(',', split_sizes('random:2', 5000)), 'seeds differ');
is_deeply([split_sizes('whole', 0)], [], 'empty body has no chunks');

# --- upstream directly ----------------------------------------------------
my $up = ConsentTest::Upstream->start;
ConsentTest::write_file($up->dir . '/' . Digest::MD5::md5_hex($page), $page);
my $name = Digest::MD5::md5_hex($page);
{
    # raw socket to see the chunk framing itself
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $up->port) or die $!;
    print $s "GET / HTTP/1.1\r\nHost: x\r\nX-CT-Body: $name\r\nX-CT-Split: 7\r\n\r\n";
    print $s "GET / HTTP/1.1\r\nHost: x\r\nX-CT-Body: $name\r\nX-CT-Split: whole\r\nConnection: close\r\n\r\n";
    local $/;
    my $raw = <$s>;
    my @resp = split /(?=HTTP\/1\.1 200)/, $raw;
    is(scalar @resp, 2, 'upstream: two pipelined requests on one keep-alive connection');
    my $chunks = () = $resp[0] =~ /\r\n7\r\n/g;
    is($chunks, int(length($page) / 7), 'upstream: split 7 produces 7-byte chunks');
    like($resp[0], qr/Connection: keep-alive/, 'upstream: keep-alive kept');
    like($resp[1], qr/Connection: close/, 'upstream: close honoured');
    my $r = ConsentTest::parse_response($resp[1], 'GET');
    bytes_eq($r->{body}, $page, 'upstream: whole body dechunks to the page');
}
for my $spec (1, 'random:9') {
    my $r = http_request(port => $up->port, path => '/',
                         headers => ['X-CT-Body' => $name, 'X-CT-Split' => $spec]);
    ok($r->{chunked}, "upstream direct split $spec is chunked");
    bytes_eq($r->{body}, $page, "upstream direct split $spec body");
}
{
    my $r = http_request(port => $up->port, path => '/',
                         headers => ['X-CT-Body' => $name, 'X-CT-Gzip' => 1, 'X-CT-Split' => 3]);
    is(hdr($r, 'Content-Encoding'), 'gzip', 'upstream gzip: Content-Encoding');
    bytes_eq(gunzip_bytes($r->{body}), $page, 'upstream gzip: body gunzips to the page');
}
{
    my $r = http_request(port => $up->port, path => '/', method => 'HEAD',
                         headers => ['X-CT-Body' => $name]);
    is($r->{status}, 200, 'upstream HEAD status');
    is($r->{body}, '', 'upstream HEAD no body');
    $r = http_request(port => $up->port, path => '/', headers => ['X-CT-Status' => 304,
                      'X-CT-Header' => 'ETag: "v1"']);
    is($r->{status}, 304, 'upstream 304');
    is(hdr($r, 'ETag'), '"v1"', 'upstream extra header');
}

# --- through stock nginx, no module ----------------------------------------
my $static_mtime = 1_600_000_000;
my @cases = (
    { name => 'plain proxy, buffering on', body => $page,
      location => 'proxy_buffering on;', expect => { same => 1 } },
    { name => 'plain proxy, buffering off', body => $page,
      location => 'proxy_buffering off;', expect => { same => 1 } },
    { name => 'plain proxy, keep-alive upstream pool', body => $page, backend => 'proxy_keepalive',
      expect => { same => 1, headers => { 'Transfer-Encoding' => 'chunked' } } },
    { name => 'plain proxy, Content-Length framing', body => $page, up_framing => 'length',
      splits => ['whole'],
      expect => { same => 1, headers => { 'Content-Length' => length $page } } },
    { name => 'plain proxy, close framing', body => $page, up_framing => 'close',
      splits => ['whole'], expect => { same => 1 } },
    { name => 'gzip upstream + gunzip on, plain client', body => $page, up_gzip => 1,
      location => 'gunzip on;', expect => { same => 1, no_headers => ['Content-Encoding'] } },
    { name => 'gzip upstream passed to gzip client', body => $page, up_gzip => 1,
      client_gzip => 1, location => 'gunzip on;',
      expect => { same => 1, headers => { 'Content-Encoding' => 'gzip' } } },
    { name => 'gzip on for plain upstream', body => $page, client_gzip => 1,
      location => 'gzip on; gzip_min_length 1;',
      expect => { same => 1, headers => { 'Content-Encoding' => 'gzip' } } },
    { name => 'HEAD passes', body => $page, method => 'HEAD',
      expect => { body => '' } },
    { name => 'upstream 304', body => '', up_status => 304, up_headers => ['ETag: "abc"'],
      expect => { status => 304, body => '', headers => { ETag => '"abc"' } } },
    { name => 'non-HTML type kept', body => '{"a":1}', type => 'application/json',
      expect => { same => 1, headers => { 'Content-Type' => 'application/json' } } },
    { name => 'static file', backend => 'static', static => { 'index.html' => $page },
      expect => { body => $page, headers => { 'Accept-Ranges' => 'bytes',
                  'Content-Length' => length $page } } },
    { name => 'static file 304', backend => 'static', static => { 'index.html' => $page },
      mtime => $static_mtime,
      headers => ['If-Modified-Since' => 'Sun, 13 Sep 2020 12:26:40 GMT'],
      expect => { status => 304, body => '' } },
    { name => 'access log line is found', body => $page,
      expect => { same => 1, check => sub {
          my ($res, $got, $split, $ngx) = @_;
          ok(-s $ngx->access_log, "access log written");
      } } },
);
run_cases({ module => 0, upstream => $up }, \@cases);

# The client notices broken framing instead of hiding it.
{
    my $r = ConsentTest::parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 'GET');
    ok($r->{error}, 'truncated chunked body is an error');
    $r = ConsentTest::parse_response("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 'GET');
    ok($r->{error}, 'short Content-Length body is an error');
    $r = ConsentTest::parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 'GET');
    ok(!$r->{error} && $r->{body} eq 'abc', 'well-formed chunked body parses');
}

$up->stop;
done_testing;
