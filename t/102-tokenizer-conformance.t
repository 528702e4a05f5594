# Tokenizer conformance against html5lib, in the way html5lib-tests is used
# elsewhere but with cases written here from the WHATWG tokenizer states:
# each construct is followed by a tracker element T (and a first-party
# paragraph); where the construct ends and which state follows decides
# whether T is a real element. html5lib's tree is the judge
# (t/tools/html5-oracle.py): the gate must remove T exactly when html5lib
# sees it as an element, as one whole element, and nothing else.
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

my $T   = '<script src="https://connect.facebook.net/en_US/fbevents.js"></script>';
my $PIX = '<img src="https://www.facebook.com/tr?id=1&amp;ev=PageView" alt="">';
my $END = '<p>end</p>';

# [name, html]; T / PIX mark where the tracker goes
my @CASES = (
    # data state, tags
    ['plain tracker',                 'T'],
    ['upper case tag and attribute',  '<SCRIPT SRC="https://connect.facebook.net/x.js"></SCRIPT>'],
    ['newlines and tabs in the tag',  "<script\n\tsrc\n=\n'https://connect.facebook.net/x.js'\n></script>"],
    ['solidus between name and attr', '<script/src="https://connect.facebook.net/x.js"></script>'],
    ['self-closing script tag',       '<script src="https://connect.facebook.net/x.js"/>x</script><p>in</p>'],
    ['unquoted value',                '<img src=https://www.facebook.com/tr?id=1 alt=x>'],
    ['unquoted value with quote',     '<img src=https://www.facebook.com/tr?a"b alt=x>'],
    ['> inside a quoted value',       '<img alt="a>b" src="https://www.facebook.com/tr?id=1">'],
    ['duplicate attribute: first wins', '<img src="/local.png" src="https://www.facebook.com/tr?id=1">T'],
    ['duplicate attribute: tracker first', '<img src="https://www.facebook.com/tr?id=1" src="/local.png">'],
    ['end tag with attributes',       '</p foo="T">T'],
    ['end tag with quoted >',         '</div title=">T<">x'],
    ['</> is ignored',                '</>T'],
    ['< before a non-letter',         '<3 <=T'],
    # character references in attributes
    ['hex reference in src',          '<script src="https:&#x2F;&#x2F;connect.facebook.net/x.js"></script>'],
    ['named references in src',       '<script src="https&colon;&sol;&sol;connect&period;facebook.net/x.js"></script>'],
    ['decimal reference without ;',   '<script src="https:&#47&#47connect.facebook.net/x.js"></script>'],
    ['legacy &amp without ; in value', '<img src="/p?a=1&amp=2" alt="x">T'],
    ['backslashes in URL',            '<script src="https:\\\\connect.facebook.net\\x.js"></script>'],
    ['scheme-relative URL',           '<img src="//www.facebook.com/tr?id=1">'],
    ['userinfo, port, trailing dot',  '<img src="https://u:p@www.facebook.com.:443/tr">'],
    ['percent-encoded host',          '<img src="https://www.%66acebook.com/tr">'],
    # comments
    ['comment',                       '<!-- a -->T'],
    ['empty comment <!---->',         '<!---->T'],
    ['abrupt comment <!-->',          '<!-->T'],
    ['abrupt comment <!--->',         '<!--->T'],
    ['comment closed by --!>',        '<!-- a --!>T'],
    ['tag inside comment',            '<!-- T -->' ],
    ['-- inside comment',             '<!-- a -- b -->T'],
    ['nested <!-- in comment',        '<!-- <!-- x -->T'],
    ['--!> inside then -->',          '<!-- x --! T -->'],
    ['EOF in comment',                '<!-- T'],
    # bogus comments, doctype
    ['processing instruction',        '<?php echo 1 ?>T'],
    ['bogus comment ends at first >', '<? T ?>'],
    ['</ space is a bogus comment',   '</ T'],
    ['<! bogus comment',              '<!x T>'],
    ['doctype',                       '<!DOCTYPE html>T'],
    ['doctype with quoted >',         '<!DOCTYPE html PUBLIC "a>T">'],
    ['EOF in doctype',                '<!DOCTYPE T'],
    ['CDATA outside foreign content', '<![CDATA[ T ]]>'],
    # script data
    ['script string holding a tag',   '<script>var s = "<script>";</script>T'],
    ['script escape <!--',            '<script><!-- x </script>T'],
    ['script double escape',          '<script><!-- <script> </script> --></script>T'],
    ['double escape left open',       '<script><!-- <script> </script>T'],
    ['</script with other name',      '<script>a</scriptx>b</script>T'],
    ['</script > with space',         "<script>a</script >T"],
    ['</SCRIPT upper case',           '<script>a</SCRIPT>T'],
    ['</script with attributes',      '<script>a</script foo="x>y">T'],
    ['EOF in script data',            '<script>var a = 1;T'],
    ['JSON data block naming a host', '<script type="application/ld+json">{"u":"https://connect.facebook.net/"}</script>T'],
    # RCDATA, RAWTEXT, PLAINTEXT
    ['textarea',                      '<textarea>T</textarea>'],
    ['textarea with comment opener',  '<textarea><!--</textarea>T-->'],
    ['title',                         '<title>T</title>T'],
    ['title self-closing end',        '<title>x</title/>T'],
    ['style',                         '<style>T</style>'],
    ['style comment hiding end tag',  '<style>/*</style>*/T'],
    ['xmp',                           '<xmp>T</xmp>'],
    ['noembed',                       '<noembed>T</noembed>'],
    ['noframes',                      '<noframes>T</noframes>'],
    ['iframe content',                '<iframe src="/frame">T</iframe>'],
    ['textarea end tag with suffix',  '<textarea></textareax>T</textarea>'],
    ['EOF in textarea',               '<textarea>T'],
    ['EOF in style',                  '<style>T'],
    ['plaintext',                     '<plaintext>T</plaintext>T'],
    # noscript (read as a browser without scripting)
    ['noscript pixel',                '<noscript>PIX</noscript>'],
    ['noscript pixel and text',       '<noscript>PIX<p>hi</p></noscript>'],
    ['noscript with commented pixel', '<noscript><!-- PIX --></noscript>'],
    ['noscript pixel in head',        '<!DOCTYPE html><head><noscript>PIX</noscript></head><p>x</p>'],
    # template
    ['template contents',             '<template>T</template>'],
    ['template contents pixel',       '<template><div>PIX</div></template>'],
    # foreign content
    ['svg CDATA holding a script',    '<svg><![CDATA[ T ]]></svg><p>after</p>T'],
    ['math CDATA holding a script',   '<math><![CDATA[ T ]]></math>T'],
    ['svg CDATA with ]] inside',      '<svg><![CDATA[ ]] > T ]]></svg>'],
    ['svg CDATA: > then <script>',    '<svg><![CDATA[ if (a > b) { s = "<script>"; } ]]></svg><p>keep</p>T'],
    ['EOF in svg CDATA',              '<svg><![CDATA[ T'],
    ['svg script is not raw text',    '<svg><script><!-- x --></script></svg>T'],
    ['svg self-closing script',       '<svg><script href="/a.js"/></svg>T'],
    ['svg style <!-- is a comment',   '<svg><style><!--</style>T--></style></svg>'],
    ['svg title is an HTML point',    '<svg><title>T</title></svg>'],
    ['svg foreignObject',             '<svg><foreignObject>T</foreignObject></svg>'],
    ['math text integration point',   '<math><mi>T</mi></math>'],
    ['svg desc is an HTML point',     '<svg><desc>T</desc></svg>'],
    ['math annotation-xml text/html', '<math><annotation-xml encoding="text/html">T</annotation-xml></math>'],
    ['breakout of svg by <p>',        '<svg><p>T</p></svg>'],
    ['svg self-closing element',      '<svg><path d="M0"/><g/></svg>T'],
    ['svg self-closing root',         '<svg/><style>T</style>'],
    ['svg style is not raw text',     '<svg><style>T</style></svg>'],
    ['svg textarea is not raw text',  '<svg><textarea>T</textarea></svg>'],
    ['svg iframe is not raw text',    '<svg><iframe>T</iframe></svg>'],
    ['svg noscript is markup',        '<svg><noscript>PIX</noscript></svg>'],
    ['svg script text',               '<svg><script>var a = 1;</script></svg>T'],
    ['svg script CDATA',              '<svg><script><![CDATA[ if (a < b) x(); ]]></script></svg>T'],
    ['CDATA after leaving svg',       '<svg></svg><![CDATA[ a > T ]]>'],
    ['CDATA upper case in svg',       '<svg><![cdata[ a > T ]]></svg>'],
    ['breakout by <img> in svg',      '<svg><g>PIX</g></svg>'],
    ['stripped <img> ending svg',     '<svg><g>PIX<style>T</style></g></svg>'],
    ['breakout by <div> then style',  '<svg><div><style>T</style></div></svg>'],
    ['breakout by </p> in svg',       '<svg><g></p><style>T</style></g></svg>'],
    ['font with color breaks out',    '<svg><font color="red"><style>T</style></font></svg>'],
    ['font without attributes stays', '<svg><font><style>T</style></font></svg>'],
    ['svg end tag closes nested',     '<svg><g><g></svg><style>T</style>'],
    ['end tag of unopened in svg',    '<svg></g><style>T</style></svg>'],
    ['foreignObject then CDATA',      '<svg><foreignObject><![CDATA[ a > T ]]></foreignObject></svg>'],
    ['foreignObject div then CDATA',  '<svg><foreignObject><div><![CDATA[ a > T ]]></div></foreignObject></svg>'],
    ['foreignObject style raw text',  '<svg><foreignObject><style>T</style></foreignObject></svg>'],
    ['foreignObject then svg style',  '<svg><foreignObject><p>x</p></foreignObject><style>T</style></svg>'],
    ['svg in foreignObject',          '<svg><foreignObject><svg><style>T</style></svg><style>T</style></foreignObject></svg>'],
    ['math mi style raw text',        '<math><mi><style>T</style></mi></math>'],
    ['math mglyph in mi',             '<math><mi><mglyph><style>T</style></mglyph></mi></math>'],
    ['math annotation-xml plain',     '<math><annotation-xml><style>T</style></annotation-xml></math>'],
    ['annotation-xml xhtml',          '<math><annotation-xml encoding="Application/XHTML+XML"><style>T</style></annotation-xml></math>'],
    ['annotation-xml svg',            '<math><annotation-xml><svg><style>T</style></svg></annotation-xml></math>'],
    ['math CDATA in mi',              '<math><mi><![CDATA[ a > T ]]></mi></math>'],
    ['svg in template',               '<template><svg><![CDATA[ a > T ]]></svg>T</template>'],
    ['template in svg',               '<svg><template><style>T</style></template></svg>'],
    ['nested template contents',      '<template><template><div>T</div></template></template>'],
    ['template script contents',      '<template><script>fbq("init", "1");</script></template>'],
    # tables: foster parenting moves text, not the boundaries
    ['tracker in a table',            '<table><tr><td>x</td>T</tr></table>'],
    ['pixel fostered out of a table', '<table>PIX<tr><td>x</td></tr></table>'],
);

my $rules = ConsentOracle::load_rules(repo_root() . '/rules/ana.yaml');
my $gate  = ConsentDom->new(db => rules_db(), rules => $rules);

# Cases the gate gets wrong today (issue 11): each is named, with why, and
# runs as TODO so a fix shows as "unexpectedly succeeded".
my %TODO = (
    'noscript pixel in head'      => 'deliberate (README "A <noscript> in <head>"): read without '
                                   . 'scripting it ends at the <img> (which moves to <body>); '
                                   . 'the gate removes <noscript>..</noscript> as one element, '
                                   . 'its end found as a scripting browser finds it',
);

# Every fetch path, judged with every URL a browser would fetch; one the
# gate does not read yet goes in %FETCH_GAP (a tracker that stays: a "not
# removed" gap, not a boundary error), run as TODO.
my $FB = 'https://www.facebook.com/tr?id=1';
my @FETCH = (
    ['fetch: img src (read today)',    qq{<img src="$FB">}],
    ['fetch: first-party srcset',      '<img srcset="/a.png 1x, /b.png 2x" alt="">'],
    ['fetch: img srcset',              qq{<img srcset="$FB 1x" alt="">}],
    ['fetch: picture source srcset',   qq{<picture><source srcset="$FB"><img src="/a.png"></picture>}],
    ['fetch: video poster',            qq{<video poster="$FB"></video>}],
    ['fetch: video src',               qq{<video src="$FB"></video>}],
    ['fetch: audio source src',        qq{<audio><source src="$FB"></audio>}],
    ['fetch: embed src',               qq{<embed src="$FB">}],
    ['fetch: object data',             qq{<object data="$FB"></object>}],
    ['fetch: a ping',                  qq{<a href="/x" ping="$FB">x</a>}],
    ['fetch: style attribute url()',   qq{<div style="background:url('$FB')">x</div>}],
    ['fetch: style element url()',     qq{<style>body { background: url($FB) }</style>}],
    ['fetch: style @import',           qq{<style>\@import "https://connect.facebook.net/x.css";</style>}],
    ['fetch: svg image href',          qq{<svg><image href="$FB"/></svg>}],
    ['fetch: svg image xlink:href',    qq{<svg><image xlink:href="$FB"/></svg>}],
    ['fetch: input type=image',        qq{<input type="image" src="$FB">}],
    ['fetch: link stylesheet',         '<link rel="stylesheet" href="https://connect.facebook.net/x.css">'],
    ['fetch: link icon',               qq{<link rel="icon" href="$FB">}],
    ['fetch: link manifest',           qq{<link rel="manifest" href="$FB">}],
    ['fetch: link preload imagesrcset', qq{<link rel="preload" as="image" imagesrcset="/a.png 1x, $FB 2x">}],
    ['fetch: one srcset candidate',    qq{<img src="/a.png" srcset="/a.png 1x, $FB 2x, /c.png 3x" alt="">}],
    ['fetch: srcset last candidate',   qq{<img src="/a.png" srcset="/a.png 480w, $FB 960w" sizes="50vw">}],
    ['fetch: source one candidate',    qq{<picture><source srcset="/a.webp, $FB 2x" type="image/webp"><img src="/a.png"></picture>}],
    ['fetch: video src, own poster',   qq{<video src="$FB" poster="/p.png" controls><source src="/v.mp4">no</video>}],
    ['fetch: audio src',               qq{<audio src="$FB" controls>no audio</audio>}],
    ['fetch: track src',               qq{<video src="/v.mp4"><track kind="captions" src="$FB"></video>}],
    ['fetch: object fallback stays',   qq{<object data="$FB" type="image/gif"><p>fallback</p></object>}],
    ['fetch: svg feImage',             qq{<svg><filter id="f"><feImage href="$FB"/></filter></svg>}],
    ['fetch: first-party poster',      '<video poster="/p.png" src="/v.mp4"></video>'],
    ['fetch: area ping',               qq{<map name="m"><area shape="rect" coords="0,0,1,1" href="/x" ping="/p $FB"></map>}],
    ['fetch: first-party ping',        '<a href="/x" ping="/p /q">x</a>'],
    ['fetch: input type=image after src', qq{<input src="$FB" alt="go" type="IMAGE">}],
    ['fetch: input text src stays',    qq{<input type="text" src="$FB" value="v">}],
    ['fetch: body background',         qq{<div>x</div><table background="$FB"><tr background="$FB"><td background="/a.png">a</td><th background="$FB">b</th></tr></table>}],
    ['fetch: style one declaration',   qq{<p style="color:red; background:url($FB); margin:0">x</p>}],
    ['fetch: style escapes comments',  qq{<p style="background:\\75 rl($FB)">x</p><i style="a:b;background:/*c*/url( '$FB' );c:d">y</i>}],
    ['fetch: style image-set',         qq{<b style="background-image:image-set('$FB' 1x, '/a.png' 2x);x:y">b</b>}],
    ['fetch: style on svg',            qq{<svg><rect style="fill:url($FB#g)" width="1" height="1"/></svg>}],
    ['fetch: style element rules',     qq{<style>.a{color:red}.b{background:url($FB);color:blue}\@media (min-width:1px){.c{background:url($FB)}}\@font-face{font-family:x;src:url($FB) format("woff2")}</style>}],
    ['fetch: style element import',    qq{<style>\@import url("$FB");\@import '/a.css';.a{x:y}</style>}],
    ['fetch: svg style',               qq{<svg><style><![CDATA[ .a{fill:url($FB)} .b{x:y} ]]></style></svg>}],
    ['fetch: first-party css',         '<style>.a{background:url(/a.png)}a[href^="https://www.facebook.com/"]{x:y}</style><p style="background:url(/b.png)">x</p>'],
);
my %FETCH_GAP = ();
$TODO{$_} = "a fetch path the gate does not read yet: $FETCH_GAP{$_}" for keys %FETCH_GAP;
push @CASES, @FETCH;
my %FETCH = map { $_->[0] => 1 } @FETCH;

my @run;
for my $c (@CASES) {
    my ($name, $html) = @$c;
    $html =~ s/\bT\b/$T/g;
    $html =~ s/\bPIX\b/$PIX/g;
    # in a page, unless the case is a whole page; EOF cases end with their construct
    $html = "<!DOCTYPE html><html><head><title>t</title></head><body><p>start</p>$html"
          . ($name =~ /^EOF/ ? '' : $END) unless $html =~ /^<!DOCTYPE/;
    push @run, $gate->case($name, 'air-booking', 'none', 'strip', $html);
    $run[-1]{all_fetches} = JSON::PP::true if $FETCH{$name};
}

my $verdict = $gate->judge(\@run);
for my $c (@run) {
    my $p = $verdict->{ $c->{id} };
    local $TODO = $TODO{ $c->{id} };
    ok(!@$p, "$c->{id}") or diag("input:  $c->{input}\noutput: $c->{output}\n" . join "\n", @$p);
}
is(scalar(@{[ grep { my $k = $_; !grep { $_->[0] eq $k } @CASES } keys %TODO ]}), 0,
   'every TODO entry names a case');

done_testing();
