#!/usr/bin/perl
# Writes a synthetic entity list in the shape of Disconnect's services.json
# for `make bench-scale` (consentctl import-entities reads it):
#
#   perl bench/make-entities.pl [OUT.json] [ENTITIES]      (default 2500)
#
# Made-up entities ("Velora Metrics", "Brightwave Ads", ...) with 1 to 40
# domains each (about 10 on average, so 2,500 entities give ~25,000
# domains), plus Google, Facebook and Criteo with a few of their real
# domains (rules/ana.yaml owns them): registrable names built from syllables and tracker words
# ("veloratrk.com", "cdn-brightwave.net", "px.quorix.co.jp"), over 20 TLDs
# and second-level suffixes. Categories in roughly the real list's
# proportions; one entity in eight is listed under two categories, some
# domains under two entities, some entries with a path. A fixed seed: the
# same arguments give the same file. Core Perl only.
use strict;
use warnings;

my $out = shift // 'build/bench/entities.json';
my $want = shift // 2500;
die "usage: $0 [OUT.json] [ENTITIES >= 1]\n" unless $want =~ /^\d+$/ && $want >= 1;

my $seed = 20261122;
sub rnd {                       # integer in [0, n): a fixed LCG, not rand()
    $seed = ($seed * 1103515245 + 12345) % 2147483648;
    return int($seed / 2147483648 * $_[0]);
}
sub pick { return $_[rnd(scalar @_)]; }

my @syl = qw(ve lo ra qu ri x bri ght wa ve na ko ta mi zen do ar pex lu
             mo sa ki tro ne va li on cor da fi ro su ba te ny ka pho rel
             gra vi sto ma in dex zy pho tal go ber);
my @word = qw(ads ad track trk metrics stats pixel px tag tags cdn beacon
              analytics media data insight click serve sync id cloud
              audience reach bid rtb);
my @nameword = ('Ads', 'Analytics', 'Media', 'Metrics', 'Data', 'Labs',
                'Digital', 'Networks', 'Insights', 'Technologies', 'Inc.',
                'GmbH', 'K.K.', 'Ltd', 'S.A.', 'Group', 'Cloud', 'AI');
my @tld = (('com') x 12, ('net') x 5, ('io') x 3, 'jp', 'co.jp', 'ne.jp',
           'de', 'fr', 'co.uk', 'com.br', 'ru', 'cn', 'com.cn', 'nl', 'it',
           'es', 'pl', 'kr', 'co.kr', 'in', 'tech', 'app', 'info', 'xyz',
           'com.au', 'ca', 'se');
# list category => share in percent (as in the public list, roughly)
my @cats = (['Advertising', 52], ['Analytics', 16], ['FingerprintingInvasive', 7],
            ['FingerprintingGeneral', 3], ['Email', 4], ['EmailAggressive', 3],
            ['Content', 5], ['Social', 2], ['Cryptomining', 2],
            ['Anti-fraud', 3], ['ConsentManagers', 3]);

sub stem {                      # a pronounceable label of 2-4 syllables
    my $s = '';
    $s .= pick(@syl) for 1 .. 2 + rnd(3);
    return $s;
}
sub category {
    my $r = rnd(100);
    for my $c (@cats) {
        return $c->[0] if ($r -= $c->[1]) < 0;
    }
    return $cats[0][0];
}

my (%used_name, %used_domain, %by_cat, @all_domains);
my $ndomains = 0;

# A few real tracker domains, as the public list has them: rules/ana.yaml
# owns these (or a suffix of them), so `import-entities --exclude` must
# leave them out.
my @real = (['Google', 'Advertising', 'https://www.google.com/',
             [qw(doubleclick.net googleadservices.com googletagmanager.com
                 stats.g.doubleclick.net)]],
            ['Facebook', 'Social', 'https://www.facebook.com/',
             [qw(connect.facebook.net facebook.net)]],
            ['Criteo', 'Advertising', 'https://www.criteo.com/',
             [qw(criteo.com criteo.net)]]);
for my $r (@real) {
    my ($name, $cat, $url, $d) = @$r;
    $used_name{$name}++;
    $used_domain{$_}++ for @$d;
    $ndomains += @$d;
    push @{$by_cat{$cat}}, sprintf(qq{      {\n        "%s": {\n          "%s": [\n%s\n          ]\n        }\n      }},
        $name, $url, join(",\n", map { qq{            "$_"} } @$d));
}
for my $i (1 .. $want - @real) {
    my ($stem, $name);
    do {
        $stem = stem();
        $name = ucfirst($stem) . (rnd(3) ? ' ' . pick(@nameword) : '');
    } while ($used_name{$name}++);

    # a power-law-ish count: most entities have a few domains, some 40
    my $n = 1 + int(39 * (rnd(1000) / 1000) ** 3);
    $n += rnd(8) if rnd(4) == 0;
    my @d;
    for (1 .. $n) {
        my $label = pick(
            sub { $stem },
            sub { $stem . pick(@word) },
            sub { pick(@word) . '-' . $stem },
            sub { $stem . '-' . pick(@word) . rnd(100) },
            sub { stem() . pick(@word) },
        )->();
        my $d = $label . '.' . pick(@tld);
        $d = pick(@word) . '.' . $d if rnd(10) == 0;   # a tracking subdomain
        next if $used_domain{$d}++;
        push @d, $d;
    }
    push @d, $all_domains[rnd(scalar @all_domains)]    # listed by two entities
        if @all_domains && rnd(50) == 0;
    push @d, $d[0] . '/collect' if rnd(40) == 0;       # a path entry
    next unless @d;
    push @all_domains, grep { !m{/} } @d;
    $ndomains += @d;

    my $url = 'https://www.' . $stem . '.example/';
    my @in = (category());
    push @in, category() if rnd(8) == 0;
    my %seen;
    for my $c (grep { !$seen{$_}++ } @in) {
        my $flags = rnd(30) == 0 ? qq{,\n          "performance": "true"} : '';
        push @{$by_cat{$c}}, sprintf(qq{      {\n        "%s": {\n          "%s": [\n%s\n          ]%s\n        }\n      }},
            $name, $url, join(",\n", map { qq{            "$_"} } sort @d), $flags);
    }
}

open my $fh, '>', $out or die "$out: $!\n";
print $fh qq({\n  "license": "Synthetic benchmark data written by bench/make-entities.pl; the entities are made up.",\n  "categories": {\n);
my @names = grep { $by_cat{$_} } map { $_->[0] } @cats;
print $fh join(",\n", map { qq(    "$_": [\n) . join(",\n", @{$by_cat{$_}}) . "\n    ]" } @names), "\n  }\n}\n";
close $fh or die "$out: $!\n";
printf STDERR "%s: %d entities, %d domain entries\n", $out, $want, $ndomains;
