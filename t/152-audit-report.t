# make audit's report (t/tools/audit-matrix.pl) on a reduced matrix: it
# renders (headless Chromium screenshot), every cell passes, and with one
# expectation broken on purpose exactly that cell fails and turns red, in
# the HTML and in the pixels of the screenshot.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;
use Compress::Zlib qw(uncompress);
use lib 't/lib';
use ConsentTest qw(:all);

ConsentTest::require_module();
plan skip_all => 'chromium not installed' unless -x '/usr/bin/chromium';
my $dir = tempdir(CLEANUP => 1);

# Pixels of one RGB(A) colour in an 8-bit, non-interlaced PNG.
sub png_count {
    my ($file, @rgb) = @_;
    my $png = ConsentTest::read_file($file);
    substr($png, 0, 8) eq "\x89PNG\r\n\x1a\n" or return -1;
    my ($pos, $idat, $w, $h, $type) = (8, '');
    while ($pos < length $png) {
        my ($len, $kind) = unpack('N a4', substr($png, $pos, 8));
        my $data = substr($png, $pos + 8, $len);
        ($w, $h, undef, $type) = unpack('N N C C', $data) if $kind eq 'IHDR';
        $idat .= $data if $kind eq 'IDAT';
        $pos += 12 + $len;
    }
    my $bpp = $type == 6 ? 4 : $type == 2 ? 3 : return -1;
    my $raw = uncompress($idat) // return -1;
    my $stride = $w * $bpp;
    my $want = pack('C3', @rgb);
    my ($prev, $count) = ("\0" x $stride, 0);
    for my $y (0 .. $h - 1) {
        my $f = ord substr($raw, $y * ($stride + 1), 1);
        my @c = unpack('C*', substr($raw, $y * ($stride + 1) + 1, $stride));
        my @p = unpack('C*', $prev);
        for my $i (0 .. $#c) {
            my $a = $i >= $bpp ? $c[$i - $bpp] : 0;
            my $b = $p[$i];
            my $cc = $i >= $bpp ? $p[$i - $bpp] : 0;
            if ($f == 1) { $c[$i] = ($c[$i] + $a) & 255 }
            elsif ($f == 2) { $c[$i] = ($c[$i] + $b) & 255 }
            elsif ($f == 3) { $c[$i] = ($c[$i] + (($a + $b) >> 1)) & 255 }
            elsif ($f == 4) {
                my $pp = $a + $b - $cc;
                my ($pa, $pb, $pc) = (abs($pp - $a), abs($pp - $b), abs($pp - $cc));
                $c[$i] = ($c[$i] + ($pa <= $pb && $pa <= $pc ? $a : $pb <= $pc ? $b : $cc)) & 255;
            }
        }
        $prev = pack('C*', @c);
        for (my $i = 0; $i < $stride; $i += $bpp) {
            $count++ if substr($prev, $i, 3) eq $want;
        }
    }
    return $count;
}

my @RED = (0xe5, 0x39, 0x35);     # td.fail in the report's style sheet
my %run;
for my $mode ('clean', 'broken') {
    my $out = "$dir/$mode";
    my @args = ('--out', $out, '--sites', 'air-booking', '--reduced', '--shot-size', '1400x800',
                $mode eq 'broken' ? ('--break', 'air-booking:all') : ());
    my $log = `perl t/tools/audit-matrix.pl @args 2>&1`;
    $run{$mode}{rc} = $? >> 8;
    $run{$mode}{log} = $log;
    $run{$mode}{json} = eval { JSON::PP->new->decode(ConsentTest::read_file("$out/audit.json")) };
    $run{$mode}{html} = -f "$out/index.html" ? ConsentTest::read_file("$out/index.html") : '';
    $run{$mode}{red} = -s "$out/index.png" ? png_count("$out/index.png", @RED) : -1;
}

my ($c, $b) = @run{qw(clean broken)};
is($c->{rc}, 0, 'clean run: exit 0') or diag $c->{log};
ok($c->{json}, 'clean run: audit.json') or BAIL_OUT('no report');
is($c->{json}{failed}, 0, 'clean run: no failed cell');
is($c->{json}{cells}, 4, 'reduced matrix: none, all, one recipient, 1-byte chunks');
like($c->{json}{rules}{generation}, qr/^[0-9a-f]{16}$/, 'rules generation');
like($c->{json}{nginx}, qr/^\d+\.\d+\.\d+$/, 'nginx version');
like($c->{json}{module}{sha256}, qr/^[0-9a-f]{64}$/, 'module checksum');
like($c->{json}{date}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'date');
like($c->{json}{reproduce}[-1], qr{^perl t/tools/audit-matrix\.pl .*--sites air-booking --reduced}, 'command to reproduce');
my $site = $c->{json}{sites}[0];
my ($none) = grep { $_->{case} eq 'none' } @{ $site->{cells} };
is($none->{removed}, $none->{elements}, 'consent none: every gated element of the fixture removed');
like($site->{disclosure_html}, qr/<table/, 'the disclosure table is in the report');
ok(index($c->{html}, "<h3>Disclosure (consentctl disclosure)</h3>\n$site->{disclosure_html}") >= 0, "HTML: the disclosure as consentctl renders it, beside ...");
like($c->{html}, qr/<div class="matrix"><h3>Enforcement<\/h3>/, '... the enforcement matrix');
unlike($c->{html}, qr/class="fail"/, 'clean HTML: no red cell');
is($c->{red}, 0, 'clean screenshot: rendered, no red pixel');

is($b->{rc}, 1, 'one expectation broken: exit 1');
is($b->{json}{failed}, 1, 'exactly one cell failed');
my @failed = map { $_->{case} } grep { !$_->{pass} } @{ $b->{json}{sites}[0]{cells} };
is_deeply(\@failed, ['all'], 'the broken cell');
like($b->{html}, qr{<tr id="air-booking:all">.*<td class="fail">FAIL}, 'HTML: its cell is marked fail');
is(() = $b->{html} =~ /class="fail"/g, 1, 'HTML: only that one');
cmp_ok($b->{red}, '>', 500, "screenshot: the failing cell is red ($b->{red} pixels)");

done_testing();
