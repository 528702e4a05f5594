#!/usr/bin/env perl
# Writes the benchmark page: a realistic ~350 KB flight-search results page
# (fare calendar, flight result cards, inline CSS and JSON config, Japanese
# text, first-party scripts) carrying 43 third-party tracker elements of
# rules/ana.yaml, spread through <head> and <body>.
#
#   perl bench/make-page.pl [OUT.html]        (default build/bench/page.html)
#
# Deterministic: a fixed LCG drives every choice, so the page is the same
# byte for byte on every machine. Core Perl only.
#
# Every tracker element sits on a line of its own. The regex competitor
# (subs_filter) matches line by line and could not remove a multi-line tag
# at all, so this layout is a concession in its favour; first-party scripts,
# styles and markup stay multi-line as usual.
#
# Besides the page it writes OUT.expect, the facts bench.sh verifies:
#   tracker_elements N     tracker elements on the page (lines that change)
#   kept_host_mentions K   tracker host names that must survive the strip:
#                          <a href> links and JSON-LD sameAs (not loaders)

use strict;
use warnings;
use utf8;

my $out = shift // 'build/bench/page.html';

# ---- deterministic randomness ----
my $seed = 20251122;
sub rnd {                       # integer in [0, n)
    my ($n) = @_;
    { use integer; $seed = ($seed * 1103515245 + 12345) % 2147483648; }
    return ($seed >> 8) % $n;
}
sub pick { return $_[rnd(scalar @_)]; }

sub yen {
    my ($n) = @_;
    1 while $n =~ s/^(\d+)(\d{3})/$1,$2/;
    return "¥$n";
}

my @html;                       # output lines
my $trackers = 0;
my $kept_mentions = 0;
sub line    { push @html, @_; }
sub tracker { push @html, $_[0]; $trackers++; }

# ---- data ----
my @airports = (
    [HND => '東京(羽田)'], [NRT => '東京(成田)'], [ITM => '大阪(伊丹)'],
    [KIX => '大阪(関西)'], [CTS => '札幌(新千歳)'], [FUK => '福岡'],
    [OKA => '沖縄(那覇)'], [NGO => '名古屋(中部)'], [SDJ => '仙台'],
    [HIJ => '広島'], [KOJ => '鹿児島'], [KMJ => '熊本'], [NGS => '長崎'],
    [MYJ => '松山'], [TAK => '高松'], [HKD => '函館'], [AKJ => '旭川'],
    [ISG => '石垣'], [MMY => '宮古'], [KIJ => '新潟'], [KMQ => '小松'],
    [TOY => '富山'], [AXT => '秋田'], [AOJ => '青森'], [OIT => '大分'],
    [KMI => '宮崎'], [UBJ => '山口宇部'], [TKS => '徳島'], [KCZ => '高知'],
    [MMB => '女満別'], [KUH => '釧路'], [OBO => '帯広'], [WKJ => '稚内'],
);
my @aircraft = ('ボーイング787-8', 'ボーイング787-9', 'ボーイング777-200',
    'ボーイング767-300', 'エアバスA321neo', 'ボーイング737-800',
    'DHC-8-400', 'エアバスA320neo');
my @fares = (
    ['FLEX',  'ANA FLEX',              'fare--flex',  1.00, '予約変更可・取消手数料なし'],
    ['BIZ',   'ANA Business Solution', 'fare--biz',   0.92, '法人契約のお客様向け'],
    ['VALUE', 'ANA VALUE',             'fare--value', 0.68, '予約変更不可・搭乗日の3日前まで購入'],
    ['SV',    'ANA SUPER VALUE',       'fare--sv',    0.41, '予約変更不可・取消手数料あり'],
    ['SVS',   'ANA SUPER VALUE SALE',  'fare--sale',  0.33, '期間限定のセール運賃'],
);
my @notes = (
    'この便は共同運航便です。運航はANAウイングスが行います。',
    '機内Wi-Fiサービスを無料でご利用いただけます（一部機材を除く）。',
    'プレミアムクラスでは季節の軽食とお飲み物をご用意しております。',
    '出発時刻の20分前までに保安検査場をご通過ください。',
    '天候調査中：到着空港の天候により引き返す可能性があります。',
    'この便はマイル積算率が運賃により異なります。詳しくは運賃ルールをご確認ください。',
    'ベビーカーは搭乗口までご利用いただけます。',
    'スマートフォンでの搭乗手続きがご利用いただけます。',
);

# ---- <head> ----
line '<!DOCTYPE html>';
line '<html lang="ja" class="no-js">';
line '<head>';
line '<meta charset="utf-8">';
line '<meta http-equiv="X-UA-Compatible" content="IE=edge">';
line '<meta name="viewport" content="width=device-width, initial-scale=1">';
line '<title>検索結果 東京(羽田) → 大阪(伊丹) 2025年12月12日 | 国内線 航空券予約 | ANA (bench)</title>';
line '<meta name="description" content="ANA国内線の空席照会・運賃案内。出発地・到着地・搭乗日を選んで、ANA FLEX、ANA VALUE、ANA SUPER VALUEなどの運賃を比較して予約できます。">';
line '<link rel="canonical" href="https://www.ana-bench.example/ja/jp/domestic/search/">';
line '<link rel="preconnect" href="https://cdn.ana-bench.example" crossorigin>';
line '<link rel="dns-prefetch" href="//img.ana-bench.example">';
tracker '<link rel="preconnect" href="https://www.googletagmanager.com">';
tracker '<link rel="dns-prefetch" href="//connect.facebook.net">';
tracker '<link rel="preconnect" href="https://static.criteo.net" crossorigin>';
tracker '<link rel="dns-prefetch" href="//tags.tiqcdn.com">';
tracker '<link rel="preload" as="script" href="https://analytics.tiktok.com/i18n/pixel/events.js">';
tracker '<link rel="dns-prefetch" href="//s.yimg.jp">';
line '<link rel="stylesheet" href="/assets/css/common.css?v=20251120">';
line '<link rel="stylesheet" href="/assets/css/domestic-search.css?v=20251120">';
line '<link rel="icon" href="/favicon.ico">';

# inline CSS: a critical-path block of component rules
line '<style>';
{
    my @blocks = qw(header nav breadcrumb search form calendar results flight-card
                    fare badge modal footer aside promo tabs pager tooltip notice);
    my @props = (
        'display:flex', 'display:block', 'display:grid', 'position:relative',
        'margin:0 auto', 'padding:8px 16px', 'padding:12px', 'border:1px solid #d6dbe1',
        'border-radius:4px', 'color:#13294b', 'color:#666', 'background:#fff',
        'background:#f5f7fa', 'font-size:14px', 'font-size:12px', 'font-weight:700',
        'line-height:1.6', 'align-items:center', 'justify-content:space-between',
        'gap:8px', 'white-space:nowrap', 'overflow:hidden', 'text-overflow:ellipsis',
        'box-shadow:0 1px 3px rgba(0,0,0,.12)', 'transition:opacity .2s ease-in-out',
    );
    for my $b (@blocks) {
        for my $el ('', qw(__inner __title __body __item __link __icon --active --disabled)) {
            my $sel = ".$b$el";
            my @p = map { pick(@props) } 1 .. 3 + rnd(4);
            line $sel . "{" . join(';', @p) . '}';
        }
        line "\@media (max-width:767px){.${b}{padding:8px;font-size:13px}.${b}__inner{display:block}}";
    }
}
line '</style>';

# Google Tag Manager (minified loader, one line)
tracker q{<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src='https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);})(window,document,'script','dataLayer','GTM-BENCH01');</script>};
# Tealium: utag_data, synchronous utag.sync.js
tracker q{<script type="text/javascript">var utag_data={"page_type":"domestic_search","site_section":"booking","language":"ja","origin":"HND","destination":"ITM","departure_date":"2025-12-12","passengers_adult":"1","customer_status":"guest"};</script>};
tracker '<script src="//tags.tiqcdn.com/utag/ana-bench/main/prod/utag.sync.js"></script>';
# Adobe Launch
tracker '<script src="https://assets.adobedtm.com/launch-ENbench0000000000000000000000.min.js" async></script>';
# Meta Pixel and its noscript fallback
tracker q{<script>!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?n.callMethod.apply(n,arguments):n.queue.push(arguments)};if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';n.queue=[];t=b.createElement(e);t.async=!0;t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}(window,document,'script','https://connect.facebook.net/en_US/fbevents.js');fbq('init','000000000000000');fbq('track','PageView');fbq('track','Search',{content_type:'flight',origin_airport:'HND',destination_airport:'ITM'});</script>};
tracker '<noscript><img height="1" width="1" style="display:none" src="https://www.facebook.com/tr?id=000000000000000&amp;ev=PageView&amp;noscript=1"/></noscript>';
# gtag.js (GA4 + Google Ads)
tracker '<script async src="https://www.googletagmanager.com/gtag/js?id=G-BENCH00001"></script>';
tracker q{<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('js',new Date());gtag('config','G-BENCH00001',{'send_page_view':true});gtag('config','AW-000000000');</script>};

# JSON-LD: data blocks never run; their links are kept on purpose
line '<script type="application/ld+json">';
line '{"@context":"https://schema.org","@type":"Organization","name":"ANA (bench)","url":"https://www.ana-bench.example/",';
line ' "logo":"https://www.ana-bench.example/assets/img/logo.svg",';
line ' "sameAs":["https://www.facebook.com/ana.bench","https://x.com/ana_bench","https://www.instagram.com/ana.bench/"]}';
$kept_mentions += 3;
line '</script>';

# first-party application config (JSON data block, one long line per section)
line '<script id="app-config" type="application/json">';
line '{"locale":"ja-JP","currency":"JPY","apiBase":"/api/v3/domestic","features":{"seatMap":true,"fareCompare":true,"priceAlert":false,"smartBoarding":true},';
{
    my @a;
    for my $ap (@airports) {
        push @a, sprintf('{"code":"%s","name":"%s","region":"%s","terminal":"%d"}',
                         $ap->[0], $ap->[1], pick('北海道', '東北', '関東', '中部', '近畿', '中国', '四国', '九州', '沖縄'),
                         1 + rnd(3));
    }
    line ' "airports":[' . join(',', @a) . '],';
    my @m;
    for my $k (1 .. 60) {
        push @m, sprintf('"msg.search.%03d":"%s"', $k, pick(@notes));
    }
    line ' "messages":{' . join(',', @m) . '}}';
}
line '</script>';

# first-party feature detection (multi-line)
line '<script>';
line '(function (doc) {';
line '  var root = doc.documentElement;';
line "  root.className = root.className.replace(/\\bno-js\\b/, 'js');";
line "  if (!('IntersectionObserver' in window)) { root.className += ' no-io'; }";
line '  try { window.localStorage.setItem("__probe", "1"); window.localStorage.removeItem("__probe"); }';
line "  catch (e) { root.className += ' no-storage'; }";
line '})(document);';
line '</script>';
line '</head>';

# ---- <body> ----
line '<body class="page-domestic page-search">';
tracker '<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-BENCH01" height="0" width="0" style="display:none;visibility:hidden"></iframe></noscript>';
line '<div id="wrapper">';
line '<a class="skip-link" href="#main">本文へ移動</a>';
line '<header class="header">';
line '  <div class="header__inner">';
line '    <a class="header__logo" href="/ja/jp/"><img src="/assets/img/logo.svg" alt="ANA" width="120" height="40"></a>';
line '    <nav class="nav" aria-label="グローバルナビゲーション">';
line '      <ul class="nav__list">';
for my $menu (['国内線', 'domestic'], ['国際線', 'international'], ['ツアー', 'tour'],
              ['マイレージ', 'amc'], ['運航状況', 'flight-status'], ['ヘルプ', 'help']) {
    my ($label, $slug) = @$menu;
    line "        <li class=\"nav__item\"><a class=\"nav__link\" href=\"/ja/jp/$slug/\">$label</a>";
    line '          <div class="nav__mega"><div class="nav__mega-inner">';
    for my $col (1 .. 3) {
        line '            <ul class="nav__sub">';
        for my $k (1 .. 6) {
            my $t = pick('予約・購入', '空席照会', '運賃案内', '搭乗手続き', '手荷物',
                         'サービス案内', 'キャンペーン', '特典航空券', 'よくあるご質問');
            line "              <li class=\"nav__sub-item\"><a href=\"/ja/jp/$slug/c$col/p$k/\">$t</a></li>";
        }
        line '            </ul>';
    }
    line '          </div></div>';
    line '        </li>';
}
line '      </ul>';
line '    </nav>';
line '    <div class="header__util"><a href="/ja/jp/amc/login/">ログイン</a> <a href="/en/jp/">English</a></div>';
line '  </div>';
line '</header>';
line '<nav class="breadcrumb" aria-label="パンくずリスト"><ol class="breadcrumb__inner"><li><a href="/ja/jp/">ホーム</a></li><li><a href="/ja/jp/domestic/">国内線</a></li><li aria-current="page">空席照会結果</li></ol></nav>';

# Yahoo! JAPAN ads tag and LINE Tag, early in the body
tracker '<script async src="https://s.yimg.jp/images/listing/tool/cv/ytag.js"></script>';
tracker q{<script>window.yjDataLayer=window.yjDataLayer||[];function ytag(){yjDataLayer.push(arguments);}ytag({"type":"ycl_cookie","config":{"ycl_use_non_cookie_storage":true}});</script>};
tracker q{<script>(function(g,d,o){g._ltq=g._ltq||[];g._lt=g._lt||function(){g._ltq.push(arguments)};var h=location.protocol==='https:'?'https://d.line-scdn.net':'http://d.line-cdn.net';var s=d.createElement('script');s.async=1;s.src=o||h+'/n/line_tag/public/release/v1/lt.js';var t=d.getElementsByTagName('script')[0];t.parentNode.insertBefore(s,t);})(window,document);_lt('init',{customerType:'lap',tagId:'00000000-0000-0000-0000-000000000000'});_lt('send','pv',['00000000-0000-0000-0000-000000000000']);</script>};
tracker '<noscript><img height="1" width="1" style="display:none" src="https://tr.line.me/tag.gif?c_t=lap&amp;t_id=00000000-0000-0000-0000-000000000000&amp;e=pv&amp;noscript=1"/></noscript>';

line '<main id="main" class="main">';
line '<h1 class="search__title">国内線 空席照会結果</h1>';

# search form
line '<section class="search">';
line '  <form class="form" action="/ja/jp/domestic/search/" method="get">';
for my $f (['from', '出発地', 'HND'], ['to', '到着地', 'ITM']) {
    my ($name, $label, $sel) = @$f;
    line "    <div class=\"form__item\"><label class=\"form__label\" for=\"$name\">$label</label>";
    line "      <select class=\"form__select\" id=\"$name\" name=\"$name\">";
    for my $ap (@airports) {
        my $s = $ap->[0] eq $sel ? ' selected' : '';
        line "        <option value=\"$ap->[0]\"$s>$ap->[1]（$ap->[0]）</option>";
    }
    line '      </select></div>';
}
line '    <div class="form__item"><label class="form__label" for="date">搭乗日</label><input class="form__input" type="date" id="date" name="date" value="2025-12-12"></div>';
line '    <div class="form__item"><label class="form__label" for="adult">大人</label><input class="form__input" type="number" id="adult" name="adult" value="1" min="1" max="9"></div>';
line '    <button class="form__submit" type="submit">この条件で再検索</button>';
line '  </form>';
line '</section>';

# fare calendar: nine weeks of lowest fares
line '<section class="calendar" aria-labelledby="cal-title">';
line '  <h2 id="cal-title" class="calendar__title">運賃カレンダー（最安運賃・片道大人1名）</h2>';
line '  <table class="calendar__table">';
line '    <thead><tr><th scope="col">日</th><th scope="col">月</th><th scope="col">火</th><th scope="col">水</th><th scope="col">木</th><th scope="col">金</th><th scope="col">土</th></tr></thead>';
line '    <tbody>';
{
    my $day = 0;
    for my $w (1 .. 9) {
        line '      <tr>';
        for my $d (0 .. 6) {
            $day++;
            my $mon = $day <= 31 ? 12 : 1;
            my $dd  = $day <= 31 ? $day : $day - 31;
            my $price = 8_000 + 100 * rnd(160);
            my $cls = $price < 11_000 ? ' calendar__cell--low' : '';
            line "        <td class=\"calendar__cell$cls\"><a href=\"/ja/jp/domestic/search/?from=HND&amp;to=ITM&amp;date=2026-$mon-$dd\"><span class=\"calendar__date\">$mon/$dd</span><span class=\"calendar__price\">" . yen($price) . '〜</span></a></td>';
        }
        line '      </tr>';
    }
}
line '    </tbody>';
line '  </table>';
line '</section>';

# Microsoft UET and Clarity, X pixel: before the results
tracker q{<script>(function(w,d,t,r,u){var f,n,i;w[u]=w[u]||[],f=function(){var o={ti:"000000000",enableAutoSpaTracking:true};o.q=w[u],w[u]=new UET(o),w[u].push("pageLoad")},n=d.createElement(t),n.src=r,n.async=1,n.onload=n.onreadystatechange=function(){var s=this.readyState;s&&s!=="loaded"&&s!=="complete"||(f(),n.onload=n.onreadystatechange=null)},i=d.getElementsByTagName(t)[0],i.parentNode.insertBefore(n,i)})(window,document,"script","//bat.bing.com/bat.js","uetq");</script>};
tracker q{<script type="text/javascript">(function(c,l,a,r,i,t,y){c[a]=c[a]||function(){(c[a].q=c[a].q||[]).push(arguments)};t=l.createElement(r);t.async=1;t.src="https://www.clarity.ms/tag/"+i;y=l.getElementsByTagName(r)[0];y.parentNode.insertBefore(t,y);})(window,document,"clarity","script","benchclar0");</script>};
tracker q{<script>!function(e,t,n,s,u,a){e.twq||(s=e.twq=function(){s.exe?s.exe.apply(s,arguments):s.queue.push(arguments);},s.version='1.1',s.queue=[],u=t.createElement(n),u.async=!0,u.src='https://static.ads-twitter.com/uwt.js',a=t.getElementsByTagName(n)[0],a.parentNode.insertBefore(u,a))}(window,document,'script');twq('config','o0000');</script>};

# results
line '<section class="results" aria-labelledby="res-title">';
line '  <h2 id="res-title" class="results__title">東京(羽田) → 大阪(伊丹) 12月12日(金) の空席状況</h2>';
line '  <div class="results__sort"><button type="button" class="tabs__item tabs__item--active">出発時刻順</button><button type="button" class="tabs__item">運賃の安い順</button><button type="button" class="tabs__item">所要時間順</button></div>';

# tracker elements placed between result cards: [after card k, html]
my %mid = (
    8   => [q{<script type="text/javascript">window.criteo_q=window.criteo_q||[];var deviceType=/iPad/.test(navigator.userAgent)?"t":/Mobile|iP(hone|od)|Android|BlackBerry|IEMobile|Silk/.test(navigator.userAgent)?"m":"d";window.criteo_q.push({event:"setAccount",account:00000},{event:"setSiteType",type:deviceType},{event:"viewSearch",checkin_date:"2025-12-12",nbra:1});</script>},
            '<script type="text/javascript" src="//static.criteo.net/js/ld/ld.js" async="true"></script>'],
    18  => [q{<script>(function (w,d,dn,t){w[dn]=w[dn]||[];w[dn].push({eventType:'init',value:t,dc:''});var f=d.getElementsByTagName('script')[0],c=d.createElement('script');c.async=true;c.src='https://tags.creativecdn.com/benchRTB0000000.js';f.parentNode.insertBefore(c,f);})(window,document,'rtbhEvents','benchRTB0000000');</script>},
            '<iframe src="https://us.creativecdn.com/tags?id=pr_benchRTB_listing_HND_ITM&amp;ncm=1" width="1" height="1" scrolling="no" frameBorder="0" style="display: none;"></iframe>'],
    28  => [q{<script>gtag('event','view_search_results',{'search_term':'HND-ITM','items':[{'item_id':'NH015','item_category':'domestic'},{'item_id':'NH017','item_category':'domestic'}]});</script>},
            '<img height="1" width="1" style="border-style:none;" alt="" src="//googleads.g.doubleclick.net/pagead/viewthroughconversion/000000000/?guid=ON&amp;script=0"/>'],
    38  => [q{<script>!function(){if(window.SmartnewsAds=window.SmartnewsAds||{},!window.SmartnewsAds.p){var e=window.SmartnewsAds.p=function(){e.callMethod?e.callMethod.apply(e,arguments):e.queue.push(arguments)};e.push=e,e.version="1.0.0",e.queue=[];var n=document.createElement("script");n.async=!0,n.src="https://cdn.smartnews-ads.com/i/pixel.js";var s=document.getElementsByTagName("script")[0];s.parentNode.insertBefore(n,s)}}();SmartnewsAds.p("benchsn000000000000000","PageView");</script>},
            '<noscript><img height="1" width="1" style="display:none;" alt="" src="https://i.smartnews-ads.com/p?id=benchsn000000000000000&amp;e=PageView" /></noscript>'],
    48  => [q{<script>!function (w, d, t) {w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.methods=["page","track","identify","instances","debug","on","off","once","ready","alias","group","enableCookie","disableCookie"],ttq.setAndDefer=function(t,e){t[e]=function(){t.push([e].concat(Array.prototype.slice.call(arguments,0)))}};for(var i=0;i<ttq.methods.length;i++)ttq.setAndDefer(ttq,ttq.methods[i]);ttq.load=function(e,n){var i="https://analytics.tiktok.com/i18n/pixel/events.js";ttq._i=ttq._i||{},ttq._i[e]=[],ttq._u=i;var o=document.createElement("script");o.type="text/javascript",o.async=!0,o.src=i+"?sdkid="+e+"&lib="+t;var a=document.getElementsByTagName("script")[0];a.parentNode.insertBefore(o,a)};ttq.load('BENCHTT0000000000000');ttq.page();}(window, document, 'ttq');</script>},
            '<img src="https://www.skyscanner.net/partner/pixel/ana-bench.gif?pid=ANA0000&amp;ev=search" width="1" height="1" alt="" style="display:none">'],
    58  => [q{<script>!function(e){if(!window.pintrk){window.pintrk=function(){window.pintrk.queue.push(Array.prototype.slice.call(arguments))};var n=window.pintrk;n.queue=[],n.version="3.0";var t=document.createElement("script");t.async=!0,t.src=e;var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r)}}("https://s.pinimg.com/ct/core.js");pintrk('load','2610000000000',{em:''});pintrk('page');</script>},
            '<noscript><img height="1" width="1" style="display:none;" alt="" src="https://ct.pinterest.com/v3/?event=init&amp;tid=2610000000000&amp;noscript=1" /></noscript>'],
    68  => ['<iframe src="https://0000000.fls.doubleclick.net/activityi;src=0000000;type=search0;cat=domes0;dc_lat=;dc_rdid=;tag_for_child_directed_treatment=;ord=1?" width="1" height="1" frameborder="0" style="display:none"></iframe>',
            '<img height="1" width="1" style="display:none;" alt="" src="https://analytics.twitter.com/i/adsct?txn_id=o0000&amp;p_id=Twitter&amp;tw_sale_amount=0&amp;tw_order_quantity=0" />'],
    80  => ['<img height="1" width="1" style="display:none;" alt="" src="https://t.co/i/adsct?txn_id=o0000&amp;p_id=Twitter&amp;tw_sale_amount=0&amp;tw_order_quantity=0" />',
            '<script async src="https://s.yimg.jp/images/listing/tool/cv/conversion.js"></script>'],
);

my $ncards = 90;
my ($h, $m) = (6, 20);
for my $k (1 .. $ncards) {
    $m += 5 + rnd(12);
    if ($m >= 60) { $h++; $m -= 60; }
    my $dur = 60 + rnd(20);
    my ($ah, $am) = ($h + int(($m + $dur) / 60), ($m + $dur) % 60);
    my $flno  = 11 + 2 * $k;
    my $base  = 21_000 + 100 * rnd(120);
    my $plane = pick(@aircraft);
    my $dep   = sprintf('%02d:%02d', $h % 24, $m);
    my $arr   = sprintf('%02d:%02d', $ah % 24, $am);
    my $code  = sprintf('NH%03d', $flno);
    my $low   = int($base * 0.33 / 10) * 10;

    line "  <article class=\"flight-card\" id=\"fc-$code\" data-flight=\"$code\" data-dep=\"2025-12-12T$dep\" data-fare-min=\"$low\">";
    line '    <div class="flight-card__inner">';
    line '      <div class="flight-card__summary">';
    line "        <div class=\"flight-card__times\"><span class=\"time time--dep\">$dep</span><span class=\"flight-card__icon\" aria-hidden=\"true\">→</span><span class=\"time time--arr\">$arr</span></div>";
    line '        <div class="flight-card__route"><span class="apt">東京(羽田)</span> <span class="code">HND</span> <span class="sep">—</span> <span class="apt">大阪(伊丹)</span> <span class="code">ITM</span></div>';
    line sprintf('        <div class="flight-card__meta"><span class="flight-no">NH %d</span> <span class="aircraft">%s</span> <span class="duration">所要時間 %d時間%02d分</span>%s</div>',
                 $flno, $plane, int($dur / 60), $dur % 60,
                 rnd(4) == 0 ? ' <span class="badge badge--codeshare">共同運航</span>' : '');
    line '      </div>';
    line '      <ul class="flight-card__fares">';
    for my $f (@fares) {
        my ($fc, $fname, $cls, $mul, $rule) = @$f;
        my $price = int($base * $mul / 10) * 10;
        my $seats = pick('残席 9+', '残席 9+', '残席 5', '残席 3', '残席 1', '満席');
        my $dis   = $seats eq '満席' ? ' disabled' : '';
        line "        <li class=\"fare $cls\" data-fare=\"$fc\"><label class=\"fare__label\"><input type=\"radio\" name=\"fare-$code\" value=\"$fc\"$dis><span class=\"fare__name\">$fname</span><span class=\"fare__price\">" . yen($price) . "</span><span class=\"fare__seats\">$seats</span></label><span class=\"tooltip\" role=\"tooltip\">$rule</span></li>";
    }
    line '      </ul>';
    line '      <div class="flight-card__body">';
    line '        <p class="flight-card__note">' . pick(@notes) . '</p>';
    line "        <a class=\"flight-card__link\" href=\"/ja/jp/domestic/flight/$code/?date=2025-12-12\">便の詳細・座席表を見る</a>";
    line '      </div>';
    line '    </div>';
    line '  </article>';
    if (my $t = $mid{$k}) {
        tracker $_ for @$t;
    }
}
line '  <div class="pager"><a class="pager__link pager__link--active" href="?page=1">1</a> <a class="pager__link" href="?page=2">2</a> <a class="pager__link" href="?page=3">3</a> <a class="pager__link" href="?page=2">次へ</a></div>';
line '</section>';

# promotions: first-party images
line '<aside class="promo" aria-label="おすすめ">';
for my $k (1 .. 8) {
    my $ap = pick(@airports);
    line "  <div class=\"promo__item\"><a href=\"/ja/jp/tour/$ap->[0]/\"><img src=\"https://img.ana-bench.example/promo/$ap->[0]-$k.jpg\" alt=\"$ap->[1]への旅\" width=\"320\" height=\"180\" loading=\"lazy\"><span class=\"promo__title\">$ap->[1]の旅 ホテル付きプラン</span></a></div>";
}
line '</aside>';
line '</main>';

# footer with social links (kept: plain <a href>, nothing loads)
line '<footer class="footer">';
line '  <div class="footer__inner">';
for my $col (1 .. 4) {
    line '    <ul class="footer__list">';
    for my $k (1 .. 8) {
        my $t = pick('会社情報', 'プライバシーポリシー', '利用者情報の外部送信について',
                     'サイトのご利用にあたって', 'アクセシビリティ', 'サイトマップ',
                     '採用情報', 'お問い合わせ', '運送約款');
        line "      <li class=\"footer__item\"><a class=\"footer__link\" href=\"/ja/jp/info/f$col-$k/\">$t</a></li>";
    }
    line '    </ul>';
}
line '    <ul class="footer__social">';
line '      <li><a href="https://www.facebook.com/ana.bench" rel="noopener" target="_blank">Facebook</a></li>';
line '      <li><a href="https://x.com/ana_bench" rel="noopener" target="_blank">X</a></li>';
line '      <li><a href="https://www.instagram.com/ana.bench/" rel="noopener" target="_blank">Instagram</a></li>';
line '      <li><a href="https://www.tiktok.com/@ana.bench" rel="noopener" target="_blank">TikTok</a></li>';
line '      <li><a href="https://line.me/R/ti/p/@ana_bench" rel="noopener" target="_blank">LINE</a></li>';
$kept_mentions += 4;            # line.me itself is not a tracker host
line '    </ul>';
line '    <p class="footer__copy"><small>Copyright © ANA (benchmark page for ngx_consent_module)</small></p>';
line '  </div>';
line '</footer>';
line '</div>';

# first-party scripts
line '<script src="https://cdn.ana-bench.example/assets/js/vendor.js?v=20251120"></script>';
line '<script src="https://cdn.ana-bench.example/assets/js/domestic-search.js?v=20251120" defer></script>';
line '<script>';
line '(function () {';
line "  'use strict';";
line '  var cards = document.querySelectorAll(".flight-card");';
line '  var state = { sort: "dep", selected: null, fares: {} };';
for my $k (1 .. 40) {
    line "  function handler$k(ev) {";
    line '    var el = ev.currentTarget, code = el.getAttribute("data-flight");';
    line "    state.selected = code; state.fares[code] = (state.fares[code] || 0) + $k;";
    line '    if (el.classList.contains("flight-card--open")) { el.classList.remove("flight-card--open"); }';
    line '    else { el.classList.add("flight-card--open"); }';
    line '  }';
}
line '  for (var i = 0; i < cards.length; i++) {';
line '    cards[i].addEventListener("click", handler1, false);';
line '  }';
line '  window.__search = state;';
line '})();';
line '</script>';

# late trackers
tracker q{<script type="text/javascript">if(window.utag&&utag.link){utag.link({"event_name":"search_results_view","result_count":"90"});}</script>};
tracker '<script type="text/javascript" src="https://www.googletagmanager.com/gtag/js?id=AW-000000000" async></script>';
tracker '<iframe src="https://www.google.com/recaptcha/api2/anchor?ar=1&amp;k=bench-site-key&amp;co=aHR0cHM6Ly93d3cuYW5hLWJlbmNoLmV4YW1wbGU6NDQz&amp;hl=ja&amp;size=invisible" width="256" height="60" title="reCAPTCHA" style="display:none"></iframe>';
tracker '<noscript><img src="https://bat.bing.com/action/0?ti=000000000&amp;Ver=2" height="0" width="0" style="display:none; visibility: hidden;" /></noscript>';
tracker q{<script type="text/javascript">_satellite.pageBottom();</script>};
line '</body>';
line '</html>';

# ---- write ----
(my $dir = $out) =~ s{/[^/]*$}{};
if ($dir ne $out && !-d $dir) {
    require File::Path;
    File::Path::make_path($dir);
}
open my $fh, '>:encoding(UTF-8)', $out or die "$out: $!\n";
print {$fh} join("\n", @html), "\n";
close $fh or die "$out: $!\n";

open my $ex, '>', "$out.expect" or die "$out.expect: $!\n";
print {$ex} "tracker_elements $trackers\nkept_host_mentions $kept_mentions\n";
close $ex or die "$out.expect: $!\n";

printf "%s: %d bytes, %d lines, %d tracker elements\n",
       $out, -s $out, scalar @html, $trackers;
