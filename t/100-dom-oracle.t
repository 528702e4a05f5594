# DOM oracle: every fixture page x consent state (none, all, each declared
# recipient) x action (strip, neutralize) through `consentctl filter`,
# judged by html5lib (t/tools/html5-oracle.py): the output tree is the input
# tree minus whole tracker elements (or with them rewritten as README's
# neutralize says), nothing else changes, no tracker the gate reads stays.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);
use ConsentOracle;
use ConsentDom;
use JSON::PP ();

plan skip_all => "$ConsentDom::PYTHON with html5lib missing (make deps)"
    unless ConsentDom::python_ok();

my $rules = ConsentOracle::load_rules(repo_root() . '/rules/ana.yaml');
my $gate  = ConsentDom->new(db => rules_db(), rules => $rules);

my (@cases, %what);
for my $site (@{ $rules->{site_order} }) {
    my (undef, $html) = ConsentOracle::site_fixture($site);
    for my $cookie ('none', 'all', ConsentOracle::declared_ids($rules, $site)) {
        # neutralize differs from strip only in what is rewritten: judged
        # for the extremes, strip for every state
        for my $action ('strip', $cookie =~ /^(none|all)$/ ? 'neutralize' : ()) {
            my $id = "$site consent=$cookie $action";
            push @cases, $gate->case($id, $site, $cookie, $action, $html);
            $what{$id} = $cases[-1];
        }
    }
}

# The fetch paths that ride on ordinary tags and in CSS, both sides, on
# one page: under each consent state only the tracker's attribute,
# declaration or rule goes (html5lib: the output tree is the input tree
# with exactly those cut).
my $carriers = do {
    my $fb = 'https://www.facebook.com/tr?id=1';
    my $ga = 'https://www.google-analytics.com/collect?v=1';
    join '', '<!DOCTYPE html><html><head><title>t</title>',
      qq{<style>.a{color:red}.b{background:url($fb);color:blue}},
      qq{\@import url("$ga");\@import '/site.css';},
      qq{\@media (min-width:1px){.c{background-image:image-set("$ga" 1x, "/c.png" 2x)}}},
      qq{.d::after{content:"$fb"}a[href^="$fb"]{x:y}</style></head>},
      qq{<body background="$fb" class="p"><p style="color:red; background:url('$fb'); margin:0">x</p>},
      qq{<a href="/x" ping="/p $ga">a</a><a href="/y" ping="/q">b</a>},
      qq{<map name="m"><area shape="rect" coords="0,0,1,1" href="/z" ping="$fb"></map>},
      qq{<form><input type="image" src="$ga" alt="go"><input src="$fb" name="q" type="text"></form>},
      qq{<table background="$ga"><tr><td background="$fb">c</td><th background="/t.png">h</th></tr></table>},
      qq{<div style="background:\\75 rl($fb)">e</div><span style="background:url(/own.png)">f</span>},
      qq{<svg><rect style="fill:url($ga#g)" width="1" height="1"/><style>.s{fill:url($fb)}</style></svg>},
      '</body></html>';
};
for my $cookie ('none', 'all', ConsentOracle::declared_ids($rules, 'air-booking')) {
    my $id = "carriers consent=$cookie strip";
    push @cases, $gate->case($id, 'air-booking', $cookie, 'strip', $carriers);
    $cases[-1]{all_fetches} = JSON::PP::true;
}
# hand-written pages for what the fixtures do not hold: a <base> naming a
# recipient (it goes, and what resolves against it), a first-party one,
# speculation rules naming a recipient and the site's own
my $FB = 'https://www.facebook.com';
my %pages = (
    'base to a recipient' =>
        qq{<!DOCTYPE html><html><head><base href="$FB/"><title>b</title></head>}
      . qq{<body><p>x</p><img src="/tr?id=1" alt=""><img src="https://cdn.ana-example.jp/a.png" alt="">}
      . qq{<script src="fbevents.js"></script><p>y</p></body></html>},
    'base of the site' =>
        qq{<!DOCTYPE html><html><head><base href="/app/"><title>b</title></head>}
      . qq{<body><img src="a.png" alt=""><img src="$FB/tr?id=2" alt=""></body></html>},
    'speculation rules' =>
        qq{<!DOCTYPE html><html><head><title>s</title>}
      . qq{<script type="speculationrules">{"prefetch":[{"source":"list","urls":["/next","$FB/x"]}]}</script>}
      . qq{<script type="speculationrules">{"prerender":[{"where":{"href_matches":"/*"}}]}</script>}
      . qq{</head><body><p>s</p></body></html>},
    # a tracker <img>/<embed> that ends foreign content keeps its tag with
    # its URL attributes cut (the tree stays); elsewhere it goes whole
    'trackers ending foreign content' =>
        qq{<!DOCTYPE html><html><head><title>f</title></head><body>}
      . qq{<svg><g><rect width="1" height="1"/><img src="$FB/tr?id=1" alt="" width="1">}
      . qq{<style>p{color:red}</style><p>x</p></g></svg>}
      . qq{<math><mrow><embed src="$FB/tr?id=2" type="image/gif"><textarea><b>t</b></textarea></mrow></math>}
      . qq{<svg><foreignObject><img src="$FB/tr?id=3" alt=""></foreignObject></svg>}
      . qq{<p>y</p><img src="$FB/tr?id=4" alt=""></body></html>},
);
for my $name (sort keys %pages) {
    for my $cookie ('none', 'all') {
        my $id = "$name consent=$cookie strip";
        push @cases, $gate->case($id, 'air-booking', $cookie, 'strip', $pages{$name});
    }
}
push @cases, $gate->case('trackers ending foreign content consent=none neutralize',
                         'air-booking', 'none', 'neutralize',
                         $pages{'trackers ending foreign content'});

my $verdict = $gate->judge(\@cases);
for my $c (@cases) {
    my $p = $verdict->{ $c->{id} };
    ok(!@$p, "$c->{id}: html5lib agrees") or diag(join "\n", @$p);
}

# the oracle itself must be able to fail: a page with one removal too many
# (a first-party script), one cut mid-element and one tracker left in
subtest 'the oracle sees wrong outputs' => sub {
    my $in = '<p>a</p><script src="/app.js"></script><p>b</p>'
           . '<script src="https://connect.facebook.net/x.js"></script><p>c</p>';
    my ($fp, $tr) = (index($in, '<script src="/app'), index($in, '<script src="https'));
    my $base = { input => $in, action => 'strip', neutralized => [],
                 blocked_hosts => ['facebook.net'], signatures => [] };
    my @bad = (
        { %$base, id => 'first-party removed', removed => [$fp, $tr],
          output => '<p>a</p><p>b</p><p>c</p>' },
        { %$base, id => 'cut mid-element', removed => [$tr],
          output => '<p>a</p><script src="/app.js"></script><p>b</p>et.net/x.js"></script><p>c</p>' },
        { %$base, id => 'tracker kept', removed => [], output => $in },
        { %$base, id => 'text changed', removed => [$tr],
          output => '<p>a</p><script src="/app.js"></script><p>B</p><p>c</p>' },
    );
    my $v = $gate->judge(\@bad);
    ok(scalar @{ $v->{ $_->{id} } }, "$_->{id} is found") for @bad;
    my $good = { %$base, id => 'right', removed => [$tr],
                 output => '<p>a</p><script src="/app.js"></script><p>b</p><p>c</p>' };
    is_deeply($gate->judge([$good])->{right}, [], 'the right output passes');

    # declaration cuts: one too many, one left in, a stray byte gone
    my $css = '<p style="color:red; background:url(https://connect.facebook.net/a.png); margin:0">x</p>'
            . '<style>.a{b:c}.d{background:url(//connect.facebook.net/b.png)}</style>';
    my $cbase = { %$base, input => $css, removed => [] };
    my @badcss = (
        { %$cbase, id => 'first-party declaration cut',
          output => '<p style="color:red;  ">x</p><style>.a{b:c}.d{}</style>' },
        { %$cbase, id => 'tracker declaration kept',
          output => '<p style="color:red;  margin:0">x</p>'
                  . '<style>.a{b:c}.d{background:url(//connect.facebook.net/b.png)}</style>' },
        { %$cbase, id => 'rule cut with its declaration',
          output => '<p style="color:red;  margin:0">x</p><style>.a{b:c}</style>' },
    );
    my $vc = $gate->judge(\@badcss);
    ok(scalar @{ $vc->{ $_->{id} } }, "$_->{id} is found") for @badcss;
    my $goodcss = { %$cbase, id => 'css right',
                    output => '<p style="color:red;  margin:0">x</p><style>.a{b:c}.d{}</style>' };
    is_deeply($gate->judge([$goodcss])->{'css right'}, [], 'the right CSS cut passes');

    # a tracker <img> ending foreign content, removed whole: what follows
    # stays in the <svg>, the tree differs beyond it
    my $svg = '<svg><g><img src="https://connect.facebook.net/p.gif"><style>x</style></g></svg><p>y</p>';
    my $sbase = { %$base, input => $svg };
    is_deeply($gate->judge([{ %$sbase, id => 'svg cut', removed => [],
                              output => '<svg><g><img><style>x</style></g></svg><p>y</p>' }])
              ->{'svg cut'}, [], 'a break-out tag kept without its URL passes');
    ok(scalar @{ $gate->judge([{ %$sbase, id => 'svg whole', removed => [index($svg, '<img')],
                                 output => '<svg><g><style>x</style></g></svg><p>y</p>' }])
                 ->{'svg whole'} }, 'a break-out tag removed whole is found');
};

done_testing();
