package ConsentTest;

# Request-replay harness for ngx_consent_module.  Core Perl only.
#
# * ConsentTest::Upstream - a forked HTTP/1.1 origin on a free loopback port.
#   Per request it serves a body file (X-CT-Body: <name> under its body dir),
#   cut into HTTP chunks by X-CT-Split (whole | N | random:SEED | list:a,b,c),
#   optionally gzip-compressed first (X-CT-Gzip: 1), with the content type of
#   X-CT-Type ("none" = no Content-Type), status X-CT-Status, framing
#   X-CT-Framing (chunked | length | close), extra headers X-CT-Header
#   ("Name: value", repeatable) and X-CT-Pause (OFFSET:MS, a stall after
#   OFFSET body bytes, for streaming tests).  One process per connection, keep-alive
#   honoured, so sequential and pooled (upstream keepalive) use both work.
#
# * ConsentTest::Nginx - the stock /usr/sbin/nginx, daemon off, master +
#   1 worker, every path inside a private prefix, the built module loaded.
#
# * run_cases() - the data-driven case runner, see t/README.md.
#
# Everything started here is killed by process group in END, also when a
# test dies; on failure the tail of every error.log is printed.

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use Digest::MD5 qw(md5_hex);
use Errno qw(EINTR EAGAIN);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Spec;
use File::Temp qw(tempdir);
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Select;
use IO::Socket::INET;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use JSON::PP ();
use POSIX qw(WNOHANG);
use Socket qw(SOL_SOCKET SO_REUSEADDR);
use Test::More ();
use Time::HiRes qw(time sleep);

use Exporter 'import';
our @EXPORT_OK = qw(
    repo_root module_path consentctl_path nginx_bin workdir rules_db
    free_port http_request http_pipeline hdr hdrs split_sizes bytes_eq gunzip_bytes
    run_cases read_file write_file static_dir json_file json_encode
    start_nginx start_upstream nginx_t tool_path self_signed_cert
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

my $MAIN_PID = $$;
my @LIVE;                 # objects with ->stop, stopped in END (LIFO)
my $WORKDIR;
my $REQ_SEQ = 0;
our $REQUESTS = 0;        # requests sent through nginx by the case runner

our $NGINX   = $ENV{CONSENT_TEST_NGINX} || '/usr/sbin/nginx';
our $TIMEOUT = $ENV{CONSENT_TEST_TIMEOUT} || 20;   # seconds per request
our $COOKIE  = 'consent';                          # consent_cookie used by default
# Splits replayed for every case that has a body (compared with 'whole').
our @DEFAULT_SPLITS = ('whole', 1, 7, 'random:1', 'random:2', 'random:3');
our $LOG_CHECK_DIES = 0;   # set by tools (not tests): a bad nginx log dies, no TAP

# ---------------------------------------------------------------- paths

# A program on PATH, or undef.
sub tool_path {
    my ($name) = @_;
    my ($path) = grep { -x } map { "$_/$name" } split /:/, $ENV{PATH} // '';
    return $path;
}

# A self-signed certificate and its key in dir (for a TLS server the
# browser tests point every host name at): (cert, key); dies when openssl
# fails (callers skip without tool_path('openssl')).
sub self_signed_cert {
    my ($dir, $cn) = @_;
    my $openssl = tool_path('openssl') or die "openssl is not on PATH\n";
    my ($cert, $key) = ("$dir/cert.pem", "$dir/key.pem");
    my $out = qx{'$openssl' req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=$cn -keyout '$key' -out '$cert' 2>&1};
    die "openssl req failed: $out" if $? || !-s $cert;
    chmod 0644, $cert, $key;
    return ($cert, $key);
}

my $ROOT;
sub repo_root {
    return $ROOT if $ROOT;
    my $here = dirname(abs_path(__FILE__));          # .../t/lib
    $ROOT = abs_path("$here/../..");
    return $ROOT;
}
sub module_path     { $ENV{CONSENT_TEST_MODULE} || repo_root() . '/build/ngx_http_consent_module.so' }
sub consentctl_path { repo_root() . '/build/consentctl' }
sub nginx_bin       { $NGINX }

sub workdir {
    return $WORKDIR if $WORKDIR;
    $WORKDIR = tempdir('consent-t-XXXXXX', TMPDIR => 1, CLEANUP => 0);
    chmod 0755, $WORKDIR;
    return $WORKDIR;
}

sub read_file {
    my ($path) = @_;
    open my $fh, '<:raw', $path or croak "open $path: $!";
    local $/;
    my $d = <$fh>;
    close $fh;
    return $d // '';
}

sub write_file {
    my ($path, $data) = @_;
    make_path(dirname($path));
    open my $fh, '>:raw', $path or croak "write $path: $!";
    print {$fh} $data;
    close $fh or croak "close $path: $!";
    return $path;
}

# A directory of files under the work dir, readable by nginx's worker.
#   static_dir(NAME, file => content, ...) -> its path
sub static_dir {
    my ($name, %files) = @_;
    my $dir = workdir() . "/$name";
    make_path($dir);
    chmod 0755, $dir;
    for my $f (sort keys %files) {
        write_file("$dir/$f", $files{$f});
        chmod 0644, "$dir/$f";
    }
    return $dir;
}

sub json_file {
    my ($path) = @_;
    return JSON::PP->new->utf8->relaxed->decode(read_file($path));
}

sub json_encode { JSON::PP->new->utf8->canonical->encode($_[0]) }

# The rules DB, compiled once per test file from rules/ana.yaml.  A missing
# consentctl or rules file is a hard failure: `make test` builds them first.
my $RULES_DB;
sub rules_db {
    return $RULES_DB if $RULES_DB;
    my $ctl  = consentctl_path();
    my $yaml = repo_root() . '/rules/ana.yaml';
    Test::More::BAIL_OUT("$ctl is missing or not executable: build it first (make / make test)")
        unless -x $ctl;
    Test::More::BAIL_OUT("$yaml is missing") unless -f $yaml;
    my $db = workdir() . '/rules.mdb';
    my $out = qx{'$ctl' compile '$yaml' -o '$db' 2>&1};
    if ($? != 0 || !-f $db) {
        Test::More::BAIL_OUT("consentctl compile failed (exit " . ($? >> 8) . "): $out");
    }
    chmod 0644, $db;
    chmod 0644, "$db-lock" if -e "$db-lock";
    $RULES_DB = $db;
    return $db;
}

sub require_module {
    my $so = module_path();
    Test::More::BAIL_OUT("$so is missing: build it first (make module / make test)")
        unless -f $so;
    return $so;
}

# ---------------------------------------------------------------- ports

# A free loopback port: bind port 0, read it back, release it.
sub free_port {
    my %taken = map { $_ => 1 } @_;
    for (1 .. 50) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                      Proto => 'tcp', Listen => 1)
            or croak "bind port 0: $!";
        my $p = $s->sockport;
        close $s;
        return $p unless $taken{$p};
    }
    croak "no free port";
}

# ---------------------------------------------------------------- splits

# Chunk sizes for a split spec over $len bytes.
sub split_sizes {
    my ($spec, $len) = @_;
    $spec //= 'whole';
    return () if $len == 0;
    if ($spec eq 'whole') {
        return ($len);
    }
    if ($spec =~ /^([1-9][0-9]*)$/) {
        my $n = $1;
        my @s = ($n) x int($len / $n);
        push @s, $len % $n if $len % $n;
        return @s;
    }
    if ($spec =~ /^random:([0-9]+)$/) {
        # Deterministic LCG (not Perl's rand), sizes mostly 1..40 with some
        # long runs, so boundaries land everywhere including inside tags.
        my $x = ($1 * 2654435761 + 12345) % 4294967296;
        my @s;
        my $left = $len;
        while ($left > 0) {
            $x = (1103515245 * $x + 12345) % 2147483648;
            my $r = $x >> 8;
            my $n = ($r % 16 == 0) ? 1 + ($r >> 4) % 700 : 1 + ($r >> 4) % 40;
            $n = $left if $n > $left;
            push @s, $n;
            $left -= $n;
        }
        return @s;
    }
    if ($spec =~ /^list:([0-9,]+)$/) {
        my @s;
        my $left = $len;
        for my $n (split /,/, $1) {
            last if $left <= 0;
            next unless $n > 0;
            $n = $left if $n > $left;
            push @s, $n;
            $left -= $n;
        }
        push @s, $left if $left > 0;
        return @s;
    }
    croak "bad split spec '$spec'";
}

sub gunzip_bytes {
    my ($data) = @_;
    my $out;
    gunzip(\$data => \$out) or croak "gunzip failed: $GunzipError";
    return $out;
}

# ---------------------------------------------------------------- client

# Minimal HTTP/1.1 client: one request per connection (Connection: close),
# nothing decoded except the transfer coding, every header kept in order.
#   http_request(port => P, method => 'GET', path => '/', headers => [k, v, ...])
# returns { status, reason, headers => [[k, v], ...], body, chunked, error }
# on_head => sub { } is called once the response head has arrived, while the
# body may still be on its way (to act during a response in flight).
# One request's bytes: the request line, Host, "Connection: close" when
# close is set (HTTP/1.1 only; 1.0 closes anyway), the headers (name =>
# value pairs) and the blank line.
#   request_text(method => M, path => P, headers => [...], close => 1, version => '1.0')
sub request_text {
    my (%a) = @_;
    my $version = $a{version} || '1.1';
    my $req = ($a{method} || 'GET') . " $a{path} HTTP/$version\r\nHost: localhost\r\n";
    $req .= "Connection: close\r\n" if $a{close} && $version ne '1.0';
    my @h = @{ $a{headers} || [] };
    while (my ($k, $v) = splice(@h, 0, 2)) {
        $req .= "$k: $v\r\n";
    }
    return "$req\r\n";
}

sub http_request {
    my (%a) = @_;
    my $method = $a{method} || 'GET';
    my $req = request_text(method => $method, path => $a{path} || '/', headers => $a{headers},
                           close => 1, version => $a{version});

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $a{port},
                                  Proto => 'tcp', Timeout => 5)
        or return { status => 0, error => "connect: $!", headers => [], body => '' };
    binmode $s;
    _write_all($s, $req) or return { status => 0, error => "write: $!", headers => [], body => '' };

    my $raw = '';
    my $sel = IO::Select->new($s);
    my $deadline = time + ($a{timeout} || $TIMEOUT);
    while (1) {
        my $left = $deadline - time;
        if ($left <= 0) {
            close $s;
            return { status => 0, error => "timeout after " . length($raw) . " bytes",
                     headers => [], body => '', raw => $raw };
        }
        next unless $sel->can_read($left);
        my $n = sysread($s, $raw, 65536, length $raw);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            last;
        }
        last if $n == 0;
        if ($a{on_head} && index($raw, "\r\n\r\n") >= 0) {
            (delete $a{on_head})->();
        }
    }
    close $s;
    return parse_response($raw, $method);
}

sub _write_all {
    my ($fh, $data) = @_;
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($fh, $data, length($data) - $off, $off);
        if (!defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            return 0;
        }
        $off += $n;
    }
    return 1;
}

# parse_response($raw, $method, $multi): with $multi, bytes after this
# response are allowed and returned in {rest} (pipelined responses).
# Several requests on one keep-alive connection, sent at once (pipelined);
# the last one closes.  Returns the parsed responses in order.
#   http_pipeline(port => P, requests => [{method, path, headers}, ...])
sub http_pipeline {
    my (%a) = @_;
    my @reqs = @{ $a{requests} };
    my $out = '';
    for my $i (0 .. $#reqs) {
        $out .= request_text(%{ $reqs[$i] }, close => $i == $#reqs);
    }
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $a{port}, Proto => 'tcp')
        or return ();
    binmode $s;
    _write_all($s, $out);
    my $raw = '';
    my $sel = IO::Select->new($s);
    my $deadline = time + $TIMEOUT;
    while (time < $deadline) {
        next unless $sel->can_read($deadline - time);
        my $n = sysread($s, $raw, 65536, length $raw);
        last if !$n;
    }
    close $s;
    my @res;
    for my $r (@reqs) {
        my $res = parse_response($raw, $r->{method} || 'GET', 1);
        push @res, $res;
        last if $res->{error} || !defined $res->{rest};
        $raw = $res->{rest};
    }
    return @res;
}

sub parse_response {
    my ($raw, $method, $multi) = @_;
    my $res = { status => 0, headers => [], body => '', raw_length => length $raw };
    my $end = index($raw, "\r\n\r\n");
    if ($end < 0) {
        $res->{error} = "no header end in " . length($raw) . " bytes";
        return $res;
    }
    my ($sl, @lines) = split /\r\n/, substr($raw, 0, $end);
    if ($sl !~ m{^HTTP/1\.[01] ([0-9]{3})(?: (.*))?$}) {
        $res->{error} = "bad status line '$sl'";
        return $res;
    }
    $res->{status} = $1;
    $res->{reason} = $2 // '';
    for my $l (@lines) {
        my ($k, $v) = $l =~ /^([^:]+):[ \t]*(.*?)[ \t]*$/ or do {
            $res->{error} = "bad header line '$l'";
            next;
        };
        push @{ $res->{headers} }, [$k, $v];
    }
    my $rest = substr($raw, $end + 4);
    my $st = $res->{status};
    if ($method eq 'HEAD' || $st == 304 || $st == 204 || $st < 200) {
        if ($multi) { $res->{rest} = $rest } elsif (length $rest) { $res->{extra} = $rest }
        return $res;
    }
    my $te = lc(join ',', hdrs($res, 'Transfer-Encoding'));
    my @cl = hdrs($res, 'Content-Length');
    if ($te =~ /chunked/) {
        $res->{chunked} = 1;
        my ($body, $err, $used) = _dechunk($rest, $multi);
        $res->{body} = $body;
        $res->{error} = $err if $err;
        $res->{rest} = substr($rest, $used) if $multi && defined $used;
    } elsif (@cl) {
        my $cl = $cl[0];
        if ($multi && length($rest) >= $cl) {
            $res->{rest} = substr($rest, $cl);
        } elsif (length($rest) != $cl) {
            $res->{error} = "Content-Length $cl but " . length($rest) . " body bytes";
        }
        $res->{body} = substr($rest, 0, $cl);
    } else {
        $res->{body} = $rest;
    }
    return $res;
}

sub _dechunk {
    my ($d, $multi) = @_;
    my $out = '';
    my $pos = 0;
    while (1) {
        my $e = index($d, "\r\n", $pos);
        return ($out, "truncated chunk size at $pos") if $e < 0;
        my $line = substr($d, $pos, $e - $pos);
        return ($out, "bad chunk size line '$line'") unless $line =~ /^([0-9a-fA-F]+)(;.*)?$/;
        my $n = hex $1;
        $pos = $e + 2;
        if ($n == 0) {
            # trailers until empty line
            while (1) {
                my $t = index($d, "\r\n", $pos);
                return ($out, "truncated trailer") if $t < 0;
                my $tl = substr($d, $pos, $t - $pos);
                $pos = $t + 2;
                last if $tl eq '';
            }
            return ($out, undef, $pos) if $multi || $pos == length $d;
            return ($out, "garbage after last chunk");
        }
        return ($out, "truncated chunk data") if $pos + $n + 2 > length $d;
        $out .= substr($d, $pos, $n);
        return ($out, "missing CRLF after chunk") if substr($d, $pos + $n, 2) ne "\r\n";
        $pos += $n + 2;
    }
}

# All values of a header (case-insensitive), in order.
sub hdrs {
    my ($res, $name) = @_;
    return map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $res->{headers} };
}

# The single value of a header, undef if absent, joined by ", " if repeated.
sub hdr {
    my @v = hdrs(@_);
    return @v ? join(', ', @v) : undef;
}

# ---------------------------------------------------------------- byte compare

# Byte-exact comparison with a readable diagnostic: first differing offset
# and escaped context instead of two huge dumps.
sub bytes_eq {
    my ($got, $exp, $name) = @_;
    my $tb = Test::More->builder;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if (!defined $got) {
        $tb->ok(0, $name);
        $tb->diag("got undef");
        return 0;
    }
    if ($got eq $exp) {
        return $tb->ok(1, $name);
    }
    $tb->ok(0, $name);
    my $i = 0;
    my $max = length($got) < length($exp) ? length($got) : length($exp);
    # binary search would be faster; pages are small
    $i++ while $i < $max && substr($got, $i, 1) eq substr($exp, $i, 1);
    my $from = $i > 80 ? $i - 80 : 0;
    $tb->diag(sprintf "lengths: got %d, expected %d; first difference at byte %d",
                      length $got, length $exp, $i);
    $tb->diag("got:      " . _esc(substr($got, $from, $i - $from)) . " >>>" . _esc(substr($got, $i, 120)));
    $tb->diag("expected: " . _esc(substr($exp, $from, $i - $from)) . " >>>" . _esc(substr($exp, $i, 120)));
    return 0;
}

sub _esc {
    my ($s) = @_;
    $s =~ s/([\\])/\\\\/g;
    $s =~ s/\n/\\n/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\t/\\t/g;
    $s =~ s/([\x00-\x1f\x7f])/sprintf '\\x%02x', ord $1/ge;
    return $s;
}

# ---------------------------------------------------------------- lifecycle

sub _register { push @LIVE, $_[0]; $_[0] }
sub _unregister {
    my ($o) = @_;
    @LIVE = grep { $_ != $o } @LIVE;
}

sub start_upstream { ConsentTest::Upstream->start(@_) }
sub start_nginx    { ConsentTest::Nginx->start(@_) }

my @ERROR_LOGS;
sub _note_error_log { push @ERROR_LOGS, $_[0] }

# What no nginx run may print, checked at every stop (ConsentTest::Nginx::stop)
# and after every nginx -t: sanitizer reports (an instrumented nginx writes
# them to stderr, which nginx points at its error.log once it runs) and what
# a healthy nginx never logs.
our $SANITIZER_RE = qr/AddressSanitizer|LeakSanitizer|runtime error:/;
our $BAD_LOG_RE   = qr/$SANITIZER_RE|\[(?:alert|crit|emerg)\]|exited on signal/;
my $CLEANING = 0;         # in END: no more tests, bad logs fail the exit code
my $BAD_AT_END = 0;

sub tail_file {
    my ($path, $lines) = @_;
    $lines ||= 40;
    return "(no $path)" unless -f $path;
    my @l = split /\n/, read_file($path);
    @l = @l[-$lines .. -1] if @l > $lines;
    return join "\n", @l;
}

sub _cleanup {
    return unless $$ == $MAIN_PID;
    $CLEANING = 1;
    Test::More::note("$REQUESTS requests replayed") if $REQUESTS;
    my $failed = !Test::More->builder->is_passing;
    if ($failed) {
        for my $log (@ERROR_LOGS) {
            next unless -f $log;
            my @l = grep { !/\[notice\]|waiting for request/ } split /\n/, read_file($log);
            @l = @l[-60 .. -1] if @l > 60;
            Test::More::diag("---- tail of $log (without notices) ----\n" . join("\n", @l));
        }
    }
    my @live = reverse @LIVE;
    @LIVE = ();
    for my $o (@live) {
        eval { $o->stop; 1 } or warn "stop failed: $@";
    }
    $failed ||= $BAD_AT_END;
    if ($WORKDIR && -d $WORKDIR) {
        if ($ENV{CONSENT_TEST_KEEP} || $failed) {
            Test::More::diag("work dir kept: $WORKDIR") if $failed || $ENV{CONSENT_TEST_KEEP};
        } else {
            remove_tree($WORKDIR);
        }
    }
}

END {
    my $rc = $?;
    _cleanup();
    $? = $rc || ($BAD_AT_END ? 1 : 0);
}
for my $sig (qw(INT TERM HUP)) {
    $SIG{$sig} = sub { _cleanup() if $$ == $MAIN_PID; POSIX::_exit(130) };
}

# ---------------------------------------------------------------- nginx -t

# Runs `nginx -t` on the harness config built from (http => , server => ,
# locations => , module => 1) without starting anything.
# Returns (exit_code, combined output).
sub nginx_t {
    my (%a) = @_;
    my $self = bless { module => 1, http => '', server => '', locations => '', %a },
                     'ConsentTest::Nginx';
    require_module() if $self->{module};
    $self->{prefix} = workdir() . '/t-' . (++$REQ_SEQ);
    $self->{port} = free_port();
    my $prefix = $self->{prefix};
    make_path("$prefix/logs", "$prefix/conf", "$prefix/tmp");
    write_file("$prefix/conf/nginx.conf", $self->config_text);
    my $out = qx{'$NGINX' -t -p '$prefix/' -c conf/nginx.conf -e stderr 2>&1};
    my $rc = $? >> 8;
    my @bad = grep { $_ =~ $SANITIZER_RE } split /\n/, $out;
    Test::More::ok(!@bad, "nginx -t: no sanitizer report") or Test::More::diag($out);
    return ($rc, $out);
}

# ---------------------------------------------------------------- runner

# run_cases(\%setup, \@cases) - see t/README.md for the case format.
sub run_cases {
    my ($setup, $cases) = @_;
    $setup ||= {};
    my $module = exists $setup->{module} ? $setup->{module} : 1;
    my $up = $setup->{upstream} || ConsentTest::Upstream->start;

    # Group cases by http-level config: one nginx per distinct group.
    my (@groups, %gidx);
    my $n = 0;
    for my $c (@$cases) {
        croak "case without name" unless defined $c->{name};
        $c->{_id} = ++$n;
        my $key = join "\0", $c->{http} // $setup->{http} // '',
                             $c->{server} // $setup->{server} // '';
        if (!exists $gidx{$key}) {
            $gidx{$key} = @groups;
            push @groups, { http => $c->{http} // $setup->{http} // '',
                            server => $c->{server} // $setup->{server} // '',
                            cases => [] };
        }
        push @{ $groups[$gidx{$key}]{cases} }, $c;
    }

    for my $g (@groups) {
        my @locs;
        for my $c (@{ $g->{cases} }) {
            push @locs, _case_location($c, $setup, $up);
        }
        my $ngx = ConsentTest::Nginx->start(
            module    => $module,
            http      => $g->{http},
            server    => $g->{server},
            locations => join("\n", @locs),
            upstream  => $up,
        );
        for my $c (@{ $g->{cases} }) {
            Test::More::subtest($c->{name}, sub { _run_case($ngx, $up, $c, $setup) });
        }
        $ngx->stop;
    }
    $up->stop unless $setup->{upstream};
    return;
}

sub _case_location {
    my ($c, $setup, $up) = @_;
    my $id = $c->{_id};
    my $loc = $c->{location} // $setup->{location} // '';
    $loc .= "\n" . $c->{location_extra} if defined $c->{location_extra};
    my $port = $up->port;
    $loc =~ s/__UPSTREAM__/127.0.0.1:$port/g;
    $loc =~ s/__ID__/$id/g;
    $loc =~ s/__WORKDIR__/workdir()/ge;
    my $backend = $c->{backend} // 'proxy';
    my $b;
    if ($backend eq 'proxy') {
        $b = "proxy_pass http://127.0.0.1:" . $up->port . ";";
    } elsif ($backend eq 'proxy_keepalive') {
        $b = "proxy_pass http://ct_upstream_ka; proxy_set_header Connection \"\";";
    } elsif ($backend eq 'static' || $backend eq 'static_root') {
        # files under DIR/c/<id>/ served with "root DIR" or "alias DIR/c/<id>/"
        my $base = workdir() . "/static";
        my $dir = "$base/c/$id";
        make_path($dir);
        chmod 0755, $base, "$base/c", $dir;
        my $files = $c->{static} || {};
        for my $f (sort keys %$files) {
            my $data = $files->{$f};
            $data = read_file(fixture_path($1)) if !ref $data && $data =~ /^fixture:(.+)$/;
            write_file("$dir/$f", $data);
            chmod 0644, "$dir/$f";
            utime $c->{mtime}, $c->{mtime}, "$dir/$f" if $c->{mtime};
        }
        $b = $backend eq 'static' ? "alias $dir/;" : "root $base;";
    } elsif ($backend eq 'none') {
        $b = '';
    } else {
        croak "unknown backend $backend";
    }
    return "location /c/$id/ {\n$loc\n$b\n}";
}

sub fixture_path {
    my ($name) = @_;
    return repo_root() . "/t/fixtures/$name";
}

sub _case_body {
    my ($c) = @_;
    return $c->{_body} if exists $c->{_body};
    if (defined $c->{fixture}) {
        $c->{_body} = read_file(fixture_path($c->{fixture}));
    } elsif (defined $c->{body}) {
        $c->{_body} = $c->{body};
    } else {
        $c->{_body} = undef;
    }
    return $c->{_body};
}

sub _expected_body {
    my ($c) = @_;
    my $e = $c->{expect} || {};
    return $e->{body} if defined $e->{body};
    return read_file($e->{body_file} =~ m{^/} ? $e->{body_file} : fixture_path($e->{body_file}))
        if defined $e->{body_file};
    return _case_body($c) if $e->{same};
    return undef;
}

sub _run_case {
    my ($ngx, $up, $c, $setup) = @_;
    my $e = $c->{expect} || {};
    my $body = _case_body($c);
    my $backend = $c->{backend} // 'proxy';
    my $method = $c->{method} || 'GET';

    my @splits;
    if ($c->{splits}) {
        @splits = @{ $c->{splits} };
    } elsif (defined $body && $backend =~ /^proxy/ && $method ne 'HEAD'
             && !($c->{up_status} && $c->{up_status} =~ /^(?:204|304)$/)) {
        @splits = @{ $setup->{splits} || \@DEFAULT_SPLITS };
    } else {
        @splits = ('whole');
    }
    unshift @splits, 'whole' unless $splits[0] eq 'whole';

    my $bodyname;
    if (defined $body && $backend =~ /^proxy/) {
        $bodyname = md5_hex($body);
        my $p = $up->dir . "/$bodyname";
        write_file($p, $body) unless -f $p;
    }

    my $exp_body = _expected_body($c);
    my $whole;
    for my $split (@splits) {
        my @h;
        push @h, 'X-CT-Req' => my $rid = "c$c->{_id}-" . (++$REQ_SEQ);
        if ($backend =~ /^proxy/) {
            push @h, 'X-CT-Body' => $bodyname if defined $bodyname;
            push @h, 'X-CT-Split' => $split;
            push @h, 'X-CT-Type' => $c->{type} if defined $c->{type};
            push @h, 'X-CT-Gzip' => 1 if $c->{up_gzip};
            push @h, 'X-CT-Status' => $c->{up_status} if $c->{up_status};
            push @h, 'X-CT-Framing' => $c->{up_framing} if $c->{up_framing};
            push @h, map { ('X-CT-Header' => $_) } @{ $c->{up_headers} || [] };
        }
        if (defined $c->{cookie}) {
            push @h, 'Cookie' => ($c->{cookie_name} // $COOKIE) . '=' . $c->{cookie};
        }
        push @h, @{ $c->{headers} || [] };
        push @h, 'Accept-Encoding' => 'gzip' if $c->{client_gzip};

        my $path = "/c/$c->{_id}/" . ($c->{path} // 'index.html');
        my $res = http_request(port => $ngx->port, method => $method, path => $path,
                               headers => \@h, version => $c->{http_version});
        $REQUESTS++;
        my $tag = "[split $split]";
        if ($res->{error}) {
            Test::More::fail("$tag response well-formed");
            Test::More::diag("error: $res->{error}");
            next;
        }
        my $got = $res->{body};
        if ($c->{client_gzip} && lc(hdr($res, 'Content-Encoding') // '') eq 'gzip') {
            $got = eval { gunzip_bytes($got) };
            if (!defined $got) {
                Test::More::fail("$tag gzip body decodes");
                next;
            }
        }
        Test::More::is($res->{status}, $e->{status} // 200, "$tag status");

        if (defined $exp_body) {
            bytes_eq($got, $exp_body, "$tag body");
        } elsif ($split ne 'whole' && defined $whole) {
            bytes_eq($got, $whole, "$tag body identical to whole");
        }
        $whole = $got if $split eq 'whole';

        for my $re (@{ $e->{like} || [] }) {
            Test::More::like($got, $re, "$tag body like $re");
        }
        for my $re (@{ $e->{unlike} || [] }) {
            Test::More::unlike($got, $re, "$tag body unlike $re");
        }
        my $eh = $e->{headers} || {};
        for my $k (sort keys %$eh) {
            my $v = hdr($res, $k);
            if (ref $eh->{$k} eq 'Regexp') {
                Test::More::like($v // '', $eh->{$k}, "$tag header $k");
            } elsif (!defined $eh->{$k}) {
                Test::More::ok(!defined $v, "$tag header $k absent")
                    or Test::More::diag("$k: $v");
            } else {
                Test::More::is($v, $eh->{$k}, "$tag header $k");
            }
        }
        for my $k (@{ $e->{no_headers} || [] }) {
            my @v = hdrs($res, $k);
            Test::More::ok(!@v, "$tag header $k absent")
                or Test::More::diag("$k: @v");
        }
        if (exists $e->{blocked}) {
            my $got_b = $ngx->log_value($rid);
            my @got = sort grep { length && $_ ne '-' } split /,/, ($got_b // '');
            my @exp = sort @{ $e->{blocked} };
            Test::More::is(join(',', @got), join(',', @exp), "$tag \$consent_blocked")
                or Test::More::diag("raw log value: " . ($got_b // '(no log line)'));
        }
        if (exists $e->{allowed} || exists $e->{source}) {
            my (undef, $al, $src) = $ngx->log_value($rid);
            if (exists $e->{allowed}) {
                my @got = sort grep { length && $_ ne '-' } split /,/, ($al // '');
                Test::More::is(join(',', @got), join(',', sort @{ $e->{allowed} }),
                               "$tag \$consent_allowed");
            }
            if (exists $e->{source}) {
                Test::More::is($src, $e->{source}, "$tag \$consent_source");
            }
        }
        if ($e->{check}) {
            $e->{check}->($res, $got, $split, $ngx, $c);
        }
    }
    return;
}

# ================================================================ upstream

package ConsentTest::Upstream;

use strict;
use warnings;
use Carp qw(croak);
use Errno qw(EINTR EAGAIN);
use File::Path qw(make_path);
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time);

sub port { $_[0]{port} }
sub dir  { $_[0]{dir} }
sub pid  { $_[0]{pid} }

sub start {
    my ($class, %a) = @_;
    my $dir = $a{dir} || ConsentTest::workdir() . '/bodies';
    make_path($dir);
    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                       Proto => 'tcp', Listen => 128, ReuseAddr => 1)
        or croak "upstream listen: $!";
    my $port = $listen->sockport;
    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if ($pid == 0) {
        eval { setpgrp(0, 0); _main($listen, $dir) };
        POSIX::_exit(0);
    }
    close $listen;
    my $self = bless { pid => $pid, port => $port, dir => $dir }, $class;
    ConsentTest::_register($self);
    return $self;
}

sub stop {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'TERM', -$self->{pid};
    kill 'TERM', $self->{pid};
    my $t = time + 5;
    while (time < $t) {
        last if waitpid($self->{pid}, WNOHANG) != 0;
        Time::HiRes::sleep(0.01);
    }
    kill 'KILL', -$self->{pid};
    waitpid($self->{pid}, 0);
    delete $self->{pid};
    ConsentTest::_unregister($self);
}

sub _main {
    my ($listen, $dir) = @_;
    $SIG{TERM} = sub { POSIX::_exit(0) };
    $SIG{CHLD} = sub { 1 while waitpid(-1, WNOHANG) > 0 };
    while (1) {
        my $c = $listen->accept;
        if (!$c) {
            next if $! == EINTR;
            POSIX::_exit(1);
        }
        my $pid = fork;
        if (!defined $pid) {
            close $c;
            next;
        }
        if ($pid == 0) {
            $SIG{CHLD} = 'DEFAULT';
            close $listen;
            eval { _serve($c, $dir) };
            POSIX::_exit(0);
        }
        close $c;
    }
}

# Serves requests on one connection until close.
sub _serve {
    my ($c, $dir) = @_;
    binmode $c;
    my $buf = '';
    my $sel = IO::Select->new($c);
    while (1) {
        # read a request head
        my $end;
        while (($end = index($buf, "\r\n\r\n")) < 0) {
            return unless $sel->can_read(60);
            my $n = sysread($c, $buf, 65536, length $buf);
            if (!defined $n) { next if $! == EINTR || $! == EAGAIN; return }
            return if $n == 0;
        }
        my $head = substr($buf, 0, $end);
        substr($buf, 0, $end + 4) = '';
        my ($rl, @lines) = split /\r\n/, $head;
        my ($method, $uri, $ver) = $rl =~ m{^(\S+) (\S+) HTTP/(1\.[01])$} or return;
        my (%h, @extra);
        for (@lines) {
            my ($k, $v) = /^([^:]+):[ \t]*(.*?)[ \t]*$/ or next;
            $k = lc $k;
            if ($k eq 'x-ct-header') { push @extra, $v; next }
            $h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
        }
        # request body, if any (not used, but keep the stream in sync)
        if (my $cl = $h{'content-length'}) {
            while (length $buf < $cl) {
                return unless $sel->can_read(60);
                my $n = sysread($c, $buf, 65536, length $buf);
                return if !defined $n || $n == 0;
            }
            substr($buf, 0, $cl) = '';
        }

        my $keep = $ver eq '1.1' ? (($h{connection} // '') !~ /close/i)
                                 : (($h{connection} // '') =~ /keep-alive/i);
        my $status = $h{'x-ct-status'} || 200;
        my $body = '';
        if (my $name = $h{'x-ct-body'}) {
            if ($name =~ /^[0-9a-f]{32}$/ && open my $fh, '<:raw', "$dir/$name") {
                local $/;
                $body = <$fh> // '';
                close $fh;
            } else {
                $status = 500;
                $body = "no body $name\n";
            }
        }
        my $type = $h{'x-ct-type'} // 'text/html; charset=utf-8';
        my @hdr = ("Server: ct-upstream");
        push @hdr, "Content-Type: $type" unless $type eq 'none';
        if ($h{'x-ct-gzip'}) {
            my $z;
            gzip(\$body => \$z) or die $GzipError;
            $body = $z;
            push @hdr, "Content-Encoding: gzip";
        }
        push @hdr, @extra;
        my $framing = $h{'x-ct-framing'} || 'chunked';
        $framing = 'close' if $ver eq '1.0' && $framing eq 'chunked';
        my $nobody = $method eq 'HEAD' || $status == 304 || $status == 204;
        my $out = '';
        my @out_parts;
        my $pause = ($h{'x-ct-pause'} // '') =~ /^(\d+):(\d+)$/ ? [$1, $2] : undef;
        if ($status == 304 || $status == 204) {
            $framing = 'none';
        } elsif ($framing eq 'chunked') {
            push @hdr, "Transfer-Encoding: chunked";
            unless ($nobody) {
                my $pos = 0;
                for my $n (ConsentTest::split_sizes($h{'x-ct-split'}, length $body)) {
                    $out .= sprintf("%x\r\n", $n) . substr($body, $pos, $n) . "\r\n";
                    $pos += $n;
                    # X-CT-Pause: OFFSET:MS - send what we have once OFFSET body
                    # bytes are out, wait MS milliseconds, go on (streaming tests)
                    if (defined $pause && $pos >= $pause->[0]) {
                        push @out_parts, $out;
                        push @out_parts, $pause->[1];
                        $out = '';
                        $pause = undef;
                    }
                }
                $out .= "0\r\n\r\n";
            }
        } elsif ($framing eq 'length') {
            push @hdr, "Content-Length: " . length $body;
            $out = $body unless $nobody;
        } elsif ($framing eq 'close') {
            $keep = 0;
            $out = $body unless $nobody;
        }
        push @hdr, $keep ? "Connection: keep-alive" : "Connection: close";
        my $resp = "HTTP/1.1 $status " . _reason($status) . "\r\n"
                 . join('', map { "$_\r\n" } @hdr) . "\r\n";
        while (@out_parts) {
            my ($data, $ms) = splice(@out_parts, 0, 2);
            ConsentTest::_write_all($c, $resp . $data) or return;
            $resp = '';
            Time::HiRes::sleep($ms / 1000);
        }
        ConsentTest::_write_all($c, $resp . $out) or return;
        return unless $keep;
    }
}

sub _reason {
    my %r = (200 => 'OK', 204 => 'No Content', 304 => 'Not Modified',
             404 => 'Not Found', 500 => 'Internal Server Error');
    return $r{$_[0]} || 'Status';
}

# ================================================================ nginx

package ConsentTest::Nginx;

use strict;
use warnings;
use Carp qw(croak);
use File::Path qw(make_path);
use POSIX qw(WNOHANG);
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

sub port   { $_[0]{port} }
sub prefix { $_[0]{prefix} }
sub error_log  { "$_[0]{prefix}/logs/error.log" }
sub stderr_log { "$_[0]{prefix}/logs/stderr.log" }
sub access_log { "$_[0]{prefix}/logs/access.log" }

my $SEQ = 0;

# start(module => 0|1, http => '', server => '', locations => '', upstream => $up,
#       workers => N, log_ok => qr/.../)
# With workers > 1 every worker has its own listen socket (reuseport), so
# connections spread over all of them (see each_worker). log_ok: lines the
# test provokes on purpose, exempt from the check at stop.
sub start {
    my ($class, %a) = @_;
    my $module = exists $a{module} ? $a{module} : 1;
    ConsentTest::require_module() if $module;
    my $last_err = '';
    for my $attempt (1 .. 3) {
        my $self = bless { %a, module => $module }, $class;
        $self->{prefix} = ConsentTest::workdir() . '/nginx-' . (++$SEQ);
        $self->{port} = ConsentTest::free_port();
        my $ok = eval { $self->_launch; 1 };
        return $self if $ok;
        $last_err = $@;
        # retry only when someone else grabbed the port
        last unless $last_err =~ /Address already in use/;
    }
    croak "nginx did not start: $last_err";
}

sub config_text {
    my ($self) = @_;
    my $p = $self->{prefix};
    my ($http, $server, $locations) = map { $self->{$_} // '' } qw(http server locations);
    my $load = $self->{module}
        ? "load_module " . ConsentTest::module_path() . ";\n" : '';
    my $blocked = $self->{module}
        ? '$consent_blocked" "$consent_allowed" "$consent_source' : '-" "-" "-';
    my $user = $> == 0 ? "user root root;\n" : '';
    my $up = $self->{upstream} ? $self->{upstream}->port : ConsentTest::free_port();
    my $workers = $self->{workers} || 1;
    my $reuseport = $workers > 1 ? ' reuseport' : '';
    return <<"CONF";
${load}${user}daemon off;
master_process on;
worker_processes $workers;
pid $p/logs/nginx.pid;
error_log $p/logs/error.log info;
events { worker_connections 512; }
http {
    types {
        text/html html htm;
        text/plain txt;
        text/css css;
        application/javascript js;
        application/json json;
        image/gif gif;
    }
    default_type application/octet-stream;
    client_body_temp_path $p/tmp/body;
    proxy_temp_path $p/tmp/proxy;
    fastcgi_temp_path $p/tmp/fastcgi;
    uwsgi_temp_path $p/tmp/uwsgi;
    scgi_temp_path $p/tmp/scgi;
    log_format ct '\$http_x_ct_req "$blocked" \$status';
    access_log $p/logs/access.log ct;
    sendfile off;
    keepalive_timeout 10s;
    proxy_http_version 1.1;
    proxy_read_timeout 30s;
    upstream ct_upstream_ka {
        server 127.0.0.1:$up;
        keepalive 4;
    }
$http
    server {
        listen 127.0.0.1:$self->{port}$reuseport;
        server_name localhost;
$server
$locations
    }
}
CONF
}

sub _launch {
    my ($self) = @_;
    my $p = $self->{prefix};
    make_path("$p/logs", "$p/conf", "$p/tmp");
    chmod 0755, $p, "$p/tmp";
    ConsentTest::write_file("$p/conf/nginx.conf", $self->config_text);
    ConsentTest::_note_error_log("$p/logs/error.log");
    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if ($pid == 0) {
        setpgrp(0, 0);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$p/logs/stderr.log";
        open STDERR, '>>', "$p/logs/stderr.log";
        my @wrap = split ' ', ($ENV{CONSENT_TEST_WRAPPER} || '');
        { no warnings 'exec'; exec @wrap, $ConsentTest::NGINX, '-p', "$p/", '-c', 'conf/nginx.conf', '-e', "$p/logs/error.log"; }
        POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    ConsentTest::_register($self);
    my $deadline = time + 10;
    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            my $rc = $? >> 8;
            delete $self->{pid};
            ConsentTest::_unregister($self);
            croak "nginx exited with $rc at startup:\n"
                . ConsentTest::tail_file("$p/logs/stderr.log", 20) . "\n"
                . ConsentTest::tail_file("$p/logs/error.log", 20);
        }
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->{port},
                                      Proto => 'tcp', Timeout => 1);
        if ($s) {
            close $s;
            # the worker must be up too: the listen socket is the master's,
            # but a worker answers accepts; a connect success is enough since
            # the kernel queues it until the worker accepts.
            return 1;
        }
        sleep 0.01;
    }
    $self->stop;
    croak "nginx did not listen on $self->{port} within 10s:\n"
        . ConsentTest::tail_file("$p/logs/error.log", 20);
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    # A graceful stop (QUIT) first: on a fast stop (TERM) the master kills
    # workers that take over a second to exit with SIGKILL, which a worker
    # under the sanitizers (leak check at exit, on a loaded machine) can.
    my $gone;
    for my $step (['QUIT', 4], ['TERM', 3]) {
        my ($sig, $wait) = @$step;
        kill $sig, $pid;
        my $t = time + $wait;
        while (time < $t) {
            last if $gone = waitpid($pid, WNOHANG) != 0;
            sleep 0.01;
        }
        last if $gone;
    }
    kill 'KILL', -$pid;
    kill 'KILL', $pid;
    waitpid($pid, 0);
    ConsentTest::_unregister($self);
    $self->check_logs;
}

# The harness-wide check at every stop: no sanitizer report, crash, alert,
# crit or emerg in error.log or stderr.log (what an instrumented nginx
# prints before it opens its error log), but for the lines in log_ok. A
# test; in END, when no test may follow, a diagnostic and a failed exit.
sub check_logs {
    my ($self) = @_;
    my $ok = $self->{log_ok};
    my @bad;
    for my $log ($self->error_log, $self->stderr_log) {
        next unless -f $log;
        push @bad, grep { $_ =~ $ConsentTest::BAD_LOG_RE && !($ok && $_ =~ $ok) }
                   split /\n/, ConsentTest::read_file($log);
    }
    my $name = "nginx $self->{prefix} stopped: no sanitizer report, crash, alert, crit or emerg";
    my $shown = join "\n", @bad[0 .. ($#bad < 30 ? $#bad : 30)];
    if ($ConsentTest::LOG_CHECK_DIES) {   # a tool, not a test: no TAP
        die "not ok: $name\n$shown\n" if @bad;
        return;
    }
    if ($CLEANING) {               # file lexicals of package ConsentTest
        return unless @bad;
        $BAD_AT_END = 1;
        Test::More::diag("not ok: $name\n$shown");
        return;
    }
    Test::More::ok(!@bad, $name) or Test::More::diag($shown);
}

# One response from every worker: $send->() makes a request and returns its
# response, which names its worker in an X-Pid header (add_header X-Pid
# $pid always). Sends until each of the workers has answered once, at most
# 100 times per worker; returns { pid => that worker's first response }.
sub each_worker {
    my ($self, $send) = @_;
    my $want = $self->{workers} || 1;
    my %first;
    for (1 .. 100 * $want) {
        my $res = $send->();
        my $pid = ConsentTest::hdr($res, 'X-Pid')
            // croak "each_worker: a response without X-Pid (status $res->{status})";
        $first{$pid} //= $res;
        return \%first if keys %first == $want;
    }
    croak "each_worker: " . scalar(keys %first) . " of $want workers answered";
}

# Value logged for request id $rid (the quoted field of log_format ct);
# the access log line is written at request end, poll briefly for it.
sub log_value {
    my ($self, $rid) = @_;
    my $deadline = time + 3;
    while (1) {
        if (open my $fh, '<', $self->access_log) {
            while (my $l = <$fh>) {
                return wantarray ? ($1, $2, $3) : $1
                    if $l =~ /^\Q$rid\E "([^"]*)" "([^"]*)" "([^"]*)" \d+$/;
            }
        }
        return undef if time > $deadline;
        sleep 0.005;
    }
}

# All error.log lines since start matching a regex.
sub error_lines {
    my ($self, $re) = @_;
    my $log = ConsentTest::read_file($self->error_log);
    return grep { $_ =~ $re } split /\n/, $log;
}

1;
