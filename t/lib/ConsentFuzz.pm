package ConsentFuzz;

# Seeded random HTML documents for differential testing of the gate against
# html5lib (t/101-differential.t): tracker elements of the rules (script src,
# inline loaders, pixels, iframes, link hints, noscript pixels), first-party
# look-alikes and arbitrary markup (foreign content, CDATA, comments of every
# WHATWG form, raw text, templates, broken quotes, unquoted values, entities).
#
#   my $f = ConsentFuzz->new(seed => 7, gaps => 0);
#   my $html = $f->document;
#
# gaps => 1 also mixes in the constructs the gate is known to get wrong
# (t/102-tokenizer-conformance.t names them); the clean corpus leaves them out
# so that any disagreement in it is news.
# No module state: the same seed gives the same documents on every perl.

use strict;
use warnings;

sub new {
    my ($class, %o) = @_;
    return bless { x => ($o{seed} // 1) % 2147483647 || 1, gaps => $o{gaps} }, $class;
}

# Park-Miller minimal standard generator: an integer in [0, n).
sub rnd {
    my ($self, $n) = @_;
    $self->{x} = ($self->{x} * 48271) % 2147483647;
    return $self->{x} % $n;
}

sub pick { my ($self, @l) = @_; return $l[ $self->rnd(scalar @l) ] }

my @TRACKERS = (
    '<script src="https://connect.facebook.net/en_US/fbevents.js"></script>',
    '<script async src="https://www.googletagmanager.com/gtag/js?id=G-FAKE1"></script>',
    '<script src="//static.ads-twitter.com/uwt.js" defer></script>',
    q{<script>!function(f,b,e){f.fbq=function(){};}(window,document);fbq('init','1');fbq('track','PageView');</script>},
    q{<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());</script>},
    q{<script>var _lt = 1; ttq.load('FAKE'); </script>},
    '<img src="https://www.facebook.com/tr?id=1&amp;ev=PageView&amp;noscript=1" height="1" width="1" style="display:none" alt="">',
    '<img height=1 width=1 src=https://bat.bing.com/action/0?ti=1>',
    q{<IMG SRC='https://ct.pinterest.com/v3/?tid=1'>},
    '<iframe src="https://www.googletagmanager.com/ns.html?id=GTM-FAKE" height="0" width="0" style="display:none"></iframe>',
    '<link rel="preconnect" href="https://connect.facebook.net">',
    '<link rel="dns-prefetch" href="//www.google-analytics.com">',
    '<link rel=preload as=script href="https:&#x2F;&#x2F;static.criteo.net/js/ld/ld.js">',
    '<noscript><img src="https://www.facebook.com/tr?id=1&amp;ev=PageView&amp;noscript=1" alt=""></noscript>',
    '<script src="https:\\\\analytics.tiktok.com\\i18n\\pixel\\events.js"></script>',
    "<script\nsrc=\"https://s.yimg.jp/images/listing/tool/cv/ytag.js\"\n></script>",
);

my @FIRST_PARTY = (
    '<script src="/js/app.js"></script>',
    '<script src="https://www.ana.co.jp/js/facebook.js"></script>',
    '<script>var fbq_like = 1; /* a first-party variable */</script>',
    '<img src="https://facebook.com.ana.example/logo.png" alt="logo">',
    '<img src="/img/tr.gif?ref=www.facebook.com" alt="">',
    '<a href="https://www.facebook.com/ana.global">Facebook</a>',
    '<a href="https://x.com/ana_travel"><img src="/img/x.svg" alt="X"></a>',
    '<link rel="stylesheet" href="/css/site.css">',
    '<link rel="canonical" href="https://www.ana.co.jp/">',
    '<script type="application/ld+json">{"sameAs":["https://www.facebook.com/ana.global","https://x.com/ana"]}</script>',
    '<iframe src="/embed/map.html" title="map"></iframe>',
    '<img srcset="/a.png 1x, /b.png 2x" alt="">',
    '<div title="&lt;script src=https://connect.facebook.net/x.js&gt;">t</div>',
    '<input value="<script src=\'https://connect.facebook.net/x.js\'></script>">',
);

# Markup with a slot (@) for nested content; a tracker inside a raw-text
# or comment slot must be left alone, inside a container it must go.
my @WRAPS = (
    '<div class="box">@</div>', '<p>@</p>', '<span>@</span>', '<ul><li>@</li></ul>',
    '<section id=s1>@</section>', '<table><tr><td>@</td></tr></table>',
    '<template>@</template>', '<!-- @ -->', '<!--@-->', '<textarea name=t>@</textarea>',
    '<title>@</title>', '<style>/* @ */</style>', '<xmp>@</xmp>', '<noembed>@</noembed>',
    '<noframes>@</noframes>', '<svg><foreignObject><div>@</div></foreignObject></svg>',
    '<math><mi>@</mi></math>', '<svg><desc>@</desc></svg>', '<? @ ?>' ,
    '<script>var s = "@";</script>', '<script><!-- @ --></script>',
    '<div data-x="@">a</div>',
);

my @LEAVES = (
    'Hello, world. ', 'a &lt; b &amp;&amp; c &gt; d ', '&copy 2026 &notanentity; &#x41;&#65; ',
    '1 < 2 <3 <= 4 <> ', "\n  ", '<br/>', '<p class=x/>', '<hr>',
    '<!---->', '<!-->', '<!--->', '<!-- a --!>', '<!-- a -- b -->', '<!-- <!-- x -->',
    '<?xml version="1.0"?>', '</ not a tag>', '<!bogus>', '</>', '</p foo="a>b">',
    '<div title="a>b">x</div>', q{<div title='x"y'>y</div>}, '<div title=a"b>z</div>',
    '<svg viewBox="0 0 1 1"><path d="M0 0"/><g><circle r="1"/></g></svg>',
    '<svg><![CDATA[ plain text ]]></svg>', '<math><![CDATA[ x ]]><mi>y</mi></math>',
    '<svg><script>var a = 1;</script></svg>', '<svg><title>t</title></svg>',
    '<math><mtext>m</mtext></math>', '<style>p > a { color: red }</style>',
    '<script>if (a < b && c > d) { x = "</div>"; }</script>',
    '<script>document.write("<scr" + "ipt>x</scr" + "ipt>");</script>',
    '<script><!-- x <script> y </script> z --></script>',
    '<textarea><!-- </textarea>', '<title>a <b> c</title>', '<template><p>t</p></template>',
    '<SCRIPT>var U = 1;</SCRIPT>', '<p>&lt;script src=https://connect.facebook.net/x.js&gt;</p>',
);

# Foreign content (issue 11). Known wrong today: a tracker <img> that ends
# foreign content, stripped, leaves what follows it in SVG/MathML
# (t/102-tokenizer-conformance.t names it); most of these slots can put one
# there. (Kept out of the clean corpus for now: adding them shifts its
# documents onto consentctl --report's script-escape miscount, t/102's
# "double escape left open".)
my @GAPS = (
    '<svg><![CDATA[ a > b <script> ]]></svg>', '<svg><script href="/a.js"/></svg>',
    '<svg><style><!-- @ --></style></svg>', '<svg><title>@</title></svg>',
    '<math><![CDATA[ x > y @ ]]></math>', '<svg><g>@</svg>', '<svg><p>@</p></svg>',
    '<svg><textarea>@</textarea></svg>', '<svg><font>@</font></svg>',
    '<svg><font color=red>@</font></svg>', '<svg><g><style>@</style></g></svg>',
    '<math><annotation-xml>@</annotation-xml></math>', '</svg><math></p>@',
    '<math><annotation-xml encoding="text/html">@</annotation-xml></math>',
    '<svg><foreignObject><svg><g/></svg>@</foreignObject></svg>',
    '<svg/><![CDATA[ x ]]>@', '<svg><![cdata[ a > b ]]></svg>@',
);

sub _esc_attr { my $s = shift; $s =~ s/&/&amp;/g; $s =~ s/"/&quot;/g; $s }

# One piece of content, at most $depth wraps deep.  In <head> a <noscript>
# holding a pixel is left out: html5lib (scripting off) ends it at the <img>
# while the gate removes it whole (a known difference, in t/102 as TODO).
sub piece {
    my ($self, $depth, $in_head) = @_;
    my $r = $self->rnd(100);
    return $self->pick($in_head ? grep { !/^<noscript/ } @TRACKERS : @TRACKERS) if $r < 25;
    return $self->pick(@FIRST_PARTY) if $r < 40;
    if ($r < 65 && $depth > 0) {
        my @w = $self->{gaps} && $self->rnd(3) == 0 ? @GAPS : @WRAPS;
        my $w = $self->pick(@w);
        my $inner = join '', map { $self->piece($depth - 1, $in_head) } 1 .. 1 + $self->rnd(3);
        # an attribute value or JS string holds the markup quoted
        $inner = _esc_attr($inner) if $w =~ /data-x="@"/;
        $inner =~ s/"/\\"/g, $inner =~ s{</}{<\\/}g if $w =~ /var s = "@"/;
        # a raw-text slot must not end early: its end tag is not in $inner
        (my $name = $w) =~ s/^<(\w+).*/$1/s;
        $inner =~ s{</(\Q$name\E)}{<\\/$1}gi if $w =~ /^<(textarea|title|style|xmp|noembed|noframes|script)\b/;
        $inner =~ s/--/- -/g if $w =~ /^<!--/;
        $inner =~ s/>/&gt;/g if $w =~ /^<\?/;
        (my $out = $w) =~ s/\@/$inner/;
        return $out;
    }
    return $self->pick(@LEAVES);
}

sub document {
    my ($self) = @_;
    my $head = join '', map { $self->piece(1, 1) } 1 .. $self->rnd(4);
    my $body = join '', map { $self->piece(3) } 1 .. 2 + $self->rnd(10);
    # a fragment without <html>/<body> starts with text, which puts html5lib
    # in body (else its first <noscript> would be a head one, see piece())
    my $doc = $self->rnd(4) == 0
        ? "top $body"
        : "<!DOCTYPE html>\n<html lang=ja><head><meta charset=utf-8>$head</head>\n<body>$body</body></html>\n";
    # sometimes the document ends inside a construct
    $doc .= $self->pick('<plaintext><script src="https://connect.facebook.net/x.js"></script>',
                        '<!-- unterminated <img src="https://www.facebook.com/tr">',
                        '<textarea><img src="https://www.facebook.com/tr">', '<script>gtag(',
                        '<img src="https://www.facebook.com/tr')
        if $self->rnd(8) == 0;
    return $doc;
}

1;
