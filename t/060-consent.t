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
  { name => 'neutralize: undeclared recipients are stripped, never neutralized',
    location => 'consent on; consent_site mall; consent_action neutralize;', cookie => 'all',
    body   => qq{<script src="$FB"></script>|<script>gtag('js'); fbq('init','1')</script>|},
    expect => { body => '||', blocked => ['meta'] } };

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

# ---------------------------------------------------------------- CMP cookies
# Real-shaped values (see ngx_consent_module/test/test_cmp.c for sources).
my @analytics = grep {
    ConsentOracle::declared_category($rules, 'air-booking', $_) eq 'analytics'
} @ids;
sub kept_only { my %k = map { $_ => 1 } @_; page_without(map { $_ => 1 } grep { !$k{$_} } @ids) }

my $OT = 'isGpcEnabled=0&datestamp=Mon+Sep+01+2025+16%3A10%3A37+GMT%2B0530+'
       . '(India+Standard+Time)&version=202505.1.0&browserGpcFlag=0'
       . '&isIABGlobal=false&hosts=&interactionCount=1&isAnonUser=1&landingPath='
       . 'NotLandingPage&groups=C0001%3A1%2CC0003%3A0%2CC0002%3A1%2CC0004%3A0'
       . '&AwaitingReconsent=false&geolocation=IN%3BKL';
my $CB = '{stamp:%27BvqlZ34xqOpzSOaxY1VgwOy5CZ1lfC4Xs2JNiDqz9M4rNuyyAY56Jg=='
       . '%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:true%2C'
       . 'marketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1697932000537}';
my $CC = '%7B%22categories%22%3A%5B%22necessary%22%2C%22analytics%22%5D%2C'
       . '%22revision%22%3A0%2C%22data%22%3Anull%2C%22consentTimestamp%22%3A'
       . '%222026-05-06T15%3A46%3A43.814Z%22%2C%22consentId%22%3A%22239ff797-'
       . 'fd56-4fdc-b7b7-a22fa75f279f%22%7D';
my $KL = '%7B%22meta%22%3Atrue%2C%22googleAnalytics%22%3Atrue%2C%22tiktok%22%3Afalse%7D';

# A TC string built field by field (IAB TCF v2.2 core segment, bitfield
# vendor section): consent for purpose 1 and the given vendor ids.
sub tc_string {
    my ($purposes, @vendors) = @_;
    my $max = 0; $max = $_ > $max ? $_ : $max for @vendors;
    my %v = map { $_ => 1 } @vendors;
    my $bits = '';
    my $f = sub { my ($n, $w) = @_; $bits .= substr(unpack('B64', pack('Q>', $n)), 64 - $w) };
    $f->(2, 6); $f->(16000000000, 36); $f->(16000000000, 36);   # version, created, updated
    $f->(7, 12); $f->(1, 12); $f->(1, 6);                         # cmp id, version, screen
    $f->(4, 6); $f->(13, 6);                                      # language "EN"
    $f->(150, 12); $f->(4, 6); $f->(0, 1); $f->(0, 1);           # gvl, policy, service specific, non-std
    $f->(0, 12);                                                  # special features
    $bits .= join('', map { $purposes->{$_} ? 1 : 0 } 1 .. 24);   # purposes consent
    $bits .= '0' x 24;                                            # purposes LI
    $f->(0, 1); $f->(0, 6); $f->(0, 6);                           # p1 treatment, publisher CC "AA"
    $f->($max, 16); $f->(0, 1);                                   # max vendor, bitfield
    $bits .= join('', map { $v{$_} ? 1 : 0 } 1 .. $max);
    $f->(0, 16); $f->(0, 1);                                      # LI section: empty
    $f->(0, 12);                                                  # no publisher restrictions
    $bits .= '0' x ((6 - length($bits) % 6) % 6);
    my @a = ('A' .. 'Z', 'a' .. 'z', 0 .. 9, '-', '_');
    return join '', map { $a[oct("0b$_")] } unpack('(A6)*', $bits);
}
my $TC      = tc_string({ 1 => 1, 2 => 1 }, 755, 91);   # google, criteo
my $TC_NOP1 = tc_string({ 2 => 1 }, 755, 91);           # purpose 1 refused

my $CMP = "$ON consent_cookie OptanonConsent onetrust; consent_cookie CookieConsent cookiebot;"
        . " consent_cookie cc_cookie cc_cookie; consent_cookie klaro klaro;"
        . " consent_cookie euconsent-v2 tcf; consent_cookie consent list;";
push @cases,
  { name => 'onetrust: C0002 performance = analytics recipients',
    location => $CMP, body => $page, cookie => undef, headers => [Cookie => "OptanonConsent=$OT"],
    expect => { body => kept_only(@analytics), source => 'onetrust', allowed => \@analytics } },
  { name => 'onetrust: consent_map overrides a group',
    location => "$CMP consent_map onetrust C0002 meta;", body => $page, cookie => undef,
    headers => [Cookie => "OptanonConsent=$OT"],
    expect => { body => kept_only('meta'), allowed => ['meta'] } },
  { name => 'cookiebot: statistics = analytics',
    location => $CMP, body => $page, cookie => undef, headers => [Cookie => "CookieConsent=$CB"],
    expect => { body => kept_only(@analytics), source => 'cookiebot' } },
  { name => 'cookiebot: -1, outside any consent region, allows everything declared',
    location => $CMP, body => $page, cookie => undef, headers => [Cookie => 'CookieConsent=-1'],
    expect => { same => 1, source => 'cookiebot' } },
  { name => 'cookiebot: 0 is necessary only',
    location => $CMP, body => $page, cookie => undef, headers => [Cookie => 'CookieConsent=0'],
    expect => { body => kept_only(), source => 'cookiebot', allowed => [] } },
  { name => 'cc_cookie v3: analytics category',
    location => $CMP, body => $page, cookie => undef, headers => [Cookie => "cc_cookie=$CC"],
    expect => { body => kept_only(@analytics), source => 'cc_cookie' } },
  { name => 'klaro: services named like recipients',
    location => $CMP, body => $page, cookie => undef, headers => [Cookie => "klaro=$KL"],
    expect => { body => kept_only('meta'), source => 'klaro', allowed => ['meta'] } },
  { name => 'tcf: vendor consent with purpose 1',
    location => $CMP, body => $page, cookie => undef, headers => [Cookie => "euconsent-v2=$TC"],
    expect => { body => kept_only('criteo', 'google'), source => 'tcf',
                allowed => ['criteo', 'google'] } },
  { name => 'tcf: without purpose 1 no vendor is allowed',
    location => $CMP, body => $page, cookie => undef, headers => [Cookie => "euconsent-v2=$TC_NOP1"],
    expect => { body => kept_only(), source => 'tcf', allowed => [] } },
  { name => 'CMP sources: order decides (onetrust before the plain list)',
    location => $CMP, body => $page, cookie => 'all', headers => [Cookie => "OptanonConsent=$OT"],
    expect => { body => kept_only(@analytics), source => 'onetrust' } },
  { name => 'CMP sources: a malformed TC string falls through to the plain list',
    location => $CMP, body => $page, cookie => 'meta', headers => [Cookie => 'euconsent-v2=C!!!'],
    expect => { body => kept_only('meta'), source => 'list' } },
  { name => 'CMP sources: GPC still withdraws sale/sharing',
    location => $CMP, body => $page, cookie => undef,
    headers => [Cookie => 'CookieConsent=-1', 'Sec-GPC' => '1'],
    expect => { body => kept_only(@kept_under_gpc), source => 'gpc' } };

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
