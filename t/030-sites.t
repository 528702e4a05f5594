# Every property x every recipient it declares, against the realistic
# fixture pages, byte-exact via the manifest oracle (t/lib/ConsentOracle.pm),
# with chunk-split replays.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);
use ConsentOracle;

my $rules = ConsentOracle::load_rules(repo_root() . '/rules/ana.yaml');
my @sites = @{ $rules->{site_order} };

# ---------------------------------------------------------------- manifests
# The fixtures must agree with the rules before they can judge the module.
my %manifest;
for my $site (@sites) {
    subtest "fixture manifest $site" => sub {
        my $mf = ConsentTest::fixture_path("$site.json");
        ok(-f $mf, "$site.json exists") or return;
        my ($m, $html) = ConsentOracle::site_fixture($site);
        $manifest{$site} = $m;
        is($m->{site}, $site, 'manifest names its site');
        my (%named, %ids);
        for my $e (@{ $m->{elements} }) {
            for my $x ($e, @{ $e->{children} || [] }) {
                my $n = () = $html =~ /\Q$x->{html}\E/g;
                is($n, 1, "element $e->{name} occurs exactly once") or next;
                for my $r (@{ $x->{recipients} }) {
                    ok($rules->{recipients}{$r}, "$e->{name}: recipient $r exists in ana.yaml");
                }
                next if $e->{children} && $x == $e;
                # the element really names exactly these recipients
                my $inline = $x->{html} =~ /^<script\b/i && $x->{html} !~ /^<script\b[^>]*\bsrc\s*=/i;
                my @got = ConsentOracle::named_recipients($rules, $x->{html}, signatures => $inline);
                is(join(',', @got), join(',', sort @{ $x->{recipients} }),
                   "$e->{name}: hosts/signatures name exactly its recipients");
                $named{$_}++ for @{ $x->{recipients} };
            }
            for my $ch (@{ $e->{children} || [] }) {
                ok(index($e->{html}, $ch->{html}) >= 0, "$e->{name}: pixel inside its noscript");
            }
        }
        my @decl = ConsentOracle::declared_ids($rules, $site);
        my %decl = map { $_ => 1 } @decl;
        for my $r (@decl) {
            next if $rules->{recipients}{$r}{app_only};    # no web tag exists
            ok($named{$r}, "fixture carries a tag of declared recipient $r");
        }
        ok(scalar(grep { !$decl{$_} } keys %named), 'fixture carries undeclared recipients');
        for my $k (@{ $m->{keep} }) {
            ok(index($html, $k) >= 0, "decoy present: " . substr($k, 0, 50));
        }
        ok(scalar @{ $m->{keep} } >= 5, 'fixture has decoys');
    };
}

# ---------------------------------------------------------------- cases
my $db = rules_db();
my @cases;
my $i = 0;
for my $site (@sites) {
    my $m = $manifest{$site} or next;
    my $html = (ConsentOracle::site_fixture($site))[1];
    my @decl = ConsentOracle::declared_ids($rules, $site);
    my %decl = map { $_ => 1 } @decl;
    my ($undecl) = grep { !$decl{$_} } @{ $rules->{recipient_order} };
    $i++;
    my $buffering = $i % 2 ? 'on' : 'off';

    # [cookie value, label, split set]
    my @full = @ConsentTest::DEFAULT_SPLITS;
    my @light = @full;
    my @variants = (
        [undef,  'no cookie',           \@full],
        ['none', 'none',                \@full],
        ['all',  'all',                 \@full],
        (map { [$_, "only $_", \@light] } @decl),
        (map { [$_, "category $_", ($_ eq 'analytics' ? \@full : \@light)] }
             qw(analytics advertising functional social)),
        [join('|', @decl > 1 ? @decl[0, 1] : ($decl[0], $undecl)), "'|' separator", \@full],
        [join('%2C', @decl > 1 ? @decl[-2, -1] : ($undecl, $decl[0])), "'%2C' separator", \@light],
        ["nosuch-recipient,$decl[-1]", 'unknown item then a known one', \@light],
        ["analytics|$decl[0]", 'category and id mixed', \@light],
        ['nosuch-recipient', 'unknown id', \@light],
        ["$undecl", "undeclared id $undecl", \@light],
        ['%%%', 'malformed %%%', \@light],
        ['a%2', 'malformed truncated escape', \@light],
        ['al l', 'malformed embedded space', \@light],
        ['', 'empty value', \@light],
    );
    for my $v (@variants) {
        my ($cookie, $label, $splits) = @$v;
        my ($exp, $blocked) = ConsentOracle::expected($rules, $m, $html, $cookie);
        push @cases, {
            name     => "$site: $label" . (defined $cookie ? " [$cookie]" : ''),
            fixture  => $m->{fixture},
            location => "consent on; consent_site $site; proxy_buffering $buffering;",
            cookie   => $cookie,
            splits   => $splits,
            expect   => {
                body       => $exp,
                blocked    => $blocked,
                headers    => { Vary => qr/\bCookie\b/i },
                no_headers => ['Content-Length', 'Accept-Ranges'],
            },
        };
    }
    # Content-Length from upstream must go when the gate is on
    my ($exp, $blocked) = ConsentOracle::expected($rules, $m, $html, 'none');
    push @cases, {
        name => "$site: Content-Length upstream, consent none",
        fixture => $m->{fixture}, up_framing => 'length',
        location => "consent on; consent_site $site;",
        cookie => 'none', splits => ['whole'],
        expect => { body => $exp, blocked => $blocked, no_headers => ['Content-Length'],
                    headers => { Vary => qr/\bCookie\b/i } },
    };
}

# Cookie header shapes (one property is enough: parsing is site-independent)
{
    my $site = 'air-booking';
    my $m = $manifest{$site};
    my $html = (ConsentOracle::site_fixture($site))[1];
    my @shapes = (
        ['among other cookies', 'a=1; consent=google|meta; b=2', 'google|meta'],
        ['name is a suffix of another cookie', 'xconsent=all; consent=criteo', 'criteo'],
        ['name is a prefix of another cookie', 'consentx=all; consent=tiktok', 'tiktok'],
        ['only a similar cookie', 'my_consent=all', undef],
    );
    for my $s (@shapes) {
        my ($label, $header, $effective) = @$s;
        my ($exp, $blocked) = ConsentOracle::expected($rules, $m, $html, $effective);
        push @cases, {
            name => "$site: cookie header $label [$header]",
            fixture => $m->{fixture},
            location => "consent on; consent_site $site;",
            headers => [Cookie => $header],
            splits => ['whole', 7],
            expect => { body => $exp, blocked => $blocked },
        };
    }
    # another cookie name
    my ($exp, $blocked) = ConsentOracle::expected($rules, $m, $html, 'adobe');
    push @cases, {
        name => "$site: consent_cookie with another name",
        fixture => $m->{fixture},
        location => "consent on; consent_site $site; consent_cookie ana_cc;",
        headers => [Cookie => 'consent=all; ana_cc=adobe'],
        splits => ['whole'],
        expect => { body => $exp, blocked => $blocked },
    };
}

my $t0 = time;
run_cases({ http => "consent_rules $db;\nconsent_cookie consent;" }, \@cases);
note(sprintf "%d cases in %ds", scalar @cases, time - $t0);

done_testing;
