/*
 * Streaming gate tests. Every case gives an exact expected output and is
 * checked for the whole input, chunks of 1, 2, 3, 7, 64 and 20 random split
 * sequences (test_support.h), with the fed chunks poisoned after each feed.
 *
 * Test rules (test/rules_test.yaml): google (googletagmanager.com,
 * google-analytics.com, doubleclick.net, maps.googleapis.com; gtag(),
 * GoogleAnalyticsObject), meta (facebook.net, facebook.com; fbq(), _fbq),
 * tealium (tiqcdn.com; utag_data), widgetco (widgetco.io,
 * widgets.facebook.com; WidgetCoChat.boot), x (ads-twitter.com, t.co; twq()).
 * Unless a case says otherwise nothing is allowed.
 */

#include "test_support.h"

#define FB_JS   "https://connect.facebook.net/en_US/fbevents.js"
#define FB_PX   "https://www.facebook.com/tr?id=1&amp;ev=PageView&amp;noscript=1"
#define GTAG    "https://www.googletagmanager.com/gtag/js?id=G-TEST"
#define GTM_NS  "https://www.googletagmanager.com/ns.html?id=GTM-TEST"

typedef struct {
    const char  *name;
    const char  *allowed;
    size_t       max_element;
    const char  *input;
    const char  *expected;
} gate_case_t;

#define SAME  NULL      /* expected == input */

static const gate_case_t cases[] = {

    /* ---- the elements gated ---- */

    { "script_src_removed", "", 0,
      "a<script async src=\"" GTAG "\"></script>b",
      "ab" },
    { "script_src_allowed", "google", 0,
      "a<script async src=\"" GTAG "\"></script>b", SAME },
    { "script_src_other_recipient_allowed", "meta", 0,
      "a<script async src=\"" GTAG "\"></script>b",
      "ab" },
    { "script_src_content_goes_with_it", "", 0,
      "<script src=\"" FB_JS "\">fbq('init','1');</script>\n",
      "\n" },
    { "script_src_empty_kept", "", 0,
      /* a src attribute, even empty, means the text is never run */
      "<script src=\"\">fbq('init')</script>", SAME },
    { "img_pixel_removed", "", 0,
      "x<img height=\"1\" width=\"1\" style=\"display:none\" src=\"" FB_PX "\"/>y",
      "xy" },
    { "img_local_kept", "", 0,
      "<img src=\"/img/logo.png\" alt=\"facebook.com\">", SAME },
    { "img_srcset_only_not_gated", "", 0,
      "<img srcset=\"" FB_PX " 1x\">", SAME },
    { "iframe_removed_with_content", "", 0,
      "<iframe src=\"" GTM_NS "\" height=\"0\"><p>no <b>frames</b></p></iframe>after",
      "after" },
    { "iframe_content_is_rawtext", "", 0,
      /* iframe content is RAWTEXT: the inner img is text, </iframe> ends */
      "<iframe src=\"/local.html\"><img src=\"" FB_PX "\"></iframe>", SAME },
    { "iframe_unknown_host_kept", "", 0,
      "<iframe src=\"https://www.youtube-nocookie.com/embed/x\"></iframe>", SAME },
    { "link_preconnect_removed", "", 0,
      "<link rel=\"preconnect\" href=\"https://connect.facebook.net\">\n",
      "\n" },
    { "link_hints_all_kinds", "", 0,
      "<link rel=dns-prefetch href=//www.google-analytics.com>"
      "<link rel=\"preload\" as=\"script\" href=\"" GTAG "\">"
      "<link rel=\"prefetch\" href=\"https://static.ads-twitter.com/uwt.js\">"
      "<link rel=\"modulepreload\" href=\"https://cdn.widgetco.io/w.mjs\">"
      "<link rel=\"prerender\" href=\"https://t.co/x\">|",
      "|" },
    { "link_rel_token_list_and_case", "", 0,
      "<link REL=\"icon  DNS-Prefetch\" HREF=\"//stats.g.doubleclick.net\">"
      "<link rel=\"\tpreconnect\n\" href=\"//www.facebook.com\">|",
      "|" },
    { "link_href_before_rel", "", 0,
      "<link href=\"https://connect.facebook.net\" rel=\"preconnect\" crossorigin>",
      "" },
    { "link_stylesheet_kept", "", 0,
      "<link rel=\"stylesheet\" href=\"https://connect.facebook.net/x.css\">"
      "<link rel=\"preloaded\" href=\"https://connect.facebook.net/x\">"
      "<link rel=\"preconnect\" href=\"https://fonts.gstatic.com\">", SAME },
    { "inline_script_names_host", "", 0,
      "<script>!function(f,b,e,v){t.src=v}(window,document,'script',"
      "'https://connect.facebook.net/en_US/fbevents.js');</script>|",
      "|" },
    { "inline_script_json_escaped_url", "", 0,
      "<script>var u=\"https:\\/\\/www.googletagmanager.com\\/gtm.js\";</script>",
      "" },
    { "inline_script_signature", "", 0,
      "<script>\n  fbq('init', '123');\n  fbq('track', 'PageView');\n</script>|",
      "|" },
    { "inline_script_signature_allowed", "meta", 0,
      "<script>fbq('init', '123');</script>", SAME },
    { "inline_script_plain_kept", "", 0,
      "<script>var facebook = 1; document.title = 'fbq';</script>", SAME },
    { "inline_script_two_recipients_one_allowed", "google", 0,
      "<script>gtag('js', new Date()); fbq('init','1');</script>|",
      "|" },
    { "inline_script_two_recipients_both_allowed", "google,meta", 0,
      "<script>gtag('js', new Date()); fbq('init','1');</script>|", SAME },
    { "inline_script_module_gated", "", 0,
      "<script type=\"module\">twq('config','x');</script>", "" },
    { "inline_script_text_plain_gated", "", 0,
      "<script type=\"text/plain\">twq('config','x');</script>", "" },
    { "inline_script_json_ld_kept", "", 0,
      "<script type=\"application/ld+json\">{\"sameAs\":"
      "[\"https://www.facebook.com/acme\",\"https://t.co/acme\"]}</script>", SAME },
    { "inline_script_json_case_kept", "", 0,
      "<script type=\"Application/JSON\">{\"u\":\"https://connect.facebook.net\"}"
      "</script>", SAME },
    { "inline_script_template_kept", "", 0,
      "<script type=\"text/x-handlebars-template\"><img src=\"" FB_PX "\">fbq(1)"
      "</script><script type=\"text/html\">fbq(1)</script>", SAME },
    { "inline_script_evil_lookalike_kept", "", 0,
      "<script>load('https://evilfacebook.net/x.js');"
      "load('//facebook.net.example.org/y.js');</script>", SAME },

    { "several_elements_in_a_row", "", 0,
      "<img src=//t.co/a><img src=//t.co/b><script src=//t.co/c></script>"
      "<img src=/ok><script>twq(1)</script><noscript><img src=//t.co/d>"
      "</noscript><iframe src=//t.co/e></iframe>|",
      "<img src=/ok>|" },
    { "title_unclosed_to_eof", "", 0,
      "<title><script src=\"" FB_JS "\"></script><img src=\"" FB_PX "\">",
      SAME },

    /* ---- URL forms ---- */

    { "url_relative_and_other_schemes_kept", "", 0,
      "<script src=\"/js/app.js\"></script>"
      "<script src=\"connect.facebook.net/x.js\"></script>"
      "<img src=\"img/www.facebook.com/tr.gif\">"
      "<img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">"
      "<iframe src=\"javascript:'https://www.facebook.com/tr'\"></iframe>"
      "<iframe src=\"about:blank\"></iframe>"
      "<img src=\"?u=https://www.facebook.com/tr\">", SAME },
    { "url_unknown_hosts_kept", "", 0,
      "<script src=\"https://cdn.example.com/facebook.net.js\"></script>"
      "<script src=\"https://evilfacebook.net/x.js\"></script>"
      "<script src=\"https://connect.facebook.net.example.com/x.js\"></script>"
      "<img src=\"https://fonts.googleapis.com/x\">", SAME },
    { "url_scheme_relative", "", 0,
      "<img src=\"//www.facebook.com/tr\">|", "|" },
    { "url_backslashes", "", 0,
      "<img src=\"\\\\www.facebook.com\\tr\">"
      "<img src=\"https:\\\\www.facebook.com\\tr\">"
      "<img src=\"https:/\\www.facebook.com/tr\">"
      "<img src=\"/\\www.facebook.com/tr\">|", "|" },
    { "url_entities", "", 0,
      "<script src=\"https&colon;&sol;&sol;connect.facebook.net/x.js\"></script>"
      "<script src=\"https:&#x2F;&#x2F;connect.facebook.net/x.js\"></script>"
      "<script src=\"&#47;&#47;connect.facebook.net/x.js\"></script>"
      "<script src=\"&#104;ttps://connect&period;facebook&period;net\"></script>"
      "<img src=\"https://www.facebook.com/tr?a=1&amp;b=2\">|", "|" },
    { "url_userinfo_port_dot_case", "", 0,
      "<img src=\"https://user:pw@www.facebook.com/tr\">"
      "<img src=\"https://www.facebook.com:443/tr\">"
      "<img src=\"https://www.facebook.com./tr\">"
      "<img src=\"HTTPS://WWW.FACEBOOK.COM/TR\">"
      "<img src=\"https://www.facebook%2Ecom/tr\">"
      "<img src=\"https://%77ww.facebook.com/tr\">|", "|" },
    { "url_userinfo_host_is_after_at", "", 0,
      "<img src=\"https://www.facebook.com@example.com/tr\">", SAME },
    { "url_whitespace_stripped", "", 0,
      "<img src=\"  https://www.facebook.com/tr \">"
      "<img src=\"https://www.face\nbook.com/tr\">"
      "<img src=\"ht&Tab;tps://www.face&NewLine;book.com/tr\">|", "|" },
    { "url_idna_mapped_host", "", 0,
      /* U+3002 maps to '.' in a browser's domain-to-ASCII (UTS #46) */
      "<img src=\"https://www.facebook\xe3\x80\x82" "com/tr\">|", "|" },
    { "url_longest_suffix_wins", "meta", 0,
      /* widgets.facebook.com belongs to widgetco, not meta */
      "<script src=\"https://widgets.facebook.com/w.js\"></script>"
      "<script src=\"https://www.facebook.com/w.js\"></script>|",
      "<script src=\"https://www.facebook.com/w.js\"></script>|" },

    /* ---- tag syntax ---- */

    { "tag_any_case", "", 0,
      "<SCRIPT SRC=\"" FB_JS "\"></SCRIPT><ImG sRc=\"" FB_PX "\">"
      "<ScRiPt>FBQ('x');fbq('init')</sCrIpT>|", "|" },
    { "tag_newlines", "", 0,
      "<script\nasync\nsrc\n=\n\"" FB_JS "\"\n></script\n>|"
      "<img\r\n\tsrc='" FB_PX "'\n/>|", "||" },
    { "tag_quote_styles", "", 0,
      "<img src='" FB_PX "'>"
      "<img src=https://www.facebook.com/tr?id=1 >"
      "<img src=//t.co/i/adsct>"
      "<img alt=x src=https://www.facebook.com/tr/>|", "|" },
    { "tag_slash_between_attrs", "", 0,
      "<img/src=\"" FB_PX "\"><img alt=\"a\"/src=\"" FB_PX "\">|", "|" },
    { "tag_duplicate_attr_first_wins", "", 0,
      "<img src=\"/local.png\" src=\"" FB_PX "\">"
      "<img src=\"" FB_PX "\" src=\"/local.png\">|",
      "<img src=\"/local.png\" src=\"" FB_PX "\">|" },
    { "tag_duplicate_type_and_rel_first_wins", "", 0,
      "<script type=\"application/json\" type=\"module\">fbq(1)</script>"
      "<script type=\"module\" type=\"application/json\">fbq(1)</script>"
      "<link rel=\"stylesheet\" rel=\"preconnect\" href=\"//www.facebook.com\">"
      "<link rel=\"preconnect\" rel=\"stylesheet\" href=\"//www.facebook.com\">"
      "<script src=\"/a.js\" src=\"" FB_JS "\"></script>|",
      "<script type=\"application/json\" type=\"module\">fbq(1)</script>"
      "<link rel=\"stylesheet\" rel=\"preconnect\" href=\"//www.facebook.com\">"
      "<script src=\"/a.js\" src=\"" FB_JS "\"></script>|" },
    { "tag_valueless_src_then_other_attr", "", 0,
      "<img src alt=\"" FB_PX "\"><img src/alt=\"" FB_PX "\">"
      "<img alt src=\"" FB_PX "\">|",
      "<img src alt=\"" FB_PX "\"><img src/alt=\"" FB_PX "\">|" },
    { "tag_attr_name_starting_with_equals", "", 0,
      /* "=src" is an attribute named "=src", not src */
      "<img =src=\"" FB_PX "\">", SAME },
    { "tag_long_attr_names_and_values", "", 0,
      "<img data-a-very-long-attribute-name-indeed=\"1\" "
      "srcxxxxxxxxxxxxxxxxxxxx=\"" FB_PX "\" src=\"/local.png\">", SAME },
    { "tag_unknown_elements_kept", "", 0,
      "<image-x src=\"" FB_PX "\"><imgx src=\"" FB_PX "\">"
      "<scripts src=\"" FB_JS "\"></scripts>"
      "<linked rel=preconnect href=//www.facebook.com>", SAME },
    { "tag_end_tags_not_gated", "", 0,
      "</img src=\"" FB_PX "\"></link rel=preconnect href=//www.facebook.com>", SAME },
    { "tag_lone_lt_is_text", "", 0,
      "a < b <3 <= c <img src=\"" FB_PX "\">< img src=\"" FB_PX "\">",
      "a < b <3 <= c < img src=\"" FB_PX "\">" },

    /* ---- text that only looks like a tag ---- */

    { "attribute_values", "", 0,
      "<div title=\"<img src=" FB_PX ">\" data-x='<script src=" FB_JS "></script>'>"
      "<a href=\"#\" onclick=\"fbq('x')\">x</a></div>", SAME },
    { "comment", "", 0,
      "<!-- <script src=\"" FB_JS "\"></script> <img src=\"" FB_PX "\"> -->", SAME },
    { "comment_abrupt_close", "", 0,
      "<!--><img src=\"" FB_PX "\">|<!---><img src=\"" FB_PX "\">|",
      "<!-->|<!--->|" },
    { "comment_bang_close", "", 0,
      "<!-- x --!><img src=\"" FB_PX "\">", "<!-- x --!>" },
    { "comment_not_closed_by_lookalikes", "", 0,
      "<!-- -- > --!-> - -> <img src=\"" FB_PX "\"> --->"
      "<!----><img src=\"" FB_PX "\">",
      "<!-- -- > --!-> - -> <img src=\"" FB_PX "\"> --->"
      "<!---->" },
    { "comment_dashes_then_close", "", 0,
      "<!-- a -- b ---><img src=\"" FB_PX "\"><!--!--><img src=\"" FB_PX "\">",
      "<!-- a -- b ---><!--!-->" },
    { "bogus_comments", "", 0,
      /* each ends at the first '>', the img's own */
      "<? <img src=\"" FB_PX "\"> ?>"
      "</ <img src=\"" FB_PX "\">"
      "<!x <img src=\"" FB_PX "\">"
      "</3 <img src=\"" FB_PX "\">"
      "<![CDATA[ <img src=\"" FB_PX "\"> ]]>", SAME },
    { "bogus_comment_then_real_tag", "", 0,
      "<?php echo 1 ?><img src=\"" FB_PX "\">", "<?php echo 1 ?>" },
    { "doctype", "", 0,
      "<!DOCTYPE html><img src=\"" FB_PX "\"><!doctype html PUBLIC \"x\">",
      "<!DOCTYPE html><!doctype html PUBLIC \"x\">" },
    { "rawtext_elements", "", 0,
      "<style>body{background:url(" FB_PX ")}<img src=\"" FB_PX "\"></style>"
      "<textarea><img src=\"" FB_PX "\"></textarea>"
      "<title><script src=\"" FB_JS "\"></script></title>"
      "<xmp><img src=\"" FB_PX "\"></xmp>"
      "<noembed><img src=\"" FB_PX "\"></noembed>"
      "<noframes><img src=\"" FB_PX "\"></noframes>", SAME },
    { "rawtext_end_tag_forms", "", 0,
      "<style></STYLE ><img src=\"" FB_PX "\">"
      "<title>a</title\n><img src=\"" FB_PX "\">"
      "<textarea></textarea/><img src=\"" FB_PX "\">|",
      "<style></STYLE ><title>a</title\n><textarea></textarea/>|" },
    { "rawtext_not_closed_by_longer_name", "", 0,
      "<style></styles><img src=\"" FB_PX "\"></style>"
      "<title></titl><img src=\"" FB_PX "\"></title>", SAME },
    { "js_strings", "", 0,
      "<script>document.write('<img src=\"/local.gif\">');"
      "var s = \"<script src=/app.js><\\/script>\";</script>", SAME },
    { "js_string_with_end_tag_ends_script", "", 0,
      /* a browser ends the script at the first </script>, wherever it is */
      "<script>var s=\"</script><img src=\"" FB_PX "\">\";</script>",
      "<script>var s=\"</script>\";</script>" },
    { "script_with_tracker_url_in_js_string", "", 0,
      "<script>document.write('<img src=\"" FB_PX "\">');</script>|", "|" },
    { "plaintext", "", 0,
      "<plaintext><img src=\"" FB_PX "\"></plaintext><script src=\"" FB_JS
      "\"></script>", SAME },

    /* ---- script data escapes (WHATWG 13.2.5.4 ff.) ---- */

    { "script_end_tag_forms", "", 0,
      "<script>fbq(1)</script >a<script>fbq(1)</SCRIPT>b"
      "<script>fbq(1)</script\t/>c<script>fbq(1)</script foo=\">\">d",
      "abcd" },
    { "script_not_ended_by_longer_name", "", 0,
      "<script>fbq(1)</scripty></scrip></ script>x</script>y", "y" },
    { "script_escaped_end_tag_ends", "", 0,
      /* escaped (not double-escaped): </script> still ends the element */
      "<script><!-- fbq(1) </script>tail", "tail" },
    { "script_escaped_then_text", "", 0,
      "<script>fbq(1);<!--</script>tail", "tail" },
    { "script_double_escaped", "", 0,
      "<script><!--<script>fbq('init')</script>--></script>after", "after" },
    { "script_double_escaped_kept_whole", "", 0,
      "<script><!--<script>var a;</script>--></script>"
      "<img src=\"" FB_PX "\">",
      "<script><!--<script>var a;</script>--></script>" },
    { "script_double_escaped_hides_tracker_text", "", 0,
      /* the tracker-looking tag is script text, the element is judged whole */
      "<script><!--<script></script><img src=\"" FB_PX "\">--></script>|", "|" },
    { "script_double_escape_needs_exact_name", "", 0,
      "<script><!--<scripts></script>tail", "<script><!--<scripts></script>tail" },
    { "script_double_escape_name_case", "", 0,
      "<script>fbq(1)<!--<SCRIPT></Script></SCRIPT>tail", "tail" },
    { "script_double_escape_end_with_space", "", 0,
      "<script>fbq(1)<!--<script></script ></script>tail", "tail" },
    { "script_double_escape_dashdash_gt_leaves", "", 0,
      /* --> inside the double-escaped text returns to script data */
      "<script>fbq(1)<!--<script>--></script>tail", "tail" },
    { "script_escape_start_abrupt", "", 0,
      /* <!--> returns to script data at once: <script> then means nothing */
      "<script>fbq(1)<!--><script></script>tail", "tail" },
    { "script_escape_dashes", "", 0,
      "<script>fbq(1)<!-- a - b -- c ---><script></script>tail", "tail" },
    { "script_double_escaped_then_real_end", "", 0,
      "<script>fbq(1)<!--<script></script></script>tail", "tail" },
    { "script_nested_script_text", "", 0,
      "<script><script src=\"" FB_JS "\"></script>|", "|" },
    { "script_lt_bang_not_comment", "", 0,
      "<script>if(a<!b)fbq(1)</script>tail", "tail" },

    /* ---- noscript ---- */

    { "noscript_pixel_wrapper_goes", "", 0,
      "<noscript><img height=\"1\" width=\"1\" src=\"" FB_PX "\"/></noscript>after",
      "after" },
    { "noscript_pixel_whitespace_wrapper_goes", "", 0,
      "<noscript>\n  <img src=\"" FB_PX "\">\n</noscript>\n",
      "\n" },
    { "noscript_gtm_iframe", "", 0,
      "<noscript><iframe src=\"" GTM_NS "\" height=\"0\" width=\"0\" "
      "style=\"display:none;visibility:hidden\"></iframe></noscript>|", "|" },
    { "noscript_keeps_other_content", "", 0,
      "<noscript><img src=\"" FB_PX "\"><p>Please enable JavaScript</p></noscript>",
      "<noscript><p>Please enable JavaScript</p></noscript>" },
    { "noscript_pixels_judged_one_by_one", "meta", 0,
      "<noscript><img src=\"" FB_PX "\"><img src=\"https://t.co/i/adsct\">"
      "<img src=\"/local.png\"></noscript>",
      "<noscript><img src=\"" FB_PX "\"><img src=\"/local.png\"></noscript>" },
    { "noscript_allowed_unchanged", "meta", 0,
      "<noscript><img src=\"" FB_PX "\"></noscript>", SAME },
    { "noscript_no_tracker_unchanged", "", 0,
      "<noscript><p>hi</p><img src=\"/a.png\"></noscript>", SAME },
    { "noscript_uppercase", "", 0,
      "<NOSCRIPT><IMG SRC=\"" FB_PX "\"></NoScript>|", "|" },
    { "noscript_is_rawtext_for_a_scripting_browser", "", 0,
      /* the comment does not hide the img: </noscript> ends the element */
      "<noscript><!-- </noscript><img src=\"" FB_PX "\"> --></noscript>",
      "<noscript><!-- </noscript> --></noscript>" },
    { "noscript_inner_comment_hides_pixel", "", 0,
      /* without scripting the content is markup: a commented pixel is text */
      "<noscript><!-- <img src=\"" FB_PX "\"> --></noscript>", SAME },
    { "noscript_end_tag_in_attribute", "", 0,
      "<noscript><img src=\"</noscript>\">" "<img src=\"" FB_PX "\">",
      "<noscript><img src=\"</noscript>\">" },

    /* ---- EOF inside an element ---- */

    { "eof_unterminated_tracker_script_removed", "", 0,
      "a<script>fbq('init','1');", "a" },
    { "eof_unterminated_plain_script_kept", "", 0,
      "a<script>var x = 1;", SAME },
    { "eof_unterminated_unknown_tag_kept", "", 0,
      "a<div class=\"x", SAME },
    { "eof_pending_tag_name_kept", "", 0,
      "a<scr", SAME },
    { "eof_lone_lt_kept", "", 0,
      "a<", SAME },
    { "eof_unterminated_iframe_removed", "", 0,
      "a<iframe src=\"" GTM_NS "\"><p>x", "a" },
    { "eof_unterminated_noscript_pixel", "", 0,
      "a<noscript><img src=\"" FB_PX "\">", "a" },
    { "eof_in_comment_kept", "", 0,
      "a<!-- <img src=\"" FB_PX "\">", SAME },
};

static void
test_case(void **state)
{
    const gate_case_t *c = *state;
    ts_check(c->allowed, c->max_element, c->input,
             c->expected ? c->expected : c->input);
}

/* ---- whole pages, counters, blocked set ---- */

static const char clean_page[] =
    "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">\n"
    "<title>Shop &amp; more</title>\n"
    "<link rel=\"stylesheet\" href=\"/css/site.css\">\n"
    "<link rel=\"preconnect\" href=\"https://fonts.gstatic.com\" crossorigin>\n"
    "<script src=\"https://code.jquery.com/jquery-3.7.1.min.js\"></script>\n"
    "<script>window.dataLayer=window.dataLayer||[];var a=1<2&&3>2;</script>\n"
    "<style>a[href^=\"https://facebook.com\"]{color:blue}</style>\n"
    "</head><body>\n<!-- analytics removed -->\n"
    "<a href=\"https://www.facebook.com/acme\">Follow us</a>\n"
    "<img src=\"/img/hero.jpg\" srcset=\"/img/hero@2x.jpg 2x\" alt=\"hero\">\n"
    "<iframe src=\"https://www.youtube-nocookie.com/embed/abc\"></iframe>\n"
    "<noscript><p>JavaScript is off.</p></noscript>\n"
    "<textarea>&lt;script&gt;</textarea>\n"
    "<p>Prices \xe2\x82\xac 10 &lt; 20 <b>bold</b></p>\0<p>nul</p>\n"
    "</body></html>\n";

static void
test_clean_page_identical(void **state)
{
    ts_conf_t    tc = { "", 0, -1, -1 };
    ts_result_t  r;

    (void) state;
    r = ts_expect_gate_n(&tc, clean_page, sizeof(clean_page) - 1, clean_page,
                         sizeof(clean_page) - 1);
    assert_int_equal(r.stats.elements_removed, 0);
    assert_int_equal(r.stats.bytes_removed, 0);
    assert_int_equal(r.stats.oversize_removed, 0);
    assert_int_equal(r.stats.oversize_passed, 0);
    for (size_t i = 0; i < sizeof(r.blocked) / sizeof(r.blocked[0]); i++) {
        assert_int_equal(r.blocked[i], 0);
    }
    ts_result_free(&r);
}

static const char tracker_page_in[] =
    "<html><head>\n"
    "<script async src=\"" GTAG "\"></script>\n"
    "<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}"
    "gtag('js',new Date());</script>\n"
    "<link rel=\"dns-prefetch\" href=\"//connect.facebook.net\">\n"
    "<script>!function(f){f.fbq=1}(window);fbq('init','1');</script>\n"
    "<noscript><img height=\"1\" width=\"1\" src=\"" FB_PX "\"/></noscript>\n"
    "<script>WidgetCoChat.boot({id:1})</script>\n"
    "</head><body><p>content</p></body></html>\n";

static const char tracker_page_out_none[] =
    "<html><head>\n\n\n\n\n\n\n"
    "</head><body><p>content</p></body></html>\n";

static const char tracker_page_out_google[] =
    "<html><head>\n"
    "<script async src=\"" GTAG "\"></script>\n"
    "<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}"
    "gtag('js',new Date());</script>\n"
    "\n\n\n\n"
    "</head><body><p>content</p></body></html>\n";

static void
test_stats_and_blocked(void **state)
{
    ts_conf_t    tc = { "", 0, -1, -1 };
    ts_result_t  r;
    uint64_t     want[(TS_MAX_RECIPIENTS + 63) / 64];
    char         got[256], exp[256];

    (void) state;
    r = ts_expect_gate(&tc, tracker_page_in, tracker_page_out_none);
    assert_int_equal(r.stats.elements_removed, 6);
    assert_int_equal(r.stats.bytes_removed,
                     strlen(tracker_page_in) - strlen(tracker_page_out_none));
    assert_int_equal(r.stats.oversize_removed, 0);
    assert_int_equal(r.stats.oversize_passed, 0);
    ts_allow(want, "google,meta,widgetco");
    ts_set_names(r.blocked, got, sizeof(got));
    ts_set_names(want, exp, sizeof(exp));
    assert_string_equal(got, exp);
    ts_result_free(&r);

    tc.allowed = "google,widgetco";
    r = ts_expect_gate(&tc, tracker_page_in,
        "<html><head>\n"
        "<script async src=\"" GTAG "\"></script>\n"
        "<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}"
        "gtag('js',new Date());</script>\n"
        "\n\n\n"
        "<script>WidgetCoChat.boot({id:1})</script>\n"
        "</head><body><p>content</p></body></html>\n");
    assert_int_equal(r.stats.elements_removed, 3);
    ts_allow(want, "meta");
    ts_set_names(r.blocked, got, sizeof(got));
    ts_set_names(want, exp, sizeof(exp));
    assert_string_equal(got, exp);
    ts_result_free(&r);

    tc.allowed = "google";
    r = ts_expect_gate(&tc, tracker_page_in, tracker_page_out_google);
    assert_int_equal(r.stats.elements_removed, 4);
    ts_result_free(&r);

    /* An element tied to several recipients marks each denied one. */
    tc.allowed = "google";
    r = ts_expect_gate(&tc, "<script>gtag(1);fbq(2);twq(3)</script>", "");
    assert_int_equal(r.stats.elements_removed, 1);
    ts_allow(want, "meta,x");
    ts_set_names(r.blocked, got, sizeof(got));
    ts_set_names(want, exp, sizeof(exp));
    assert_string_equal(got, exp);
    ts_result_free(&r);

    /* Nothing denied: no blocked bits even though recipients were seen. */
    tc.allowed = "google,meta,tealium,widgetco,x";
    r = ts_expect_gate(&tc, tracker_page_in, tracker_page_in);
    assert_int_equal(r.stats.elements_removed, 0);
    ts_set_names(r.blocked, got, sizeof(got));
    assert_string_equal(got, "");
    ts_result_free(&r);
}

static void
test_blocked_may_be_null(void **state)
{
    uint64_t        allowed[1] = { 0 };
    cs_gate_conf_t  conf;
    ts_out_t        out;
    ts_alloc_t      al = { 0, 0, -1 };
    static const unsigned char in[] = "<img src=\"" FB_PX "\">ok";

    (void) state;
    memset(&out, 0, sizeof(out));
    out.fail_at = -1;
    memset(&conf, 0, sizeof(conf));
    conf.rules = ts_rules;
    conf.allowed = allowed;
    conf.blocked = NULL;
    conf.max_element = 0;                  /* clamped to 256 */
    conf.allocator = (cs_allocator_t) { ts_alloc, ts_free, &al };
    conf.emit = ts_emit;
    conf.emit_ud = &out;

    cs_gate_t *g = malloc(cs_gate_size());
    assert_non_null(g);
    cs_gate_init(g, &conf);
    out.chunk = in;
    out.chunk_len = sizeof(in) - 1;
    assert_int_equal(cs_gate_feed(g, in, sizeof(in) - 1), 0);
    out.chunk = NULL;
    assert_false(cs_gate_holding(g));
    assert_int_equal(cs_gate_finish(g), 0);
    cs_gate_cleanup(g);
    free(g);
    assert_int_equal(out.len, 2);
    assert_memory_equal(out.buf, "ok", 2);
    assert_int_equal(al.live, 0);
    free(out.buf);
}

static void
test_holding_flag(void **state)
{
    uint64_t        allowed[1] = { 0 };
    cs_gate_conf_t  conf;
    ts_out_t        out;
    ts_alloc_t      al = { 0, 0, -1 };

    (void) state;
    memset(&out, 0, sizeof(out));
    out.fail_at = -1;
    memset(&conf, 0, sizeof(conf));
    conf.rules = ts_rules;
    conf.allowed = allowed;
    conf.max_element = 4096;
    conf.allocator = (cs_allocator_t) { ts_alloc, ts_free, &al };
    conf.emit = ts_emit;
    conf.emit_ud = &out;

    cs_gate_t *g = malloc(cs_gate_size());
    assert_non_null(g);
    cs_gate_init(g, &conf);
    assert_false(cs_gate_holding(g));
    const unsigned char a[] = "text<scr";
    out.chunk = a;
    out.chunk_len = 8;
    assert_int_equal(cs_gate_feed(g, a, 8), 0);
    assert_true(cs_gate_holding(g));
    assert_int_equal(out.len, 4);             /* "text" flowed, "<scr" held */
    const unsigned char b[] = "ipt>fbq(1)</script>after";
    out.chunk = b;
    out.chunk_len = sizeof(b) - 1;
    assert_int_equal(cs_gate_feed(g, b, sizeof(b) - 1), 0);
    assert_false(cs_gate_holding(g));
    assert_int_equal(cs_gate_finish(g), 0);
    cs_gate_cleanup(g);
    free(g);
    assert_int_equal(out.len, 9);
    assert_memory_equal(out.buf, "textafter", 9);
    assert_int_equal(out.bad_ref, 0);
    free(out.buf);
}

/* ---- max_element ---- */

/*
 * Inputs and outputs of the form prefix + n * fill + suffix. out_prefix
 * NULL: output == input. Stats: -1 = not checked.
 */
typedef struct {
    const char  *name;
    size_t       max_element;
    const char  *prefix;
    char         fill;
    size_t       n;
    const char  *suffix;
    const char  *out_prefix;
    size_t       out_n;
    const char  *out_suffix;
    int          removed;
    int          oversize_removed;
    int          oversize_passed;
} big_case_t;

static const big_case_t big_cases[] = {

    /* attributed within the first max_element bytes: removed whole */
    { "oversize_script_src_removed_whole", 256,
      "a<script src=\"" FB_JS "\" data-x=\"", 'x', 2000,
      "\">fbq(1)</script>b",
      "ab", 0, "", 1, 1, 0 },
    { "oversize_inline_script_removed_whole", 256,
      "a<script>fbq('init');/*", '*', 3000, "*/</script>b",
      "ab", 0, "", 1, 1, 0 },
    { "oversize_iframe_removed_with_content", 256,
      "a<iframe src=\"" GTM_NS "\" style=\"", ' ', 1000,
      "\"><p>no frames</p></iframe>b",
      "ab", 0, "", 1, 1, 0 },
    { "oversize_img_removed_whole", 256,
      "a<img src=\"" FB_PX "\" alt=\"", 'x', 600, "\">b",
      "ab", 0, "", 1, 1, 0 },
    { "oversize_link_removed_whole", 256,
      "a<link rel=preconnect href=//www.facebook.com title=\"", 'x', 600,
      "\">b",
      "ab", 0, "", 1, 1, 0 },

    /* nothing attributed in the first max_element bytes: passed */
    { "oversize_tracker_text_after_limit_passed", 256,
      "<script>/*", ' ', 400, "*/fbq('init');</script>",
      NULL, 0, NULL, 0, 0, 1 },
    { "oversize_src_after_limit_passed", 256,
      "<script data-x=\"", 'x', 300, "\" src=\"" FB_JS "\"></script>",
      NULL, 0, NULL, 0, 0, 1 },
    { "oversize_link_href_after_limit_passed", 256,
      "<link rel=preconnect title=\"", 'x', 300,
      "\" href=\"https://connect.facebook.net\">",
      NULL, 0, NULL, 0, 0, 1 },
    { "oversize_data_url_img_passed", 256,
      "<img src=\"data:image/png;base64,", 'A', 5000, "\">",
      NULL, 0, NULL, 0, 0, 1 },
    { "oversize_plain_script_passed", 1024,
      "<script>var a = '", 'a', 5000, "';</script>",
      NULL, 0, NULL, 0, 0, 1 },

    /* exactly the first max_element bytes */
    { "oversize_signature_starts_at_byte_256_passed", 256,
      "<script>", ' ', 256 - 8, "fbq(1)</script>",
      NULL, 0, NULL, 0, 0, 1 },
    { "oversize_signature_ends_at_byte_256_removed", 256,
      "<script>", ' ', 256 - 8 - 4, "fbq(1)</script>|",
      "|", 0, "", 1, 1, 0 },
    { "element_of_exactly_max_element_bytes_decided", 256,
      "<script>", ' ', 256 - 8 - 15, "fbq(1)</script>|",
      "|", 0, "", 1, 0, 0 },
    { "max_element_below_minimum_is_256", 10,
      "<script>", ' ', 200, "fbq(1)</script>|",
      "|", 0, "", 1, 0, 0 },

    /*
     * oversize <noscript> (85e5f52): decided like any oversize element on
     * its first max_element bytes, read as markup: a pixel there that would
     * be removed removes it whole, else it passes. (Only script-less
     * visitors ever load noscript content.)
     */
    { "oversize_noscript_pixel_after_limit_passed", 256,
      "<noscript><p>", 'x', 400,
      "</p><img src=\"" FB_PX "\"><img src=\"/ok.png\"></noscript>|",
      NULL, 0, NULL, 0, 0, 1 },
    { "oversize_noscript_pixel_before_limit_removed", 256,
      "<noscript><img src=\"" FB_PX "\">", ' ', 400, "</noscript>|",
      "|", 0, "", 1, 1, 0 },
    { "oversize_noscript_pixels_both_sides_removed", 256,
      "<noscript><img src=\"" FB_PX "\">", ' ', 300,
      "<img src=\"https://t.co/i/adsct?a=1\"></noscript>|",
      "|", 0, "", 1, 1, 0 },
    { "oversize_noscript_allowed_pixel_passed", 256,
      "<noscript><img src=\"/a.png\"><p>", ' ', 300,
      "</p><img src=\"" FB_PX "\"></noscript>|",
      NULL, 0, NULL, 0, 0, 1 },
    /* the pixel's host lies inside the first 256 bytes, its '>' after */
    { "oversize_noscript_pixel_straddles_limit_removed", 256,
      "<noscript>", ' ', 200, "<img src=\"" FB_PX "\"></noscript>|",
      "|", 0, "", 1, 1, 0 },
    /* the host is cut by the limit: not attributed, passed */
    { "oversize_noscript_pixel_host_cut_passed", 256,
      "<noscript>", ' ', 256 - 10 - 22, "<img src=\"https://www.facebook.com/tr\">"
      "</noscript>|",
      NULL, 0, NULL, 0, 0, 1 },
    { "oversize_noscript_nothing_to_remove", 256,
      "<noscript>", 'z', 1000, "<img src=/a.png></noscript>",
      NULL, 0, NULL, 0, 0, 1 },
    /* the start tag alone fills max_element: no pixel in it, passed */
    { "oversize_noscript_start_tag_passed", 256,
      "<noscript data-x=\"", 'x', 300,
      "\"><img src=\"" FB_PX "\"></noscript>|",
      NULL, 0, NULL, 0, 0, 1 },
    /* fuzz find: oversize start tag, content open at EOF */
    { "oversize_noscript_start_tag_open_content", 256,
      "<noscript data-x=\"", 'x', 300, "\"><script>gtag(",
      NULL, 0, NULL, 0, 0, 1 },
    /*
     * A scripting browser ends <noscript> at the first </noscript>, even
     * inside what the markup view reads as a comment: the img after it is
     * live whether or not the noscript was oversize.
     */
    { "oversize_noscript_stays_rawtext", 256,
      "<noscript>", 'a', 300,
      "<!--</noscript><img src=\"" FB_PX "\">-->|",
      "<noscript>", 300, "<!--</noscript>-->|", 1, -1, -1 },

    /* unknown tags longer than max_element are kept; what follows judged */
    { "oversize_long_tag_name_kept", 256,
      "<a", 'b', 1000, " src=\"" FB_PX "\"><img src=\"" FB_PX "\">|",
      "<a", 1000, " src=\"" FB_PX "\">|", 1, 0, -1 },
    { "oversize_unknown_tag_kept", 256,
      "<div title=\"", 'b', 1000, "\"><img src=\"" FB_PX "\">|",
      "<div title=\"", 1000, "\">|", 1, 0, 0 },
};

static void
test_big_case(void **state)
{
    const big_case_t  *c = *state;
    ts_conf_t          tc = { "", c->max_element, -1, -1 };
    char              *in, *exp;
    ts_result_t        r;

    in = ts_pad(c->prefix, c->fill, c->n, c->suffix);
    exp = c->out_prefix ? ts_pad(c->out_prefix, c->fill, c->out_n,
                                 c->out_suffix)
                        : in;
    r = ts_expect_gate(&tc, in, exp);
    if (c->removed >= 0) {
        assert_int_equal(r.stats.elements_removed, c->removed);
    }
    if (c->oversize_removed >= 0) {
        assert_int_equal(r.stats.oversize_removed, c->oversize_removed);
    }
    if (c->oversize_passed >= 0) {
        assert_int_equal(r.stats.oversize_passed, c->oversize_passed);
    }
    ts_result_free(&r);
}

/*
 * A gated element's tag that runs past max_element inside one fed chunk
 * and is still open at the chunk's end must not fail the feed.
 */
static void
test_long_open_tag_at_chunk_end(void **state)
{
    static const struct {
        const char  *prefix;
        size_t       n;
        const char  *suffix;
        size_t       chunk;     /* 0: whole */
    } open_tags[] = {
        { "<img alt=\"", 600, "\">ok", 400 },
        { "<script data-x=\"", 600, "\"></script>ok", 400 },
        { "ok<link rel=preconnect title=\"", 600, "\">", 300 },
        { "<script a=\"", 300, "", 0 },          /* open at EOF */
        { "<iframe title=\"", 300, "", 0 },
    };
    int bad = 0;

    (void) state;
    for (size_t i = 0; i < sizeof(open_tags) / sizeof(open_tags[0]); i++) {
        ts_conf_t    tc = { "", 256, -1, -1 };
        ts_split_t   sp = { open_tags[i].chunk ? TS_SPLIT_FIXED : TS_SPLIT_WHOLE,
                            open_tags[i].chunk, 0 };
        char        *in = ts_pad(open_tags[i].prefix, 'x', open_tags[i].n,
                                 open_tags[i].suffix);
        ts_result_t  r = ts_gate_run(&tc, in, strlen(in), &sp);
        char         esc[512];

        if (r.rc != 0 || r.out_len != strlen(in)
            || memcmp(r.out, in, r.out_len) != 0)
        {
            ts_escape((const unsigned char *) in, strlen(in), esc,
                      sizeof(esc));
            print_error("chunks of %zu: rc %d, %zu of %zu bytes out for "
                        "\"%s\"\n", open_tags[i].chunk, r.rc, r.out_len,
                        strlen(in), esc);
            bad++;
        }
        ts_result_free(&r);
        ts_release(in);
    }
    assert_int_equal(bad, 0);
}

/* ---- failures ---- */

static void
test_emit_failure(void **state)
{
    ts_conf_t    tc = { "", 0, 0, -1 };
    ts_split_t   whole = ts_split_nth(0), ones = ts_split_nth(1);
    ts_result_t  r;

    (void) state;
    /* first emit fails in feed() */
    r = ts_gate_run(&tc, "hello", 5, &whole);
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.live_allocs, 0);
    ts_result_free(&r);

    /* held bytes emitted from finish() */
    r = ts_gate_run(&tc, "<script>var x=1;", 16, &ones);
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.live_allocs, 0);
    ts_result_free(&r);

    /* a later emit fails: every split still reports -1 */
    for (int i = 0; i < TS_NSPLITS; i++) {
        static const char in[] = "a<img src=/x.png>b<noscript><p>x</p>"
            "<img src=\"" FB_PX "\"></noscript>c<script>var a;</script>d";
        ts_split_t sp = ts_split_nth(i);
        tc.emit_fail_at = 2;
        r = ts_gate_run(&tc, in, sizeof(in) - 1, &sp);
        assert_int_equal(r.rc, -1);
        assert_int_equal(r.live_allocs, 0);
        ts_result_free(&r);
    }
}

static void
test_alloc_failure(void **state)
{
    ts_conf_t    tc = { "", 0, -1, 0 };       /* every allocation fails */
    ts_split_t   ones = ts_split_nth(1);
    ts_result_t  r;

    (void) state;
    r = ts_gate_run(&tc, "<script>fbq(1)</script>", 23, &ones);
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.live_allocs, 0);
    ts_result_free(&r);
}

int
main(void)
{
    size_t       ncases = sizeof(cases) / sizeof(cases[0]);
    size_t       nbig = sizeof(big_cases) / sizeof(big_cases[0]);
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_clean_page_identical),
        cmocka_unit_test(test_stats_and_blocked),
        cmocka_unit_test(test_blocked_may_be_null),
        cmocka_unit_test(test_holding_flag),
        cmocka_unit_test(test_long_open_tag_at_chunk_end),
        cmocka_unit_test(test_emit_failure),
        cmocka_unit_test(test_alloc_failure),
    };
    size_t       nfixed = sizeof(fixed) / sizeof(fixed[0]);
    struct CMUnitTest *tests = calloc(ncases + nbig + nfixed, sizeof(*tests));

    if (tests == NULL) {
        return 1;
    }
    for (size_t i = 0; i < ncases; i++) {
        tests[i].name = cases[i].name;
        tests[i].test_func = test_case;
        tests[i].initial_state = (void *) &cases[i];
    }
    for (size_t i = 0; i < nbig; i++) {
        tests[ncases + i].name = big_cases[i].name;
        tests[ncases + i].test_func = test_big_case;
        tests[ncases + i].initial_state = (void *) &big_cases[i];
    }
    memcpy(tests + ncases + nbig, fixed, sizeof(fixed));

    int rc = _cmocka_run_group_tests("gate", tests, ncases + nbig + nfixed,
                                     ts_rules_setup, ts_rules_teardown);
    free(tests);
    return rc;
}
