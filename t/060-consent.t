# Consent signals and actions: consent_cookie sources in order, Global
# Privacy Control, consent_action neutralize (byte-exact for every element
# kind), Google Consent Mode defaults, $consent_allowed and $consent_source.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);
use ConsentOracle;

my $db    = rules_db();
my $rules = ConsentOracle::load_rules(repo_root() . '/rules/ana.yaml');
my $HTTP  = "consent_rules $db;";
my $ON    = 'consent on; consent_site air-booking;';

my $FB  = 'https://connect.facebook.net/en_US/fbevents.js';
my $GT  = 'https://www.googletagmanager.com/gtag/js?id=G-TEST000001';
my $PX  = 'https://www.facebook.com/tr?id=1&amp;ev=PageView&amp;noscript=1';
my $TL  = 'https://tags.tiqcdn.com/utag/ana/main/prod/utag.js';

# A page with one element per declared recipient of air-booking that the
# fixture generator knows, so GPC expectations come from the rules.
my %tag = (
    google  => qq{<script async src="$GT"></script>},
    meta    => qq{<script src="$FB"></script>},
    tealium => qq{<script src="$TL"></script>},
    criteo  => q{<script src="//static.criteo.net/js/ld/ld.js" async></script>},
    tiktok  => q{<script src="https://analytics.tiktok.com/i18n/pixel/events.js"></script>},
    adobe   => q{<script src="https://assets.adobedtm.com/launch-EN0000.min.js"></script>},
);
my @ids  = sort keys %tag;
my $page = "<html><head><title>t</title></head><body>\n"
         . join('', map { "$tag{$_}\n" } @ids) . "</body></html>\n";

sub page_without {
    my (%gone) = @_;
    my $p = $page;
    $p =~ s/\Q$tag{$_}\E// for keys %gone;
    return $p;
}

my @sale = grep {
    my $c = ConsentOracle::declared_category($rules, 'air-booking', $_);
    $c eq 'advertising' || $c eq 'social'
} @ids;
my @kept_under_gpc = grep { my $r = $_; !grep { $_ eq $r } @sale } @ids;
ok(@sale && @kept_under_gpc, 'the page has sale/sharing and other recipients');

my @cases;

# ---------------------------------------------------------------- GPC
push @cases,
  { name => 'GPC withdraws sale/sharing recipients whatever the cookie says',
    location => $ON, body => $page, cookie => 'all', headers => ['Sec-GPC' => '1'],
    expect => { body => page_without(map { $_ => 1 } @sale), blocked => \@sale,
                source => 'gpc', headers => { Vary => 'Cookie, Sec-GPC' } } },
  { name => 'GPC with consent=none: nothing to withdraw, the cookie decided',
    location => $ON, body => $page, cookie => 'none', headers => ['Sec-GPC' => '1'],
    expect => { body => page_without(map { $_ => 1 } @ids), source => 'list',
                allowed => [] } },
  { name => 'Sec-GPC must be exactly 1 ("true" is not)',
    location => $ON, body => $page, cookie => 'all', headers => ['Sec-GPC' => 'true'],
    expect => { same => 1, source => 'list' } },
  { name => 'Sec-GPC: 0 withdraws nothing',
    location => $ON, body => $page, cookie => 'all', headers => ['Sec-GPC' => '0'],
    expect => { same => 1, source => 'list' } },
  { name => 'consent_gpc off ignores the signal and does not vary on it',
    location => "$ON consent_gpc off;", body => $page, cookie => 'all',
    headers => ['Sec-GPC' => '1'],
    expect => { same => 1, source => 'list', headers => { Vary => 'Cookie' } } };

# ---------------------------------------------------------------- sources
my $TWO = "$ON consent_cookie primary; consent_cookie fallback list;";
push @cases,
  { name => 'first configured source present decides',
    location => $TWO, body => $page, cookie => undef,
    headers => [Cookie => 'fallback=all; primary=meta'],
    expect => { body => page_without(map { $_ => 1 } grep { $_ ne 'meta' } @ids),
                allowed => ['meta'], source => 'list' } },
  { name => 'an absent first source lets the next decide',
    location => $TWO, body => $page, cookie => undef,
    headers => [Cookie => 'fallback=tealium'],
    expect => { body => page_without(map { $_ => 1 } grep { $_ ne 'tealium' } @ids),
                allowed => ['tealium'] } },
  { name => 'a malformed source contributes nothing; the next decides',
    location => $TWO, body => $page, cookie => undef,
    headers => [Cookie => 'primary=<all>; fallback=google'],
    expect => { body => page_without(map { $_ => 1 } grep { $_ ne 'google' } @ids),
                allowed => ['google'], source => 'list' },
    check => sub {
        my (undef, undef, $split, $ngx) = @_;
        return unless $split eq 'whole';
        my @l = $ngx->error_lines(qr/cookie "primary" is malformed/);
        ok(@l, 'malformed source logged at info');
        ok(!grep({ /<all>/ } @l), 'the cookie value is never logged');
    } },
  { name => 'no source present: nothing allowed',
    location => $TWO, body => $page, cookie => undef,
    expect => { body => page_without(map { $_ => 1 } @ids), source => 'none', allowed => [] } };

# ---------------------------------------------------------------- neutralize
my $NEU = "$ON consent_action neutralize;";
push @cases,
  { name => 'neutralize script src keeps the original type',
    location => $NEU, cookie => 'none',
    body   => qq{a<script async src="$FB" type="module"></script>b},
    expect => { body => qq{a<script type="text/plain" data-consent="meta" async data-consent-src="$FB" data-consent-type="module"></script>b},
                blocked => ['meta'] } },
  { name => 'neutralize inline script, content unchanged',
    location => $NEU, cookie => 'none',
    body   => q{<SCRIPT>fbq('init', '1'); fbq('track', 'PageView');</SCRIPT>},
    expect => { body => q{<SCRIPT type="text/plain" data-consent="meta">fbq('init', '1'); fbq('track', 'PageView');</SCRIPT>} } },
  { name => 'neutralize lists every recipient of an element',
    location => $NEU, cookie => 'none',
    body   => qq{<script type="text/javascript">gtag('js', new Date()); fbq('init','1');</script>},
    check  => sub {
        my (undef, $body) = @_;
        like($body, qr{^<script type="text/plain" data-consent="(google meta|meta google)" data-consent-type="text/javascript">gtag}, 'both ids listed');
    } },
  { name => 'neutralize img moves src and srcset',
    location => $NEU, cookie => 'none',
    body   => q{<img srcset="https://www.facebook.com/tr?id=2 2x" src=https://www.facebook.com/tr?id=1 width=1>},
    expect => { body => q{<img data-consent="meta" data-consent-srcset="https://www.facebook.com/tr?id=2 2x" data-consent-src=https://www.facebook.com/tr?id=1 width=1>} } },
  { name => 'neutralize iframe keeps its content',
    location => $NEU, cookie => 'none',
    body   => q{<iframe src="https://www.googletagmanager.com/ns.html?id=GTM-X" height="0"><p>x</p></iframe>!},
    expect => { body => q{<iframe data-consent="google" data-consent-src="https://www.googletagmanager.com/ns.html?id=GTM-X" height="0"><p>x</p></iframe>!} } },
  { name => 'neutralize still removes link hints and noscript pixels',
    location => $NEU, cookie => 'none',
    body   => qq{<link rel="preconnect" href="https://connect.facebook.net">|<noscript><img src="$PX"></noscript>|},
    expect => { body => '||', blocked => ['meta'] } },
  { name => 'neutralize leaves consented recipients alone',
    location => $NEU, cookie => 'meta',
    body   => qq{<script src="$FB"></script><img src="$PX">},
    expect => { same => 1, blocked => [] } },
  { name => 'neutralize: undeclared recipients are neutralized too',
    location => 'consent on; consent_site mall; consent_action neutralize;', cookie => 'all',
    body   => qq{<script src="$FB"></script>},
    expect => { body => qq{<script type="text/plain" data-consent="meta" data-consent-src="$FB"></script>} } };

# ---------------------------------------------------------------- Consent Mode
sub mode_block {
    my ($ads, $analytics) = @_;
    return "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
         . "gtag('consent','default',{'ad_storage':'$ads','ad_user_data':'$ads',"
         . "'ad_personalization':'$ads','analytics_storage':'$analytics'});</script>";
}
my $CM   = "$ON consent_google_consent_mode on;";
my $doc  = qq{<!DOCTYPE html><html><Head lang="ja"><title>t</title><script async src="$GT"></script></head><body><head></head></body></html>};
(my $doc_nogt = $doc) =~ s{<script async src="\Q$GT\E"></script>}{};
sub with_block { my ($d, $b) = @_; (my $x = $d) =~ s{(<Head lang="ja">)}{$1$b}; $x }
push @cases,
  { name => 'consent mode: google not allowed, everything denied',
    location => $CM, cookie => 'none', body => $doc,
    expect => { body => with_block($doc_nogt, mode_block('denied', 'denied')) } },
  { name => 'consent mode: google allowed where declared for advertising',
    location => $CM, cookie => 'google', body => $doc,
    expect => { body => with_block($doc, mode_block('granted', 'granted')) } },
  { name => 'consent mode: GPC withdraws google (advertising) on air-booking',
    location => $CM, cookie => 'google', headers => ['Sec-GPC' => '1'], body => $doc,
    expect => { body => with_block($doc_nogt, mode_block('denied', 'denied')) } },
  { name => 'consent mode: an analytics-only declaration never grants ads',
    location => 'consent on; consent_site mall; consent_google_consent_mode on;',
    cookie => 'google', body => $doc,
    expect => { body => with_block($doc, mode_block('denied', 'granted')) } },
  { name => 'consent mode off by default: nothing injected',
    location => $ON, cookie => 'google', body => $doc, expect => { same => 1 } },
  { name => 'consent mode: no <head>, nothing injected',
    location => $CM, cookie => 'google', body => '<p>x</p>', expect => { same => 1 } };

# ---------------------------------------------------------------- variables
push @cases,
  { name => '$consent_allowed lists the declared recipients allowed',
    location => $ON, body => $page, cookie => 'meta,x,unknown,skyscanner',
    expect => { allowed => [qw(meta skyscanner x)], source => 'list' } },
  { name => '$consent_allowed never holds undeclared recipients',
    location => 'consent on; consent_site mall;', body => $page, cookie => 'all',
    expect => { allowed => ['google'] } };

run_cases({ http => $HTTP }, \@cases);
done_testing();
