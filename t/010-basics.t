# Pass-through, consent on/off, content types, HEAD/304, response headers,
# $consent_blocked (through the access log), consent_site from a variable.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);
use ConsentOracle;

my $db    = rules_db();
my $rules = ConsentOracle::load_rules(repo_root() . '/rules/ana.yaml');
my $HTTP  = "consent_rules $db;\nconsent_cookie consent;";
my $ON    = 'consent on; consent_site air-booking;';

my $FB   = 'https://connect.facebook.net/en_US/fbevents.js';
my $page = <<"E";
<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>テスト</title>
<script src="$FB"></script>
</head><body><p>本文</p><img src="https://www.facebook.com/tr?id=1&amp;ev=PageView"></body></html>
E
my $stripped = $page;
$stripped =~ s{<script src="\Q$FB\E"></script>}{};
$stripped =~ s{<img src="https://www\.facebook\.com/tr\?id=1&amp;ev=PageView">}{};
my $mtime = 1_600_000_000;    # Sun, 13 Sep 2020 12:26:40 GMT
my $imsince = 'Sun, 13 Sep 2020 12:26:40 GMT';
my $static_etag = sprintf '"%x-%x"', $mtime, length $page;

my $plain = "<!DOCTYPE html>\n<html><head><title>no trackers</title>\n<script src=\"/js/app.js\"></script>\n"
          . "<style>p{color:#333}</style></head><body>\n"
          . join('', map { "<p id=\"p$_\">段落 $_ <a href=\"https://www.facebook.com/ANA\">FB</a></p>\n" } 1 .. 300)
          . "</body></html>\n";
utf8::encode($plain) if utf8::is_utf8($plain);

my @cases;

# ---------------------------------------------------------------- pass-through
push @cases,
  { name => 'page without trackers is byte-identical', body => $plain, location => $ON,
    cookie => 'none', expect => { same => 1, blocked => [] } },
  { name => 'empty text/html body', body => '', location => $ON, cookie => 'none',
    expect => { body => '', blocked => [] } },
  { name => 'tracker page, consent none', body => $page, location => $ON, cookie => 'none',
    expect => { body => $stripped, blocked => ['meta'] } },
  { name => 'tracker page, consent all', body => $page, location => $ON, cookie => 'all',
    expect => { same => 1, blocked => [] } };

# Idempotence: every property's stripped page goes through unchanged.
for my $site (@{ $rules->{site_order} }) {
    my ($none) = ConsentOracle::expected_for($rules, $site, 'none');
    push @cases, { name => "$site: stripped page is a fixed point", body => $none,
                   location => "consent on; consent_site $site;", cookie => 'none',
                   splits => ['whole', 1, 'random:7'],
                   expect => { same => 1, blocked => [] } };
}

# ---------------------------------------------------------------- on / off
push @cases,
  { name => 'consent off: untouched, headers untouched', body => $page, cookie => 'none',
    location => 'consent off; consent_site air-booking;', up_framing => 'length',
    splits => ['whole'],
    expect => { same => 1, headers => { 'Content-Length' => length $page } } },
  { name => 'consent off by default (directive absent)', body => $page, cookie => 'none',
    location => '', expect => { same => 1 } },
  { name => 'consent off in a nested location overrides on',
    location => "$ON\nlocation /c/__ID__/off/ { consent off; proxy_pass http://__UPSTREAM__; }",
    path => 'off/index.html', body => $page, cookie => 'none', expect => { same => 1 } },
  { name => 'consent on inherited into a nested location',
    location => "$ON\nlocation /c/__ID__/in/ { proxy_pass http://__UPSTREAM__; }",
    path => 'in/index.html', body => $page, cookie => 'none', expect => { body => $stripped } };

# ---------------------------------------------------------------- content types
for my $t ('text/plain', 'application/json', 'text/css', 'application/javascript',
           'application/xhtml+xml', 'image/svg+xml') {
    push @cases, { name => "type $t untouched", body => $page, type => $t, location => $ON,
                   cookie => 'none', up_framing => 'length', splits => ['whole'],
                   expect => { same => 1, headers => { 'Content-Length' => length $page } } };
    push @cases, { name => "type $t untouched (chunked)", body => $page, type => $t,
                   location => $ON, cookie => 'none', expect => { same => 1 } };
}
push @cases,
  { name => 'no Content-Type untouched', body => $page, type => 'none', location => $ON,
    cookie => 'none', expect => { same => 1 } },
  { name => 'text/html with a charset is gated', body => $page, type => 'text/html; charset=Shift_JIS',
    location => $ON, cookie => 'none', expect => { body => $stripped } },
  { name => 'content type matched case-insensitively', body => $page, type => 'Text/HTML; charset=UTF-8',
    location => $ON, cookie => 'none', expect => { body => $stripped } },
  { name => 'consent_types adds xhtml', body => $page, type => 'application/xhtml+xml',
    location => "$ON consent_types text/html application/xhtml+xml;", cookie => 'none',
    expect => { body => $stripped } },
  { name => 'consent_types keeps text/html', body => $page,
    location => "$ON consent_types text/html application/xhtml+xml;", cookie => 'none',
    expect => { body => $stripped } },
  { name => 'consent_types: text/plain still untouched', body => $page, type => 'text/plain',
    location => "$ON consent_types text/html application/xhtml+xml;", cookie => 'none',
    expect => { same => 1 } };

# ---------------------------------------------------------------- headers
push @cases,
  { name => 'upstream Content-Length removed, Vary: Cookie added', body => $page, location => $ON,
    cookie => 'none', up_framing => 'length', splits => ['whole'],
    expect => { body => $stripped, no_headers => ['Content-Length'],
                headers => { Vary => qr/\bCookie\b/i } } },
  { name => 'Vary: Cookie added when consent allows everything too', body => $page, location => $ON,
    cookie => 'all', up_framing => 'length', splits => ['whole'],
    expect => { same => 1, no_headers => ['Content-Length'], headers => { Vary => qr/\bCookie\b/i } } },
  { name => 'existing Vary kept, Cookie added', body => $page, location => $ON, cookie => 'none',
    up_headers => ['Vary: Accept-Encoding'],
    expect => { body => $stripped, headers => { Vary => qr/Accept-Encoding.*Cookie|Cookie.*Accept-Encoding/i } } },
  { name => 'upstream close-delimited body', body => $page, location => $ON, cookie => 'none',
    up_framing => 'close', splits => ['whole'], expect => { body => $stripped } },
  { name => 'static file: Content-Length and Accept-Ranges removed', backend => 'static',
    static => { 'index.html' => $page }, location => $ON, cookie => 'none',
    expect => { body => $stripped, blocked => ['meta'], no_headers => ['Content-Length', 'Accept-Ranges'],
                headers => { Vary => qr/\bCookie\b/i } } },
  { name => 'static file: a Range request gets the whole stripped page', backend => 'static',
    static => { 'index.html' => $page }, location => $ON, cookie => 'none',
    headers => [Range => 'bytes=0-9'],
    expect => { body => $stripped, no_headers => ['Content-Range'] } };

# ---------------------------------------------------------------- HEAD and 304
push @cases,
  { name => 'HEAD on a static file passes untouched', backend => 'static', method => 'HEAD',
    static => { 'index.html' => $page }, location => $ON, cookie => 'none',
    expect => { body => '', headers => { 'Content-Length' => length $page, 'Accept-Ranges' => 'bytes' } } },
  { name => 'HEAD through the proxy', method => 'HEAD', body => $page, location => $ON,
    cookie => 'none', up_framing => 'length',
    expect => { body => '', headers => { 'Content-Length' => length $page } } },
  { name => '304 on a static file (If-Modified-Since)', backend => 'static', mtime => $mtime,
    static => { 'index.html' => $page }, location => $ON, cookie => 'none',
    headers => ['If-Modified-Since' => $imsince],
    expect => { status => 304, body => '' } },
  { name => '304 on a static file (If-None-Match)', backend => 'static', mtime => $mtime,
    static => { 'index.html' => $page }, location => $ON, cookie => 'none',
    headers => ['If-None-Match' => $static_etag],
    expect => { status => 304, body => '', headers => { ETag => $static_etag } } },
  { name => '304 from the upstream', body => '', up_status => 304,
    up_headers => ['ETag: "v1"', 'Cache-Control: max-age=60'], location => $ON, cookie => 'none',
    headers => ['If-None-Match' => '"v1"'],
    expect => { status => 304, body => '', headers => { ETag => '"v1"', 'Cache-Control' => 'max-age=60' } } },
  { name => 'static file without conditional headers is gated', backend => 'static', mtime => $mtime,
    static => { 'index.html' => $page }, location => $ON, cookie => 'none',
    expect => { status => 200, body => $stripped } };

# ---------------------------------------------------------------- $consent_blocked
push @cases,
  { name => '$consent_blocked lists every removed recipient once',
    body => qq{<script src="$FB"></script><img src="https://www.facebook.com/tr?id=1">}
          . q{<script src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>}
          . q{<script src="https://static.criteo.net/js/ld/ld.js"></script>},
    location => $ON, cookie => 'criteo', expect => { body => q{<script src="https://static.criteo.net/js/ld/ld.js"></script>}, blocked => ['google', 'meta'] } },
  { name => '$consent_blocked empty when consent off', body => $page,
    location => 'consent off;', cookie => 'none', expect => { same => 1, blocked => [] } },
  { name => '$consent_blocked empty for other types', body => $page, type => 'text/plain',
    location => $ON, cookie => 'none', expect => { same => 1, blocked => [] } };

# ---------------------------------------------------------------- consent_site from a variable
my $two = qq{<script src="$FB"></script>|<script src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>};
push @cases,
  { name => 'consent_site $variable: air-booking declares meta', body => $two,
    location => 'consent on; consent_site $http_x_site;', headers => ['X-Site' => 'air-booking'],
    cookie => 'meta', expect => { body => qq{<script src="$FB"></script>|}, blocked => ['google'] } },
  { name => 'consent_site $variable: mall does not declare meta', body => $two,
    location => 'consent on; consent_site $http_x_site;', headers => ['X-Site' => 'mall'],
    cookie => 'meta,google', expect => { body => q{|<script src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>},
                                         blocked => ['meta'] } },
  { name => 'consent_site $variable: mall, category analytics', body => $two,
    location => 'consent on; consent_site $http_x_site;', headers => ['X-Site' => 'mall'],
    cookie => 'analytics', expect => { body => q{|<script src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>} } };

# Beyond the written spec, guarding deliberate behaviour:
#  * a changed body must not keep a strong validator (RFC 9110 8.8.1): the
#    ETag is weakened on gated responses;
#  * a consent_site variable naming no known site fails closed (nothing is
#    declared, so every recipient goes);
#  * error pages are gated like any other HTML.
push @cases,
  { name => 'gated response weakens the upstream ETag', body => $page, location => $ON, cookie => 'none',
    up_headers => ['ETag: "abc"'], expect => { body => $stripped, headers => { ETag => 'W/"abc"' } } },
  { name => 'gated static file has a weak ETag', backend => 'static', static => { 'index.html' => $page },
    mtime => $mtime, location => $ON, cookie => 'none',
    expect => { body => $stripped, headers => { ETag => "W/$static_etag" } } },
  { name => 'consent_site $variable naming no site fails closed', body => $two,
    location => 'consent on; consent_site $http_x_site;', headers => ['X-Site' => 'nosuch'],
    cookie => 'all', expect => { body => '|', blocked => ['google', 'meta'] } },
  { name => 'consent_site $variable empty fails closed', body => $two,
    location => 'consent on; consent_site $http_x_site;', cookie => 'all',
    expect => { body => '|', blocked => ['google', 'meta'] } },
  { name => 'HTML error page from the upstream is gated', body => $page, up_status => 404,
    location => $ON, cookie => 'none', expect => { status => 404, body => $stripped } };

run_cases({ http => $HTTP }, \@cases);

# ---------------------------------------------------------------- consent at server level
run_cases({ http => $HTTP, server => $ON }, [
    { name => 'consent on at server level applies to locations', body => $page, cookie => 'none',
      expect => { body => $stripped } },
    { name => 'consent off in a location under server-level on', body => $page, cookie => 'none',
      location => 'consent off;', expect => { same => 1 } },
]);

# consent at http level with site per server
run_cases({ http => "$HTTP\nconsent on;", server => 'consent_site mall;' }, [
    { name => 'consent on at http level, consent_site at server level', body => $two,
      cookie => 'all', expect => { body => q{|<script src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>} } },
]);

done_testing;
