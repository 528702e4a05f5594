#!/usr/bin/perl
# Writes a HAR 1.2 capture of one HTML page and the requests its browser
# made, in the shape Chromium's or Firefox's developer tools export
# ("Save all as HAR with content"):
#
#   perl t/tools/make-har.pl --shape chromium|firefox --url URL
#        --html FILE [--base64] [--gzip] [--request URL[=MIME]]... > OUT.har
#
# Chromium puts _initiator/_resourceType and "encoding" only on base64
# bodies; Firefox adds "browser" and per-entry "cache"/"pageref" and keeps
# bodies as text with "encoding" absent. --gzip stores the page body as the
# compressed bytes (base64), as some exporters keep it, with
# Content-Encoding: gzip.
use strict;
use warnings;
use Getopt::Long;
use JSON::PP;
use MIME::Base64 qw(encode_base64);
use IO::Compress::Gzip qw(gzip $GzipError);

my ($shape, $url, $html_file, $b64, $gz) = ('chromium');
my @requests;
GetOptions('shape=s' => \$shape, 'url=s' => \$url, 'html=s' => \$html_file,
           'base64' => \$b64, 'gzip' => \$gz, 'request=s' => \@requests)
    and $url and $html_file and $shape =~ /^(chromium|firefox)$/
    or die "usage: $0 --shape chromium|firefox --url URL --html FILE ...\n";

open my $fh, '<:raw', $html_file or die "$html_file: $!\n";
my $html = do { local $/; <$fh> };

sub headers { [ map { { name => $_->[0], value => $_->[1] } } @_ ] }

sub entry {
    my ($u, $mime, $content, $n) = @_;
    my %e = (
        startedDateTime => sprintf('2026-01-01T00:00:%02d.000Z', $n % 60),
        time => 12.5,
        request => { method => 'GET', url => $u, httpVersion => 'HTTP/1.1',
                     headers => headers(['Host', ($u =~ m{//([^/]+)})[0]]),
                     queryString => [], cookies => [], headersSize => -1,
                     bodySize => 0 },
        response => { status => 200, statusText => 'OK',
                      httpVersion => 'HTTP/1.1',
                      headers => headers(['Content-Type', $mime],
                                         @{ $content->{_headers} || [] }),
                      cookies => [], content => $content, redirectURL => '',
                      headersSize => -1, bodySize => -1 },
        cache => {},
        timings => { send => 0, wait => 10, receive => 2.5 },
    );
    delete $content->{_headers};
    if ($shape eq 'chromium') {
        $e{_initiator} = { type => $n ? 'script' : 'other' };
        $e{_resourceType} = $n ? 'script' : 'document';
        $e{serverIPAddress} = '127.0.0.1';
    } else {
        $e{pageref} = 'page_1';
    }
    return \%e;
}

my $content = { size => length $html, mimeType => 'text/html; charset=utf-8' };
if ($gz) {
    my $z;
    gzip(\$html => \$z) or die $GzipError;
    $content->{text} = encode_base64($z, '');
    $content->{encoding} = 'base64';
    $content->{_headers} = [['Content-Encoding', 'gzip']];
} elsif ($b64) {
    $content->{text} = encode_base64($html, '');
    $content->{encoding} = 'base64';
} else {
    $content->{text} = $html;
}
my @entries = (entry($url, 'text/html; charset=utf-8', $content, 0));
my $n = 1;
for my $r (@requests) {
    my ($u, $mime) = split /=(?=[a-z]+\/)/, $r, 2;
    $mime ||= 'image/gif';
    push @entries, entry($u, $mime, { size => 0, mimeType => $mime }, $n++);
}
my %log = (
    version => '1.2',
    creator => $shape eq 'chromium'
        ? { name => 'WebInspector', version => '537.36' }
        : { name => 'Firefox', version => '128.0' },
    pages => [ { startedDateTime => '2026-01-01T00:00:00.000Z',
                 id => 'page_1', title => $url,
                 pageTimings => { onContentLoad => 100, onLoad => 200 } } ],
    entries => \@entries,
);
$log{browser} = { name => 'Firefox', version => '128.0' } if $shape eq 'firefox';
print JSON::PP->new->canonical->pretty->encode({ log => \%log });
