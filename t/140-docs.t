# Fetch paths outside the markup's elements, at the nginx level: the
# Speculation-Rules response header (a rule set's URL) and a site's tagging
# host (rules: sites[].tagging_hosts). Bodies go through the usual splits.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);

my $db   = rules_db();
my $ctl  = consentctl_path();
my $work = workdir();

# ---- Speculation-Rules: a header naming a denied recipient is not sent ----

my $page = '<p>x</p>';
my $fb   = '"https://www.facebook.com/rules/sr.json"';
my $own  = '"/rules/sr.json", "https://static.ana-example.jp/sr.json";tag=a';

run_cases({ http => "consent_rules $db; consent_cookie consent;" }, [
    { name     => 'Speculation-Rules naming a recipient: removed without consent',
      location => 'consent on; consent_site air-booking;',
      body     => $page, cookie => 'none',
      up_headers => ["Speculation-Rules: $fb"],
      expect   => { same => 1, headers => { 'Speculation-Rules' => undef },
                    blocked => ['meta'] } },
    { name     => 'Speculation-Rules naming a recipient: kept with its consent',
      location => 'consent on; consent_site air-booking;',
      body     => $page, cookie => 'meta',
      up_headers => ["Speculation-Rules: $fb"],
      expect   => { same => 1, headers => { 'Speculation-Rules' => $fb } } },
    { name     => 'Speculation-Rules of the site: kept',
      location => 'consent on; consent_site air-booking;',
      body     => $page, cookie => 'none',
      up_headers => ["Speculation-Rules: $own"],
      expect   => { same => 1, headers => { 'Speculation-Rules' => $own } } },
    { name     => 'Speculation-Rules: one recipient URL in the list removes it',
      location => 'consent on; consent_site air-booking;',
      body     => $page, cookie => 'none',
      up_headers => ["Speculation-Rules: \"/a.json\", $fb"],
      expect   => { same => 1, headers => { 'Speculation-Rules' => undef } } },
    { name     => 'Speculation-Rules not a list of strings: removed (fail closed)',
      location => 'consent on; consent_site air-booking;',
      body     => $page, cookie => 'none',
      up_headers => ['Speculation-Rules: /rules/sr.json'],
      expect   => { same => 1, headers => { 'Speculation-Rules' => undef } } },
    { name     => 'Speculation-Rules of an ungated location: untouched',
      location => 'consent off;',
      body     => $page, cookie => 'none',
      up_headers => ["Speculation-Rules: $fb"],
      expect   => { same => 1, headers => { 'Speculation-Rules' => $fb } } },
]);

# ---- tagging hosts: the site's own, its recipient's there only ----

my $tdb = "$work/tagging.mdb";
my $out = qx{'$ctl' compile t/rules/tagging_hosts.yaml -o '$tdb' 2>&1};
is($?, 0, 'compile t/rules/tagging_hosts.yaml') or diag($out);
chmod 0644, $tdb;

my $sgtm = '<script async src="https://sgtm.shop.example/gtm.js?id=GTM-1"></script>'
         . '<img src="https://sgtm.shop.example/g/collect?v=2" alt="">';
my $tpage = "<html><head>$sgtm</head><body><p>shop</p></body></html>";
(my $tgone = $tpage) =~ s/\Q$sgtm\E//;

run_cases({ http => "consent_rules $tdb; consent_cookie consent;" }, [
    { name     => 'tagging host of the site: its recipient removed without consent',
      location => 'consent on; consent_site shop;',
      body     => $tpage, cookie => 'none',
      expect   => { body => $tgone, blocked => ['google'] } },
    { name     => 'tagging host of the site: kept with its recipient allowed',
      location => 'consent on; consent_site shop;',
      body     => $tpage, cookie => 'google',
      expect   => { same => 1 } },
    { name     => 'another site without it keeps the host',
      location => 'consent on; consent_site blog;',
      body     => $tpage, cookie => 'none',
      expect   => { same => 1 } },
    { name     => 'consent_site by variable: the tagging hosts follow the site',
      location => 'consent on; set $s shop; consent_site $s;',
      body     => $tpage, cookie => 'none',
      expect   => { body => $tgone } },
]);

# consentctl shows it
my $dump = qx{'$ctl' dump '$tdb' 2>&1};
like($dump, qr/^site shop\n(?:  .*\n)*  tagging_host sgtm\.shop\.example: google$/m,
     'dump lists the tagging host under its site');

done_testing();
