#!/usr/bin/perl
# Generates t/fixtures/<site>.html and t/fixtures/<site>.json.
#
# Each page is a realistic booking-style page (Japanese, UTF-8) carrying the
# public copy-paste tags of every recipient its site declares in
# rules/ana.yaml (fake account ids), some tags of recipients it does NOT
# declare (always stripped), and decoys that must never be touched.
#
# The manifest lists every gated element with its exact bytes (occurring
# exactly once in the page) and its recipient ids; <noscript> pixel wrappers
# also list their pixels as children.  The tests compute expected output from
# the manifest alone (t/lib/ConsentOracle.pm), never from the module.
#
# Run from the repo root:  perl t/tools/gen-fixtures.pl
# The generated files are committed; re-run only when changing fixtures.
use strict;
use warnings;
use utf8;
use JSON::PP;

my $OUT = 't/fixtures';
binmode STDOUT, ":utf8";
binmode STDERR, ":utf8";

# ------------------------------------------------------------------ snippets
# el(name, [recipients], html)       a gated element
# ns(name, pre, [children], post)    a <noscript> of pixels; children are el()s

sub el { { name => $_[0], recipients => $_[1], html => $_[2] } }

sub ns {
    my ($name, $pre, $kids, $post, %o) = @_;
    my $html = "<noscript>$pre";
    my @k = @$kids;
    for my $i (0 .. $#k) {
        $html .= $k[$i]{html};
        $html .= $o{sep} // "\n" if $i < $#k;
    }
    $html .= "$post</noscript>";
    my %r;
    $r{$_} = 1 for map { @{ $_->{recipients} } } @k;
    return { name => $name, recipients => [sort keys %r], html => $html,
             children => [map { { recipients => $_->{recipients}, html => $_->{html} } } @k] };
}

# --- Google
sub gtm_head { my ($id) = @_; el("gtm-$id", ['google'], <<"E" =~ s/\n$//r) }
<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':
new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],
j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=
'https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);
})(window,document,'script','dataLayer','$id');</script>
E
sub gtm_noscript {
    my ($id) = @_;
    ns("gtm-noscript-$id", '', [el('', ['google'],
        qq{<iframe src="https://www.googletagmanager.com/ns.html?id=$id"\nheight="0" width="0" style="display:none;visibility:hidden"></iframe>})], '');
}
sub gtag_src { my ($id, %o) = @_; el("gtag-src-$id", ['google'],
    $o{q} ? qq{<script async src='https://www.googletagmanager.com/gtag/js?id=$id'></script>}
          : qq{<script async src="https://www.googletagmanager.com/gtag/js?id=$id"></script>}) }
sub gtag_inline {
    my (@ids) = @_;
    my $cfg = join '', map { "  gtag('config', '$_');\n" } @ids;
    el("gtag-config-$ids[0]", ['google'], <<"E" =~ s/\n$//r);
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());

$cfg</script>
E
}
sub ga_legacy { my ($ua) = @_; el("ga-analyticsjs-$ua", ['google'], <<"E" =~ s/\n$//r) }
<script>
  (function(i,s,o,g,r,a,m){i['GoogleAnalyticsObject']=r;i[r]=i[r]||function(){
  (i[r].q=i[r].q||[]).push(arguments)},i[r].l=1*new Date();a=s.createElement(o),
  m=s.getElementsByTagName(o)[0];a.async=1;a.src=g;m.parentNode.insertBefore(a,m)
  })(window,document,'script','https://www.google-analytics.com/analytics.js','ga');

  ga('create', '$ua', 'auto');
  ga('send', 'pageview');
</script>
E
sub floodlight { my ($src, $cat) = @_; el("floodlight-$cat", ['google'],
    qq{<iframe src="https://$src.fls.doubleclick.net/activityi;src=$src;type=invmedia;cat=$cat;dc_lat=;dc_rdid=;tag_for_child_directed_treatment=;tfua=;npa=;ord=1?" width="1" height="1" frameborder="0" style="display:none"></iframe>}) }
sub maps_js { my ($tag) = @_; el("gmaps-js-$tag", ['google'],
    qq{<script src="https://maps.googleapis.com/maps/api/js?key=AIzaSyA-FAKE-KEY-$tag&amp;callback=initMap&amp;libraries=places&amp;language=ja&amp;region=JP" async defer></script>}) }
sub maps_static { my ($c, $tag) = @_; el("gmaps-static-$tag", ['google'],
    qq{<img class="map-thumb" alt="周辺地図" width="600" height="300" src="https://maps.googleapis.com/maps/api/staticmap?center=$c&amp;zoom=14&amp;size=600x300&amp;markers=color:blue%7C$c&amp;key=AIzaSyA-FAKE-KEY-$tag">}) }
sub maps_embed { my ($q, $tag) = @_; el("gmaps-embed-$tag", ['google'],
    qq{<iframe title="地図" src="https://www.google.com/maps/embed?pb=!1m18!1m12!1m3!1d3243.0!2d139.78!3d35.55!2m3!1f0!2f0!3f0!3m2!1i1024!2i768!4f13.1!3m3!1m2!1s$q!2z!5e0!3m2!1sja!2sjp" width="600" height="450" style="border:0;" allowfullscreen="" loading="lazy" referrerpolicy="no-referrer-when-downgrade"></iframe>}) }

# --- LINE Yahoo
sub ytag_src { el('ytag-src', ['lineyahoo'],
    q{<script async src="https://s.yimg.jp/images/listing/tool/cv/ytag.js"></script>}) }
sub ytag_conv { my ($cid, $label) = @_; el("ytag-conv-$cid", ['lineyahoo'], <<"E" =~ s/\n$//r) }
<script>
window.yjDataLayer = window.yjDataLayer || [];
function ytag() { yjDataLayer.push(arguments); }
ytag({
  "type":"yss_conversion",
  "config":{
    "yahoo_conversion_id":"$cid",
    "yahoo_conversion_label":"$label",
    "yahoo_conversion_value":"0"
  }
});
</script>
E
sub ytag_retarget { my ($rid) = @_; el("ytag-rt-$rid", ['lineyahoo'], <<"E" =~ s/\n$//r) }
<script>
ytag({
  "type":"yjad_retargeting",
  "config":{
    "yahoo_retargeting_id": "$rid",
    "yahoo_retargeting_label": "",
    "yahoo_retargeting_page_type": "",
    "yahoo_retargeting_items":[
      {item_id: '', category_id: '', price: '', quantity: ''}
    ]
  }
});
</script>
E
sub yjtag { my ($site) = @_; (
    el("yjtag-$site", ['lineyahoo'], <<"E" =~ s/\n$//r),
<script type="text/javascript">
  (function () {
    var tagjs = document.createElement("script");
    var s = document.getElementsByTagName("script")[0];
    tagjs.async = true;
    tagjs.src = "//s.yjtag.jp/tag.js#site=$site";
    s.parentNode.insertBefore(tagjs, s);
  }());
</script>
E
    ns("yjtag-noscript-$site", "\n  ", [el('', ['lineyahoo'],
        qq{<iframe src="//b.yjtag.jp/iframe?c=$site" width="1" height="1" frameborder="0" scrolling="no" marginheight="0" marginwidth="0"></iframe>})], "\n"),
) }
sub line_tag { my ($tid) = @_; (
    el("line-tag-$tid", ['lineyahoo'], <<"E" =~ s/\n$//r),
<script>
(function(g,d,o){
  g._ltq=g._ltq||[];g._lt=g._lt||function(){g._ltq.push(arguments)};
  var h=location.protocol==='https:'?'https://d.line-scdn.net':'http://d.line-cdn.net';
  var s=d.createElement('script');s.async=1;
  s.src=o||h+'/n/line_tag/public/release/v1/lt.js';
  var t=d.getElementsByTagName('script')[0];t.parentNode.insertBefore(s,t);
    })(window, document);
_lt('init', {
  customerType: 'lap',
  tagId: '$tid'
});
_lt('send', 'pv', ['$tid']);
</script>
E
    ns("line-tag-noscript-$tid", "\n  ", [el('', ['lineyahoo'],
        qq{<img height="1" width="1" style="display:none"\n       src="https://tr.line.me/tag.gif?c_t=lap&amp;t_id=$tid&amp;e=pv&amp;noscript=1" />})], "\n"),
) }
sub line_share { el('line-share', ['lineyahoo'],
    q{<script src="https://d.line-scdn.net/r/web/social-plugin/js/thirdparty/loader.min.js" async="async" defer="defer"></script>}) }

# --- Microsoft
sub uet { my ($ti) = @_; (
    el("uet-$ti", ['microsoft'], <<"E" =~ s/\n$//r),
<script>(function(w,d,t,r,u){var f,n,i;w[u]=w[u]||[],f=function(){var o={ti:"$ti", enableAutoSpaTracking: true};o.q=w[u],w[u]=new UET(o),w[u].push("pageLoad")},n=d.createElement(t),n.src=r,n.async=1,n.onload=n.onreadystatechange=function(){var s=this.readyState;s&&s!=="loaded"&&s!=="complete"||(f(),n.onload=n.onreadystatechange=null)},i=d.getElementsByTagName(t)[0],i.parentNode.insertBefore(n,i)})(window,document,"script","//bat.bing.com/bat.js","uetq");</script>
E
    ns("uet-noscript-$ti", '', [el('', ['microsoft'],
        qq{<img src="//bat.bing.com/action/0?ti=$ti&amp;Ver=2" height="0" width="0" style="display:none; visibility: hidden;" />})], ''),
) }
sub clarity { my ($id) = @_; el("clarity-$id", ['microsoft'], <<"E" =~ s/\n$//r) }
<script type="text/javascript">
    (function(c,l,a,r,i,t,y){
        c[a]=c[a]||function(){(c[a].q=c[a].q||[]).push(arguments)};
        t=l.createElement(r);t.async=1;t.src="https://www.clarity.ms/tag/"+i;
        y=l.getElementsByTagName(r)[0];y.parentNode.insertBefore(t,y);
    })(window, document, "clarity", "script", "$id");
</script>
E

# --- Meta
sub fb_pixel { my ($id, %o) = @_; (
    el("fbq-$id", ['meta'], <<"E" =~ s/\n$//r),
<script>
!function(f,b,e,v,n,t,s)
{if(f.fbq)return;n=f.fbq=function(){n.callMethod?
n.callMethod.apply(n,arguments):n.queue.push(arguments)};
if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';
n.queue=[];t=b.createElement(e);t.async=!0;
t.src=v;s=b.getElementsByTagName(e)[0];
s.parentNode.insertBefore(t,s)}(window, document,'script',
'https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '$id');
fbq('track', 'PageView');
</script>
E
    ns("fbq-noscript-$id", '', [el('', ['meta'], $o{entity}
        ? qq{<img height="1" width="1" style="display:none"\nsrc="https:&#x2F;&#x2F;www.facebook.com&#x2F;tr?id=$id&amp;ev=PageView&amp;noscript=1"\n/>}
        : qq{<img height="1" width="1" style="display:none"\nsrc="https://www.facebook.com/tr?id=$id&ev=PageView&noscript=1"\n/>})], ''),
) }
sub fb_sdk { el('fb-sdk', ['meta'],
    q{<script async defer crossorigin="anonymous" src="https://connect.facebook.net/ja_JP/sdk.js#xfbml=1&version=v18.0" nonce="Zx81kQ2a"></script>}) }
sub insta_embed { el('instagram-embed', ['meta'], q{<script async src="//www.instagram.com/embed.js"></script>}) }

# --- X
sub x_pixel { my ($pid, %o) = @_; (
    "<!-- Twitter conversion tracking base code -->",
    el("twq-$pid", ['x'], <<"E" =~ s/\n$//r),
<script>
!function(e,t,n,s,u,a){e.twq||(s=e.twq=function(){s.exe?s.exe.apply(s,arguments):s.queue.push(arguments);
},s.version='1.1',s.queue=[],u=t.createElement(n),u.async=!0,u.src='https://static.ads-twitter.com/uwt.js',
a=t.getElementsByTagName(n)[0],a.parentNode.insertBefore(u,a))}(window,document,'script');
twq('config','$pid');
</script>
E
    ns("twq-noscript-$pid", "\n", [
        el('', ['x'], qq{<img height="1" width="1" style="display:none;" alt="" src="https://analytics.twitter.com/i/adsct?txn_id=$pid&amp;p_id=Twitter&amp;tw_sale_amount=0&amp;tw_order_quantity=0" />}),
        el('', ['x'], qq{<img height="1" width="1" style="display:none;" alt="" src="//t.co/i/adsct?txn_id=$pid&amp;p_id=Twitter&amp;tw_sale_amount=0&amp;tw_order_quantity=0" />}),
    ], "\n"),
    "<!-- End Twitter conversion tracking base code -->",
) }
sub x_widgets { el('x-widgets', ['x'], q{<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>}) }

# --- Criteo
sub criteo { my ($acct, $event) = @_; (
    el("criteo-ld-$acct", ['criteo'], qq{<script type="text/javascript" src="//dynamic.criteo.com/js/ld/ld.js?a=$acct" async="true"></script>}),
    el("criteo-q-$acct", ['criteo'], <<"E" =~ s/\n$//r),
<script type="text/javascript">
window.criteo_q = window.criteo_q || [];
var deviceType = /iPad/.test(navigator.userAgent) ? "t" : /Mobile|iP(hone|od)|Android|BlackBerry|IEMobile|Silk/.test(navigator.userAgent) ? "m" : "d";
window.criteo_q.push(
 { event: "setAccount", account: $acct},
 { event: "setEmail", email: "", hash_method: "none" },
 { event: "setSiteType", type: deviceType},
 { event: "$event"});
</script>
E
) }

# --- RTB House
sub rtbhouse { my ($id, $page) = @_; (
    el("rtbh-$id", ['rtbhouse'], <<"E" =~ s/\n$//r),
<script>
    (function (w,d,dn,t){w[dn]=w[dn]||[];w[dn].push({eventType:'init',value:t,dc:'asia'});
    var f=d.getElementsByTagName('script')[0],c=d.createElement('script');c.async=true;
    c.src='https://tags.creativecdn.com/$id.js';
    f.parentNode.insertBefore(c,f);})(window,document,'rtbhEvents','$id');
</script>
E
    el("rtbh-iframe-$id", ['rtbhouse'],
        qq{<iframe src="https://asia.creativecdn.com/tags?id=pr_${id}_$page" width="1" height="1" scrolling="no" frameBorder="0" style="display: none;"></iframe>}),
) }

# --- SmartNews
sub smartnews { my ($id) = @_; (
    el("smartnews-$id", ['smartnews'], <<"E" =~ s/\n$//r),
<script>
!function(){if(window.SmartnewsAds=window.SmartnewsAds||{},!window.SmartnewsAds.p){var e=window.SmartnewsAds.p=function(){e.callMethod?e.callMethod.apply(e,arguments):e.queue.push(arguments)};e.push=e,e.version="1.0.1",e.queue=[];var n=document.createElement("script");n.async=!0,n.src="https://cdn.smartnews-ads.com/i/pixel.js";var s=document.getElementsByTagName("script")[0];s.parentNode.insertBefore(n,s)}}();
SmartnewsAds.p("$id", "PageView");
</script>
E
    ns("smartnews-noscript-$id", "\n", [el('', ['smartnews'],
        qq{<img height="1" width="1" style="display:none;" alt="" src="https://i.smartnews-ads.com/p?id=$id&amp;e=PageView" />})], "\n"),
) }

# --- TikTok
sub tiktok { my ($id) = @_; el("ttq-$id", ['tiktok'], <<"E" =~ s/\n$//r) }
<script>
!function (w, d, t) {
  w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.methods=["page","track","identify","instances","debug","on","off","once","ready","alias","group","enableCookie","disableCookie"],ttq.setAndDefer=function(t,e){t[e]=function(){t.push([e].concat(Array.prototype.slice.call(arguments,0)))}};for(var i=0;i<ttq.methods.length;i++)ttq.setAndDefer(ttq,ttq.methods[i]);ttq.instance=function(t){for(var e=ttq._i[t]||[],n=0;n<ttq.methods.length;n++)ttq.setAndDefer(e,ttq.methods[n]);return e},ttq.load=function(e,n){var i="https://analytics.tiktok.com/i18n/pixel/events.js";ttq._i=ttq._i||{},ttq._i[e]=[],ttq._i[e]._u=i,ttq._t=ttq._t||{},ttq._t[e]=+new Date,ttq._o=ttq._o||{},ttq._o[e]=n||{};var o=document.createElement("script");o.type="text/javascript",o.async=!0,o.src=i+"?sdkid="+e+"&lib="+t;var a=document.getElementsByTagName("script")[0];a.parentNode.insertBefore(o,a)};

  ttq.load('$id');
  ttq.page();
}(window, document, 'ttq');
</script>
E

# --- Tealium
sub utag_data { my ($page, $section) = @_; el("utag-data-$page", ['tealium'], <<"E" =~ s/\n$//r) }
<script type="text/javascript">
  var utag_data = {
    page_type : "$page",
    site_section : "$section",
    language : "ja"
  };
</script>
E
sub utag_sync { my ($acct, $prof) = @_; el("utag-sync-$prof", ['tealium'],
    qq{<script type="text/javascript" src="https://tags.tiqcdn.com/utag/$acct/$prof/prod/utag.sync.js"></script>}) }
sub utag_loader { my ($acct, $prof) = @_; el("utag-loader-$prof", ['tealium'], <<"E" =~ s/\n$//r) }
<script type="text/javascript">
    (function(a,b,c,d){
    a='https://tags.tiqcdn.com/utag/$acct/$prof/prod/utag.js';
    b=document;c='script';d=b.createElement(c);d.src=a;d.type='text/java'+c;d.async=true;
    a=b.getElementsByTagName(c)[0];a.parentNode.insertBefore(d,a);
    })();
</script>
E

# --- Adobe
sub launch { my ($path) = @_; el("adobe-launch-$path", ['adobe'],
    qq{<script src="https://assets.adobedtm.com/$path.min.js" async></script>}) }
sub satellite_bottom { el('adobe-pagebottom', ['adobe'],
    q{<script type="text/javascript">_satellite.pageBottom();</script>}) }
sub appmeasurement { my ($rsid, $page) = @_; (
    el("adobe-sgi-$rsid", ['adobe'], <<"E" =~ s/\n$//r),
<script>
var s=s_gi("$rsid");
s.pageName="$page";
s.channel="ja";
var s_code=s.t();if(s_code)document.write(s_code);
</script>
E
    ns("adobe-noscript-$rsid", '', [el('', ['adobe'],
        qq{<img src="https://ana.sc.omtrdc.net/b/ss/$rsid/1/H.27.5--NS/0" height="1" width="1" border="0" alt="" />})], ''),
) }

# --- Pinterest
sub pinterest { my ($tid) = @_; (
    el("pintrk-$tid", ['pinterest'], <<"E" =~ s/\n$//r),
<script>
!function(e){if(!window.pintrk){window.pintrk = function () {
window.pintrk.queue.push(Array.prototype.slice.call(arguments))};var
  n=window.pintrk;n.queue=[],n.version="3.0";var
  t=document.createElement("script");t.async=!0,t.src=e;var
  r=document.getElementsByTagName("script")[0];
  r.parentNode.insertBefore(t,r)}}("https://s.pinimg.com/ct/core.js");
pintrk('load', '$tid', {em: '<user_email_address>'});
pintrk('page');
</script>
E
    ns("pintrk-noscript-$tid", "\n", [el('', ['pinterest'],
        qq{<img height="1" width="1" style="display:none;" alt=""\n  src="https://ct.pinterest.com/v3/?event=init&tid=$tid&pd[em]=<hashed_email_address>&noscript=1" />})], "\n"),
) }

# --- Skyscanner
sub skyscanner { (
    el('skyscanner-preconnect', ['skyscanner'], q{<link rel="preconnect" href="https://widgets.skyscanner.net" crossorigin>}),
    el('skyscanner-loader', ['skyscanner'], q{<script src="https://widgets.skyscanner.net/widget-server/js/loader.js" async></script>}),
) }
sub skyscanner_logo { el('skyscanner-logo', ['skyscanner'],
    q{<img src="https://logos.skyscnr.com/images/airlines/favicon/NH.png" alt="" width="16" height="16">}) }

# --- Salesforce Marketing Cloud
sub etmc { my ($mid) = @_; (
    el("etmc-src-$mid", ['salesforce'], qq{<script type="text/javascript" src="//$mid.collect.igodigital.com/collect.js"></script>}),
    el("etmc-push-$mid", ['salesforce'], <<"E" =~ s/\n$//r),
<script type="text/javascript">
  _etmc.push(["setOrgId", "$mid"]);
  _etmc.push(["trackPageView"]);
</script>
E
) }

# --- Kakaku.com (Tabelog reservations)
sub tabelog { my ($rcd) = @_; (
    el("tabelog-preconnect", ['kakaku'], q{<link rel="dns-prefetch" href="//yoyaku.tabelog.com">}),
    el("tabelog-form-$rcd", ['kakaku'],
        qq{<iframe class="reserve-frame" src="https://yoyaku.tabelog.com/booking/form/$rcd?lang=ja&amp;partner=anagourmet" width="100%" height="640" frameborder="0"></iframe>}),
) }
sub kakaku_img { my ($id) = @_; el("kakaku-img-$id", ['kakaku'],
    qq{<img src="https://img.kakaku.com/images/productimage/fullscale/$id.jpg" alt="" width="120" height="90">}) }

# --- NaviPlus
sub naviplus { my ($k) = @_; (
    el("naviplus-host-$k", ['naviplus'], <<"E" =~ s/\n$//r),
<script type="text/javascript">
var __snahost = "r3.snva.jp";
var __sna_reco_key = "$k";
</script>
E
    el("naviplus-src-$k", ['naviplus'], qq{<script type="text/javascript" src="https://r3.snva.jp/javascripts/reco/2/sna.js?k=$k" charset="UTF-8"></script>}),
    el("naviplus-call-$k", ['naviplus'], <<"E" =~ s/\n$//r),
<script type="text/javascript">
recoConstructer({ tmpl: "pc_top_01", target: "reco-area" });
</script>
E
) }

# --- Apple
sub applepay { el('applepay-sdk', ['apple'],
    q{<script crossorigin src="https://applepay.cdn-apple.com/jsapi/v1.1.0/apple-pay-sdk.js"></script>}) }
sub appleid { el('appleid-auth', ['apple'],
    q{<script type="text/javascript" src="https://appleid.cdn-apple.com/appleauth/static/jsapi/appleid/1/ja_JP/appleid.auth.js"></script>}) }
sub appstore_icon { my ($n) = @_; el("appstore-icon-$n", ['apple'],
    qq{<img class="app-icon" src="https://is1-ssl.mzstatic.com/image/thumb/Purple126/v4/0a/1b/2c/AppIcon-$n/230x0w.webp" alt="ANA" width="64" height="64">}) }

# --- Supership (Ad Generation)
sub adg { my ($id) = @_; el("adg-$id", ['supership'],
    qq{<script type="text/javascript" src="https://i.socdm.com/sdk/js/adg-script-loader.js?id=$id&amp;targetID=adg_$id&amp;displayid=1&amp;adType=RECT&amp;async=false&amp;tagver=2.0.0"></script>}) }

# --- CyberAgent (CA ProFit-X)
sub caprofitx { my ($id) = @_; el("caprofitx-$id", ['cyberagent'],
    qq{<script src="https://cdn.caprofitx.com/tags/$id/pfx.js" async></script>}) }

# --- Boldright (Platinumaps)
sub platinumaps { my ($map) = @_; el("platinumaps-$map", ['boldright'],
    qq{<iframe src="https://platinumaps.jp/d/$map?list=1" width="100%" height="480" allow="geolocation" loading="lazy" title="周辺マップ"></iframe>}) }

# --- several recipients in one element
sub retarget_bundle { el('retarget-bundle', ['criteo', 'rtbhouse'], <<'E' =~ s/\n$//r) }
<script>
/* retargeting bundle (agency managed) */
(function(d){
  ['https://static.criteo.net/js/ld/publishertag.js',
   'https://tags.creativecdn.com/bundle-ana.js'].forEach(function(u){
    var s=d.createElement('script');s.async=true;s.src=u;d.head.appendChild(s);
  });
})(document);
</script>
E
sub social_bundle { el('social-bundle', ['meta', 'x'], <<'E' =~ s/\n$//r) }
<script>
(function(d){
  var s=d.createElement('script');s.async=true;s.src='https://connect.facebook.net/ja_JP/sdk.js';d.body.appendChild(s);
  var t=d.createElement('script');t.async=true;t.src='https://platform.twitter.com/widgets.js';d.body.appendChild(t);
})(document);
</script>
E

# ------------------------------------------------------------------ decoys
# Plain strings (never gated). Every one is also listed in the manifest's
# "keep" so a failure names the decoy.

sub sns_links { <<'E' =~ s/\n$//r }
<ul class="sns">
  <li><a href="https://www.facebook.com/ANA.Japan" target="_blank" rel="noopener">Facebook</a></li>
  <li><a href="https://twitter.com/ANA_travel_info" target="_blank" rel="noopener">X</a></li>
  <li><a href="https://www.instagram.com/ana.japan/" target="_blank" rel="noopener">Instagram</a></li>
  <li><a href="https://line.me/R/ti/p/@ana_japan" target="_blank" rel="noopener">LINE</a></li>
  <li><a href="https://www.youtube.com/user/ANAchannel" target="_blank" rel="noopener">YouTube</a></li>
</ul>
E
sub jsonld { my ($name, $url) = @_; <<"E" =~ s/\n$//r }
<script type="application/ld+json">
{
  "\@context": "https://schema.org",
  "\@type": "Organization",
  "name": "$name",
  "url": "$url",
  "logo": "https://www.ana.co.jp/common/images/logo.png",
  "sameAs": [
    "https://www.facebook.com/ANA.Japan",
    "https://twitter.com/ANA_travel_info",
    "https://www.instagram.com/ana.japan/",
    "https://www.youtube.com/user/ANAchannel"
  ],
  "potentialAction": {"\@type": "SearchAction", "target": "https://www.ana.co.jp/search?q={q}", "query-input": "required name=q"}
}
</script>
E
sub commented_out { <<'E' =~ s/\n$//r }
<!-- 2019年 旧SDK（廃止済み）
<script async defer src="https://connect.facebook.net/ja_JP/sdk.js#xfbml=1&version=v3.2"></script>
<img src="https://www.facebook.com/tr?id=111111111111111&ev=PageView&noscript=1">
-->
E
sub textarea_decoy { <<'E' =~ s/\n$//r }
<textarea name="inquiry" rows="4" cols="60" placeholder="お問い合わせ内容">タグの貼り付け例（送信しないでください）:
<script src="https://www.googletagmanager.com/gtag/js?id=G-EXAMPLE00"></script>
<img src="https://www.facebook.com/tr?id=1&ev=PageView"></textarea>
E
sub first_party_scripts { <<'E' =~ s/\n$//r }
<script src="/common/js/jquery-3.6.4.min.js"></script>
<script src="/js/app.js" defer></script>
<script>
  window.ANA = window.ANA || {};
  ANA.locale = "ja-JP";
  ANA.legacy = function () {
    document.write('<script src="/js/legacy-ie.js"></scr' + 'ipt>');
    return "</" + "script>";
  };
</script>
E
sub vue_template { <<'E' =~ s/\n$//r }
<script type="text/x-template" id="share-buttons">
  <div class="share">
    <a :href="'https://www.facebook.com/sharer/sharer.php?u=' + url">シェア</a>
    <script src="https://connect.facebook.net/ja_JP/sdk.js"></script>
  </div>
</script>
E
sub inline_style { <<'E' =~ s/\n$//r }
<style>
  .sns a[href*="facebook.com"]::before { content: "<img src='https://www.facebook.com/tr'>"; }
  .hero { background: url("https://www.ana.co.jp/common/images/hero.jpg") center/cover; }
</style>
E
# The banner's style is no decoy: its url() is fetched, so that
# declaration alone goes when google is not allowed (a child of the decoy,
# which itself never goes: mixed).
sub attr_decoy {
    my $decl = 'background-image:url(https://www.google.com/images/branding/googlelogo/1x/googlelogo_color_272x92dp.png)';
    return { name => 'banner-style', recipients => ['google'], mixed => 1,
             html => q{<input type="hidden" name="tracking_note" value="<script src='https://connect.facebook.net/en_US/fbevents.js'></script>">}
                   . qq{\n<div class="banner" data-pixel="<img src=https://www.facebook.com/tr?id=2>" style="$decl"></div>},
             children => [ { recipients => ['google'], html => $decl } ] };
}
sub unknown_third_party { <<'E' =~ s/\n$//r }
<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>
<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Noto+Sans+JP:wght@400;700&amp;display=swap">
<script src="https://ajax.googleapis.com/ajax/libs/jquery/3.6.4/jquery.min.js"></script>
<script src="https://cdn.jsdelivr.net/npm/swiper@9/swiper-bundle.min.js" defer></script>
E
sub youtube { <<'E' =~ s/\n$//r }
<iframe width="560" height="315" src="https://www.youtube.com/embed/dQw4w9WgXcQ" title="ANA 機内安全ビデオ" frameborder="0" allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture" allowfullscreen></iframe>
E
sub x_follow { <<'E' =~ s/\n$//r }
<a href="https://twitter.com/ANA_travel_info?ref_src=twsrc%5Etfw" class="twitter-follow-button" data-show-count="false">Follow @ANA_travel_info</a>
E
sub insta_block { <<'E' =~ s/\n$//r }
<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/CxAnA0000a/" data-instgrm-version="14" style="max-width:540px; min-width:326px; width:99.4%;"><div><a href="https://www.instagram.com/p/CxAnA0000a/" target="_blank">この投稿をInstagramで見る</a></div></blockquote>
E
sub appstore_link { <<'E' =~ s/\n$//r }
<a class="store" href="https://apps.apple.com/jp/app/ana/id000000001">App Storeからダウンロード</a>
<a class="store" href="https://play.google.com/store/apps/details?id=jp.co.ana.android.fake">Google Playで手に入れよう</a>
E

# ------------------------------------------------------------------ chrome

sub header_nav {
    my ($brand, @items) = @_;
    my $li = join '', map { qq{      <li class="gnav__item"><a href="$_->[1]">$_->[0]</a></li>\n} } @items;
    return <<"E" =~ s/\n$//r;
<header class="l-header" role="banner">
  <div class="l-header__inner">
    <a class="logo" href="/"><img src="/common/images/logo.svg" alt="$brand" width="120" height="40"></a>
    <nav class="gnav" aria-label="グローバルナビゲーション">
    <ul>
$li    </ul>
    </nav>
    <div class="util"><a href="/amc/login/">ログイン</a> <a href="/amc/join/">新規入会</a> <a href="/lang/">JAPAN ・日本語</a></div>
  </div>
</header>
E
}

sub footer {
    my ($copy) = @_;
    return <<"E" =~ s/\n$//r;
<footer class="l-footer" role="contentinfo">
  <ul class="footer-links">
    <li><a href="/privacy/">プライバシーポリシー</a></li>
    <li><a href="/cookie/">クッキーポリシー</a></li>
    <li><a href="/external-transmission/">利用者情報の外部送信について</a></li>
    <li><a href="/terms/">サイト利用規約</a></li>
    <li><a href="/accessibility/">ウェブアクセシビリティについて</a></li>
    <li><a href="/sitemap/">サイトマップ</a></li>
  </ul>
  <p class="copyright"><small>Copyright &copy; $copy</small></p>
  <a href="#top" class="pagetop">ページの先頭に戻る</a>
</footer>
E
}

sub notices {
    my (@n) = @_;
    my $i = 0;
    my $li = join '', map { $i++; qq{    <li><time datetime="2026-11-@{[sprintf '%02d', 20 - $i]}">2026年11月@{[20 - $i]}日</time> <a href="/info/$i/">$_</a></li>\n} } @n;
    return <<"E" =~ s/\n$//r;
<section class="notice" aria-labelledby="notice-h">
  <h2 id="notice-h">重要なお知らせ</h2>
  <ul>
$li  </ul>
</section>
E
}

sub table_rows {
    my ($caption, $head, @rows) = @_;
    my $th = join '', map { "<th scope=\"col\">$_</th>" } @$head;
    my $tr = join '', map { "    <tr>" . join('', map { "<td>$_</td>" } @$_) . "</tr>\n" } @rows;
    return <<"E" =~ s/\n$//r;
<table class="tbl">
  <caption>$caption</caption>
  <thead><tr>$th</tr></thead>
  <tbody>
$tr  </tbody>
</table>
E
}

sub flights {
    my @from = ('羽田', '伊丹', '新千歳', '福岡', '那覇', '成田', '関西', '中部');
    my @to   = ('那覇', '新千歳', '福岡', '羽田', '伊丹', 'シンガポール', 'ホノルル', '上海');
    my @r;
    for my $i (0 .. 23) {
        my $f = $from[$i % 8];
        my $t = $to[($i * 3 + 1) % 8];
        next if $f eq $t;
        push @r, [sprintf('NH%03d', 11 + $i * 7), $f, $t,
                  sprintf('%02d:%02d', 6 + $i % 15, ($i * 13) % 60),
                  sprintf('%02d:%02d', 8 + $i % 14, ($i * 29) % 60),
                  ($i % 3 ? '空席あり' : '残りわずか'), sprintf('%s円', 9800 + $i * 1370)];
    }
    return @r;
}

sub page {
    my (%p) = @_;
    my @parts;
    push @parts, qq{<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="UTF-8">\n};
    push @parts, qq{<meta name="viewport" content="width=device-width, initial-scale=1">\n};
    push @parts, qq{<meta name="description" content="$p{description}">\n};
    push @parts, qq{<title>$p{title}</title>\n};
    push @parts, qq{<link rel="canonical" href="$p{url}">\n};
    push @parts, qq{<link rel="icon" href="/favicon.ico">\n<link rel="stylesheet" href="/common/css/common.css">\n};
    push @parts, map { (ref $_ ? $_ : $_, "\n") } @{ $p{head} };
    push @parts, "</head>\n<body class=\"$p{body_class}\">\n";
    push @parts, map { ($_, "\n") } @{ $p{body_top} || [] };
    push @parts, qq{<a class="skip" href="#main">コンテンツへ</a>\n};
    push @parts, $p{header}, "\n<main id=\"main\" class=\"l-main\">\n";
    push @parts, map { ($_, "\n") } @{ $p{main} };
    push @parts, "</main>\n", $p{footer}, "\n";
    push @parts, map { ($_, "\n") } @{ $p{tail} || [] };
    push @parts, "</body>\n</html>\n";
    return @parts;
}

# ------------------------------------------------------------------ sites

my %SITES;

$SITES{'air-booking'} = sub {
    my @nav = (['予約', '/booking/'], ['国内線', '/dom/'], ['国際線', '/inter/'], ['マイレージ', '/amc/'], ['お手伝いが必要なお客様', '/support/']);
    page(
        title => '航空券予約・空席照会 | ANA',
        description => 'ANA国内線・国際線の航空券予約、空席照会、運賃案内。',
        url => 'https://www.ana.co.jp/ja/jp/book-plan/',
        body_class => 'p-booking',
        head => [
            gtm_head('GTM-AB1C2D3'),
            el('gtm-preconnect', ['google'], q{<link rel="preconnect" href="https://www.googletagmanager.com">}),
            el('ga-dns-prefetch', ['google'], q{<link rel="dns-prefetch" href="//www.google-analytics.com">}),
            el('fb-preconnect', ['meta'], q{<link rel="preconnect" href="https://connect.facebook.net" crossorigin>}),
            skyscanner(),
            unknown_third_party(),
            inline_style(),
            utag_data('top', 'booking'),
            utag_sync('ana', 'booking'),
            launch('0a1b2c3d4e5f/6a7b8c9d0e1f/launch-1a2b3c4d5e6f'),
            gtag_src('G-AIRBK00001'),
            gtag_inline('G-AIRBK00001', 'AW-100000001'),
            jsonld('全日本空輸株式会社', 'https://www.ana.co.jp/'),
            first_party_scripts(),
        ],
        body_top => [ gtm_noscript('GTM-AB1C2D3'), utag_loader('ana', 'booking') ],
        header => header_nav('ANA', @nav),
        main => [
            notices('台風接近に伴う運航への影響について', '国内線 空港カウンター営業時間の変更', '国際線 燃油特別付加運賃のご案内'),
            <<'E' =~ s/\n$//r,
<section class="search" aria-labelledby="search-h">
  <h1 id="search-h">航空券を予約する</h1>
  <form class="search-form" action="/booking/search" method="get" autocomplete="off">
    <fieldset>
      <legend>区間</legend>
      <label>出発地 <input type="text" name="dep" value="東京(羽田)" required></label>
      <label>到着地 <input type="text" name="arr" value="沖縄(那覇)" required></label>
      <label><input type="radio" name="trip" value="ow" checked> 片道</label>
      <label><input type="radio" name="trip" value="rt"> 往復</label>
    </fieldset>
    <label>搭乗日 <input type="date" name="date" value="2026-12-24"></label>
    <label>人数
      <select name="adult"><option value="1" selected>大人1名</option><option value="2">大人2名</option><option value="3">大人3名</option></select>
    </label>
    <button type="submit" class="btn btn--primary">検索する</button>
  </form>
</section>
E
            '<section class="result" aria-label="空席照会結果">',
            table_rows('羽田発 12月24日 空席照会', ['便名', '出発', '到着', '出発時刻', '到着時刻', '空席', '運賃'], flights()),
            '</section>',
            attr_decoy(),
            commented_out(),
            '<div id="skyscanner-widget" data-skyscanner-widget="SearchWidget" data-locale="ja-JP" data-market="JP" data-currency="JPY"></div>',
            skyscanner_logo(),
            '<section class="campaign"><h2>キャンペーン</h2><p>冬のおトクな運賃「スーパーバリュー」で、早めの予約がおトク。</p><p>ANAマイレージクラブ会員なら、搭乗でマイルが貯まります。</p></section>',
            youtube(),
            textarea_decoy(),
            sns_links(),
            x_follow(),
            appstore_link(),
            appstore_icon('air1'),
            floodlight('1234567', 'anabk0'),
            rtbhouse('AbCdEfGhIjKlMnOpQrSt', 'home'),
        ],
        footer => footer('ANA・ANA X'),
        tail => [
            satellite_bottom(),
            fb_pixel('100000000000001'),
            x_pixel('o1air'),
            ytag_src(), ytag_conv('1000123456', 'AbCdEfGhIj'), ytag_retarget('AIRBKRT01'),
            line_tag('00000000-aaaa-bbbb-cccc-000000000001'),
            uet('12345678'),
            criteo('12345', 'viewHome'),
            retarget_bundle(),
            smartnews('aaaabbbbccccddddeeee0001'),
            tiktok('CAIRBK00000000000001'),
            pinterest('2612345678901'),
            etmc('100012345'),
            adg('12345'),
        ],
    );
};

$SITES{'tour-booking'} = sub {
    my @nav = (['国内ツアー', '/domtour/'], ['海外ツアー', '/intour/'], ['ホテル', '/hotel/'], ['レンタカー', '/car/'], ['よくあるご質問', '/faq/']);
    my @hotels = map { ["ホテル$_", ('那覇', '札幌', '福岡', '石垣', '宮古島')[$_ % 5], "★" x (3 + $_ % 3), sprintf('%d円〜', 28000 + $_ * 2300), '朝食付'] } 1 .. 18;
    page(
        title => '国内ツアー・旅行予約 | ANAトラベラーズ <script src="https://connect.facebook.net/en_US/fbevents.js"></script>',
        description => 'ANAの航空券と宿泊がセットになった国内ツアー（ダイナミックパッケージ）。',
        url => 'https://www.ana.co.jp/ja/jp/domtour/',
        body_class => 'p-tour',
        head => [
            el('gtm-preload', ['google'], q{<link rel="preload" as="script" href="https://www.googletagmanager.com/gtm.js?id=GTM-TOUR987">}),
            gtm_head('GTM-TOUR987'),
            el('tiktok-dns', ['tiktok'], q{<link rel="dns-prefetch" href="//analytics.tiktok.com">}),
            el('criteo-prefetch', ['criteo'], q{<LINK REL="prefetch" HREF="https://static.criteo.net/js/ld/ld.js">}),
            inline_style(),
            utag_data('tour_top', 'domtour'),
            launch('0a1b2c3d4e5f/7b8c9d0e1f2a/launch-ENtour0001'),
            jsonld('ANA X株式会社', 'https://www.ana.co.jp/ja/jp/domtour/'),
            vue_template(),
            first_party_scripts(),
        ],
        body_top => [ gtm_noscript('GTM-TOUR987') ],
        header => header_nav('ANAトラベラーズ', @nav),
        main => [
            <<'E' =~ s/\n$//r,
<section class="tour-search">
  <h1>ANAトラベラーズ 国内ツアー</h1>
  <form action="/domtour/search" method="post">
    <label>出発地 <select name="from"><option>東京</option><option>大阪</option><option>名古屋</option></select></label>
    <label>行き先 <select name="to"><option>沖縄</option><option>北海道</option><option>九州</option></select></label>
    <label>出発日 <input type="date" name="dep" value="2027-01-08"></label>
    <label>泊数 <input type="number" name="nights" min="1" max="14" value="2"></label>
    <label>客室数 <input type="number" name="rooms" min="1" max="5" value="1"></label>
    <input type="hidden" name="csrf" value="8f1c2e0a9b7d">
    <button type="submit">この条件で検索</button>
  </form>
</section>
E
            table_rows('人気の宿泊施設', ['施設名', 'エリア', 'ランク', '料金', 'プラン'], @hotels),
            el('fb-sdk-root', ['meta'], q{<SCRIPT ASYNC DEFER CROSSORIGIN="anonymous" SRC="https://connect.facebook.net/ja_JP/sdk.js#xfbml=1&amp;version=v18.0"></SCRIPT>}),
            '<div class="fb-page" data-href="https://www.facebook.com/ANA.Japan" data-tabs="timeline" data-width="340"></div>',
            insta_block(),
            insta_embed(),
            x_follow(),
            x_widgets(),
            floodlight('7654321', 'tourbk0'),
            '<section class="howto"><h2>ご予約の流れ</h2><ol><li>出発地・行き先・日程を選択</li><li>航空便と宿泊施設を選択</li><li>お客様情報を入力してお支払い</li></ol></section>',
            attr_decoy(),
            textarea_decoy(),
            commented_out(),
            el('skyscanner-js', ['skyscanner'], qq{<script\nsrc="https://widgets.skyscanner.net/widget-server/js/loader.js"\nasync\n></script>}),
            el('kakaku-iframe-undeclared', ['kakaku'], q{<iframe src="https://tabelog.com/rst/rstwidget?rcd=47000001" width="300" height="250" frameborder="0"></iframe>}),
            platinumaps('ana-okinawa'),
            sns_links(),
        ],
        footer => footer('ANA X Inc.'),
        tail => [
            utag_loader('anax', 'tour'),
            gtag_src('AW-100000002', q => 1),
            gtag_inline('AW-100000002'),
            ga_legacy('UA-10000002-1'),
            appmeasurement('anatourprod', 'domtour:top'),
            fb_pixel('100000000000002', entity => 1),
            x_pixel('o2tour'),
            yjtag('TouRBk1'),
            ytag_src(),
            ytag_retarget('TOURRT002'),
            line_tag('00000000-aaaa-bbbb-cccc-000000000002'),
            uet('22345678'),
            clarity('tourclar01'),
            criteo('22345', 'viewList'),
            rtbhouse('TourHouseTag00000002', 'listing'),
            smartnews('aaaabbbbccccddddeeee0002'),
            tiktok('CTOURBK0000000000002'),
            pinterest('2612345678902'),
            social_bundle(),
        ],
    );
};

$SITES{'app'} = sub {
    page(
        title => 'ANAアプリ | お知らせ',
        description => 'ANAアプリ内で表示するお知らせページ。',
        url => 'https://www.ana.co.jp/app/webview/info/',
        body_class => 'p-app webview',
        head => [
            utag_data('app_info', 'app'),
            utag_sync('ana', 'app'),
            launch('0a1b2c3d4e5f/8c9d0e1f2a3b/launch-ENapp00001'),
            q{<script src="https://www.gstatic.com/firebasejs/8.10.1/firebase-app.js"></script>},
            el('firebase-config', ['google'], <<'E' =~ s/\n$//r),
<script>
  var firebaseConfig = {
    apiKey: "AIzaSyA-FAKE-app-webview",
    authDomain: "ana-app-webview.firebaseapp.com",
    databaseURL: "https://ana-app-webview.firebaseio.com",
    projectId: "ana-app-webview",
    messagingSenderId: "000000000001",
    appId: "1:000000000001:web:0a0b0c0d0e0f"
  };
  firebase.initializeApp(firebaseConfig);
</script>
E
            gtag_src('G-APPWV00001'),
            gtag_inline('G-APPWV00001'),
            first_party_scripts(),
            inline_style(),
        ],
        header => header_nav('ANAアプリ', ['ホーム', '/app/'], ['予約・購入', '/app/book/'], ['搭乗券', '/app/bp/'], ['マイル', '/app/mile/']),
        main => [
            '<section class="app-info"><h1>ANAアプリからのお知らせ</h1><p>搭乗券の表示、運航状況の確認、座席指定がアプリで完結します。</p><p>プッシュ通知を許可すると、遅延・欠航などの情報をいち早くお届けします。</p></section>',
            notices('アプリ最新版（v5.12）公開のお知らせ', 'Apple Watchで搭乗券を表示できるようになりました', 'システムメンテナンスのお知らせ'),
            table_rows('運航状況', ['便名', '出発', '到着', '出発予定', '到着予定', '状況', '備考'], (flights())[0 .. 9]),
            '<div id="adg_20001" class="ad-rect">',
            adg('20001'),
            '</div>',
            caprofitx('30001'),
            etmc('100020001'),
            attr_decoy(),
            commented_out(),
            textarea_decoy(),
            sns_links(),
            appstore_link(),
        ],
        footer => footer('ANA'),
        tail => [
            fb_pixel('100000000000003'),
            x_pixel('o3app'),
            line_tag('00000000-aaaa-bbbb-cccc-000000000003'),
            satellite_bottom(),
            criteo('32345', 'viewPage'),
            tiktok('CAPPWV00000000000003'),
        ],
    );
};

$SITES{'amc-app'} = sub {
    page(
        title => 'ANAマイレージクラブアプリ | マイル口座',
        description => 'ANAマイレージクラブアプリのマイル口座・キャンペーン。',
        url => 'https://www.ana.co.jp/amc/app/webview/',
        body_class => 'p-amcapp webview',
        head => [
            gtm_head('GTM-AMCAPP1'),
            utag_data('amc_top', 'amcapp'),
            launch('0a1b2c3d4e5f/9d0e1f2a3b4c/launch-ENamc00001'),
            el('demdex-preconnect', ['adobe'], q{<link rel="preconnect" href="https://dpm.demdex.net">}),
            el('applepay-preconnect', ['apple'], q{<link rel='preconnect' href='https://applepay.cdn-apple.com'>}),
            first_party_scripts(),
            inline_style(),
            jsonld('ANAマイレージクラブ', 'https://www.ana.co.jp/amc/'),
        ],
        body_top => [ gtm_noscript('GTM-AMCAPP1') ],
        header => header_nav('ANAマイレージクラブ', ['マイル口座', '/amc/account/'], ['マイルを貯める', '/amc/earn/'], ['マイルを使う', '/amc/use/'], ['特典航空券', '/amc/award/']),
        main => [
            <<'E' =~ s/\n$//r,
<section class="mile-balance">
  <h1>マイル口座残高照会</h1>
  <dl>
    <dt>お客様番号</dt><dd>**** **** 12</dd>
    <dt>マイル残高</dt><dd>12,345マイル</dd>
    <dt>プレミアムポイント</dt><dd>8,200 PP</dd>
    <dt>ANA SKY コイン</dt><dd>3,000コイン</dd>
  </dl>
</section>
E
            table_rows('有効期限が近いマイル', ['有効期限', 'マイル', '獲得日', '区分', '備考'], map { ["2027年${_}月末", 1000 + $_ * 250, "2024年${_}月", ('搭乗', 'カード', 'ショッピング')[$_ % 3], '-'] } 1 .. 12),
            platinumaps('ana-hnd-t2'),
            '<div id="adg_20002">', adg('20002'), '</div>',
            caprofitx('30002'),
            appstore_icon('amc1'),
            applepay(),
            skyscanner_logo(),
            kakaku_img('K0001234567'),
            attr_decoy(), commented_out(), textarea_decoy(), sns_links(), insta_block(), appstore_link(),
        ],
        footer => footer('ANA'),
        tail => [
            gtag_src('AW-100000004'), gtag_inline('AW-100000004'),
            appmeasurement('anaamcapp', 'amc:balance'),
            fb_pixel('100000000000004'),
            x_pixel('o4amc'),
            ytag_src(), ytag_conv('1000223456', 'AmcApPcOnV'),
            line_tag('00000000-aaaa-bbbb-cccc-000000000004'),
            uet('42345678'),
            criteo('42345', 'viewItem'),
            rtbhouse('AmcAppHouseTag000004', 'balance'),
            smartnews('aaaabbbbccccddddeeee0004'),
            tiktok('CAMCAP00000000000004'),
            utag_loader('ana', 'amcapp'),
            etmc('100040001'),
            pinterest('2612345678904'),
        ],
    );
};

$SITES{'anapay'} = sub {
    page(
        title => 'ANA Pay | スマホ決済でマイルが貯まる',
        description => 'ANA Payはマイルが貯まる・使えるスマホ決済サービスです。',
        url => 'https://www.ana.co.jp/ja/jp/anapay/',
        body_class => 'p-anapay',
        head => [
            gtm_head('GTM-ANAPAY1'),
            utag_sync('ana', 'anapay'),
            utag_data('anapay_lp', 'anapay'),
            launch('0a1b2c3d4e5f/0e1f2a3b4c5d/launch-ENpay00001'),
            applepay(),
            appleid(),
            first_party_scripts(),
            unknown_third_party(),
            inline_style(),
        ],
        body_top => [ gtm_noscript('GTM-ANAPAY1') ],
        header => header_nav('ANA Pay', ['ANA Payとは', '/anapay/about/'], ['チャージ方法', '/anapay/charge/'], ['使えるお店', '/anapay/shops/'], ['FAQ', '/anapay/faq/']),
        main => [
            <<'E' =~ s/\n$//r,
<section class="pay-hero">
  <h1>ANA Pay でお支払い、マイルが貯まる。</h1>
  <p>Apple Pay／Google Pay に設定して、iD・Visaのタッチ決済が使えるお店でご利用いただけます。</p>
  <div class="apple-pay-button-with-text apple-pay-button-black-with-text" lang="ja"></div>
  <apple-pay-button buttonstyle="black" type="plain" locale="ja-JP"></apple-pay-button>
</section>
E
            table_rows('チャージ方法とマイル', ['チャージ方法', '最低金額', '手数料', 'マイル', '備考'], map { ["方法$_", "${_}000円", '無料', "200円=${_}マイル", '-'] } 1 .. 10),
            appstore_icon('pay1'),
            attr_decoy(), commented_out(), textarea_decoy(), sns_links(), x_follow(), appstore_link(), youtube(),
            etmc('100050001'),
            skyscanner(),
        ],
        footer => footer('ANA'),
        tail => [
            gtag_src('G-ANAPAY0001'), gtag_inline('G-ANAPAY0001', 'AW-100000005'),
            satellite_bottom(),
            fb_pixel('100000000000005'),
            x_pixel('o5pay'),
            ytag_src(), ytag_conv('1000323456', 'PaYcOnV001'),
            line_tag('00000000-aaaa-bbbb-cccc-000000000005'),
            uet('52345678'),
            criteo('52345', 'viewHome'),
            rtbhouse('AnaPayHouseTag000005', 'lp'),
            smartnews('aaaabbbbccccddddeeee0005'),
            tiktok('CANAPY00000000000005'),
            utag_loader('ana', 'anapay'),
            pinterest('2612345678905'),
        ],
    );
};

$SITES{'mall'} = sub {
    my @items = map { ["商品$_", ('トラベルグッズ', '食品', '機内販売', '雑貨')[$_ % 4], sprintf('%d円', 1200 + $_ * 480), sprintf('%dマイル', 10 + $_ * 5), '在庫あり'] } 1 .. 24;
    page(
        title => 'ANA スカイ ガッチャ！モール',
        description => 'ANAのショッピングモール。お買い物でマイルが貯まる。',
        url => 'https://www.anamall.example.jp/',
        body_class => 'p-mall',
        head => [
            ga_legacy('UA-10000006-1'),
            gtag_src('G-MALL000006'),
            gtag_inline('G-MALL000006'),
            first_party_scripts(),
            inline_style(),
            jsonld('ANA スカイ ガッチャ！モール', 'https://www.anamall.example.jp/'),
        ],
        header => header_nav('ANAモール', ['カテゴリ', '/category/'], ['ランキング', '/ranking/'], ['セール', '/sale/'], ['カート', '/cart/']),
        main => [
            '<section class="mall-top"><h1>ANA スカイ ガッチャ！モール</h1><form action="/search" method="get"><input type="search" name="q" placeholder="商品を検索"><button>検索</button></form></section>',
            table_rows('おすすめ商品', ['商品名', 'カテゴリ', '価格', '獲得マイル', '在庫'], @items),
            naviplus('ANAMALL'),
            '<div id="reco-area"></div>',
            attr_decoy(), commented_out(), textarea_decoy(), sns_links(),
        ],
        footer => footer('ANA X'),
        tail => [
            fb_pixel('100000000000006'),
            criteo('62345', 'viewList'),
            rtbhouse('MallHouseTag00000006', 'category'),
        ],
    );
};

$SITES{'card'} = sub {
    my @cards = map { ["ANA${_}カード", ('一般', 'ワイド', 'ゴールド', 'プレミアム')[$_ % 4], sprintf('%d円', 2200 + $_ * 5000), sprintf('%d%%', 10 + $_ * 5), '入会ボーナスあり'] } 1 .. 12;
    page(
        title => 'ANAカード | 入会・比較',
        description => 'ANAカードの種類と特典を比較できます。',
        url => 'https://www.ana.co.jp/ja/jp/amc/anacard/',
        body_class => 'p-card',
        head => [
            gtm_head('GTM-ANACRD1'),
            el('gtm-prefetch', ['google'], q{<link rel=prefetch href=https://www.googletagmanager.com/gtag/js?id=G-CARD000007>}),
            utag_data('card_compare', 'anacard'),
            utag_sync('ana', 'card'),
            launch('0a1b2c3d4e5f/1f2a3b4c5d6e/launch-ENcard0001'),
            first_party_scripts(),
            inline_style(),
        ],
        body_top => [ gtm_noscript('GTM-ANACRD1') ],
        header => header_nav('ANAカード', ['カード一覧', '/anacard/list/'], ['入会キャンペーン', '/anacard/cp/'], ['会員専用', '/anacard/member/']),
        main => [
            '<section class="card-hero"><h1>ANAカードで、マイルがもっと貯まる。</h1><p>ご入会・ご継続のたびにボーナスマイルを積算します。</p></section>',
            table_rows('ANAカード比較', ['カード名', '種類', '年会費', 'ボーナスマイル', '特典'], @cards),
            <<'E' =~ s/\n$//r,
<form class="apply" action="/anacard/apply" method="post">
  <label>お名前（カナ） <input type="text" name="kana" required></label>
  <label>生年月日 <input type="date" name="birth"></label>
  <label><input type="checkbox" name="agree" value="1"> 会員規約に同意する</label>
  <button type="submit">お申し込みへ進む</button>
</form>
E
            applepay(),
            appstore_icon('card1'),
            platinumaps('ana-card-lounge'),
            attr_decoy(), commented_out(), textarea_decoy(), sns_links(), appstore_link(),
        ],
        footer => footer('ANA'),
        tail => [
            gtag_src('G-CARD000007'), gtag_inline('G-CARD000007'),
            satellite_bottom(),
            appmeasurement('anacardprod', 'card:compare'),
            fb_pixel('100000000000007', entity => 1),
            x_pixel('o7card'),
            yjtag('CaRd007'),
            line_tag('00000000-aaaa-bbbb-cccc-000000000007'),
            uet('72345678'),
            criteo('72345', 'viewHome'),
            retarget_bundle(),
            rtbhouse('CardHouseTag00000007', 'compare'),
            smartnews('aaaabbbbccccddddeeee0007'),
            tiktok('CCARD000000000000007'),
            utag_loader('ana', 'card'),
            pinterest('2612345678907'),
            el('skyscanner-undeclared', ['skyscanner'], q{<script src='https://widgets.skyscanner.net/widget-server/js/loader.js' async></script>}),
        ],
    );
};

$SITES{'gourmet'} = sub {
    my @rst = map { ["レストラン$_", ('銀座', '赤坂', '梅田', '博多', '札幌')[$_ % 5], ('和食', 'フレンチ', 'イタリアン', '寿司', '焼肉')[$_ % 5], sprintf('%dマイル', 500 + $_ * 100), '予約可'] } 1 .. 16;
    page(
        title => 'ANAグルメマイル | レストラン予約',
        description => 'レストランの予約・利用でマイルが貯まるANAグルメマイル。',
        url => 'https://www.ana.co.jp/gourmet/',
        body_class => 'p-gourmet',
        head => [
            gtag_src('G-GOURMET008'),
            gtag_inline('G-GOURMET008'),
            tabelog('13000008'),
            first_party_scripts(),
            inline_style(),
        ],
        header => header_nav('ANAグルメマイル', ['エリアから探す', '/gourmet/area/'], ['ジャンルから探す', '/gourmet/genre/'], ['特集', '/gourmet/feature/']),
        main => [
            '<section class="g-search"><h1>レストランを探す</h1><form action="/gourmet/search"><input type="search" name="kw" placeholder="店名・エリア・ジャンル"><button>検索</button></form></section>',
            table_rows('おすすめのお店', ['店名', 'エリア', 'ジャンル', '獲得マイル', '予約'], @rst),
            q{<img src="https://tblg.k-img.com/restaurant/images/Rvw/00008/640x640_rect_00008.jpg" alt="料理写真" width="320" height="320">},
            kakaku_img('K0008000008'),
            naviplus('ANAGOURMET'),
            '<div id="reco-area"></div>',
            attr_decoy(), commented_out(), textarea_decoy(), sns_links(),
        ],
        footer => footer('ANA X'),
        tail => [
            fb_pixel('100000000000008'),
            tiktok('CGOURM00000000000008'),
            line_tag('00000000-aaaa-bbbb-cccc-000000000008'),
        ],
    );
};

$SITES{'mobileplus'} = sub {
    page(
        title => 'ANAマイレージクラブ モバイルプラス',
        description => 'ANAマイレージクラブ モバイルプラス（有料会員サービス）。',
        url => 'https://www.ana.co.jp/amc/mobileplus/',
        body_class => 'p-mobileplus',
        head => [
            gtag_src('G-MOBPLUS009', q => 1),
            gtag_inline('G-MOBPLUS009'),
            first_party_scripts(),
            inline_style(),
        ],
        header => header_nav('モバイルプラス', ['サービス内容', '/mobileplus/service/'], ['お申し込み', '/mobileplus/apply/'], ['解約', '/mobileplus/cancel/']),
        main => [
            '<section><h1>モバイルプラスのご案内</h1><p>月額330円（税込）で、毎月マイルが貯まる特典をご利用いただけます。</p><p>ご利用には、ANAマイレージクラブへのご入会が必要です。</p></section>',
            table_rows('料金と特典', ['コース', '月額', '毎月のマイル', '特典', '備考'], map { ["コース$_", "${_}30円", "${_}0マイル", 'クーポン', '-'] } 1 .. 8),
            attr_decoy(), commented_out(), textarea_decoy(), sns_links(),
        ],
        footer => footer('ANA'),
        tail => [
            utag_loader('ana', 'mobileplus'),
            launch('0a1b2c3d4e5f/2a3b4c5d6e7f/launch-ENmob00001'),
            satellite_bottom(),
        ],
    );
};

# The four map-style properties share a layout with different content.
sub map_site {
    my ($site, $title, $h1, $center, $lead, %o) = @_;
    return sub {
        page(
            title => $title,
            description => $lead,
            url => "https://www.ana.co.jp/$site/",
            body_class => "p-$site",
            head => [
                @{ $o{head} || [] },
                first_party_scripts(),
                inline_style(),
            ],
            header => header_nav($h1, ['空港を選ぶ', "/$site/airport/"], ['アクセス', "/$site/access/"], ['よくあるご質問', "/$site/faq/"]),
            main => [
                qq{<section class="map-search"><h1>$h1</h1><p>$lead</p><form action="/$site/search"><label>出発地 <input type="text" name="from" value="現在地"></label><label>目的地 <input type="text" name="to" value="羽田空港 第2ターミナル"></label><button>ルート検索</button></form></section>},
                '<div id="map" style="width:100%;height:420px" data-lat="35.5494" data-lng="139.7798"></div>',
                <<'E' =~ s/\n$//r,
<script>
  function initMap() {
    var el = document.getElementById('map');
    var pos = { lat: Number(el.dataset.lat), lng: Number(el.dataset.lng) };
    window.ANA_MAP = new google.maps.Map(el, { center: pos, zoom: 14 });
  }
</script>
E
                @{ $o{main} || [] },
                table_rows('主な交通手段', ['手段', '所要時間', '料金', '本数', '備考'], map { ["手段$_", "${_}5分", "${_}00円", "1時間に${_}本", '-'] } 1 .. 8),
                attr_decoy(), commented_out(), textarea_decoy(), sns_links(),
            ],
            footer => footer('ANA'),
            tail => $o{tail} || [],
        );
    };
}

$SITES{'airport-navi'} = map_site('airport-navi', '空港アクセスナビ | ANA', '空港アクセスナビ', '35.5494,139.7798',
    '空港までの交通手段と所要時間を検索できます。',
    head => [ maps_js('navi'), launch('0a1b2c3d4e5f/3b4c5d6e7f8a/launch-ENnavi0001') ],
    main => [ maps_static('35.5494,139.7798', 'navi'), platinumaps('ana-airport-navi'), youtube() ],
    tail => [ appmeasurement('anaairportnavi', 'navi:top'), fb_pixel('100000000000010'), x_pixel('o10navi') ]);

$SITES{'soratabi'} = map_site('soratabi', 'ANAそらたび検索', 'そらたび検索', '26.2124,127.6809',
    '旅先の観光スポットを地図から探せます。',
    head => [ maps_js('sora'), launch('0a1b2c3d4e5f/4c5d6e7f8a9b/launch-ENsora0001') ],
    main => [ maps_embed('0x34e5697140e8e5ad%3A0x2f0b0b3a5e0b0b0b', 'sora'), maps_static('26.2124,127.6809', 'sora'), skyscanner_logo() ],
    tail => [ satellite_bottom(), criteo('112345', 'viewSearch') ]);

$SITES{'airport-transfer'} = map_site('airport-transfer', '空港送迎予約サービス | ANA', '空港送迎予約', '35.7720,140.3929',
    'ご自宅から空港までの送迎タクシーを予約できます。',
    head => [ maps_js('xfer'), launch('0a1b2c3d4e5f/5d6e7f8a9b0c/launch-ENxfer0001') ],
    main => [ maps_static('35.7720,140.3929', 'xfer') ],
    tail => [ appmeasurement('anaxfer', 'transfer:top'), ytag_src(), ytag_conv('1000623456', 'XfErCoNv01'), uet('122345678') ]);

$SITES{'tabicube'} = map_site('tabicube', '旅CUBE | ANA', '旅CUBE', '43.0642,141.3469',
    '旅の計画を地図上で組み立てられます。',
    head => [ maps_js('cube') ],
    main => [ maps_embed('0x5f0b2974a10d4e89%3A0x1b0f0b0b0b0b0b0b', 'cube') ],
    tail => [ launch('0a1b2c3d4e5f/6e7f8a9b0c1d/launch-ENcube0001'), fb_pixel('100000000000013') ]);

# ------------------------------------------------------------------ emit

my @KEEP = (
    '<a href="https://www.facebook.com/ANA.Japan" target="_blank" rel="noopener">Facebook</a>',
    '"https://twitter.com/ANA_travel_info",',
    '<script src="https://connect.facebook.net/ja_JP/sdk.js"></script>',
    '<img src="https://www.facebook.com/tr?id=1&ev=PageView"></textarea>',
    q{document.write('<script src="/js/legacy-ie.js"></scr' + 'ipt>');},
    '<script src="/js/app.js" defer></script>',
    q{content: "<img src='https://www.facebook.com/tr'>";},
    q{value="<script src='https://connect.facebook.net/en_US/fbevents.js'></script>"},
    'data-pixel="<img src=https://www.facebook.com/tr?id=2>"',
    '<script async defer src="https://connect.facebook.net/ja_JP/sdk.js#xfbml=1&version=v3.2"></script>',
);

my $json = JSON::PP->new->utf8->canonical->pretty;
for my $site (sort keys %SITES) {
    my @parts = $SITES{$site}->();
    my ($html, @elements) = ('');
    for my $p (@parts) {
        if (ref $p) {
            $html .= $p->{html};
            push @elements, $p;
        } else {
            $html .= $p;
        }
    }
    my $bytes = $html;
    utf8::encode($bytes);
    # uniqueness: every element (and pixel) must occur exactly once
    for my $e (@elements, map { @{ $_->{children} || [] } } @elements) {
        my $n = () = $html =~ /\Q$e->{html}\E/g;
        die "$site: element '" . ($e->{name} // 'child') . "' occurs $n times\n" if $n != 1;
    }
    my %seen;
    for my $e (@elements) {
        die "$site: duplicate element name $e->{name}\n" if $seen{ $e->{name} }++;
    }
    my @keep = grep { index($html, $_) >= 0 } @KEEP;
    my $manifest = {
        site     => $site,
        fixture  => "$site.html",
        elements => \@elements,
        keep     => \@keep,
    };
    open my $fh, '>:raw', "$OUT/$site.html" or die $!;
    print {$fh} $bytes;
    close $fh;
    open $fh, '>:raw', "$OUT/$site.json" or die $!;
    print {$fh} $json->encode($manifest);
    close $fh;
    printf "%-18s %6d bytes %3d elements\n", $site, length $bytes, scalar @elements;
}
