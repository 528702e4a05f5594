# Browser truth for every fetch path the gate reads: Debian's headless
# Chromium loads one page carrying each of them, with every host name mapped
# to a TLS server of the test's nginx that only answers 200 and logs what it
# was asked (the recorder is nginx's own access log here).
#
#   /plain/    the page without the gate (consent off)
#   /gated/    the page through the gate, no consent cookie
#   /allowed/  the same gated location, asked with "Cookie: consent=all"
#
# No consent: not one request reaches a recipient's host. Everything
# allowed: the browser asks recipients' hosts for exactly what it asks
# without the gate. Requests Chromium makes on its own (Sec-Fetch-Site:
# none, or none at all) are not the page's. The page also holds srcdoc
# documents (nested, and one with a <base> to a recipient) and speculation
# rules naming a recipient (Chromium may not act on those headless: their
# URLs are left out of the all-allowed comparison). <a ping> fetches only
# on a click, which this run does not make (unit tests and t/100 cover it).
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);
use ConsentOracle;
use Time::HiRes qw(time);

my $CHROMIUM = $ENV{CONSENT_TEST_CHROMIUM} || '/usr/bin/chromium';
plan skip_all => "$CHROMIUM is not installed (Debian's chromium package; "
               . 'CONSENT_TEST_CHROMIUM=path for another)'
    unless -x $CHROMIUM;
plan skip_all => 'openssl is not installed (for the self-signed certificate)'
    unless tool_path('openssl');
my $TIMEOUT = tool_path('timeout');
plan skip_all => 'coreutils timeout is not on PATH' unless $TIMEOUT;

my $T0    = time;
my $ROOT  = repo_root();
my $rules = ConsentOracle::load_rules("$ROOT/rules/ana.yaml");
my $work  = workdir() . '/fetch-paths';
mkdir $work or die "mkdir $work: $!";
mkdir "$work/www" or die "mkdir $work/www: $!";
chmod 0755, $work, "$work/www";

my ($cert, $key) = eval { self_signed_cert($work, 'fetch-paths.invalid') };
BAIL_OUT($@) unless $cert;

# Recipients' hosts (meta, google: both declared by the site), and one
# host of no recipient that must load in every run.
my $FB  = 'https://www.facebook.com/fp';
my $FBN = 'https://connect.facebook.net/fp';
my $GTM = 'https://www.googletagmanager.com/fp';
my $OWN = 'https://cdn.shop.test/fp';

my $page = <<"HTML";
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>every fetch path</title>
<link rel="stylesheet" href="$FBN/stylesheet.css">
<link rel="icon" href="$FB/icon.png">
<link rel="preload" as="image" href="$FB/preload.png" imagesrcset="$FB/preload-1x.png 1x, $FB/preload-2x.png 2x">
<link rel="preload" as="script" href="$GTM/preload.js">
<link rel="stylesheet" href="$OWN/own.css">
<style>\@import "$FBN/import.css"; \@import url($OWN/own-import.css);
.css-el { width:4px; height:4px; background: url($FB/style-element.png) }
.css-own { width:4px; height:4px; background: url($OWN/own-style.png) }
.css-set { width:4px; height:4px; background-image: -webkit-image-set(url($GTM/image-set.png) 1x) }
</style>
</head><body background="$FB/body-background.png">
<div class="css-el"></div><div class="css-own"></div><div class="css-set"></div>
<div style="width:4px;height:4px;background-image:url('$FB/style-attribute.png')"></div>
<div style="width:4px;height:4px;background:\\75 rl($FB/style-escaped.png)"></div>
<form><input type="image" src="$FB/input.png" alt="go"></form>
<table background="$FB/table-background.png"><tr><td background="$FB/td-background.png">cell</td></tr></table>
<svg width="4" height="4"><style>.s { fill: url($FB/svg-style.svg#p) }</style><rect class="s" width="4" height="4"/></svg>
<img src="$OWN/control.png" alt="">
<img src="$FB/img.png" alt="">
<img src="/own.png" srcset="$FB/srcset-1x.png 1x, $FB/srcset-2x.png 2x" alt="">
<img srcset="$OWN/mixed-1x.png 1x, $FB/mixed-2x.png 2x, $FB/mixed-3x.png 3x" alt="">
<img srcset="$FB/srcset-only.png 1x" alt="">
<picture><source srcset="$FB/picture.png"><img src="/own-picture.png" alt=""></picture>
<video preload="auto" poster="$FB/poster.png" src="$FB/video.mp4"></video>
<audio preload="auto" src="$FB/audio.mp3"></audio>
<video preload="auto"><source src="$FB/source.mp4"><track default kind="captions" src="$FB/track.vtt"></video>
<embed src="$FB/embed.gif" type="image/gif">
<object data="$FB/object.gif" type="image/gif"><p>fallback</p></object>
<svg width="4" height="4"><image href="$FB/svg-image.png" width="1" height="1"/><image xlink:href="$FB/svg-xlink.png" width="1" height="1"/><filter id="f"><feImage href="$FB/feimage.png"/></filter><rect filter="url(#f)" width="1" height="1"/></svg>
<svg width="4" height="4"><g><img src="$FB/svg-breakout.png" srcset="$FB/svg-breakout-2x.png 2x" alt=""></g></svg>
<math><mrow><embed src="$FB/math-breakout.gif" type="image/gif"></mrow></math>
<iframe src="$GTM/ns.html" width="1" height="1"></iframe>
<iframe width="1" height="1" srcdoc="<img src=&quot;$FB/srcdoc.png&quot;><img src=&quot;$OWN/srcdoc-own.png&quot;><iframe srcdoc=&quot;<img src=&amp;quot;$FB/srcdoc-nested.png&amp;quot;><img src=&amp;quot;$OWN/srcdoc-nested-own.png&amp;quot;>&quot;></iframe>"></iframe>
<iframe width="1" height="1" srcdoc="<base href=&quot;$FB/&quot;><img src=&quot;base-relative.png&quot;><img src=&quot;$OWN/base-own.png&quot;>"></iframe>
<script type="speculationrules">{"prefetch":[{"source":"list","urls":["$FB/speculation.html"]}],"prerender":[{"where":{"href_matches":"$FB/*"}}]}</script>
<a href="$FB/speculation-link.html">a link the document rule matches</a>
<script src="$GTM/gtag.js"></script>
<p>end</p>
</body></html>
HTML
write_file("$work/www/page.html", $page);

my $rec_log = "$work/recorder.log";
my $tls = free_port();
my $ngx;
$ngx = start_nginx(
    http => <<"HTTP",
    consent_rules ${\ rules_db()};
    log_format fetch_paths '\$host \$uri \$http_sec_fetch_site';
    server {
        listen 127.0.0.1:$tls ssl;
        server_name _;
        ssl_certificate     $cert;
        ssl_certificate_key $key;
        access_log $rec_log fetch_paths;
        location / {
            add_header Cache-Control no-store;
            return 200 "";
        }
    }
HTTP
    locations => <<"LOC",
        location /plain/ {
            alias $work/www/;
            add_header Cache-Control no-store;
        }
        location /gated/ {
            alias $work/www/;
            add_header Cache-Control no-store;
            consent on;
            consent_site air-booking;
        }
        location /allowed/ {
            rewrite ^/allowed/(.*)\$ /gated/\$1 break;
            proxy_pass http://127.0.0.1:\$server_port;
            proxy_set_header Cookie "consent=all";
        }
LOC
);

my @FLAGS = qw(
    --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage
    --disable-quic --no-first-run --no-default-browser-check
    --disable-background-networking --disable-component-update --disable-sync
    --disable-default-apps --disable-extensions --password-store=basic
    --ignore-certificate-errors --autoplay-policy=no-user-gesture-required
    --virtual-time-budget=4000
);

my %recipient;
sub recipient_of {
    my ($host) = @_;
    $recipient{$host} //= ConsentOracle::host_recipient($rules, $host) // '';
    return $recipient{$host};
}

# The page's requests (host and path) while Chromium loads path.
sub load {
    my ($path, $name) = @_;
    my $from = -s $rec_log // 0;
    my @cmd = ($TIMEOUT, '--kill-after=5', '40', $CHROMIUM, @FLAGS,
               "--user-data-dir=$work/profile-$name",
               "--host-resolver-rules=MAP * 127.0.0.1:$tls, EXCLUDE 127.0.0.1",
               '--dump-dom', 'http://127.0.0.1:' . $ngx->port . $path);
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$work/dom-$name.html";
        open STDERR, '>', "$work/chromium-$name.log";
        exec @cmd or exit 127;
    }
    waitpid $pid, 0;
    is($? >> 8, 0, "[$name] chromium loaded $path")
        or diag(ConsentTest::tail_file("$work/chromium-$name.log", 20));
    my @reqs;
    open my $fh, '<', $rec_log or return ();
    seek $fh, $from, 0;
    while (my $line = <$fh>) {
        my ($host, $uri, $site) = split ' ', $line;
        push @reqs, { host => lc $host, uri => $uri }
            if $site ne 'none' && $site ne '-';
    }
    return @reqs;
}

sub to_recipients { sort map { "$_->{host}$_->{uri}" } grep { recipient_of($_->{host}) ne '' } @_ }
sub loaded { my ($want, @r) = @_; scalar grep { "$_->{host}$_->{uri}" eq $want } @r }

# Without the gate the page reaches the recipients on every path it carries
# (or the test would prove nothing about that path).
my @plain = load('/plain/page.html', 'plain');
ok(loaded('cdn.shop.test/fp/control.png', @plain), '[plain] the recorder sees the page');
my %plain = map { $_ => 1 } to_recipients(@plain);
note("[plain] recipients' URLs requested:\n" . join "\n", sort keys %plain);
ok(scalar(keys %plain) >= 10, '[plain] the page reaches recipients on its fetch paths')
    or diag(join "\n", sort keys %plain);

my @none = load('/gated/page.html', 'none');
ok(loaded('cdn.shop.test/fp/control.png', @none), '[none] the recorder sees the page');
my @leak = to_recipients(@none);
is(scalar @leak, 0, '[none] not one request reaches a recipient host')
    or diag(join "\n", @leak);
ok(loaded('cdn.shop.test/fp/mixed-1x.png', @none),
   '[none] a first-party srcset candidate still loads');
ok(loaded('cdn.shop.test/fp/own-style.png', @none)
   && loaded('cdn.shop.test/fp/own-import.css', @none),
   '[none] first-party CSS around the cut declarations still loads');
ok(loaded('cdn.shop.test/fp/srcdoc-own.png', @none)
   && loaded('cdn.shop.test/fp/srcdoc-nested-own.png', @none)
   && loaded('cdn.shop.test/fp/base-own.png', @none),
   '[none] the first-party content of srcdoc documents written back loads');

my @all = load('/allowed/page.html', 'all');
# Chromium fetches a page's icon when it gets to it, not always before the
# DOM is dumped, and speculation rules' prefetches and prerenders when it
# decides to: they are left out of this comparison only (with no consent
# above, any request for them fails the test all the same).
my $lazy = qr{/fp/(?:icon\.png|speculation(?:-link)?\.html)$};
is(join("\n", grep { !/$lazy/ } to_recipients(@all)),
   join("\n", grep { !/$lazy/ } sort keys %plain),
   '[all] everything allowed: the same requests as without the gate');

$ngx->stop;
my @bad = $ngx->error_lines(qr/\[(?:alert|crit|emerg)\]|exited on signal/);
is(scalar @bad, 0, 'nginx error.log clean') or diag(join "\n", @bad);
note(sprintf "071-browser-fetch-paths took %.1fs", time - $T0);
done_testing();
