#!/usr/bin/perl
# make audit: the bundled request-replay matrix as a report to file.
#
#   perl t/tools/audit-matrix.pl [--out DIR] [--sites a,b] [--reduced]
#                                [--break SITE:CASE] [--no-screenshot]
#                                [--shot-size WIDTHxHEIGHT]
#
# For every site of rules/ana.yaml: its fixture page (t/fixtures/) is served
# by the harness upstream and fetched through the stock nginx with the built
# module, with consent none, all, each declared recipient alone, each
# category the site declares, only undeclared recipients, and through other
# fetch paths (1-byte chunks, gzip upstream + gunzip, Content-Length
# upstream). Each response must equal what t/lib/ConsentOracle.pm computes
# from the fixture manifest; the gated elements removed are counted.
# Writes DIR/audit.json, DIR/index.html (each site's disclosure table from
# `consentctl disclosure` beside its matrix) and, with Chromium, a
# screenshot DIR/index.png. --reduced: none, all, the first declared
# recipient, 1-byte chunks (for the test). --break SITE:CASE expects the
# wrong body for one cell, to show what a failure looks like. Exit status:
# 0 every cell passed, 1 some failed, 2 the run itself failed.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Getopt::Long;
use JSON::PP;
use POSIX qw(strftime);
use Digest::SHA qw(sha256_hex);
use Digest::MD5 qw(md5_hex);
use ConsentTest qw(:all);
use ConsentOracle;

# A tool, not a test file: the harness's log check at every nginx stop
# dies on a bad line instead of printing a TAP line.
$ConsentTest::LOG_CHECK_DIES = 1;

my ($out, $sites_opt, $reduced, $break, $no_shot, $shot_size) = ('build/audit');
GetOptions('out=s' => \$out, 'sites=s' => \$sites_opt, 'reduced' => \$reduced,
           'break=s' => \$break, 'no-screenshot' => \$no_shot, 'shot-size=s' => \$shot_size)
    or die "usage: $0 [--out DIR] [--sites a,b] [--reduced] [--break SITE:CASE]\n"
         . "          [--no-screenshot] [--shot-size WIDTHxHEIGHT]\n";
my @argv = @ARGV;

my $root = repo_root();
ConsentTest::require_module();
my $ctl = consentctl_path();
my $rules = ConsentOracle::load_rules("$root/rules/ana.yaml");
my @sites = $sites_opt ? split(/,/, $sites_opt) : @{ $rules->{site_order} };
my $db = rules_db();
my $dump = `$ctl dump $db`;
my ($generation) = $dump =~ /^generation: (\S+)$/m;
my %site_name = $dump =~ /^site (\S+)\n  name: (.*)$/mg;
my $up = start_upstream();
my $UP = '127.0.0.1:' . $up->port;

# ---- the cases of one site: [case id, label, cookie, fetch]
sub site_cases {
    my ($site) = @_;
    my @decl = ConsentOracle::declared_ids($rules, $site);
    my %decl = map { $_ => 1 } @decl;
    my @undecl = grep { !$decl{$_} } @{ $rules->{recipient_order} };
    my %cat;
    $cat{ ConsentOracle::declared_category($rules, $site, $_) // $rules->{recipients}{$_}{category} } = 1
        for @decl;
    my @c = (['none', 'consent none', 'none', {}],
             ['all', 'consent all', 'all', {}]);
    push @c, map { ["only:$_", "$_ alone", $_, {}] } $reduced ? ($decl[0]) : @decl;
    return (@c, ['fetch:1-byte', '1-byte chunks, consent none', 'none', { split => 1 }]) if $reduced;
    push @c, map { ["category:$_", "category $_", $_, {}] } sort keys %cat;
    push @c, ['undeclared', 'only undeclared recipients', join(',', @undecl[0 .. ($#undecl < 2 ? $#undecl : 2)]), {}];
    push @c, ['fetch:1-byte', '1-byte chunks, consent none', 'none', { split => 1 }],
             ['fetch:gzip', 'gzip upstream + gunzip, consent all', 'all', { gzip => 1 }],
             ['fetch:length', 'Content-Length upstream, consent none', 'none', { framing => 'length' }];
    return @c;
}

my @locs = map { "location /$_/ { consent on; consent_site $_; gunzip on; proxy_pass http://$UP; }" } @sites;
my $ngx = start_nginx(http => "consent_rules $db;", upstream => $up, server => '',
                      locations => join("\n", @locs));

my @report;
my $failed = 0;
for my $site (@sites) {
    my ($m, $html) = ConsentOracle::site_fixture($site);
    my $body = md5_hex($html);             # the upstream serves bodies by md5
    write_file($up->dir . "/$body", $html);
    my @cells;
    for my $case (site_cases($site)) {
        my ($id, $label, $cookie, $fetch) = @$case;
        my ($exp, $blocked) = ConsentOracle::expected($rules, $m, $html, $cookie);
        ($exp) = ConsentOracle::expected($rules, $m, $html, $cookie eq 'all' ? 'none' : 'all')
            if defined $break && $break eq "$site:$id";
        my @h = ('X-CT-Body' => $body, 'X-CT-Split' => $fetch->{split} // 'whole',
                 Cookie => "consent=$cookie");
        push @h, 'X-CT-Gzip' => 1 if $fetch->{gzip};
        push @h, 'X-CT-Framing' => $fetch->{framing} if $fetch->{framing};
        my $res = http_request(port => $ngx->port, path => "/$site/page", headers => \@h);
        my $got = $res->{body} // '';
        # gated elements of the manifest removed in what nginx served, and
        # in what the oracle expects
        my ($removed, $want) = (0, 0);
        for my $e (@{ $m->{elements} }) {
            $removed++ if index($got, $e->{html}) < 0;
            $want++ if index($exp, $e->{html}) < 0;
        }
        my $pass = $res->{status} == 200 && $got eq $exp ? JSON::PP::true : JSON::PP::false;
        $failed++ unless $pass;
        push @cells, { case => $id, label => $label, cookie => $cookie,
                       fetch => (%$fetch ? $fetch : undef), status => $res->{status},
                       elements => scalar @{ $m->{elements} }, removed => $removed,
                       expected_removed => $want, blocked => [sort @$blocked], pass => $pass };
    }
    my $disclosure = `$ctl disclosure --db $db --site $site --format html --lang en`;
    die "consentctl disclosure $site failed\n" if $?;
    push @report, { site => $site, name => $site_name{$site} // '',
                    declares => [ConsentOracle::declared_ids($rules, $site)],
                    disclosure_html => $disclosure, cells => \@cells };
}
$ngx->stop;
$up->stop;

# ---- versions and the commands to reproduce
my ($nginx_v) = `${\ nginx_bin()} -v 2>&1` =~ m{nginx/(\S+)};
my $commit = `git -C $root describe --always --dirty 2>/dev/null`;
chomp $commit;
my $so = ConsentTest::read_file(module_path());
my @cmd = ('perl', 't/tools/audit-matrix.pl', @argv,
           ($sites_opt ? ('--sites', $sites_opt) : ()), ($reduced ? '--reduced' : ()),
           ($break ? ('--break', $break) : ()), '--out', $out);
my $doc = {
    format => 'consent-audit-matrix/1',
    date => strftime('%Y-%m-%dT%H:%M:%SZ', gmtime),
    rules => { source => 'rules/ana.yaml', generation => $generation },
    module => { commit => $commit || 'unknown', sha256 => sha256_hex($so) },
    nginx => $nginx_v,
    reproduce => ['make deps', 'make', join(' ', @cmd)],
    cells => 0,
    failed => $failed,
    sites => \@report,
};
$doc->{cells} = 0;
$doc->{cells} += @{ $_->{cells} } for @report;

system('mkdir', '-p', $out) == 0 or die "mkdir $out\n";
write_file("$out/audit.json", JSON::PP->new->canonical->pretty->encode($doc));
write_file("$out/index.html", render($doc));
if (!$no_shot) {
    # the whole page: each site is as tall as its disclosure table (a few
    # hundred pixels a row) or its matrix, whichever is taller
    my $height = 300;
    for my $s (@report) {
        my $d = () = $s->{disclosure_html} =~ /<tr/g;
        my $c = @{ $s->{cells} };
        $height += 150 + ($d * 450 > $c * 70 ? $d * 450 : $c * 70);
    }
    my $size = $shot_size ? $shot_size =~ s/x/,/r : "1400,$height";
    my $chromium = -x '/usr/bin/chromium' ? '/usr/bin/chromium' : 'chromium';
    my $rc = system("$chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
                    . "--screenshot=$out/index.png --window-size=$size "
                    . "file://" . ($out =~ m{^/} ? $out : "$root/$out") . "/index.html >$out/chromium.log 2>&1");
    die "chromium failed (see $out/chromium.log)\n" if $rc != 0 || !-s "$out/index.png";
}
printf "%s: %d cells, %d failed; %s/index.html\n", $failed ? 'FAIL' : 'ok', $doc->{cells}, $failed, $out;
exit($failed ? 1 : 0);

sub esc {
    my ($s) = @_;
    $s =~ s/&/&amp;/g; $s =~ s/</&lt;/g; $s =~ s/>/&gt;/g; $s =~ s/"/&quot;/g;
    return $s;
}

sub render {
    my ($d) = @_;
    my $h = <<"HTML";
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Consent gate audit</title>
<style>
body { font-family: sans-serif; margin: 24px; font-size: 14px; }
table { border-collapse: collapse; margin: 6px 0; }
td, th { border: 1px solid #999; padding: 3px 6px; text-align: left; vertical-align: top; }
.site { display: flex; gap: 24px; align-items: flex-start; }
.site > div { flex: 3; }
.site > div.matrix { flex: 2; }
.site > div:first-child { font-size: 12px; }
td.pass { background: #c8e6c9; }
td.fail { background: #e53935; color: #fff; font-weight: bold; }
code { background: #f3f3f3; }
</style></head><body>
<h1>Consent gate audit: enforcement matrix and disclosure</h1>
HTML
    $h .= sprintf("<p>%s: %d cells, %d failed.</p>\n<ul>\n",
                  $d->{failed} ? 'FAILED' : 'All cells passed', $d->{cells}, $d->{failed});
    $h .= "<li>Date: " . esc($d->{date}) . "</li>\n";
    $h .= "<li>Rules: " . esc($d->{rules}{source}) . ", generation <code>" . esc($d->{rules}{generation}) . "</code></li>\n";
    $h .= "<li>Module: commit <code>" . esc($d->{module}{commit}) . "</code>, sha256 <code>" . esc($d->{module}{sha256}) . "</code></li>\n";
    $h .= "<li>nginx: " . esc($d->{nginx}) . "</li>\n";
    $h .= "<li>Reproduce: " . join('; ', map { "<code>" . esc($_) . "</code>" } @{ $d->{reproduce} }) . "</li>\n</ul>\n";
    for my $s (@{ $d->{sites} }) {
        $h .= "<h2>" . esc("$s->{site}: $s->{name}") . "</h2>\n<div class=\"site\">\n";
        $h .= "<div><h3>Disclosure (consentctl disclosure)</h3>\n$s->{disclosure_html}</div>\n";
        $h .= "<div class=\"matrix\"><h3>Enforcement</h3>\n<table>\n<tr><th>case</th><th>consent cookie</th>"
            . "<th>elements removed / expected</th><th>recipients blocked</th><th>result</th></tr>\n";
        for my $c (@{ $s->{cells} }) {
            my $cls = $c->{pass} ? 'pass' : 'fail';
            $h .= sprintf("<tr id=\"%s\"><td>%s</td><td><code>%s</code></td><td>%d / %d of %d</td><td>%s</td>"
                          . "<td class=\"%s\">%s</td></tr>\n",
                          esc("$s->{site}:$c->{case}"), esc($c->{label}), esc($c->{cookie}),
                          $c->{removed}, $c->{expected_removed}, $c->{elements},
                          esc(join(', ', @{ $c->{blocked} }) || '-'), $cls,
                          $c->{pass} ? 'pass' : "FAIL (HTTP $c->{status})");
        }
        $h .= "</table></div>\n</div>\n";
    }
    return "$h</body></html>\n";
}
