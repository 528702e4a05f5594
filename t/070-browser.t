# consent_action neutralize end to end in a real browser: Debian's headless
# Chromium loads a page through the gated nginx, with conf/consent-activate.js,
# and every tracker host resolved (--host-resolver-rules) to a local recorder.
#
#   chromium --host-resolver-rules="MAP * 127.0.0.1:TLS, EXCLUDE 127.0.0.1"
#     -> every host name lands on TLS, a TLS server in the same nginx
#        (self-signed, --ignore-certificate-errors), proxied to the recorder
#   recorder (Perl, forked): logs Host, method, target and Sec-Fetch-Site of
#     each request in arrival order, answers 200 with a line of JavaScript.
#
# TLS because Chromium upgrades http:// to https:// for HSTS-preloaded hosts
# (facebook.com, google's, ...) before any request leaves the browser.
# Sec-Fetch-Site tells the page's requests (cross-site, same-site, ...) from
# Chromium's own background ones ("none": sign-in, component updater),
# which are not the page's transmissions and are only listed with note().
#
# The page carries a small scenario script (a fixture, not the product): after
# load it fetches https://marker.test/before-consent, then gives consent the
# way its mode says, waits, fetches /after-consent and /done, and writes the
# order in which tracker scripts ran into <pre id=ran>. Modes:
#   none    no consent at all: not one request to a tracker host
#   event   cookie consent=meta set, then consent:changed on document
#   load    cookie consent=meta set before the activator runs (on load)
#   detail  consent:changed on window with detail.allowed ["advertising"]
#   gpc     cookie consent=all and navigator.globalPrivacyControl
# Chromium is run without WebDriver: --virtual-time-budget then --dump-dom.
#
# Then what the markup cannot show (consent_csp): a tag manager (utag.js,
# served by the recorder from Tealium's host) injects Meta's pixel, an image
# beacon to Criteo and a fetch to Pinterest at run time. The visitor's
# cookie comes from a redirect (/csp-start) before the page:
#   csp-enforce  consent=tealium, consent_csp enforce: the tag manager loads,
#                not one request to meta/criteo/pinterest hosts
#   csp-report   consent=tealium, consent_csp report: they all load, and the
#                report-uri reports count one violation per recipient and
#                directive in consent_status
#   csp-all      consent=all, report: no violation
#   csp-own      consent=all, enforce, and the site's own policy
#                (connect-src 'self' https://marker.test): the browser
#                enforces both, so the fetch to Pinterest stays blocked
#   expose       consent=tealium,meta, consent_expose on: the decision the
#                page publishes drives conf/tag-managers/ (Tealium's
#                pre-loader, Adobe Launch's condition run in the page; GTM's
#                triggers evaluated on the dataLayer event it pushed)
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);
use ConsentOracle;
use Errno qw(EINTR);
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

my $CHROMIUM = $ENV{CONSENT_TEST_CHROMIUM} || '/usr/bin/chromium';
plan skip_all => "$CHROMIUM is not installed: Debian's chromium package "
               . "(make deps installs it; CONSENT_TEST_CHROMIUM=path for another)"
    unless -x $CHROMIUM;
plan skip_all => 'openssl is not installed (Debian package openssl, for the '
               . 'recorder\'s self-signed certificate)'
    unless tool_path('openssl');

my $T0    = time;
my $ROOT  = repo_root();
my $db    = rules_db();
my $rules = ConsentOracle::load_rules("$ROOT/rules/ana.yaml");
my $SITE  = 'air-booking';
my $work  = workdir() . '/browser';
mkdir $work or die "mkdir $work: $!";
chmod 0755, $work;

# ---------------------------------------------------------------- TLS

my ($cert, $key) = eval { self_signed_cert($work, 'consent-test.invalid') };
BAIL_OUT($@) unless $cert;

# ---------------------------------------------------------------- recorder

my $rec_log = "$work/requests.log";
my $recorder = Recorder->start($rec_log);

# ---------------------------------------------------------------- page

my %cats = map { $_ => ConsentOracle::declared_category($rules, $SITE, $_) }
           ConsentOracle::declared_ids($rules, $SITE);
my $cats_json = JSON::PP->new->canonical->encode(\%cats);
die "a category map with a quote" if $cats_json =~ /'/;

my $page = <<'HTML';
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>ANA booking (browser test)</title>
<script>
/* test scenario, not part of the product */
(function () {
  var mode = new URLSearchParams(location.search).get('mode') || 'none';
  window.__ran = [];
  if (mode === 'load') document.cookie = 'consent=meta; path=/';
  if (mode === 'gpc') {
    document.cookie = 'consent=all; path=/';
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl',
                          { get: function () { return true; }, configurable: true });
  }
  function mark(name) {
    return fetch('https://marker.test/' + name + '?mode=' + mode,
                 { mode: 'no-cors', cache: 'no-store' }).catch(function () {});
  }
  addEventListener('load', async function () {
    await mark('before-consent');
    if (mode === 'event') {
      document.cookie = 'consent=meta; path=/';
      document.dispatchEvent(new CustomEvent('consent:changed'));
    }
    if (mode === 'detail')
      window.dispatchEvent(new CustomEvent('consent:changed',
                                           { detail: { allowed: ['advertising'] } }));
    await new Promise(function (r) { setTimeout(r, 1000); });
    await mark('after-consent');
    document.getElementById('ran').textContent = window.__ran.join(' ');
    await mark('done');
  });
})();
</script>
<script src="/consent-activate.js" data-categories='__CATS__'></script>
<link rel="preconnect" href="https://connect.facebook.net">
</head><body>
<h1>Book a flight</h1>
<script src="https://cdn.shop.test/app.js"></script>
<script src="https://connect.facebook.net/en_US/fbevents.js"></script>
<script type="module" src="https://connect.facebook.net/signals/config/1234567890.js"></script>
<script>fbq('init', '1234567890'); fbq('track', 'PageView'); __ran.push('inline-meta');</script>
<noscript><img height="1" width="1" style="display:none" src="https://www.facebook.com/tr?id=1234567890&amp;ev=PageView&amp;noscript=1"></noscript>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST000001"></script>
<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);} gtag('js', new Date()); gtag('config', 'G-TEST000001'); __ran.push('inline-google');</script>
<script>gtag('event', 'purchase'); fbq('track', 'Purchase'); __ran.push('inline-google-meta');</script>
<img src="https://www.facebook.com/tr?id=1234567890&amp;ev=ViewContent" srcset="https://www.facebook.com/tr?id=1234567890&amp;ev=ViewContent&amp;dpr=2 2x" width="1" height="1" alt="">
<iframe src="https://www.googletagmanager.com/ns.html?id=GTM-TEST01" height="0" width="0"></iframe>
<iframe src="https://www.facebook.com/plugins/like.php?href=https%3A%2F%2Fwww.ana.co.jp%2F" width="90" height="20"></iframe>
<script src="https://tags.tiqcdn.com/utag/ana/main/prod/utag.js"></script>
<script src="https://7000000.collect.igodigital.com/collect.js"></script>
<pre id="ran"></pre>
</body></html>
HTML
$page =~ s/__CATS__/$cats_json/;
write_file("$work/www/page.html", $page);

# The tag manager's page: no tracker in the markup but utag.js.
write_file("$work/www/tm.html", <<'HTML');
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>tag manager (CSP test)</title>
<script>
/* test scenario, not part of the product */
addEventListener('load', function () {
  setTimeout(function () {
    fetch('https://marker.test/done?mode=csp', { mode: 'no-cors', cache: 'no-store' })
      .catch(function () {});
  }, 1500);
});
</script>
<script src="https://tags.tiqcdn.com/utag/ana/csp/prod/utag.js"></script>
</head><body><p>Book a flight</p></body></html>
HTML

# The tag managers' configurations, run where a tag manager would run them.
my $tealium = read_file("$ROOT/conf/tag-managers/tealium-preloader.js");
my $adobe = read_file("$ROOT/conf/tag-managers/adobe-launch-condition.js");
my $adobe_for = sub { my ($id) = @_; (my $c = $adobe) =~ s/var RECIPIENT = 'meta';/var RECIPIENT = '$id';/ or die 'RECIPIENT';
                      return "function () {\n$c\n}" };
write_file("$work/www/tm-expose.html", <<"HTML");
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>tag managers (expose test)</title>
<script>
$tealium
</script>
<script>
/* test scenario, not part of the product */
addEventListener('load', function () {
  var adobe = { meta: (${\ $adobe_for->('meta') })(), criteo: (${\ $adobe_for->('criteo') })() };
  document.getElementById('tm').textContent = JSON.stringify(
    { utag_data: window.utag_data, adobe: adobe, dataLayer: window.dataLayer });
  fetch('https://marker.test/done?mode=expose', { mode: 'no-cors', cache: 'no-store' }).catch(function () {});
});
</script>
</head><body><pre id="tm"></pre></body></html>
HTML
chmod 0755, "$work/www";

# ---------------------------------------------------------------- nginx

my $tls = free_port();
my $ngx = start_nginx(
    server => '',
    http => <<"HTTP",
    consent_rules $db;
    consent_zone browser_t 1m;
    server {
        listen 127.0.0.1:$tls ssl;
        server_name _;
        ssl_certificate     $cert;
        ssl_certificate_key $key;
        location / {
            proxy_pass http://127.0.0.1:${\ $recorder->port };
            proxy_set_header Host \$host;
            proxy_buffering off;
        }
    }
HTTP
    locations => <<"LOC",
        location / {
            root $work/www;
            consent on;
            consent_site $SITE;
            consent_action neutralize;
        }
        location = /consent-activate.js {
            alias $ROOT/conf/consent-activate.js;
        }
        location = /csp-start {
            add_header Set-Cookie "consent=\$arg_consent; path=/";
            return 302 /\$arg_to/tm.html;
        }
        location /csp-enforce/ {
            alias $work/www/;
            consent on; consent_site $SITE;
            consent_csp enforce; consent_csp_allow https://marker.test;
            consent_csp_report_uri /csp-report report-to=off;
        }
        location /csp-report/ {
            alias $work/www/;
            consent on; consent_site $SITE;
            consent_csp report; consent_csp_allow https://marker.test;
            consent_csp_report_uri /csp-report report-to=off;
        }
        location /csp-own/ {
            alias $work/www/;
            consent on; consent_site $SITE;
            consent_csp enforce; consent_csp_allow https://marker.test;
            add_header Content-Security-Policy "connect-src 'self' https://marker.test";
        }
        location = /expose/tm.html {
            alias $work/www/tm-expose.html;
            consent on; consent_site $SITE; consent_expose on;
        }
        location = /csp-report { consent_site $SITE; consent_csp_report; }
        location = /status { consent_status; }
LOC
);
my $base = "http://127.0.0.1:" . $ngx->port;

# What the server sends: the contract the activator builds on.
my $served = http_request(port => $ngx->port, path => '/page.html');
is($served->{status}, 200, 'page served through the gate');
my $html = $served->{body};
my $inert = () = $html =~ /data-consent="/g;
is($inert, 10, 'ten tracker elements neutralized (7 scripts, 1 img, 2 iframes)')
    or diag($html);
like($html, qr{<script type="text/plain" data-consent="meta" data-consent-src="https://connect\.facebook\.net/en_US/fbevents\.js"></script>},
     'external script neutralized');
like($html, qr{<script type="text/plain" data-consent="meta" data-consent-type="module" data-consent-src="https://connect\.facebook\.net/signals/},
     'module script keeps its type aside');
like($html, qr{<script type="text/plain" data-consent="(google meta|meta google)">gtag\('event'}, 'two-recipient inline script');
unlike($html, qr{igodigital}, 'undeclared recipient stripped, never neutralized');
unlike($html, qr{rel="preconnect"|<noscript>}, 'link hint and noscript pixel removed');
like($html, qr{<script src="https://cdn\.shop\.test/app\.js"></script>}, 'unknown third party untouched');
like($html, qr{<script>\n/\* test scenario}, 'the scenario script is not gated');
my $js = http_request(port => $ngx->port, path => '/consent-activate.js');
is($js->{status}, 200, '/consent-activate.js served');

# ---------------------------------------------------------------- chromium

my @FLAGS = qw(
    --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage
    --disable-quic --no-first-run --no-default-browser-check
    --disable-background-networking --disable-component-update --disable-sync
    --disable-default-apps --disable-extensions --password-store=basic
    --ignore-certificate-errors --virtual-time-budget=5000
);
my $RUN_TIMEOUT = 20;    # seconds per Chromium run; it takes about 3

my %recipient_hosts;    # host -> recipient id (undef when none)
sub recipient_of {
    my ($host) = @_;
    $recipient_hosts{$host} //= ConsentOracle::host_recipient($rules, $host) // '';
    return $recipient_hosts{$host} || undef;
}

# One Chromium run: returns ($dom, \@requests_the_page_made).
sub browse {
    my ($mode, $path) = @_;
    $path //= "/page.html?mode=$mode";
    my $from = -s $rec_log // 0;
    my $dom_file = "$work/dom-$mode.html";
    my $err_file = "$work/chromium-$mode.log";
    my @cmd = ($CHROMIUM, @FLAGS, "--user-data-dir=$work/profile-$mode",
               "--host-resolver-rules=MAP * 127.0.0.1:$tls, EXCLUDE 127.0.0.1",
               '--dump-dom', "$base$path");
    my $t = time;
    my $proc = Browser->start(\@cmd, $dom_file, $err_file);
    my $ok = $proc->wait_exit($RUN_TIMEOUT);
    $proc->stop;   # the whole process group, also when it timed out
    ok($ok, "[$mode] chromium exited within ${RUN_TIMEOUT}s")
        or diag(ConsentTest::tail_file($err_file, 30));
    note(sprintf "[%s] chromium took %.1fs", $mode, time - $t);
    my $dom = -f $dom_file ? read_file($dom_file) : '';
    my (@page, @browser);
    for my $r (Recorder::read_log($rec_log, $from)) {
        if ($r->{site} eq 'none') { push @browser, $r } else { push @page, $r }
    }
    note("[$mode] Chromium's own requests (not the page's): "
         . join(', ', map { "$_->{method} $_->{host}" } @browser)) if @browser;
    ok(scalar(grep { $_->{host} eq 'marker.test' && $_->{path} =~ m{^/done\b} } @page),
       "[$mode] the scenario ran to its end")
        or diag("requests:\n" . join("\n", map { "$_->{host} $_->{path}" } @page)
                . "\nDOM:\n$dom\n" . ConsentTest::tail_file($err_file, 30));
    return ($dom, \@page);
}

sub marker_index {
    my ($reqs, $name) = @_;
    for my $i (0 .. $#$reqs) {
        return $i if $reqs->[$i]{host} eq 'marker.test' && $reqs->[$i]{path} =~ m{^/\Q$name\E\b};
    }
    return undef;
}

sub trackers { grep { defined recipient_of($_->{host}) } @_ }
sub recipients_of_requests {
    my %r = map { recipient_of($_->{host}) => 1 } trackers(@_);
    return join ',', sort keys %r;
}
sub show { join("\n", map { "  $_->{host} $_->{path}" } @_) }

# The start tag of the first element whose start tag (or inline text) holds $needle.
sub tag_of {
    my ($dom, $needle) = @_;
    while ($dom =~ m{(<(?:script|img|iframe)\b[^>]*>)([^<]*)}g) {
        my ($tag, $text) = ($1, $2);
        return $tag if index($tag, $needle) >= 0 || index($text, $needle) >= 0;
    }
    return '';
}

sub active_ok {
    my ($dom, $needle, $ids, $mode) = @_;
    my $tag = tag_of($dom, $needle);
    ok($tag =~ /\bdata-consent-active="\Q$ids\E"/ && $tag !~ /\bdata-consent="|type="text\/plain"|data-consent-src/,
       "[$mode] active: $needle") or diag("tag: $tag");
}
sub inert_ok {
    my ($dom, $needle, $mode) = @_;
    my $tag = tag_of($dom, $needle);
    ok($tag =~ /\bdata-consent="/ && $tag !~ /data-consent-active|\ssrc=/,
       "[$mode] inert: $needle") or diag("tag: $tag");
}

sub ran_list {
    my ($dom) = @_;
    return $dom =~ m{<pre id="ran">([^<]*)</pre>} ? split(' ', $1) : ();
}
sub in_order {
    my ($ran, @want) = @_;
    my %pos;
    @pos{@$ran} = (0 .. $#$ran);
    for my $i (0 .. $#want) {
        return 0 unless defined $pos{ $want[$i] };
        return 0 if $i && $pos{ $want[$i] } < $pos{ $want[$i - 1] };
    }
    return 1;
}

my $FB  = 'connect.facebook.net/en_US/fbevents.js';
my $CFG = 'connect.facebook.net/signals/config/1234567890.js';
my $GT  = 'www.googletagmanager.com/gtag/js';

# ---- no consent: nothing leaves for any tracker host
{
    my ($dom, $req) = browse('none');
    my @t = trackers(@$req);
    is(scalar @t, 0, '[none] not one request to a tracker host in the whole run')
        or diag(show(@t));
    ok(scalar(grep { $_->{host} eq 'cdn.shop.test' } @$req),
       '[none] the unknown third party loaded (the recorder sees the page)');
    my $n = () = $dom =~ /data-consent="/g;
    is($n, 10, '[none] every neutralized element still inert');
    unlike($dom, qr/data-consent-active/, '[none] nothing activated');
    is(join(' ', ran_list($dom)), 'cdn.shop.test/app.js', '[none] only the unknown third party ran');
}

# ---- consent given after load: cookie, then consent:changed on document
{
    my ($dom, $req) = browse('event');
    my $m = marker_index($req, 'before-consent');
    ok(defined $m, '[event] before-consent marker seen');
    $m //= 0;
    my @before = trackers(@$req[0 .. $m]);
    is(scalar @before, 0, '[event] no tracker request before consent') or diag(show(@before));
    my @after = trackers(@$req[$m .. $#$req]);
    is(recipients_of_requests(@after), 'meta', '[event] after consent: meta hosts only')
        or diag(show(@after));
    my %hp = map { ("$_->{host}$_->{path}" =~ s/\?.*//r) => 1 } @after;
    ok($hp{$_}, "[event] requested $_") for (
        $FB, $CFG, 'www.facebook.com/tr', 'www.facebook.com/plugins/like.php');
    active_ok($dom, $FB, 'meta', 'event');
    active_ok($dom, $CFG, 'meta', 'event');
    like(tag_of($dom, $CFG), qr/\btype="module"/, '[event] module script got its type back');
    active_ok($dom, "__ran.push('inline-meta')", 'meta', 'event');
    active_ok($dom, 'www.facebook.com/tr?', 'meta', 'event');
    like(tag_of($dom, 'www.facebook.com/tr?'), qr/\ssrcset="[^"]+ 2x"/, '[event] img srcset restored');
    active_ok($dom, 'www.facebook.com/plugins/like.php', 'meta', 'event');
    inert_ok($dom, $GT, 'event');
    inert_ok($dom, "__ran.push('inline-google')", 'event');
    inert_ok($dom, "__ran.push('inline-google-meta')", 'event');
    inert_ok($dom, 'www.googletagmanager.com/ns.html', 'event');
    inert_ok($dom, 'tags.tiqcdn.com', 'event');
    my @ran = ran_list($dom);
    ok(in_order(\@ran, 'cdn.shop.test/app.js', $FB, $CFG, 'fbq:init', 'fbq:pageview', 'inline-meta'),
       '[event] meta scripts ran once each, in document order') or diag("ran: @ran");
    is(scalar(@ran), 6, '[event] and nothing else ran') or diag("ran: @ran");
}

# ---- consent already in the cookie when the page loads (gate had none)
{
    my ($dom, $req) = browse('load');
    my $m = marker_index($req, 'before-consent') // 0;
    is(recipients_of_requests(@$req), 'meta', '[load] meta hosts only') or diag(show(trackers(@$req)));
    ok(scalar(grep { "$_->{host}$_->{path}" eq $FB } @$req[0 .. $m]),
       '[load] meta activated on load, before the load event ended');
    active_ok($dom, $FB, 'meta', 'load');
    inert_ok($dom, $GT, 'load');
    inert_ok($dom, "__ran.push('inline-google-meta')", 'load');
    my @ran = ran_list($dom);
    ok(in_order(\@ran, $FB, $CFG, 'fbq:init', 'inline-meta'), '[load] in document order')
        or diag("ran: @ran");
}

# ---- event.detail.allowed on window, by category (data-categories)
{
    my ($dom, $req) = browse('detail');
    my $m = marker_index($req, 'before-consent') // 0;
    my @before = trackers(@$req[0 .. $m]);
    is(scalar @before, 0, '[detail] no tracker request before consent') or diag(show(@before));
    my @after = trackers(@$req[$m .. $#$req]);
    is(recipients_of_requests(@after), 'google,meta',
       '[detail] "advertising" allows google and meta, not tealium (analytics) nor salesforce (undeclared)')
        or diag(show(@after));
    active_ok($dom, $GT, 'google', 'detail');
    active_ok($dom, 'www.googletagmanager.com/ns.html', 'google', 'detail');
    my $mixed = tag_of($dom, "__ran.push('inline-google-meta')");
    like($mixed, qr/data-consent-active="(google meta|meta google)"/, '[detail] two-recipient script active');
    inert_ok($dom, 'tags.tiqcdn.com', 'detail');
    my @ran = ran_list($dom);
    ok(in_order(\@ran, $FB, $CFG, 'fbq:init', 'inline-meta', 'inline-google', 'inline-google-meta'),
       '[detail] inline scripts waited for the external ones before them') or diag("ran: @ran");
    ok(scalar(grep { $_ eq 'fbq:purchase' } @ran) && scalar(grep { $_ eq $GT } @ran),
       '[detail] the two-recipient script and async gtag.js ran') or diag("ran: @ran");
}

# ---- Global Privacy Control withholds advertising/social even with consent=all
{
    my ($dom, $req) = browse('gpc');
    is(recipients_of_requests(@$req), 'tealium', '[gpc] consent=all under GPC: only the analytics recipient')
        or diag(show(trackers(@$req)));
    active_ok($dom, 'tags.tiqcdn.com', 'tealium', 'gpc');
    inert_ok($dom, $FB, 'gpc');
}

# ---- what the markup cannot show: tags a tag manager injects at run time
my @INJECTED = qw(meta criteo pinterest);
sub csp_count {
    my ($recipient, $directive, $mode) = @_;
    my $m = http_request(port => $ngx->port, path => '/status')->{body};
    return $m =~ /^consent_csp_violations_total\{site="\Q$SITE\E",recipient="\Q$recipient\E",directive="\Q$directive\E",mode="\Q$mode\E"\} (\d+)$/m
           ? $1 : 0;
}
sub csp_total {
    my $m = http_request(port => $ngx->port, path => '/status')->{body};
    my $n = 0;
    $n += $1 while $m =~ /^consent_csp_violations_total\{[^}]*\} (\d+)$/mg;
    return $n;
}
# report-uri reports are posted as they happen, but may land after the run
sub wait_for { my ($cond) = @_; for (1 .. 50) { return 1 if $cond->(); sleep 0.1 } return 0 }
my %DIRECTIVE = (meta => 'script-src-elem', criteo => 'img-src', pinterest => 'connect-src');

my $served_csp = http_request(port => $ngx->port, path => '/csp-enforce/tm.html',
                              headers => [Cookie => 'consent=tealium']);
like(hdr($served_csp, 'Content-Security-Policy'), qr/https:\/\/\*\.tiqcdn\.com/, '[csp] the policy allows tealium');
unlike(hdr($served_csp, 'Content-Security-Policy'), qr/facebook|criteo|pinterest/, '[csp] and no injected recipient');
{
    my (undef, $req) = browse('csp-enforce', '/csp-start?consent=tealium&to=csp-enforce');
    ok(scalar(grep { $_->{host} eq 'tags.tiqcdn.com' } @$req), '[csp-enforce] the tag manager loaded');
    my @leaks = grep { my $r = recipient_of($_->{host}) // ''; grep { $r eq $_ } @INJECTED } @$req;
    is(scalar @leaks, 0, '[csp-enforce] not one request to meta, criteo or pinterest hosts') or diag(show(@leaks));
    ok(wait_for(sub { !grep { csp_count($_, $DIRECTIVE{$_}, 'enforce') < 1 } @INJECTED }),
       '[csp-enforce] each blocked request was reported');
}
{
    my $before = csp_total();
    my (undef, $req) = browse('csp-report', '/csp-start?consent=tealium&to=csp-report');
    my %seen = map { (recipient_of($_->{host}) // '') => 1 } @$req;
    ok($seen{$_}, "[csp-report] report only: $_ loaded") for ('tealium', @INJECTED);
    wait_for(sub { !grep { csp_count($_, $DIRECTIVE{$_}, 'report') < 1 } @INJECTED });
    is(csp_count($_, $DIRECTIVE{$_}, 'report'), 1, "[csp-report] one $DIRECTIVE{$_} violation for $_")
        for @INJECTED;
    is(csp_total() - $before, 3, '[csp-report] and nothing else');
}
{
    my $before = csp_total();
    my (undef, $req) = browse('csp-all', '/csp-start?consent=all&to=csp-report');
    my %seen = map { (recipient_of($_->{host}) // '') => 1 } @$req;
    ok($seen{$_}, "[csp-all] $_ loaded") for ('tealium', @INJECTED);
    sleep 1;
    is(csp_total(), $before, '[csp-all] consent=all: no violation');
}
{
    my $own = http_request(port => $ngx->port, path => '/csp-own/tm.html', headers => [Cookie => 'consent=all']);
    my @policies = hdrs($own, 'Content-Security-Policy');
    ok(@policies == 2 && (grep { $_ eq "connect-src 'self' https://marker.test" } @policies),
       "[csp-own] the site's own policy is sent unchanged beside the gate's") or diag(join "\n", @policies);
    my (undef, $req) = browse('csp-own', '/csp-start?consent=all&to=csp-own');
    my %seen = map { (recipient_of($_->{host}) // '') => 1 } @$req;
    ok($seen{meta} && $seen{criteo}, "[csp-own] consent=all: what the site's policy allows loads");
    ok(!$seen{pinterest}, "[csp-own] the site's own connect-src still blocks the fetch: both policies hold");
}

# ---- consent_expose: what the tag managers' configurations make of it
{
    my ($dom) = browse('expose', '/csp-start?consent=tealium,meta&to=expose');
    my ($json) = $dom =~ m{<pre id="tm">([^<]*)</pre>};
    my $tm = eval { JSON::PP->new->decode(($json // '') =~ s/&amp;/&/gr) } // {};
    is($tm->{utag_data}{consent_allowed}, ',meta,tealium,', '[expose] Tealium pre-loader: consent_allowed for load rules');
    like($tm->{utag_data}{consent_generation} // '', qr/^[0-9a-f]{16}$/, '[expose] ... and the rules generation');
    ok($tm->{adobe}{meta} && !$tm->{adobe}{criteo}, '[expose] Adobe Launch condition: true for meta, false for criteo')
        or diag($json);
    my ($event) = grep { ref $_ eq 'HASH' && ($_->{event} // '') eq 'consent_decision' } @{ $tm->{dataLayer} || [] };
    ok($event, '[expose] one consent_decision event in dataLayer') or diag($json);
    my $gtm = JSON::PP->new->decode(read_file("$ROOT/conf/tag-managers/gtm-container.json"))->{containerVersion};
    my %var = map { my $v = $_; ($v->{name} => (map { $_->{value} } grep { $_->{key} eq 'name' } @{ $v->{parameter} })[0]) }
              @{ $gtm->{variable} };
    my %fired;
    for my $t (@{ $gtm->{trigger} }) {
        my $ok = 1;
        for my $f (@{ $t->{customEventFilter} }, @{ $t->{filter} }) {
            my %a = map { $_->{key} => $_->{value} } @{ $f->{parameter} };
            my $lhs = $a{arg0} eq '{{_event}}' ? $event->{event}
                    : $a{arg0} =~ /^\{\{(.+)\}\}$/ ? $event->{ $var{$1} // '' } // '' : $a{arg0};
            $ok &&= $f->{type} eq 'EQUALS' ? $lhs eq $a{arg1} : index($lhs, $a{arg1}) >= 0;
        }
        $fired{ $t->{name} } = $ok ? 1 : 0;
    }
    is_deeply(\%fired, { 'consent_decision - meta allowed' => 1, 'consent_decision - criteo allowed' => 0 },
              '[expose] GTM: the meta trigger fires on the event, the criteo one does not');
}

$ngx->stop;
$recorder->stop;
note(sprintf "070-browser took %.1fs", time - $T0);
done_testing();

# ================================================================ recorder

package Recorder;

use strict;
use warnings;
use Errno qw(EINTR);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);

sub port { $_[0]{port} }

sub start {
    my ($class, $log) = @_;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
                                  Listen => 128, ReuseAddr => 1) or die "recorder: $!";
    open my $fh, '>', $log or die "$log: $!";
    close $fh;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        setpgrp(0, 0);
        $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
        eval { _loop($l, $log) };
        POSIX::_exit(0);
    }
    my $self = bless { pid => $pid, port => $l->sockport }, $class;
    close $l;
    ConsentTest::_register($self);
    return $self;
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    kill 'KILL', -$pid;
    waitpid($pid, 0);
    ConsentTest::_unregister($self);
}

# Each connection in its own process; the request is logged (one append, in
# arrival order) before it is answered, so a request the page awaits is
# logged before anything the page does next. fbevents.js is answered 400 ms
# late, so scripts activated after it overtake it unless kept in order.
sub _loop {
    my ($l, $log) = @_;
    $SIG{CHLD} = sub { 1 while waitpid(-1, WNOHANG) > 0 };
    while (1) {
        my $c = $l->accept or do { next if $! == EINTR; return };
        my $pid = fork;
        if (!defined $pid) { close $c; next }
        if (!$pid) {
            $SIG{CHLD} = 'DEFAULT';
            close $l;
            eval { _serve($c, $log) };
            POSIX::_exit(0);
        }
        close $c;
    }
}

sub _serve {
    my ($c, $log) = @_;
    my $buf = '';
    my $sel = IO::Select->new($c);
    while (index($buf, "\r\n\r\n") < 0) {
        return unless $sel->can_read(5);
        my $n = sysread($c, $buf, 65536, length $buf);
        return unless $n;
    }
    my ($head) = split /\r\n\r\n/, $buf, 2;
    my ($rl, @h) = split /\r\n/, $head;
    my ($method, $target) = $rl =~ /^(\S+) (\S+)/ or return;
    my %h;
    for (@h) { $h{ lc $1 } = $2 if /^([^:]+):\s*(.*)$/ }
    my $host = lc($h{host} // '');
    $host =~ s/:\d+$//;
    open my $out, '>>', $log or die "$log: $!";
    syswrite($out, join("\t", $host, $method, $target, $h{'sec-fetch-site'} // '-',
                        $h{'sec-fetch-dest'} // '-') . "\n");
    close $out;
    my $name = $host . ($target =~ s/\?.*//r);
    my $body = "self.__ran && self.__ran.push(" . JSON::PP->new->encode($name) . ");\n";
    if ($name eq 'tags.tiqcdn.com/utag/ana/csp/prod/utag.js') {
        # a tag manager's container firing vendor tags at run time
        $body .= "(function () {\n"
               . "  var s = document.createElement('script');\n"
               . "  s.src = 'https://connect.facebook.net/en_US/fbevents.js';\n"
               . "  document.head.appendChild(s);\n"
               . "  new Image().src = 'https://sslwidget.criteo.com/event?a=1&v=5';\n"
               . "  fetch('https://ct.pinterest.com/v3/?tid=1', { mode: 'no-cors' }).catch(function () {});\n"
               . "})();\n";
    }
    if ($name eq 'connect.facebook.net/en_US/fbevents.js') {
        $body .= "self.fbq = function (c, e) { self.__ran.push('fbq:' + String(c === 'track' ? e : c).toLowerCase()); };\n";
        Time::HiRes::sleep(0.4);
    }
    syswrite($c, "HTTP/1.1 200 OK\r\nContent-Type: text/javascript\r\n"
               . "Access-Control-Allow-Origin: *\r\nCache-Control: no-store\r\n"
               . "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body");
    close $c;
}

# Requests logged from byte offset $from: [{host, method, path, site, dest}]
sub read_log {
    my ($log, $from) = @_;
    open my $fh, '<', $log or return ();
    seek $fh, $from, 0;
    my @r;
    while (my $l = <$fh>) {
        chomp $l;
        my %r;
        @r{qw(host method path site dest)} = split /\t/, $l;
        push @r, \%r;
    }
    return @r;
}

# ================================================================ browser

package Browser;

use strict;
use warnings;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

# Chromium in its own process group (it forks zygotes and renderers), so one
# kill reaches all of them.
sub start {
    my ($class, $cmd, $stdout, $stderr) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        setpgrp(0, 0);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $stdout;
        open STDERR, '>', $stderr;
        { no warnings 'exec'; exec @$cmd; }
        POSIX::_exit(127);
    }
    my $self = bless { pid => $pid, pgid => $pid }, $class;
    ConsentTest::_register($self);
    return $self;
}

sub wait_exit {
    my ($self, $timeout) = @_;
    my $end = time + $timeout;
    while (time < $end) {
        my $w = waitpid($self->{pid}, WNOHANG);
        if ($w == $self->{pid}) {
            $self->{status} = $?;
            delete $self->{pid};
            return 1;
        }
        sleep 0.05;
    }
    return 0;
}

sub stop {
    my ($self) = @_;
    kill 'KILL', -$self->{pgid};
    if (my $pid = delete $self->{pid}) {
        waitpid($pid, 0);
    }
    ConsentTest::_unregister($self);
}
