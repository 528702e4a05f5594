# Tokenizer and gating edge cases, each with an exact expected body, each
# replayed with splits 1, 7 and three random seeds (boundaries land inside
# every tag, attribute, entity and end tag below).
#
#   tc(NAME, INPUT, EXPECTED, %opts)   EXPECTED undef = byte-identical
#   opts: cookie (default 'none'), site (default air-booking), blocked => [ids],
#         headers => [...], nomix => 1 (input does not end in the data state)
#
# At the end, random concatenations of the cases (consent none, air-booking)
# are replayed too: the expected output is the concatenation of the expected
# outputs, so state leaking from one construct into the next shows up.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use ConsentTest qw(:all);

my $db = rules_db();
my @cases;

sub tc {
    my ($name, $in, $out, %o) = @_;
    my $site = $o{site} // 'air-booking';
    push @cases, {
        name     => $name,
        body     => $in,
        headers  => $o{headers},
        _mix     => !$o{nomix} && !exists $o{cookie} && !$o{site} && !$o{headers},
        _out     => defined $out ? $out : $in,
        cookie   => exists $o{cookie} ? $o{cookie} : 'none',
        location => "consent on; consent_site $site;",
        expect   => {
            (defined $out ? (body => $out) : (same => 1)),
            (exists $o{blocked} ? (blocked => $o{blocked}) : ()),
        },
    };
}

my $FB  = 'https://connect.facebook.net/en_US/fbevents.js';
my $PX  = 'https://www.facebook.com/tr?id=1&amp;ev=PageView&amp;noscript=1';
my $GT  = 'https://www.googletagmanager.com/gtag/js?id=G-TEST000001';
my $CR  = 'https://static.criteo.net/js/ld/ld.js';
my $PIN = 'https://ct.pinterest.com/v3/?event=init&amp;tid=1&amp;noscript=1';

# ---------------------------------------------------------------- basics
tc('script src of a recipient is removed',
   qq{<p>a</p><script src="$FB"></script><p>b</p>}, '<p>a</p><p>b</p>', blocked => ['meta']);
tc('consented recipient is kept',
   qq{<p>a</p><script src="$FB"></script><p>b</p>}, undef, cookie => 'meta', blocked => []);
tc('no cookie at all strips',
   qq{<p>a</p><script src="$FB"></script><p>b</p>}, '<p>a</p><p>b</p>', cookie => undef);
tc('only the element bytes go, whitespace around stays',
   qq{<p>a</p>\n  <script src="$FB"></script>\n  <p>b</p>\n}, qq{<p>a</p>\n  \n  <p>b</p>\n});
tc('CRLF and surrounding bytes kept',
   qq{a\r\n<script src="$FB"></script>\r\nb}, "a\r\n\r\nb");
tc('root-relative URL is first party',
   q{<script src="/js/events.js"></script><img src="/tr?id=1">});
tc('path-relative URL that looks like a host is first party',
   q{<script src="connect.facebook.net/en_US/events.js"></script>});
tc('library path of a recipient on a first-party URL (rules: paths)',
   q{<script src="/js/fbevents.js"></script><script src="connect.facebook.net/en_US/fbevents.js"></script>ok}, 'ok', blocked => ['meta']);
tc('library path on a first-party proxy host, query and fragment cut (rules: paths)',
   q{<script src="https://sgtm.ana.co.jp/gtm.js?id=GTM-X#x"></script><img src="/b/AppMeasurement.js">ok<script src="/js/my-AppMeasurement.js"></script>},
   'ok<script src="/js/my-AppMeasurement.js"></script>', blocked => ['adobe', 'google']);
tc('first-party absolute URL kept',
   q{<script src="https://www.ana.co.jp/js/common.js"></script>});
tc('unknown third-party host kept',
   q{<script src="https://cdn.example.net/lib.js"></script><img src="https://img.example.org/p.gif">});
tc('lookalike hosts are not under the suffix',
   q{<script src="https://notfacebook.net/x.js"></script><script src="https://connect.facebook.net.example.org/x.js"></script><img src="https://facebook.com-cdn.example/x.gif"><script src="https://mygoogletagmanager.com/x.js"></script>});
tc('<image> is an <img> to the tree builder',
   q{<IMAGE src="https://www.facebook.com/tr?id=1">|}, '|', blocked => ['meta']);
tc('deep subdomain at a label boundary is removed',
   q{<script src="https://a.b.connect.facebook.net/x.js"></script>|<script src="https://facebook.net/x.js"></script>|},
   '||', blocked => ['meta']);
tc('uppercase scheme and host',
   q{<script src="HTTPS://CONNECT.FACEBOOK.NET/X.JS"></script>ok}, 'ok');
tc('explicit port',
   q{<script src="https://connect.facebook.net:443/x.js"></script>ok}, 'ok');
tc('plain http scheme',
   q{<script src="http://connect.facebook.net/x.js"></script>ok}, 'ok');
tc('whitespace around the URL value',
   qq{<script src=" $FB "></script>ok}, 'ok');
tc('recipient URL only in the query of a first-party URL',
   q{<script src="/js/a.js?ref=https://connect.facebook.net/"></script><img src="https://www.ana.co.jp/px?u=//www.facebook.com/tr">});
tc('two recipients removed, both reported',
   qq{<script src="$GT"></script>x<script src="$FB"></script>y}, 'xy', blocked => ['google', 'meta']);
tc('adjacent first-party scripts untouched',
   qq{<script src="/a.js"></script><script src="$FB"></script><script src="/b.js"></script>},
   q{<script src="/a.js"></script><script src="/b.js"></script>});

# ---------------------------------------------------------------- comments
tc('script inside a comment untouched',
   qq{<!-- <script src="$FB"></script> -->});
tc('<!--> is a complete comment, the script after it is real',
   qq{<!--><script src="$FB"></script><p>x</p>}, '<!--><p>x</p>');
tc('<!---> is a complete comment',
   qq{<!---><script src="$FB"></script>}, '<!--->');
tc('comment closed by --!>',
   qq{<!-- a --!><script src="$FB"></script>}, '<!-- a --!>');
tc('quotes do not protect --> inside a comment',
   qq{<!-- "--> <script src="$FB"></script>}, '<!-- "--> ');
tc('-- inside a comment does not close it',
   qq{<!-- a -- b <script src="$FB"></script> -->});
tc('bogus comment <!x ends at the first >',
   qq{<!x <script src="$FB"></script>});
tc('processing instruction is a bogus comment',
   qq{<?php echo '<script src="$FB"'; ?>});
tc('CDATA outside foreign content is a bogus comment',
   qq{<![CDATA[ <script src="$FB"> ]]>});
tc('</ followed by a non-letter is a bogus comment',
   qq{</ <script src="$FB">});
tc('doctype then a tracker',
   qq{<!DOCTYPE html><script src="$FB"></script>}, '<!DOCTYPE html>');
tc('unterminated comment runs to the end',
   qq{<p>x</p><!-- <script src="$FB"></script>}, undef, nomix => 1);

# ---------------------------------------------------------------- script data
tc('first-party script with <!--<script>...</script>--> escape untouched',
   q{<script>var a=1;<!--<script>document.write("<p>")</script>--></script><p>after</p>});
tc('tracker script with a double-escaped inner script removed through the real end tag',
   q{<script>gtag('js');<!--<script>x()</script>--></script><p>after</p>}, '<p>after</p>', blocked => ['google']);
tc('escaped script without inner <script> ends at </script>',
   q{<script><!-- gtag('js') </script><p>b</p>}, '<p>b</p>');
tc('escape left open: inner end tag ends the element',
   q{<script><!--<script>gtag('x')</script><p>t</p></script>--></script><p>end</p>},
   q{--></script><p>end</p>});
tc('end tag with space', q{<script>gtag('a')</script ><p>b</p>}, '<p>b</p>');
tc('end tag uppercase', q{<script>gtag('a')</SCRIPT><p>b</p>}, '<p>b</p>');
tc('end tag with newline', qq{<script>gtag('a')</script\n><p>b</p>}, '<p>b</p>');
tc('end tag with attributes', q{<script>gtag('a')</script foo="bar"><p>b</p>}, '<p>b</p>');
tc('end tag self-closing slash', q{<script>gtag('a')</script/><p>b</p>}, '<p>b</p>');
tc('</scripts> does not end the script',
   q{<script>gtag('a');var s="</scripts>";</script><p>b</p>}, '<p>b</p>');
tc('"</scr"+"ipt>" in a first-party script untouched',
   q{<script>document.write("<script src='/x.js'></scr"+"ipt>");</script><p>b</p>});
tc('"</scr"+"ipt>" in a tracker script removed whole',
   q{<script>fbq('init','1');document.write("<img src='x'></scr"+"ipt>");</script><p>b</p>}, '<p>b</p>');
tc('<script inside a JS string of a tracker',
   q{<script>gtag('x');var s="<script src='y'>";</script><p>b</p>}, '<p>b</p>');
tc('script src with an inline body',
   qq{<script src="$FB">fbq('init')</script>ok}, 'ok');
tc('self-closing script tag does not close it',
   qq{<script src="$FB"/><p>x</p></script><p>y</p>}, '<p>y</p>');
tc('inline script naming a host only in a string',
   q{<script>var u = "https://www.googletagmanager.com/gtm.js";</script>ok}, 'ok', blocked => ['google']);
tc('inline script naming a //host',
   q{<script>n.src="//bat.bing.com/bat.js";</script>ok}, 'ok', blocked => ['microsoft']);
tc('inline first-party script without hosts or signatures kept',
   q{<script>window.ANA={locale:"ja-JP"};function go(){location.href="/booking/";}</script>});

# ---------------------------------------------------------------- data blocks
tc('JSON-LD with social URLs untouched',
   q{<script type="application/ld+json">{"sameAs":["https://www.facebook.com/ANA","https://twitter.com/ANA"]}</script>});
tc('application/json with a signature untouched',
   q{<script type="application/json" id="cfg">{"x":"gtag('config')","u":"https://connect.facebook.net/"}</script>});
tc('text/template untouched',
   q{<script type="text/template"><img src="https://www.facebook.com/tr?id=1"></script>});
tc('text/x-template untouched',
   q{<script type="text/x-template"><a href="https://www.facebook.com/sharer.php">share</a><img src="https://www.facebook.com/tr"></script>});
tc('text/html untouched',
   q{<script type="text/html"><iframe src="https://www.googletagmanager.com/ns.html"></iframe></script>});
tc('data block type is case-insensitive',
   q{<script type="Application/LD+JSON">{"sameAs":["https://www.facebook.com/ANA"]}</script>});
tc('type=module is script',
   q{<script type="module">fbq('track','PageView');</script>ok}, 'ok');
tc('type=text/javascript is script',
   q{<script type="text/javascript">fbq('track','PageView');</script>ok}, 'ok');
tc('empty type is script',
   q{<script type="">fbq('track','PageView');</script>ok}, 'ok');
tc('any template type is a data block',
   q{<script type="text/x-handlebars-template"><img src="https://www.facebook.com/tr"></script>ok});
tc('text/plain (consent-manager deferred script) is gated',
   q{<script type="text/plain" data-category="marketing">fbq('track','PageView');</script>ok}, 'ok');

# ---------------------------------------------------------------- RAWTEXT / RCDATA
# (a tracker's url() in it is CSS the gate reads: that declaration goes)
tc('style is RAWTEXT',
   qq{<style>.a{background:url(https://www.facebook.com/tr)}</style><style><script src="$FB"></script></style>},
   qq{<style>.a{}</style><style><script src="$FB"></script></style>});
tc('textarea is RCDATA', qq{<textarea><script src="$FB"></script></textarea>});
tc('title is RCDATA', qq{<title><script src="$FB"></script></title>});
tc('RCDATA end tag is case-insensitive',
   qq{<TEXTAREA><script src="$FB"></script></TextArea><script src="$FB"></script>},
   qq{<TEXTAREA><script src="$FB"></script></TextArea>});
tc('only the appropriate end tag ends RCDATA',
   qq{<textarea></textareax><script src="$FB"></script></textarea>});
tc('title end tag with space', qq{<title>a</title ><script src="$FB"></script>}, '<title>a</title >');
tc('style then a tracker', qq{<style>p{}</style><script src="$FB"></script>}, '<style>p{}</style>');
tc('xmp is RAWTEXT', qq{<xmp><script src="$FB"></script></xmp>});
tc('noembed is RAWTEXT', qq{<noembed><script src="$FB"></script></noembed>});
tc('noframes is RAWTEXT', qq{<noframes><script src="$FB"></script></noframes>});
tc('first-party iframe content is RAWTEXT', qq{<iframe src="/frame.html"><script src="$FB"></script></iframe>});
tc('plaintext swallows the rest', qq{<plaintext><script src="$FB"></script>}, undef, nomix => 1);

# ---------------------------------------------------------------- attributes and quoting
tc('single-quoted src', qq{<script src='$FB'></script>ok}, 'ok');
tc('unquoted src', q{<script src=https://connect.facebook.net/x.js></script>ok}, 'ok');
tc('spaces around =', qq{<script src = "$FB" ></script>ok}, 'ok');
tc('> inside a quoted attribute before src',
   qq{<script data-x="a>b" src="$FB"></script>ok}, 'ok');
tc('tag-like text in an attribute value untouched',
   qq{<a href="https://www.facebook.com/ANA" title="<script src='$FB'></script>">FB</a>});
tc('data-src is not src', qq{<script data-src="$FB" src="/js/lazy.js"></script>});
tc('duplicate src: the first one counts (first party)',
   q{<img src="/img/a.png" src="https://www.facebook.com/tr?id=1">});
tc('duplicate src: the first one counts (recipient)',
   q{<img src="https://www.facebook.com/tr?id=1" src="/img/a.png">ok}, 'ok');
tc('whitespace-only inline script kept', qq{<script> \n </script>});
tc('link to a recipient is never gated',
   q{<a href="https://www.facebook.com/ANA.Japan">Facebook</a><a href="//connect.facebook.net/">x</a>});
tc('img with > in alt', q{<img alt="x>y" src="https://www.facebook.com/tr?id=1">ok}, 'ok');
tc('img self-closing', q{<img src="https://www.facebook.com/tr?id=1"/>ok}, 'ok');
tc('img unquoted ending in /', q{<img src=https://www.facebook.com/tr/>ok}, 'ok');
tc('boolean attribute before unquoted src', q{<script async src=https://connect.facebook.net/x.js></script>ok}, 'ok');
tc('newline inside an attribute value', qq{<img alt="a\nb" src="https://www.facebook.com/tr">ok}, 'ok');
tc('uppercase element and attribute names',
   qq{<SCRIPT SRC="$FB"></SCRIPT>1<Img Src="https://www.facebook.com/tr">2<IFRAME SRC="https://www.googletagmanager.com/ns.html"></IFRAME>3}, '123');
tc('newlines between attributes',
   qq{<script\nsrc="$FB"\nasync\n></script>ok}, 'ok');
tc('tab, CR/LF and form feed as separators',
   qq{<img\tsrc="https://www.facebook.com/tr"\r\nalt="">1<img\fsrc="https://www.facebook.com/tr">2}, '12');

# ---------------------------------------------------------------- //host and entities
tc('//host script', q{<script src="//connect.facebook.net/x.js"></script>ok}, 'ok');
tc('//host img', q{<img src="//www.facebook.com/tr?id=1">ok}, 'ok');
tc('&amp; in a pixel query', qq{<img src="$PX">ok}, 'ok');
tc('&#x2F; encoded slashes', q{<script src="https:&#x2F;&#x2F;connect.facebook.net&#x2F;x.js"></script>ok}, 'ok');
tc('&#X2F; uppercase X', q{<script src="https:&#X2F;&#X2F;connect.facebook.net/x.js"></script>ok}, 'ok');
tc('&#47; decimal slashes', q{<script src="https:&#47;&#47;connect.facebook.net/x.js"></script>ok}, 'ok');
tc('entity-encoded scheme letter', q{<script src="&#104;ttps://connect.facebook.net/x.js"></script>ok}, 'ok');
tc('entity-encoded dots in the host', q{<script src="https://connect&#46;facebook&#46;net/x.js"></script>ok}, 'ok');
tc('numeric reference without semicolon', q{<script src="https:&#47&#47connect.facebook.net/x.js"></script>ok}, 'ok');
tc('entity-encoded //host img', q{<img src="&#47;&#47;www.facebook.com/tr">ok}, 'ok');

# ---------------------------------------------------------------- multiple recipients
my $both = qq{<script>var a="$FB";var b="$CR";</script>};
tc('element of two recipients, one allowed: removed', "$both|", '|', cookie => 'meta', blocked => ['criteo']);
tc('element of two recipients, both allowed: kept', "$both|", undef, cookie => 'meta,criteo', blocked => []);
tc('element of two recipients, none allowed', "$both|", '|', blocked => ['criteo', 'meta']);
tc('signature and host of different recipients',
   q{<script>fbq('init','1');var u="https://www.googletagmanager.com/gtm.js";</script>|}, '|',
   cookie => 'google', blocked => ['meta']);

# ---------------------------------------------------------------- noscript
my $ns2 = qq{<noscript>\n<img src="https://www.facebook.com/tr?id=1" height="1" width="1">\n<img src="$PIN" height="1" width="1">\n</noscript>};
tc('noscript of pixels, nothing allowed: removed whole', "a${ns2}b", 'ab', blocked => ['meta', 'pinterest']);
tc('noscript of pixels, one allowed: only the other pixel removed', "a${ns2}b",
   qq{a<noscript>\n<img src="https://www.facebook.com/tr?id=1" height="1" width="1">\n\n</noscript>b},
   cookie => 'meta', blocked => ['pinterest']);
tc('noscript of pixels, all allowed: kept', "a${ns2}b", undef, cookie => 'meta|pinterest');
tc('noscript with a first-party image keeps it',
   q{<noscript><img src="/img/nojs.gif"><img src="https://www.facebook.com/tr?id=1"></noscript>},
   q{<noscript><img src="/img/nojs.gif"></noscript>});
tc('noscript with text keeps the text',
   q{<noscript><p>JavaScriptを有効にしてください</p><img src="https://www.facebook.com/tr?id=1"></noscript>},
   q{<noscript><p>JavaScriptを有効にしてください</p></noscript>});
tc('GTM noscript iframe removed whole',
   qq{<body>\n<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-X"\nheight="0" width="0" style="display:none;visibility:hidden"></iframe></noscript>\n<p>x</p>},
   qq{<body>\n\n<p>x</p>});
tc('noscript of one recipient with whitespace removed whole',
   qq{x<noscript>\n  <img height="1" width="1" style="display:none"\n       src="https://tr.line.me/tag.gif?c_t=lap&amp;t_id=1&amp;e=pv&amp;noscript=1" />\n</noscript>y}, 'xy');
tc('uppercase NOSCRIPT of pixels removed whole',
   q{a<NOSCRIPT><IMG SRC="https://www.facebook.com/tr?id=1"></NOSCRIPT>b}, 'ab');
tc('pixel wrapped in a div inside noscript is judged alone',
   q{<noscript><div style="display:inline"><img src="https://www.facebook.com/tr?id=1"></div></noscript>},
   q{<noscript><div style="display:inline"></div></noscript>});
tc('noscript without recipients untouched',
   q{<noscript><p>JavaScriptが無効です</p><a href="https://www.facebook.com/ANA">FB</a></noscript>});

# ---------------------------------------------------------------- declared vs undeclared
tc('undeclared recipient removed even with consent all',
   qq{<script src="$FB"></script>|<script src="$GT"></script>}, qq{|<script src="$GT"></script>},
   site => 'mall', cookie => 'all', blocked => ['meta']);
tc('undeclared recipient removed even when named in the cookie',
   qq{<script src="$FB"></script>|<script src="$GT"></script>}, '|',
   site => 'mall', cookie => 'meta', blocked => ['google', 'meta']);
tc('declared-by-override category grants',
   qq{<script src="$GT"></script>|}, undef, site => 'mall', cookie => 'analytics');
tc('category not declared for this site grants nothing',
   qq{<script src="$GT"></script>|}, '|', site => 'mall', cookie => 'advertising');

# ---------------------------------------------------------------- link and other elements
tc('link preconnect', q{<link rel="preconnect" href="https://connect.facebook.net">ok}, 'ok');
tc('link dns-prefetch //host', q{<link rel="dns-prefetch" href="//connect.facebook.net">ok}, 'ok');
tc('link preload', qq{<link rel="preload" as="script" href="$FB">ok}, 'ok');
tc('link prefetch self-closing', qq{<link rel="prefetch" href="$FB" />ok}, 'ok');
tc('link rel uppercase, href first, unquoted',
   q{<LINK HREF=https://connect.facebook.net REL=PreConnect>ok}, 'ok');
tc('link rel with several tokens', q{<link rel="dns-prefetch preconnect" href="https://connect.facebook.net">ok}, 'ok');
tc('link stylesheet and icon removed (fetched link types)',
   q{<link rel="stylesheet" href="https://connect.facebook.net/x.css"><link rel="icon" href="https://www.facebook.com/favicon.ico">ok}, 'ok');
tc('link alternate and author not gated',
   q{<link rel="alternate" href="https://connect.facebook.net/x.rss"><link rel="author" href="https://www.facebook.com/a">});
tc('generic Google CDNs are not recipients',
   q{<link rel="preconnect" href="https://fonts.gstatic.com"><script src="https://ajax.googleapis.com/ajax/libs/jquery/3.6.4/jquery.min.js"></script><iframe src="https://www.youtube.com/embed/x"></iframe>});
tc('iframe of a recipient removed through </iframe>',
   q{<iframe src="https://www.googletagmanager.com/ns.html?id=GTM-X"><p>fallback <script src="x"></script></p></iframe>ok}, 'ok');
tc('img without src or with empty src', q{<img><img src=""><img src>});
tc('img srcset only is not src', q{<img alt="" srcset="/a.png 1x">});

# ---------------------------------------------------------------- URL parsing (WHATWG URL host)
tc('userinfo before a recipient host', q{<script src="https://www.ana.co.jp@connect.facebook.net/x.js"></script>ok}, 'ok');
tc('recipient name as userinfo of a first-party host', q{<script src="https://connect.facebook.net@www.ana.co.jp/x.js"></script>});
tc('backslashes act as slashes', q{<script src="https:\\\\connect.facebook.net\\x.js"></script>ok}, 'ok');
tc('/\\ is protocol-relative', q{<script src="/\\connect.facebook.net/x.js"></script>ok}, 'ok');
tc('three slashes', q{<script src="https:///connect.facebook.net/x.js"></script>ok}, 'ok');
tc('tab inside the URL is dropped', qq{<script src="https://connect.face\tbook.net/x.js"></script>ok}, 'ok');
tc('newline inside the URL is dropped', qq{<script src="https://connect.face\nbook.net/x.js"></script>ok}, 'ok');
tc('percent-encoded dots in the host', q{<script src="https://connect%2Efacebook%2Enet/x.js"></script>ok}, 'ok');
tc('trailing dot in the host', q{<script src="https://connect.facebook.net./x.js"></script>ok}, 'ok');
tc('fullwidth dots in the host (IDNA maps them to .)',
   qq{<script src="https://connect\xef\xbc\x8efacebook\xef\xbc\x8enet/x.js"></script>ok}, 'ok', nomix => 1);
tc('ideographic full stops in the host (IDNA maps them to .)',
   qq{<img src="https://www\xe3\x80\x82facebook\xe3\x80\x82com/tr?id=1">ok}, 'ok', nomix => 1);
tc('data: and javascript: URLs are not hosts',
   q{<script src="data:text/javascript,fbq('init')"></script><iframe src="javascript:void(0)"></iframe>});

# ---------------------------------------------------------------- consent cookie shapes
tc('consent in a second Cookie header', qq{<script src="$FB"></script>ok}, undef,
   cookie => undef, headers => [Cookie => 'a=1', Cookie => 'consent=meta']);

# ---------------------------------------------------------------- bytes and end of input
tc('NUL and invalid UTF-8 pass', "\x00\xff\xfe<p>\xe3\x81</p>\x00");
tc('UTF-8 BOM and Japanese text pass', "\xef\xbb\xbf<p>\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e</p>");
tc('truncated tag at the end', '<p>x</p><scr', undef, nomix => 1);
tc('lone < at the end', '<p>x</p><', undef, nomix => 1);
tc('</ at the end', '<p>x</p></', undef, nomix => 1);
tc('<!- at the end', '<p>x</p><!-', undef, nomix => 1);
tc('text with < that is not a tag', '<p>1 < 2 and 3 <> 4 <3 </p>');
tc('empty body', '');

# ---------------------------------------------------------------- random mixes
{
    my @pool = grep { $_->{_mix} } @cases;
    my $x = 20240611;
    my $rnd = sub { $x = (1103515245 * $x + 12345) % 2147483648; ($x >> 8) % $_[0] };
    for my $n (1 .. 40) {
        my ($in, $out, @names) = ('', '');
        for (1 .. 8 + $rnd->(25)) {
            my $c = $pool[ $rnd->(scalar @pool) ];
            $in  .= $c->{body};
            $out .= $c->{_out};
            push @names, $c->{name};
        }
        push @cases, { name => "random mix $n (" . scalar(@names) . ' constructs)', body => $in,
                       cookie => 'none', location => 'consent on; consent_site air-booking;',
                       expect => { body => $out, check => sub {
                           my ($res, $got) = @_;
                           diag "constructs: " . join(' | ', @names) if $got ne $out;
                       } } };
    }
}

run_cases({ http => "consent_rules $db;\nconsent_cookie consent;" }, \@cases);
done_testing;
