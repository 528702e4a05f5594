# Configuration errors are caught by `nginx -t` with a message naming the
# directive (and the offending value / path).
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);

my $db  = rules_db();
my $w   = workdir();
my $LOC = 'location / { return 200; }';

sub conf_ok {
    my ($name, %a) = @_;
    my ($rc, $out) = nginx_t(locations => $LOC, %a);
    is($rc, 0, "$name: nginx -t succeeds") or diag $out;
    like($out, qr/test is successful/, "$name: test is successful");
}

sub conf_fails {
    my ($name, $res, %a) = @_;
    my ($rc, $out) = nginx_t(locations => $LOC, %a);
    isnt($rc, 0, "$name: nginx -t fails");
    like($out, qr/\[emerg\]/, "$name: an emerg message");
    for my $re (@$res) {
        like($out, $re, "$name: message matches $re");
    }
    unlike($out, qr/test is successful/, "$name: not reported successful");
    note $out;
}

# ---------------------------------------------------------------- valid
conf_ok('valid config', http => "consent_rules $db; consent_cookie consent;",
        server => 'consent on; consent_site air-booking; consent_action strip; consent_types text/html; consent_max_element_size 64k;');
conf_ok('consent_site from a variable', http => "consent_rules $db;",
        server => 'consent on; consent_site $host;');
conf_ok('every site of the table is accepted', http => "consent_rules $db;",
        locations => join("\n", map { "location /$_/ { consent on; consent_site $_; return 200; }" }
            qw(air-booking tour-booking app amc-app anapay mall card gourmet mobileplus
               airport-navi soratabi airport-transfer tabicube)));

# ---------------------------------------------------------------- consent_rules
my $missing = "$w/no/such/dir/rules.mdb";
conf_fails('missing rules file', [qr/consent_rules/, qr/\Q$missing\E/],
           http => "consent_rules $missing;");

my $garbage = write_file("$w/garbage.mdb", "format: 1\nrecipients: []\n" x 200);
conf_fails('rules file that is not a database (YAML text)', [qr/consent_rules/, qr/\Q$garbage\E/],
           http => "consent_rules $garbage;");

my $empty = write_file("$w/empty.mdb", '');
conf_fails('empty rules file', [qr/consent_rules/, qr/\Q$empty\E/],
           http => "consent_rules $empty;");

my $yaml = repo_root() . '/rules/ana.yaml';
conf_fails('the YAML source instead of the compiled DB', [qr/consent_rules/, qr/\Q$yaml\E/],
           http => "consent_rules $yaml;");

SKIP: {
    skip 'mdb_load (lmdb-utils) not installed', 5 unless -x '/usr/bin/mdb_load';
    # A well-formed LMDB file that is not a consent rules DB.
    my $foreign = "$w/foreign.mdb";
    open my $fh, '|-', "/usr/bin/mdb_load -n -T $foreign" or die "mdb_load: $!";
    print {$fh} "hello\nworld\nformat\n999\n";
    close $fh;
    ok(-s $foreign, 'foreign LMDB file created');
    conf_fails('an LMDB file of another format', [qr/consent_rules/, qr/\Q$foreign\E/],
               http => "consent_rules $foreign;");
}

conf_fails('a directory as rules file', [qr/consent_rules/],
           http => "consent_rules $w;");

conf_fails('consent_rules outside http', [qr/consent_rules/, qr/not allowed here/],
           http => "consent_rules $db;", locations => "location / { consent_rules $db; return 200; }");

# ---------------------------------------------------------------- consent_site
conf_fails('unknown literal consent_site', [qr/consent_site/, qr/nosuchsite/],
           http => "consent_rules $db;", server => 'consent on; consent_site nosuchsite;');
conf_fails('unknown literal consent_site in a location', [qr/consent_site/, qr/air_booking/],
           http => "consent_rules $db;",
           locations => 'location / { consent on; consent_site air_booking; return 200; }');

# ---------------------------------------------------------------- consent_max_element_size
for my $bad ('abc', '10q', '-1', '1.5k') {
    conf_fails("consent_max_element_size $bad", [qr/consent_max_element_size/],
               http => "consent_rules $db;", server => "consent on; consent_site mall; consent_max_element_size $bad;");
}

# ---------------------------------------------------------------- other values
conf_fails('consent with a non-flag value', [qr/"consent"/, qr/maybe/],
           http => "consent_rules $db;", server => 'consent maybe;');
conf_fails('unknown consent_action', [qr/consent_action/],
           http => "consent_rules $db;", server => 'consent on; consent_site mall; consent_action rewrite;');
conf_fails('consent on without any consent_site', [qr/consent/, qr/consent_site/],
           http => "consent_rules $db;", server => 'consent on;');
conf_fails('consent_site without an argument', [qr/consent_site/],
           http => "consent_rules $db;", server => 'consent_site;');

done_testing;
