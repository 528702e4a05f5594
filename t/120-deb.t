# The Debian packages on this machine: `make deb` (lintian included), dpkg -i,
# the packaged modules-enabled snippet with conf/ana-sites.conf under the
# stock nginx (own prefix and port, nothing of /etc/nginx used but the
# snippet), a replay request through the packaged module, the packaged
# consentctl, an upgrade to a rebuilt package with a bumped version under a
# running nginx (its workers keep serving; after `nginx -s reload`
# $consent_version is the new one), and a purge that leaves nothing behind.
use strict;
use warnings;
use Test::More;
use Digest::MD5 qw(md5_hex);
use File::Path qw(make_path);
use Time::HiRes qw(sleep time);
use lib 't/lib';
use ConsentTest qw(:all);

my @PKGS = qw(libnginx-mod-http-consent consentctl);
my $ENABLED = '/etc/nginx/modules-enabled/50-mod-http-consent.conf';
my $SNIPPET = '/usr/share/nginx/modules-available/mod-http-consent.conf';

plan skip_all => 'dpkg-buildpackage is missing (make deps installs dpkg-dev)'
    unless system('command -v dpkg-buildpackage >/dev/null 2>&1') == 0;
plan skip_all => 'installing packages with dpkg needs root' unless $> == 0;
for my $p (@PKGS) {
    my $st = `dpkg-query -W -f='\${Status}' $p 2>/dev/null`;
    plan skip_all => "$p is on this machine already ($st): the test would replace it"
        if $st ne '' && $st !~ /not-installed$/;
}
plan skip_all => "$ENABLED exists already" if -e $ENABLED || -l $ENABLED;

$ENV{DEBIAN_FRONTEND} = 'noninteractive';
my $root = repo_root();
my $work = workdir();
my $arch = `dpkg --print-architecture`;
chomp $arch;

sub run {                       # (exit code, output) of a shell command
    my ($cmd) = @_;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

sub run_ok {
    my ($cmd, $name) = @_;
    my ($rc, $out) = run($cmd);
    my @lines = split /\n/, $out;
    @lines = @lines[-40 .. -1] if @lines > 40;
    is($rc, 0, $name) or diag("$cmd:\n" . join("\n", @lines));
    return $rc == 0 ? $out : undef;
}

# dpkg, waiting while someone else holds its lock.
sub dpkg_ok {
    my ($args, $name) = @_;
    my ($rc, $out);
    for (1 .. 120) {
        ($rc, $out) = run("dpkg $args");
        last unless $rc && $out =~ /lock/;
        sleep 1;
    }
    is($rc, 0, $name) or diag("dpkg $args:\n$out");
}

sub changelog_version {
    my ($file) = @_;
    my ($v) = read_file($file) =~ /\A\S+ \(([^)]+)\)/ or BAIL_OUT("$file: no version");
    return $v;
}

sub debs {
    my ($dir, $v) = @_;
    return join ' ', map { "$dir/${_}_${v}_$arch.deb" } @PKGS;
}

my $installed = 0;
my ($prefix, $nginx_pid);

# Whatever happens, stop our nginx and take the packages off the machine.
END {
    my $rc = $?;
    stop_nginx() if $nginx_pid;
    system("dpkg --purge @PKGS >/dev/null 2>&1") if $installed;
    $? = $rc;
}

# ---- build
my $ver = changelog_version("$root/debian/changelog");
my $out = "$work/deb";
# no -dbgsym packages: not installed here, and their build only costs time
$ENV{DEB_BUILD_OPTIONS} = 'noautodbgsym';
defined run_ok("make -C '$root' deb DEB_OUT='$out'", 'make deb: packages built, lintian finds no error')
    or BAIL_OUT('make deb failed');

# ---- install
$installed = 1;
dpkg_ok('-i ' . debs($out, $ver), "dpkg -i $ver");
my $so = "ngx_http_consent_module-$ver.so";
ok(-f "/usr/lib/nginx/modules/$so", "module in /usr/lib/nginx/modules/$so");
is(readlink($ENABLED), $SNIPPET, 'modules-enabled link to the packaged snippet');
is(read_file($SNIPPET), "load_module modules/$so;\n", 'snippet loads the module');

my $nginx_pkg = (split /:/, `dpkg -S /usr/sbin/nginx`)[0];
my ($abi) = `dpkg-query -W -f='\${Provides}' $nginx_pkg` =~ /(nginx-abi-[^\s,]+)/;
my $depends = `dpkg-query -W -f='\${Depends}' libnginx-mod-http-consent`;
like($depends, qr/(?:^|, )\Q$abi\E(?:,|$)/, "Depends on $abi, which $nginx_pkg provides");
like($depends, qr/\bliblmdb0\b/, 'Depends from dh_shlibdeps (liblmdb0)');

is(`/usr/bin/consentctl --version`, "consentctl $ver\n", 'consentctl --version');
ok(-f $_, "$_ installed") for '/usr/share/man/man1/consentctl.1.gz',
    '/usr/share/man/man7/ngx_consent_module.7.gz', '/usr/share/consentctl/rules/ana.yaml',
    '/usr/share/doc/consentctl/examples/ana-sites.conf';
like(gunzip_bytes(read_file('/usr/share/man/man7/ngx_consent_module.7.gz')),
     qr/^\.SS consent_rules\n.*^\.SS Variable \$consent_version\n/ms,
     'ngx_consent_module(7) carries the README directives');

# ---- the packaged consentctl: the same database as the tree's compiler
my $db = "$work/ana.mdb";
run_ok("/usr/bin/consentctl compile /usr/share/consentctl/rules/ana.yaml -o $db",
       'packaged consentctl compiles the packaged rules');
chmod 0644, $db;
my $strip = sub { join '', grep { !/^(?:compiled_at|source):/ } split /^/, $_[0] };
my $dump = run_ok("/usr/bin/consentctl dump $db", 'packaged consentctl dumps it');
like($dump, qr/^site air-booking$/m, 'dump lists the sites');
is($strip->($dump), $strip->(scalar `$root/build/consentctl dump ${\rules_db()}`),
   'dump equals the tree build of rules/ana.yaml');

# ---- nginx with the packaged snippet and conf/ana-sites.conf
my $up = start_upstream();
my $port = free_port();
$prefix = "$work/nginx";
make_path("$prefix/logs", "$prefix/conf", "$prefix/tmp");
symlink '/usr/lib/nginx/modules', "$prefix/modules";    # load_module modules/...
my $sites = read_file("$root/conf/ana-sites.conf");
my $up_port = $up->port;
$sites =~ s{listen\s+80;}{listen 127.0.0.1:$port;}g;
$sites =~ s{/var/lib/nginx/consent/ana\.mdb}{$db}g;
$sites =~ s{/var/log/nginx/}{$prefix/logs/}g;
$sites =~ s{server 127\.0\.0\.1:8081;}{server 127.0.0.1:$up_port;}g;
write_file("$prefix/conf/ana-sites.conf", $sites);
write_file("$prefix/conf/nginx.conf", <<"CONF");
include $ENABLED;
user root root;
pid $prefix/logs/nginx.pid;
error_log $prefix/logs/error.log notice;
events { worker_connections 64; }
http {
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
    access_log $prefix/logs/access.log;
    add_header X-Consent-Version \$consent_version always;
    include $prefix/conf/ana-sites.conf;
}
CONF
my $nginx = "/usr/sbin/nginx -p $prefix/ -c conf/nginx.conf";
run_ok("$nginx -t", 'nginx -t: packaged snippet + conf/ana-sites.conf');
unlink "$prefix/logs/error.log";
run_ok($nginx, 'nginx starts');
for (1 .. 100) { last if -s "$prefix/logs/nginx.pid"; sleep 0.05 }
($nginx_pid) = read_file("$prefix/logs/nginx.pid") =~ /(\d+)/;

sub stop_nginx {
    run("$nginx -s quit");
    for (1 .. 100) { last unless kill 0, $nginx_pid; sleep 0.05 }
    kill 'TERM', $nginx_pid if kill 0, $nginx_pid;
    undef $nginx_pid;
}

my $FB = q{<script src="https://connect.facebook.net/en_US/fbevents.js"></script>};
my $GT = q{<script async src="https://www.googletagmanager.com/gtag/js?id=G-T1"></script>};
my $page = "<html><head>\n$GT\n$FB\n</head><body><p>booking</p></body></html>\n";
my $page_id = md5_hex($page);           # the upstream serves bodies by digest
write_file($up->dir . "/$page_id", $page);

# booking.ana.example (air-booking) is the first server: Host localhost lands there
sub get {
    my ($cookie) = @_;
    return http_request(port => $port, path => '/',
                        headers => ['X-CT-Body' => $page_id,
                                    $cookie ? (Cookie => "consent=$cookie") : ()]);
}

sub gated_by {
    my ($v, $when) = @_;
    my $r = get();
    is($r->{status}, 200, "$when: 200");
    is(hdr($r, 'x-consent-version'), $v, "$when: \$consent_version $v");
    (my $bare = $page) =~ s/\Q$GT\E|\Q$FB\E//g;
    is($r->{body}, $bare, "$when: no consent, both tags removed");
    $r = get('meta');
    like($r->{body}, qr/\Q$FB\E/, "$when: consent=meta keeps Meta's tag");
    unlike($r->{body}, qr/googletagmanager/, "$when: ... and removes Google's");
}

sub notices {
    my ($v) = @_;
    return scalar grep { /\[notice\].*ngx_consent_module \Q$v\E$/ }
        split /\n/, read_file("$prefix/logs/error.log");
}

gated_by($ver, 'installed');
is(notices($ver), 1, "start logs 'ngx_consent_module $ver' once");

# ---- upgrade under the running nginx
my $new = "$ver+upgradetest1";
my $bump = "$work/bump";
make_path($bump);
run_ok("cp -a $out/ngx-consent-module $bump/", 'copy of the built tree (objects kept)');
my $tree = "$bump/ngx-consent-module";
my $cl = read_file("$tree/debian/changelog");
write_file("$tree/debian/changelog", <<"ENTRY" . $cl);
ngx-consent-module ($new) bookworm; urgency=medium

  * Rebuild with a bumped version for the upgrade test.

 -- consent developers <dev\@consent.invalid>  Sun, 06 Dec 2026 20:00:00 +0000

ENTRY
run_ok("cd $tree && dh_clean && DEB_BUILD_OPTIONS='noautodbgsym parallel=2' dpkg-buildpackage -us -uc -b -nc",
       "rebuilt as $new without a clean");
my @workers = split ' ', `pgrep -P $nginx_pid`;
dpkg_ok('-i ' . debs($bump, $new), "dpkg -i $new over $ver");
ok(!-e "/usr/lib/nginx/modules/$so", "old module file gone");
is(readlink($ENABLED), $SNIPPET, 'modules-enabled link kept over the upgrade');
is(`/usr/bin/consentctl --version`, "consentctl $new\n", 'upgraded consentctl --version');
gated_by($ver, 'upgraded, before reload');
is(join(' ', split ' ', `pgrep -P $nginx_pid`), join(' ', @workers), 'the same workers served');

run_ok("$nginx -s reload", 'nginx -s reload');
# The old workers still accept for a moment after the reload signal: wait
# until they are gone, so every later request meets a new worker.
my %old = map { $_ => 1 } @workers;
for (1 .. 200) {
    last unless grep { $old{$_} } split ' ', `pgrep -P $nginx_pid`;
    sleep 0.05;
}
my $seen = '';
for (1 .. 100) {
    $seen = hdr(get(), 'x-consent-version') // '';
    last if $seen eq $new;
    sleep 0.05;
}
is($seen, $new, "after reload the workers run $new");
gated_by($new, 'reloaded');
is(notices($new), 1, "reload logs 'ngx_consent_module $new' once");

# ---- purge
my @files = grep { -f $_ || -l $_ } map { split /\n/, `dpkg -L $_` } @PKGS;
ok(scalar(@files) > 10, scalar(@files) . ' files installed');
stop_nginx();
dpkg_ok("--purge @PKGS", 'dpkg --purge');
$installed = 0;
my @left = grep { -e $_ || -l $_ } @files, $ENABLED, "$ENABLED.removed",
    '/usr/share/consentctl', map { ("/usr/share/doc/$_", glob("/var/lib/dpkg/info/$_.*")) } @PKGS;
is_deeply(\@left, [], 'nothing left behind');
for my $p (@PKGS) {
    like(`dpkg-query -W -f='\${Status}' $p 2>/dev/null`, qr/^(?:|.*not-installed)$/, "$p not installed");
}

done_testing();
