# consent_zone and consent_status: counters match what the gate removed
# (per site x recipient, bytes), the worker's memo counts its hits and
# misses, two workers share them, they survive
# `nginx -s reload`, rule loads and failed loads are shown, unknown hosts are
# bounded, and the configuration errors name the directive.
#
# consent_status without a consent_zone answers 404 with the reason in a
# text/plain body ("consent_status: no consent_zone is configured ..."), and
# `nginx -t` warns about it naming consent_status: the location has nothing
# to serve, like a location without content, and the operator finds why in
# the test output and the body. (README: consent_status.)
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(sleep time);

my $db   = rules_db();
my $up   = start_upstream();
my $t0   = int(time);

# The generation the rules report (empty before cs_rules_generation).
my ($generation) = qx{'${\ consentctl_path()}' dump '$db'} =~ /^generation: (\S+)$/m;
$generation //= '';

my %tag = (
    google  => q{<script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST000001"></script>},
    meta    => q{<script src="https://connect.facebook.net/en_US/fbevents.js"></script>},
    tealium => q{<script src="https://tags.tiqcdn.com/utag/ana/main/prod/utag.js"></script>},
    criteo  => q{<script src="//static.criteo.net/js/ld/ld.js" async></script>},
    tiktok  => q{<img src="https://analytics.tiktok.com/i18n/pixel/events.gif">},
);
my @ids = sort keys %tag;
my @unknown_hosts = qw(cdn.example-unknown.org img.example-other.net);
my $page = "<html><head><title>t</title></head><body>\n"
         . join('', map { "$tag{$_}\n" } @ids)
         . qq{<script src="https://cdn.example-unknown.org/a.js"></script>\n}
         . qq{<img src="//img.example-other.net/p.gif">\n}
         . "<p>content</p></body></html>\n";

sub body_name {
    my ($body) = @_;
    my $name = md5_hex($body);
    write_file($up->dir . "/$name", $body);
    return $name;
}
my $PAGE = body_name($page);

my $UP  = '127.0.0.1:' . $up->port;
my $LOCATIONS = <<"LOC";
location /status { consent_status; add_header X-Pid \$pid always; }
location /ab/  { consent on; consent_site air-booking; proxy_pass http://$UP; add_header X-Pid \$pid; }
location /tb/  { consent on; consent_site tour-booking; proxy_pass http://$UP; }
location /abn/ { consent on; consent_site air-booking; consent_action neutralize; proxy_pass http://$UP; }
location /var/ { consent on; consent_site \$arg_site; proxy_pass http://$UP; }
location /big/ { consent on; consent_site tour-booking; consent_max_element_size 1k; proxy_pass http://$UP; }
LOC
my $HTTP = "consent_rules $db; consent_zone consent_t 1m;";

# ---------------------------------------------------------------- helpers

sub get {
    my ($ngx, $path, %a) = @_;
    my @h = ('X-CT-Body' => $a{body} // $PAGE, 'X-CT-Split' => $a{split} // 'whole');
    push @h, Cookie => "consent=$a{consent}" if defined $a{consent};
    return http_request(port => $ngx->port, path => $path, method => $a{method} || 'GET',
                        headers => \@h);
}

# The exposition parsed: { 'name{labels}' => value }, plus the raw text.
sub scrape {
    my ($ngx) = @_;
    my $res = http_request(port => $ngx->port, path => '/status');
    die "GET /status: $res->{status} $res->{body}" unless $res->{status} == 200;
    my $v = scrape_text($res->{body});
    return wantarray ? ($v, $res) : $v;
}

# The samples of a consent_status text: { series => value }.
sub scrape_text {
    my ($text) = @_;
    my %v;
    for my $l (split /\n/, $text) {
        next if $l =~ /^# (?:HELP|TYPE) /;
        $l =~ /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/ or die "bad sample line '$l'";
        $v{$1} = $2;
    }
    return \%v;
}

sub series {
    my ($name, @l) = @_;
    return $name unless @l;
    my @p;
    while (my ($k, $v) = splice(@l, 0, 2)) { push @p, qq{$k="$v"} }
    return $name . '{' . join(',', @p) . '}';
}

sub counters_only {
    my ($v) = @_;
    return { map { $_ => $v->{$_} } grep { !/^consent_rules_loaded_timestamp_seconds/ } keys %$v };
}

# What the gate removed, seen from the output: which tags are gone, and how
# many bytes. Adds it to the expected counters of a site.
my %want;
sub expect_removed {
    my ($site, $in, $out, $action) = @_;
    $want{series('consent_responses_gated_total', site => $site)}++;
    $want{series('consent_bytes_removed_total', site => $site)} += length($in) - length($out);
    for my $r (@ids) {
        next if index($in, $tag{$r}) < 0 || index($out, $tag{$r}) >= 0;
        $want{series('consent_elements_total', site => $site, recipient => $r,
                      action => $action)}++;
    }
    for my $h (@unknown_hosts) {
        $want{series('consent_unknown_hosts_total', site => $site, host => $h)}++
            if index($in, $h) >= 0;
    }
}

sub check_counters {
    my ($got, $name) = @_;
    my %g = map { $_ => $got->{$_} } grep {
        /^consent_(?:responses_gated|bytes_removed|elements|unknown_hosts)_total\{/
    } keys %$got;
    is_deeply(\%g, \%want, $name) or diag explain { got => \%g, want => \%want };
}

# ---------------------------------------------------------------- nginx -t

{
    my ($rc, $out) = nginx_t(http => "consent_rules $db; consent_zone z 4k;",
                             locations => 'location /s { consent_status; }');
    isnt($rc, 0, 'consent_zone 4k: nginx -t fails');
    like($out, qr/\[emerg\].*"consent_zone" "z" size 4k is too small, it must be at least \d+k/,
         'consent_zone 4k: the message names the directive and the minimum') or diag $out;
}
{
    my ($rc, $out) = nginx_t(http => "consent_zone z lots;");
    isnt($rc, 0, 'consent_zone with a bad size: nginx -t fails');
    like($out, qr/\[emerg\].*invalid "consent_zone" size "lots"/, 'names the directive') or diag $out;
}
{
    my ($rc, $out) = nginx_t(http => "consent_zone z 1m; consent_zone y 1m;");
    isnt($rc, 0, 'two consent_zone: nginx -t fails');
    like($out, qr/\[emerg\].*"consent_zone" directive is duplicate/, 'duplicate named') or diag $out;
}
{
    my ($rc, $out) = nginx_t(locations => "location /s { consent_status; }");
    is($rc, 0, 'consent_status without a zone: nginx -t succeeds') or diag $out;
    like($out, qr/\[warn\].*"consent_status" in \S+:\d+ has no "consent_zone" to read and answers 404/,
         'and warns naming consent_status') or diag $out;
}

# ---------------------------------------------------------------- no zone
{
    my $ngx = start_nginx(http => "consent_rules $db;", upstream => $up, server => '',
                          locations => "location /status { consent_status; }\n"
                                     . "location /ab/ { consent on; consent_site air-booking; proxy_pass http://$UP; }");
    my $res = get($ngx, '/ab/x', consent => 'none');
    is($res->{status}, 200, 'no zone: gating works');
    unlike($res->{body}, qr/fbevents/, 'no zone: gating removes');
    $res = http_request(port => $ngx->port, path => '/status');
    is($res->{status}, 404, 'no zone: consent_status answers 404');
    like($res->{body}, qr/^consent_status: no consent_zone is configured.*consent_zone NAME SIZE/,
         'no zone: the body says why');
    is(hdr($res, 'Content-Type'), 'text/plain', 'no zone: text/plain');
    $ngx->stop;
}

# ---------------------------------------------------------------- the memo
# One worker: the first response works out each attribution (a miss each)
# and keeps it in the worker's memo; the same page again is answered from
# it (a hit each), with the same output.
{
    my $ngx = start_nginx(http => $HTTP, upstream => $up, server => '',
                          locations => "location /status { consent_status; }\n"
                                     . "location /ab/ { consent on; consent_site air-booking; proxy_pass http://$UP; }");
    my @bodies = map { get($ngx, '/ab/x', consent => 'none')->{body} } 1 .. 3;
    unlike($bodies[0], qr/fbevents/, 'memo: the first response is gated');
    is($bodies[$_], $bodies[0], "memo: response @{[$_ + 1]} is the same") for 1, 2;
    my $v = scrape($ngx);
    my $miss = $v->{series('consent_memo_lookups_total', site => 'air-booking', result => 'miss')} // 0;
    my $hit = $v->{series('consent_memo_lookups_total', site => 'air-booking', result => 'hit')} // 0;
    ok($miss > 0, "memo: the first response missed ($miss)");
    is($hit, 2 * $miss, 'memo: the next two were answered from it');
    $ngx->stop;
}

# ---------------------------------------------------------------- counting
# Two workers (each with its own reuseport listen socket, so connections
# spread over both); the failed reload below logs an emerg on purpose.
my $ngx = start_nginx(http => $HTTP, locations => $LOCATIONS, upstream => $up, server => "",
                      workers => 2, log_ok => qr{nonexistent/rules\.mdb});

{
    my ($v, $res) = scrape($ngx);
    is(hdr($res, 'Content-Type'), 'text/plain; version=0.0.4; charset=utf-8', 'exposition content type');
    is_deeply(counters_only($v), {
        'consent_unknown_hosts_overflow_total' => 0,
        'consent_status_dropped_total'         => 0,
        'consent_rules_load_failures_total'    => 0,
    }, 'a fresh zone: no series yet, the global counters at 0');
    my $ts = series('consent_rules_loaded_timestamp_seconds', generation => $generation);
    ok(defined $v->{$ts} && $v->{$ts} >= $t0 && $v->{$ts} <= time + 1,
       "rules load time shown with generation \"$generation\"") or diag explain $v;
    my @help = $res->{body} =~ /^# HELP (\S+) /mg;
    my @type = $res->{body} =~ /^# TYPE (\S+) (?:counter|gauge)$/mg;
    is_deeply(\@type, \@help, 'one HELP and one TYPE line per metric, in the same order');
    is(scalar @help, 12, 'twelve metrics described even before any traffic');
}

{
    my $res = http_request(port => $ngx->port, path => '/status', method => 'POST');
    is($res->{status}, 405, 'POST /status: 405');
    $res = http_request(port => $ngx->port, path => '/status', method => 'HEAD');
    is($res->{status}, 200, 'HEAD /status: 200');
    is($res->{body}, '', 'HEAD /status: no body');
}

# Requests through both workers; each response tells what it removed.
my %workers;
my %consents = (none => 'air-booking', google => 'air-booking', 'meta,tealium' => 'air-booking');
my $n = 0;
for my $round (1 .. 100) {
    for my $c (sort keys %consents) {
        my $res = get($ngx, "/ab/$round", consent => $c);
        is($res->{status}, 200, "air-booking consent=$c: 200") if $round == 1;
        expect_removed('air-booking', $page, $res->{body}, 'removed');
        $workers{ hdr($res, 'X-Pid') // '' }++;
        $n++;
    }
    last if $round >= 3 && keys %workers >= 2;
}
is(scalar keys %workers, 2, "gated responses came from two workers ($n requests)")
    or diag explain \%workers;

for my $c (qw(none criteo)) {
    my $res = get($ngx, '/tb/x', consent => $c);
    expect_removed('tour-booking', $page, $res->{body}, 'removed');
}
{
    my $res = get($ngx, '/abn/x', consent => 'none');
    like($res->{body}, qr/data-consent="meta"/, 'neutralize location neutralizes');
    # neutralized elements are rewritten, not removed: their bytes are not
    # the difference in length, so count elements only
    $want{series('consent_responses_gated_total', site => 'air-booking')}++;
    my $bytes = series('consent_bytes_removed_total', site => 'air-booking');
    my $before = $want{$bytes};
    for my $r (@ids) {
        my $k = series('consent_elements_total', site => 'air-booking', recipient => $r,
                       action => $res->{body} =~ /data-consent="\Q$r\E"/ ? 'neutralized' : 'removed');
        $want{$k}++ if index($res->{body}, $tag{$r}) < 0;
    }
    $want{series('consent_unknown_hosts_total', site => 'air-booking', host => $_)}++ for @unknown_hosts;
    my $v = scrape($ngx);
    $want{$bytes} = $v->{$bytes};
    cmp_ok($want{$bytes}, '>=', $before, 'neutralize adds no less than nothing to bytes removed');
}
{
    my $res = get($ngx, '/var/x?site=no-such-site');
    expect_removed('-', $page, $res->{body}, 'removed');
    unlike($res->{body}, qr/fbevents|gtag|utag|criteo|tiktok/, 'a site not in the rules: all removed');
}

# Elements over consent_max_element_size: one attributed (removed whole),
# one not (passed), as the gate's own warning reports them.
{
    my $pad  = join '', map { "  /* line $_ */\n" } 1 .. 200;
    my $attr = "<script>fbq('init','1');\n$pad</script>";
    my $unat = "<script>window.ANA={};\n$pad</script>";
    my $in   = "<p>a</p>$unat$attr$unat<p>b</p>";
    my $res  = get($ngx, '/big/x', body => body_name($in), consent => 'none');
    is($res->{body}, "<p>a</p>$unat$unat<p>b</p>", 'oversize: attributed removed, unattributed passed');
    my ($l) = $ngx->error_lines(qr/consent: \d+ element\(s\) over consent_max_element_size/);
    my ($removed, $passed) = ($l // '') =~ /(\d+) element\(s\) .* removed whole, (\d+) passed/;
    is_deeply([$removed, $passed], [1, 2], 'the gate warned: 1 removed, 2 passed');
    my $v = scrape($ngx);
    is($v->{series('consent_oversize_elements_total', site => 'tour-booking', outcome => 'removed')},
       $removed, 'oversize removed counted');
    is($v->{series('consent_oversize_elements_total', site => 'tour-booking', outcome => 'passed')},
       $passed, 'oversize passed counted');
    $want{series('consent_responses_gated_total', site => 'tour-booking')}++;
    $want{series('consent_bytes_removed_total', site => 'tour-booking')} += length($in) - length($res->{body});
    $want{series('consent_elements_total', site => 'tour-booking', recipient => 'meta', action => 'removed')}++;
}

my ($before_reload, $res) = scrape($ngx);
note $res->{body};
check_counters($before_reload, 'counters match what was removed, per site x recipient, bytes, unknown hosts');
ok($want{series('consent_elements_total', site => 'air-booking', recipient => 'meta', action => 'removed')} > 0
   && $want{series('consent_bytes_removed_total', site => 'air-booking')} > 0,
   'the requests did remove elements');

# Every worker serves the same totals.
{
    my $first = $ngx->each_worker(sub { (scrape($ngx))[1] });
    my @s = map { counters_only(scrape_text($_->{body})) } values %$first;
    is(scalar @s, 2, 'consent_status answered by both workers');
    is_deeply($s[0], $s[1], 'both workers show the same counters');
}

# Stable ordering: the same text twice without traffic in between, series
# sorted within each metric.
{
    my (undef, $r1) = scrape($ngx);
    my (undef, $r2) = scrape($ngx);
    is($r2->{body}, $r1->{body}, 'two scrapes without traffic: identical text');
    my @el = $r1->{body} =~ /^(consent_elements_total\{.*\}) \d+$/mg;
    is_deeply(\@el, [sort @el], 'series sorted by labels');
}

# ---------------------------------------------------------------- reload
sub worker_pids {
    my ($ngx) = @_;
    my $pid = $ngx->{pid};
    my @w;
    for my $dir (glob('/proc/[0-9]*')) {
        # processes come and go while we look
        open my $fh, '<', "$dir/stat" or next;
        my $stat = <$fh> // '';
        push @w, $1 if $stat =~ /^(\d+) \(.*\) \S (\d+)/ && $2 == $pid;
    }
    return @w;
}

# HUPs the master and waits until only workers started after it answer.
sub reload {
    my ($ngx, $expect_ok) = @_;
    my %old = map { $_ => 1 } worker_pids($ngx);
    my $t = time;
    kill 'HUP', $ngx->{pid} or die "HUP: $!";
    my $deadline = time + 10;
    while (time < $deadline) {
        my @now = worker_pids($ngx);
        if ($expect_ok) {
            return 1 if @now == 2 && !grep { $old{$_} } @now;
        } else {
            # a failed reload leaves the workers; the master logged why
            return 1 if $ngx->error_lines(qr/\[emerg\]/) && @now == 2;
        }
        sleep 0.05;
    }
    return 0;
}

ok(reload($ngx, 1), 'nginx -s reload (HUP): new workers');
my $after = scrape($ngx);
is_deeply(counters_only($after), counters_only($before_reload), 'counters survive the reload');
my $ts = series('consent_rules_loaded_timestamp_seconds', generation => $generation);
ok($after->{$ts} >= $before_reload->{$ts}, 'rules load time of the new configuration');

{
    my $res = get($ngx, '/ab/after', consent => 'none');
    expect_removed('air-booking', $page, $res->{body}, 'removed');
    check_counters(scalar scrape($ngx), 'counting goes on after the reload');
}

# A reload whose rules fail to load: the old configuration keeps running and
# counts the failure.
my $conf = $ngx->prefix . '/conf/nginx.conf';
my $good = read_file($conf);
(my $bad = $good) =~ s{consent_rules \S+;}{consent_rules /nonexistent/rules.mdb;} or die;
write_file($conf, $bad);
ok(reload($ngx, 0), 'a reload with a missing rules file fails');
{
    my $v;
    for (1 .. 100) {
        $v = scrape($ngx);
        last if $v->{consent_rules_load_failures_total};
        sleep 0.05;
    }
    is($v->{consent_rules_load_failures_total}, 1, 'the failed rules load is counted');
    my %c = %{ counters_only($v) };
    delete $c{consent_rules_load_failures_total};
    my %a = %{ counters_only($after) };
    delete $a{consent_rules_load_failures_total};
    my $res = get($ngx, '/ab/after-fail', consent => 'none');
    unlike($res->{body}, qr/fbevents/, 'the running configuration still gates');
    expect_removed('air-booking', $page, $res->{body}, 'removed');
    check_counters(scalar scrape($ngx), 'and still counts');
}
write_file($conf, $good);
ok(reload($ngx, 1), 'a good reload after the failed one');
{
    my $v = scrape($ngx);
    is($v->{consent_rules_load_failures_total}, 1, 'the failure count survives the next reload');
    check_counters($v, 'so do the counters');
}

# Another size is another zone: nginx starts it empty.
(my $bigger = $good) =~ s/consent_zone consent_t 1m;/consent_zone consent_t 2m;/ or die;
write_file($conf, $bigger);
ok(reload($ngx, 1), 'reload with a bigger zone');
{
    my $v = scrape($ngx);
    is(scalar(grep { /^consent_responses_gated_total/ } keys %$v), 0,
       'a zone of another size starts from zero');
}
$ngx->stop;

# ---------------------------------------------------------------- bounded hosts
# The smallest zone keeps few host series; the rest go to the overflow
# counter, logged once.
{
    my $small = start_nginx(http => "consent_rules $db; consent_zone consent_s 32k;",
                            locations => $LOCATIONS, upstream => $up, server => "", workers => 2);
    my $hosts = 40;
    my $body = join '', map { qq{<img src="https://h$_.example-many.net/p.gif">\n} } 1 .. $hosts;
    my $name = body_name($body);
    get($small, '/ab/many', body => $name, consent => 'none') for 1 .. 2;
    my $v = scrape($small);
    my @host_series = grep { /^consent_unknown_hosts_total\{/ } keys %$v;
    my $counted = 0;
    $counted += $v->{$_} for @host_series;
    ok(@host_series > 0 && @host_series < $hosts, scalar(@host_series) . " of $hosts hosts have a series");
    is($counted + $v->{consent_unknown_hosts_overflow_total}, 2 * $hosts,
       'every sighting is counted: per host or in the overflow counter');
    cmp_ok($v->{consent_unknown_hosts_overflow_total}, '>=', 2 * ($hosts - @host_series),
           'the hosts without a series went to the overflow counter');
    is(scalar(my @l = $small->error_lines(qr/consent_zone "consent_s" is full: unknown hosts are counted in consent_unknown_hosts_overflow_total/)),
       1, 'the full zone is logged once');
    is($v->{consent_status_dropped_total}, 0, 'site series were not crowded out');
    ok(exists $v->{series('consent_responses_gated_total', site => 'air-booking')},
       'responses still counted in the full zone');
    $small->stop;
}

done_testing;
