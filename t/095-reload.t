# Hot rule updates: a rules file replaced under a running nginx (consentctl
# compile's temp file + rename) decides the very next response in every
# worker, without a reload; a response in flight keeps the generation it
# started with; a broken or missing file keeps the last good generation and
# says so once. Also $consent_generation and $consent_key.
use strict;
use warnings;
use Test::More;
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(sleep time);
use POSIX qw(WNOHANG);
use lib 't/lib';
use ConsentTest qw(:all);

my $ctl  = consentctl_path();
my $work = workdir();
my $yaml = read_file(repo_root() . '/rules/ana.yaml');

# Rule set B: air-booking no longer declares meta, so consent=meta stops
# keeping Meta's tag there. Rule set C drops the site altogether.
(my $yaml_b = $yaml) =~ s/(- id: air-booking\n(?:.*\n)*?\s+declares: \[[^\]]*?)\bmeta, /$1/
    or BAIL_OUT('rules/ana.yaml: air-booking declares no meta to drop');
(my $yaml_c = $yaml) =~ s/  - id: air-booking\n.*?\n\n//s
    or BAIL_OUT('rules/ana.yaml: no air-booking site block');

my %db;
for my $v ([a => $yaml], [b => $yaml_b], [c => $yaml_c]) {
    my ($name, $text) = @$v;
    write_file("$work/rules-$name.yaml", $text);
    my $out = qx{'$ctl' compile '$work/rules-$name.yaml' -o '$work/rules-$name.mdb' 2>&1};
    is($?, 0, "rule set $name compiles") or diag($out);
    $db{$name} = "$work/rules-$name.mdb";
}

my $live = "$work/live.mdb";

# Installs a rule set the way ops do: a new file renamed over the live path.
my $flips = 0;
sub install {
    my ($bytes) = @_;
    my $tmp = "$live.tmp" . ++$flips;
    write_file($tmp, $bytes);
    chmod 0644, $tmp;
    rename $tmp, $live or die "rename: $!";
}
sub install_db { install(read_file($db{ $_[0] })) }

install_db('a');

my $FB = q{<script src="https://connect.facebook.net/en_US/fbevents.js"></script>};
my $GT = q{<script async src="https://www.googletagmanager.com/gtag/js?id=G-T1"></script>};
my $page = "<html><head><title>t</title>\n$GT\n$FB\n</head><body>"
         . ("<p>booking text</p>\n" x 400) . "</body></html>\n";
(my $page_no_fb = $page) =~ s/\Q$FB\E//;
(my $page_bare = $page_no_fb) =~ s/\Q$GT\E//;

my $up = start_upstream();
my $body_name = md5_hex($page);
write_file($up->dir . "/$body_name", $page);

my $loc = <<'LOC';
    location / {
        consent on;
        consent_site air-booking;
        add_header X-Gen $consent_generation always;
        add_header X-Key $consent_key always;
        add_header X-Pid $pid always;
        proxy_pass http://127.0.0.1:UP;
    }
    location = /status {
        consent_status;
    }
    location /front/ {
        # an outer caching tier: no gate, only the key
        consent_site air-booking;
        add_header X-Key $consent_key always;
        return 204;
    }
LOC
my $up_port = $up->port;
$loc =~ s/UP/$up_port/;

my $ngx = start_nginx(http => "consent_rules $live; consent_zone reload_z 1m;", server => "", locations => $loc,
                      upstream => $up, workers => 2);

sub get {
    my (%a) = @_;
    my @h = ('X-CT-Body' => $body_name, 'X-CT-Split' => $a{split} // 'whole');
    push @h, 'Cookie' => "consent=$a{consent}" if defined $a{consent};
    push @h, 'X-CT-Pause' => $a{pause} if $a{pause};
    return http_request(port => $ngx->port, path => $a{path} // '/p.html',
                        headers => \@h, on_head => $a{on_head});
}

my $r = get(consent => 'google,meta');
is($r->{status}, 200, 'generation a serves');
bytes_eq($r->{body}, $page, 'generation a: google and meta consented, both kept');
my $gen_a = hdr($r, 'X-Gen');
like($gen_a, qr/^[0-9a-f]{16}$/, '$consent_generation is the compiled id');
my $key_gm = hdr($r, 'X-Key');
like($key_gm, qr/^[0-9a-f]{16}$/, '$consent_key is 16 hex digits');

install_db('b');
$r = get(consent => 'google,meta');
bytes_eq($r->{body}, $page_no_fb, 'the very next response after the rename uses b');
my $gen_b = hdr($r, 'X-Gen');
like($gen_b, qr/^[0-9a-f]{16}$/, 'generation b has an id');
isnt($gen_b, $gen_a, 'a and b are different generations');
isnt(hdr($r, 'X-Key'), $key_gm, 'the allowed set changed, so did the key');

sub status {
    my %v;
    for (split /\n/, http_request(port => $ngx->port, path => '/status')->{body}) {
        $v{$1} = $2 if /^([a-z_]+(?:\{[^}]*\})?) (\d+)$/;
    }
    return \%v;
}
ok(exists status()->{qq{consent_rules_loaded_timestamp_seconds{generation="$gen_b"}}},
   'consent_status shows the generation a worker switched to');

# Two workers (X-Pid tells them apart): every one of them has switched.
# The generations each worker served, by pid, for a diagnostic.
sub gens_by_worker {
    my ($first) = @_;
    return join ', ', map { "$_: " . (hdr($first->{$_}, 'X-Gen') // '-') } sort keys %$first;
}
# Every worker's first response is generation $gen with body $body.
sub every_worker_serves {
    my ($gen, $body, $name) = @_;
    my $first = $ngx->each_worker(sub { get(consent => 'google,meta') });
    my @wrong = grep { (hdr($first->{$_}, 'X-Gen') // '') ne $gen
                       || $first->{$_}{body} ne $body } keys %$first;
    is(scalar(keys %$first) . ' workers, ' . scalar(@wrong) . ' wrong', '2 workers, 0 wrong', $name)
        or diag(gens_by_worker($first));
}
every_worker_serves($gen_b, $page_no_fb, 'both workers serve generation b');

install_db('a');
$r = get(consent => 'google,meta');
is(hdr($r, 'X-Gen'), $gen_a, 'back to a: the same rules give the same generation id');
bytes_eq($r->{body}, $page, 'back to a: meta kept again');
is(hdr($r, 'X-Key'), $key_gm, 'the same allowed set gives the same key');

# ------------------------------------------------ a response keeps its generation
{
    my $res_file = "$work/inflight.out";
    pipe(my $head_in, my $head_out) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $head_in;
        # the head arrives with the first 4 KB; the rest waits 1.5 s upstream
        my $x = get(consent => 'google,meta', split => 64, pause => '4096:1500',
                    on_head => sub { syswrite $head_out, "h"; close $head_out });
        write_file($res_file, join("\n", hdr($x, 'X-Gen') // '', md5_hex($x->{body})));
        POSIX::_exit(0);
    }
    close $head_out;
    # the response is under way, stalled (EOF instead: the child failed)
    sysread($head_in, my $head, 1);
    close $head_in;
    install_db('b');
    my $next = get(consent => 'google,meta');
    is(hdr($next, 'X-Gen'), $gen_b, 'a request started after the flip gets b');
    # the tests below need both workers to hold b as their last good rules
    every_worker_serves($gen_b, $page_no_fb, 'and so does every worker');
    waitpid($pid, 0);
    my ($gen, $md5) = split /\n/, read_file($res_file);
    is($gen, $gen_a, 'the response in flight keeps generation a');
    is($md5, md5_hex($page), 'and is gated wholly by a (meta kept to the end)');
}

# ------------------------------------------------ broken and missing files
my $gen_before = $gen_b;
install("this is not an LMDB file\n" x 100);
every_worker_serves($gen_before, $page_no_fb,
                    'a broken file: every worker keeps the last good generation and still gates');
get(consent => 'google,meta') for 1 .. 4;
my @broken = $ngx->error_lines(qr/\[error\].*consent_rules .*keeping generation \Q$gen_before\E/);
is(scalar @broken, 2, 'the broken file is logged once per worker, not per request');

is(status()->{consent_rules_load_failures_total}, 2,
   'consent_status counts the failed load, once per worker');

unlink $live;
every_worker_serves($gen_before, $page_no_fb,
                    'a missing file: every worker keeps the last good generation');
my @missing = $ngx->error_lines(qr/\[error\].*consent_rules .*cannot be read; keeping generation/);
is(scalar @missing, 2, 'the missing file is logged once per worker');

install_db('a');
$r = get(consent => 'google,meta');
is(hdr($r, 'X-Gen'), $gen_a, 'a good file again is picked up');

# ------------------------------------------------ the site vanishes
install_db('c');
$r = get(consent => 'all');
bytes_eq($r->{body}, $page_bare, 'site gone from the rules: every recipient removed (fail closed)');
ok(scalar $ngx->error_lines(qr/site "air-booking" is not in rules generation/),
   'and the error log says why');

# ------------------------------------------------ $consent_key
install_db('a');
my %key;
for my $c ('google', 'google,meta', 'meta,google', 'all', 'none', 'nosuch') {
    my $x = get(consent => $c);
    $key{$c} = hdr($x, 'X-Key');
}
is($key{'google,meta'}, $key{'meta,google'}, 'the key depends on the set, not the order');
is($key{'google,meta'}, $key_gm, 'the key is stable across generations');
isnt($key{google}, $key{'google,meta'}, 'different sets, different keys');
isnt($key{all}, $key{'google,meta'}, 'all differs from a subset');
is($key{none}, $key{nosuch}, 'unknown consent grants what none grants');

$r = http_request(port => $ngx->port, path => '/front/x',
                  headers => ['Cookie' => 'consent=meta,google']);
is(hdr($r, 'X-Key'), $key_gm, 'without the gate (consent off) the key is there for cache keys');

$ngx->stop;

done_testing();
