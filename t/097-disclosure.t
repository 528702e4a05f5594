# consent_disclosure: the site's external-transmission disclosure served from
# the live rules, byte-identical to `consentctl disclosure` on the same
# database, following hot rule updates; languages, formats, conditional
# requests, methods and unknown sites.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);

my $ctl  = consentctl_path();
my $work = workdir();
my $yaml = read_file(repo_root() . '/rules/ana.yaml');
(my $yaml_b = $yaml) =~ s/(- id: air-booking\n(?:.*\n)*?\s+declares: \[[^\]]*?)\bmeta, /$1/
    or BAIL_OUT('rules/ana.yaml: air-booking declares no meta to drop');

my %db;
for my $v ([a => $yaml], [b => $yaml_b]) {
    write_file("$work/disc-$v->[0].yaml", $v->[1]);
    my $out = qx{'$ctl' compile '$work/disc-$v->[0].yaml' -o '$work/disc-$v->[0].mdb' 2>&1};
    is($?, 0, "rule set $v->[0] compiles") or diag($out);
    $db{ $v->[0] } = "$work/disc-$v->[0].mdb";
}
my $live = "$work/disc-live.mdb";
sub install {
    write_file("$live.tmp", read_file($db{ $_[0] }));
    rename "$live.tmp", $live or die "rename: $!";
}
install('a');

sub ctl_disclosure {
    my ($db, $site, $lang, $format) = @_;
    my $out = qx{'$ctl' disclosure --db '$db' --site $site --lang $lang --format $format};
    die "consentctl disclosure failed" if $?;
    return $out;
}

my $ngx = start_nginx(http => "consent_rules $live;\n map \$arg_site \$disc_site { default \$arg_site; }",
                      server => '', locations => <<'LOC');
    location = /external-transmission {
        consent_site air-booking;
        consent_disclosure;
    }
    location = /by-variable {
        consent_site $disc_site;
        consent_disclosure;
    }
LOC

sub get {
    my ($path, %a) = @_;
    return http_request(port => $ngx->port, path => $path, method => $a{method} || 'GET',
                        headers => $a{headers} || []);
}

my %type = (html => qr{^text/html; charset=utf-8$}, md => qr{^text/markdown; charset=utf-8$},
            json => qr{^application/json$});
for my $lang (qw(ja en)) {
    for my $format (qw(html md json)) {
        my $r = get("/external-transmission?lang=$lang&format=$format");
        is($r->{status}, 200, "$lang/$format: 200");
        like(hdr($r, 'Content-Type') // '', $type{$format}, "$lang/$format: content type");
        bytes_eq($r->{body}, ctl_disclosure($db{a}, 'air-booking', $lang, $format),
                 "$lang/$format: the same bytes as consentctl disclosure on the live DB");
    }
}

my $r = get('/external-transmission');
bytes_eq($r->{body}, ctl_disclosure($db{a}, 'air-booking', 'ja', 'html'), 'default: Japanese HTML');
like($r->{body}, qr/Meta（Facebook/, 'generation a lists Meta');
my $etag = hdr($r, 'ETag');
like($etag // '', qr/^"[0-9a-f]{16}-\d-\d"$/, 'an ETag naming the generation');

$r = get('/external-transmission', headers => ['If-None-Match' => $etag]);
is($r->{status}, 304, 'If-None-Match with the current ETag: 304');

install('b');
$r = get('/external-transmission');
is($r->{status}, 200, 'after a rules update');
bytes_eq($r->{body}, ctl_disclosure($db{b}, 'air-booking', 'ja', 'html'),
         'the page follows the new generation at once');
unlike($r->{body}, qr/Meta（Facebook/, 'Meta is gone from the published table');
isnt(hdr($r, 'ETag'), $etag, 'and the ETag changed');
$r = get('/external-transmission', headers => ['If-None-Match' => $etag]);
is($r->{status}, 200, 'the old ETag no longer matches');

$r = get('/by-variable?site=mall&format=json');
is($r->{status}, 200, 'site from a variable');
bytes_eq($r->{body}, ctl_disclosure($db{b}, 'mall', 'ja', 'json'), 'mall, JSON');
is(get('/by-variable?site=nosuch')->{status}, 404, 'unknown site: 404');
is(get('/by-variable')->{status}, 404, 'no site: 404');

is(get('/external-transmission?lang=fr')->{status}, 400, 'unknown language: 400');
is(get('/external-transmission?format=pdf')->{status}, 400, 'unknown format: 400');
is(get('/external-transmission', method => 'POST')->{status}, 405, 'POST: 405');
$r = get('/external-transmission', method => 'HEAD');
is($r->{status}, 200, 'HEAD: 200');
is($r->{body}, '', 'HEAD: no body');

$ngx->stop;

done_testing();
