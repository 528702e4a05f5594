/*
 * CMP consent cookies (cs_cmp_parse): OneTrust, Cookiebot, cc_cookie, Klaro
 * and the bare TC string, on real cookie values and malformed variants.
 *
 * Sources of the real values:
 *  [uBO]   uBlockOrigin/uBOL-home
 *          firefox/rulesets/scripting/scriptlet/annoyances-cookies.trusted-set-cookie.js
 *          (cookies uBlock Origin Lite sets so that sites take consent as
 *          given or refused; the JSON-with-quotes values are set as they
 *          are, everything else exactly as written there);
 *  [hdr]   Cookie headers captured in public scraper code on GitHub (found
 *          through the code index by exact string; the index does not name
 *          the repository), with the site they came from;
 *  [brief] the examples of this module's task description.
 * Format documentation: OneTrust groups (toolstation docs / uBO values),
 * Cookiebot "-1" = visitor outside any consent region (uMarketingSuite's
 * Cookiebot guide, citing Cookiebot's server-side documentation),
 * orestbida/cookieconsent src/utils/cookies.js (v3 writes
 * encodeURIComponent(JSON.stringify({categories, revision, data,
 * consentTimestamp, consentId, services, lastConsentTimestamp}))), Klaro
 * klaro-org/klaro-js (a JSON object of service name -> boolean).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_cmp.h"

#define ON  CS_CMP_ONETRUST
#define CB  CS_CMP_COOKIEBOT
#define CC  CS_CMP_CC_COOKIE
#define KL  CS_CMP_KLARO
#define TC  CS_CMP_TCF

typedef struct {
    cs_cmp_format_t  f;
    const char      *value;
    int              rc;
    const char      *items;      /* "name:1,name:0" in item order */
    bool             all;
    bool             tcf;
} cmp_case_t;

static cs_cmp_consent_t  out;    /* big: keep it off the stack */

static void
render(const cs_cmp_consent_t *c, char *buf, size_t cap)
{
    size_t n = 0;

    buf[0] = '\0';
    for (uint32_t i = 0; i < c->n; i++) {
        n += (size_t) snprintf(buf + n, cap - n, "%s%s:%d", i ? "," : "",
                               c->items[i].name, c->items[i].granted);
    }
}

static void
assert_nothing_granted(const cs_cmp_consent_t *c)
{
    assert_int_equal(c->n, 0);
    assert_false(c->all_granted);
    assert_false(c->has_tcf);
    assert_int_equal(c->tcf.version, 0);
}

static void
run_cases(const cmp_case_t *cases, size_t ncases)
{
    static char got[16384];
    int         bad = 0;

    for (size_t i = 0; i < ncases; i++) {
        const cmp_case_t *c = &cases[i];
        int rc = cs_cmp_parse(c->f, c->value, strlen(c->value), &out);

        render(&out, got, sizeof(got));
        if (rc != c->rc || strcmp(got, c->items) != 0
            || out.all_granted != c->all || out.has_tcf != c->tcf)
        {
            bad++;
            print_error("%s \"%.80s\": expected %d {%s} all=%d tcf=%d, "
                        "got %d {%s} all=%d tcf=%d\n",
                        cs_cmp_format_name(c->f), c->value, c->rc, c->items,
                        c->all, c->tcf, rc, got, out.all_granted,
                        out.has_tcf);
        }
        if (rc != 0) {
            assert_nothing_granted(&out);
        }
    }
    assert_int_equal(bad, 0);
}

/* ---- OneTrust ---- */

static const cmp_case_t onetrust_cases[] = {
    /* [uBO] groups only, custom and IAB stack ids */
    { ON, "groups=C0001%3A1%2CC0002%3A0%2CC0008%3A0", 0,
      "C0001:1,C0002:0,C0008:0", false, false },
    { ON, "groups=C0004%3A0%2CC0003%3A1%2CC0002%3A0%2CC0001%3A1%2CSTACK42%3A0",
      0, "C0004:0,C0003:1,C0002:0,C0001:1,STACK42:0", false, false },
    { ON, "groups=1%3A1%2C2%3A0%2C3%3A1%2C4%3A0%2C5%3A1%2CBG57%3A0%2CBG58%3A0"
          "%2CBG59%3A0", 0,
      "1:1,2:0,3:1,4:0,5:1,BG57:0,BG58:0,BG59:0", false, false },
    { ON, "groups=C0001%3A1%2CC0003%3A1%2CSPD_BG%3A1%2CC0002%3A1%2CC0004%3A1"
          "%2CC0005%3A1", 0,
      "C0001:1,C0003:1,SPD_BG:1,C0002:1,C0004:1,C0005:1", false, false },
    { ON, "groups=C0001%3A1%2CC0002%3A0%2CC0003%3A0%2CC0004%3A0%2CV2STACK42%3A0",
      0, "C0001:1,C0002:0,C0003:0,C0004:0,V2STACK42:0", false, false },
    { ON, "groups=BG117%3A1%2CC0001%3A1%2CC0003%3A1%2CC0002%3A1%2CSPD_BG%3A1"
          "%2CC0004%3A1", 0,
      "BG117:1,C0001:1,C0003:1,C0002:1,SPD_BG:1,C0004:1", false, false },
    /* [uBO] a per-host "hosts" pair beside the groups */
    { ON, "groups=C1%3A1%2CC2%3A0%2CC3%3A0%2CC4%3A0%2CC5%3A0%2CC8%3A0%2CC9%3A0"
          "&hosts=H184%3A1%2CH108%3A1%2CH109%3A1%2CH36%3A1%2CH58%3A1%2CH159%3A1"
          "%2CH37%3A1%2CH112%3A1%2CH331%3A1%2CH39%3A1%2CH348%3A1%2CH67%3A1"
          "%2CH115%3A1%2CH306%3A1%2CH63%3A1%2CH117%3A1%2CH118%3A1%2CH119%3A1"
          "%2CH120%3A1%2CH121%3A1%2CH122%3A1%2CH66%3A1%2CH304%3A0%2CH338%3A0"
          "%2CH40%3A0%2CH43%3A0%2CH183%3A0%2CH60%3A0%2CH274%3A0%2CH97%3A0"
          "%2CH142%3A0%2CH48%3A0%2CH49%3A0%2CH149%3A0%2CH83%3A0%2CH38%3A0"
          "%2CH176%3A0%2CH150%3A0%2CH330%3A0%2CH85%3A0%2CH151%3A0%2CH324%3A0"
          "%2CH402%3A0%2CH272%3A0%2CH14%3A0%2CH275%3A0%2CH23%3A0%2CH41%3A0"
          "%2CH101%3A0%2CH153%3A0%2CH6%3A0%2CH283%3A0%2CH42%3A0%2CH32%3A0"
          "%2CH145%3A0%2CH15%3A0%2CH322%3A0%2CH148%3A0%2CH333%3A0%2CH104%3A0"
          "%2CH55%3A0%2CH143%3A0%2CH17%3A0%2CH18%3A0%2CH57%3A0%2CH359%3A0"
          "%2CH129%3A0", 0,
      "C1:1,C2:0,C3:0,C4:0,C5:0,C8:0,C9:0", false, false },
    /* [uBO] sixteen groups */
    { ON, "groups=C0001%3A1%2CC0002%3A0%2CC0005%3A0%2CC0004%3A0%2CC0048%3A1"
          "%2CC0030%3A1%2CC0046%3A1%2CC0032%3A1%2CC0033%3A1%2CC0057%3A1"
          "%2CC0054%3A1%2CC0056%3A1%2CC0043%3A1%2CC0029%3A1%2CC0055%3A1"
          "%2CC0026%3A1", 0,
      "C0001:1,C0002:0,C0005:0,C0004:0,C0048:1,C0030:1,C0046:1,C0032:1,"
      "C0033:1,C0057:1,C0054:1,C0056:1,C0043:1,C0029:1,C0055:1,C0026:1",
      false, false },

    /* [hdr] whole cookies: an Indian visitor, 2025 */
    { ON, "isGpcEnabled=0&datestamp=Mon+Sep+01+2025+16%3A10%3A37+GMT%2B0530+"
          "(India+Standard+Time)&version=202505.1.0&browserGpcFlag=0"
          "&isIABGlobal=false&hosts=&consentId=56f5c5c8-9304-4e13-9611-"
          "2112b05715e1&interactionCount=1&isAnonUser=1&landingPath="
          "NotLandingPage&groups=C0001%3A1%2CC0003%3A1%2CC0002%3A1%2CC0004%3A1"
          "&AwaitingReconsent=false&geolocation=IN%3BKL", 0,
      "C0001:1,C0003:1,C0002:1,C0004:1", false, false },
    /* [hdr] ralphlauren.com, numeric group ids and a BG group */
    { ON, "isGpcEnabled=0&datestamp=Tue+Nov+26+2024+17%3A34%3A36+GMT%2B0530+"
          "(India+Standard+Time)&version=202409.1.0&browserGpcFlag=0"
          "&isIABGlobal=false&hosts=&landingPath=NotLandingPage&groups=1%3A1"
          "%2C3%3A1%2CBG71%3A1%2C2%3A1%2C4%3A1&AwaitingReconsent=false", 0,
      "1:1,3:1,BG71:1,2:1,4:1", false, false },
    /* [hdr] ru.milwaukeetool.eu: UTF-8 escapes in the datestamp */
    { ON, "isGpcEnabled=0&datestamp=Sat+Apr+22+2023+18%3A55%3A03+GMT%2B0300+"
          "(%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0%2C+%D1%81%D1%82%D0%B0%D0%BD"
          "%D0%B4%D0%B0%D1%80%D1%82%D0%BD%D0%BE%D0%B5+%D0%B2%D1%80%D0%B5%D0%BC"
          "%D1%8F)&version=6.21.0&isIABGlobal=false&hosts=&consentId="
          "dd1d01f1-9838-4dda-bb07-28900449605b&interactionCount=1&landingPath="
          "NotLandingPage&groups=C0001%3A1%2CC0002%3A1%2CC0003%3A1%2CC0004%3A1"
          "&geolocation=RU%3BMOW&AwaitingReconsent=false", 0,
      "C0001:1,C0002:1,C0003:1,C0004:1", false, false },
    /* [hdr] a US visitor, 2025, OneTrust 6.23 */
    { ON, "isGpcEnabled=0&datestamp=Fri+Jan+24+2025+16%3A11%3A15+GMT-0500+"
          "(Eastern+Standard+Time)&version=6.23.0&isIABGlobal=false&hosts="
          "&consentId=a7629d4b-c3f6-4ed2-a3d9-6d1b9259adc2&interactionCount=1"
          "&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A1%2CC0003%3A1"
          "%2CC0004%3A1%2CC0005%3A1&geolocation=US%3BNY&AwaitingReconsent=false",
      0, "C0001:1,C0002:1,C0003:1,C0004:1,C0005:1", false, false },
    /* [hdr] tripadvisor.ru, up to the end of its groups pair */
    { ON, "isGpcEnabled=0&datestamp=Mon+Sep+08+2025+09%3A36%3A34+GMT%2B0300+"
          "(%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0%2C+%D1%81%D1%82%D0%B0%D0%BD"
          "%D0%B4%D0%B0%D1%80%D1%82%D0%BD%D0%BE%D0%B5+%D0%B2%D1%80%D0%B5%D0%BC"
          "%D1%8F)&version=202405.2.0&browserGpcFlag=0&isIABGlobal=false&hosts="
          "&consentId=26cb4067-c506-4912-bd45-619e22d7cb50&interactionCount=1"
          "&isAnonUser=1&landingPath=https%3A%2F%2Fwww.tripadvisor.ru%2F"
          "Attraction_Review-g298484-d8514577-Reviews-Moskvarium-Moscow_Central"
          "_Russia.html&groups=C0001%3A1%2CC0002%3A1%2CC0003%3A1%2CC0004%3A0", 0,
      "C0001:1,C0002:1,C0003:1,C0004:0", false, false },
    /* [brief] */
    { ON, "isGpcEnabled=0&datestamp=x&version=1&groups=C0001%3A1%2CC0002%3A0"
          "%2CC0003%3A1%2CC0004%3A0&x=1", 0,
      "C0001:1,C0002:0,C0003:1,C0004:0", false, false },

    /* unescaped separators, empty groups, surrounding quotes */
    { ON, "groups=C0001:1,C0002:0", 0, "C0001:1,C0002:0", false, false },
    { ON, "groups=", 0, "", false, false },
    { ON, "\"groups=C0001%3A1\"", 0, "C0001:1", false, false },
    { ON, "groups=c0001%3a1", 0, "c0001:1", false, false },

    /* malformed */
    { ON, "isGpcEnabled=0&datestamp=x", -1, "", false, false },
    { ON, "Groups=C0001%3A1", -1, "", false, false },
    { ON, "groups=C0001%3A1&groups=C0002%3A1", -1, "", false, false },
    { ON, "groups=C0001%3A2", -1, "", false, false },
    { ON, "groups=C0001%3A", -1, "", false, false },
    { ON, "groups=C0001%3A11", -1, "", false, false },
    { ON, "groups=C0001", -1, "", false, false },
    { ON, "groups=%3A1", -1, "", false, false },
    { ON, "groups=C0001%3A1%2C", -1, "", false, false },
    { ON, "groups=%2CC0001%3A1", -1, "", false, false },
    { ON, "groups=C0001%3A1%2C%2CC0002%3A1", -1, "", false, false },
    { ON, "groups=C0001%3A1%2CC0001%3A0", -1, "", false, false },
    { ON, "groups=C0001%3A1%3BC0002%3A0", -1, "", false, false },
    { ON, "groups=C00+01%3A1", -1, "", false, false },
    { ON, "groups=C0001%3A1%2", -1, "", false, false },
    { ON, "groups=C0001%3A1%", -1, "", false, false },
    { ON, "groups=C0001%3A1%G0", -1, "", false, false },
    { ON, "groups=C0001%3A1&x=%zz", -1, "", false, false },
    { ON, "groups=C0001%3A1&&x=1", -1, "", false, false },
    { ON, "groups=C0001%3A1&", -1, "", false, false },
    { ON, "&groups=C0001%3A1", -1, "", false, false },
    { ON, "groups=C0001%3A1&novalue", -1, "", false, false },
    { ON, "groups=C0001%3A1&=1", -1, "", false, false },
    { ON, "groups=C0001%3A1%00", -1, "", false, false },
    { ON, "C0001%3A1", -1, "", false, false },
    { ON, "\"", -1, "", false, false },
    { ON, "\"\"", -1, "", false, false },
};

/* ---- Cookiebot ---- */

static const cmp_case_t cookiebot_cases[] = {
    /* [uBO] */
    { CB, "{necessary:true%2Cpreferences:false%2Cstatistics:false%2C"
          "marketing:false}", 0,
      "necessary:1,preferences:0,statistics:0,marketing:0", false, false },
    { CB, "{stamp:%27BvqlZ34xqOpzSOaxY1VgwOy5CZ1lfC4Xs2JNiDqz9M4rNuyyAY56Jg=="
          "%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:false%2C"
          "marketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1697932000537}",
      0, "necessary:1,preferences:0,statistics:0,marketing:0", false, false },
    { CB, "{stamp:%27fbbiPQWa8SRQm47Ge8hRVOAPAgw2jXlG8o/+hp1euVVi1qtFQj1O3w=="
          "%27%2Cnecessary:true%2Cpreferences:true%2Cstatistics:true%2C"
          "marketing:true%2Cmethod:%27explicit%27%2Cver:4}", 0,
      "necessary:1,preferences:1,statistics:1,marketing:1", false, false },
    { CB, "{necessary:true%2Cpreferences:false%2Cstatistics:true%2C"
          "marketing:true}", 0,
      "necessary:1,preferences:0,statistics:1,marketing:1", false, false },
    { CB, "{stamp:%27Uv9YOAVP5djCBw71lxhE4rNAfTObaGck2Sn3rKWf9dPCYpqcWvAlpA=="
          "%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:false%2C"
          "marketing:true%2Cmethod:%27explicit%27%2Cver:1}", 0,
      "necessary:1,preferences:0,statistics:0,marketing:1", false, false },
    /* [hdr] redbubble.com: implied consent outside a consent region */
    { CB, "{stamp:%27-1%27%2Cnecessary:true%2Cpreferences:true%2Cstatistics:"
          "true%2Cmarketing:true%2Cmethod:%27implied%27%2Cver:1%2Cutc:"
          "1709627572438%2Ciab2:%27%27%2Cregion:%27VN%27}", 0,
      "necessary:1,preferences:1,statistics:1,marketing:1", false, false },
    /* [hdr] a Magento shop, no "method" */
    { CB, "{stamp:%27-1%27%2Cnecessary:true%2Cpreferences:true%2Cstatistics:"
          "true%2Cmarketing:true%2Cver:1%2Cutc:1665959415837%2Ciab2:%27%27%2C"
          "region:%27CA%27}", 0,
      "necessary:1,preferences:1,statistics:1,marketing:1", false, false },
    /* [hdr] akispetretzikis.com: an IAB TC string in iab2, and gacm */
    { CB, "{stamp:%27gfFpaCDUYuyy8PQZK4Zo7ounw9OHRKA4QE2BDHAXVA47voDT8srZ+g=="
          "%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:false%2C"
          "marketing:false%2Cver:1%2Cutc:1606806646606%2Ciab2:%27CO9uzyhO9uzyh"
          "CGABBENBBCgAAAAAH_AAAAAAAAOJAJMNS-AizEscCSaNKoUQIQriQ6AEAFFCMLRNYQEr"
          "gp2VwEfoIGACA1ARgRAgxBRiyCAAAAAJKIgJADwQCIAiAQAAgBUgIQAEaAILACQMAgAF"
          "ANCwAigCECQgyOCo5TAgIkWignkrAEou9jDCEMooAaBAAAA.YAAAAAAAAAAA%27%2C"
          "gacm:%271~%27%2Cregion:%27de%27}", 0,
      "necessary:1,preferences:0,statistics:0,marketing:0", false, true },
    /* the same fields as JSON (Cookiebot's JSON form, percent-escaped) */
    { CB, "%7B%22stamp%22%3A%22BvqlZ34xqOpzSOaxY1VgwOy5CZ1lfC4Xs2JNiDqz9M4rNuy"
          "yAY56Jg%3D%3D%22%2C%22necessary%22%3Atrue%2C%22preferences%22%3A"
          "false%2C%22statistics%22%3Atrue%2C%22marketing%22%3Afalse%2C"
          "%22method%22%3A%22explicit%22%2C%22ver%22%3A1%2C%22utc%22%3A"
          "1697932000537%2C%22region%22%3A%22jp%22%7D", 0,
      "necessary:1,preferences:0,statistics:1,marketing:0", false, false },
    { CB, "{\"stamp\":\"x\",\"necessary\":true,\"preferences\":true,"
          "\"statistics\":false,\"marketing\":false}", 0,
      "necessary:1,preferences:1,statistics:0,marketing:0", false, false },
    /* [brief] */
    { CB, "{stamp:%27...%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:"
          "true%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:"
          "1690000000000%2Cregion:%27jp%27}", 0,
      "necessary:1,preferences:0,statistics:1,marketing:0", false, false },
    /* the special values: outside any consent region; necessary only */
    { CB, "-1", 0, "necessary:1,preferences:1,statistics:1,marketing:1", true,
      false },
    { CB, "0", 0, "necessary:1,preferences:0,statistics:0,marketing:0", false,
      false },
    /* lenient literal: mixed quoting, escapes, whitespace, any key order */
    { CB, "{ marketing : false , 'statistics':true,\"preferences\" :false,"
          "necessary:true, stamp:'it\\'s', $x_1:[1,{a:'b'}], ver:-1.5e+3 }", 0,
      "necessary:1,preferences:0,statistics:1,marketing:0", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:false,"
          "iab2:''}", 0,
      "necessary:1,preferences:0,statistics:0,marketing:0", false, false },

    /* [uBO] other CMPs' values under the name CookieConsent */
    { CB, "1.0.0.0.0", -1, "", false, false },
    { CB, "mandatory|external", -1, "", false, false },
    { CB, "%7B%22Mode%22%3A0%7D", -1, "", false, false },
    { CB, "necessary:true%2C%20preference:true%2C%20statistics:false%2C%20"
          "marketing:false", -1, "", false, false },
    /* malformed */
    { CB, "-2", -1, "", false, false },
    { CB, "00", -1, "", false, false },
    { CB, "1", -1, "", false, false },
    { CB, "%2D1", 0, "necessary:1,preferences:1,statistics:1,marketing:1",
      true, false },
    { CB, "{necessary:true,preferences:false,statistics:false}", -1, "",
      false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,"
          "marketing:'false'}", -1, "", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:1}",
      -1, "", false, false },
    { CB, "{necessary:true,necessary:false,preferences:false,statistics:false,"
          "marketing:false}", -1, "", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:false,}",
      -1, "", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:false",
      -1, "", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:false}x",
      -1, "", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:false}"
          "{}", -1, "", false, false },
    { CB, "{necessary:true preferences:false,statistics:false,marketing:false}",
      -1, "", false, false },
    { CB, "{necessary:tru,preferences:false,statistics:false,marketing:false}",
      -1, "", false, false },
    { CB, "{necessary:True,preferences:false,statistics:false,marketing:false}",
      -1, "", false, false },
    { CB, "{Necessary:true,preferences:false,statistics:false,marketing:false}",
      -1, "", false, false },
    { CB, "{stamp:'x,necessary:true,preferences:false,statistics:false,"
          "marketing:false}", -1, "", false, false },
    { CB, "{stamp:'x\",necessary:true,preferences:false,statistics:false,"
          "marketing:false}", -1, "", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:false,"
          "ver:01}", -1, "", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:false,"
          "ver:1.}", -1, "", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:false,"
          "ver:.5}", -1, "", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:false,"
          "ver:1e}", -1, "", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:false,"
          "ver:-}", -1, "", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:false,"
          "x:undefined}", -1, "", false, false },
    { CB, "{necessary:true,preferences:false,statistics:false,marketing:false,"
          "1x:1}", -1, "", false, false },
    { CB, "{necessary:true%2preferences:false}", -1, "", false, false },
    /* a broken or version-1 TC string in iab2 grants nothing at all */
    { CB, "{necessary:true,preferences:true,statistics:true,marketing:true,"
          "iab2:'CO9uzyhO9uzyhCGABBENBB'}", -1, "", false, false },
    { CB, "{necessary:true,preferences:true,statistics:true,marketing:true,"
          "iab2:'BO2e4qiO2e4qiB9ABADEDS-AAAAxKABgACBiQA'}", -1, "", false,
      false },
    { CB, "{necessary:true,preferences:true,statistics:true,marketing:true,"
          "iab2:true}", -1, "", false, false },
    { CB, "{necessary:true,preferences:true,statistics:true,marketing:true,"
          "iab2:'',iab2:''}", -1, "", false, false },
    { CB, "{necessary:true,preferences:true,statistics:true,marketing:true,"
          "iab2:'CO9u\\u007A'}", -1, "", false, false },
};

/* ---- cc_cookie ---- */

static const cmp_case_t cc_cases[] = {
    /* [uBO] v2 (raw JSON) */
    { CC, "{\"level\":[\"necessary\"],\"revision\":0,\"data\":null,"
          "\"rfc_cookie\":false}", 0, "necessary:1", false, false },
    { CC, "{\"level\":[\"tecnici\"],\"revision\":0,\"data\":null,"
          "\"rfc_cookie\":false}", 0, "tecnici:1", false, false },
    /* [uBO] v2.9: "categories" beside "level" */
    { CC, "{\"categories\":[\"necessary\"],\"level\":[\"necessary\"],"
          "\"revision\":1,\"data\":null,\"rfc_cookie\":true,\"consent_date\":"
          "\"1\",\"consent_uuid\":\"1\",\"last_consent_update\":\"1\"}", 0,
      "necessary:1", false, false },
    /* [uBO] v2 with rfc_cookie (percent-escaped), data an object */
    { CC, "%7B%22level%22%3A%5B%22necessary%22%5D%2C%22revision%22%3A0%2C"
          "%22data%22%3A%7B%22id%22%3A%22DarYF7gx7v%22%7D%2C%22rfc_cookie%22"
          "%3Atrue%7D", 0, "necessary:1", false, false },
    /* [brief] v2 and v3 */
    { CC, "{\"level\":[\"necessary\",\"analytics\"],\"revision\":0,\"data\":"
          "null,\"rfc_cookie\":false}", 0, "necessary:1,analytics:1", false,
      false },
    { CC, "%7B%22categories%22%3A%5B%22necessary%22%2C%22analytics%22%5D%2C"
          "%22revision%22%3A0%2C%22data%22%3Anull%2C%22consentTimestamp%22%3A"
          "%22...%22%2C%22consentId%22%3A%22...%22%2C%22services%22%3A%7B"
          "%22necessary%22%3A%5B%5D%2C%22analytics%22%3A%5B%22ga%22%5D%7D%2C"
          "%22lastConsentTimestamp%22%3A%22...%22%2C%22expirationTime%22%3A"
          "1%7D", 0, "necessary:1,analytics:1,analytics/ga:1", false, false },
    /* [hdr] math-gpt.ai: v3 without services */
    { CC, "%7B%22categories%22%3A%5B%22necessary%22%2C%22analytics%22%5D%2C"
          "%22revision%22%3A0%2C%22data%22%3Anull%2C%22consentTimestamp%22%3A"
          "%222026-05-06T15%3A46%3A43.814Z%22%2C%22consentId%22%3A%22239ff797-"
          "fd56-4fdc-b7b7-a22fa75f279f%22%7D", 0, "necessary:1,analytics:1",
      false, false },
    /* [hdr] chat.mistral.ai: accepted, with services */
    { CC, "%7B%22categories%22%3A%5B%22necessary%22%2C%22analytics%22%2C"
          "%22support%22%5D%2C%22revision%22%3A1%2C%22data%22%3Anull%2C"
          "%22consentTimestamp%22%3A%222024-12-01T12%3A54%3A15.906Z%22%2C"
          "%22consentId%22%3A%22104021a8-9e58-491c-927f-f3d1e0c21adb%22%2C"
          "%22services%22%3A%7B%22necessary%22%3A%5B%5D%2C%22analytics%22%3A"
          "%5B%22posthog%22%5D%2C%22support%22%3A%5B%22intercom%22%5D%7D%2C"
          "%22lastConsentTimestamp%22%3A%222024-12-01T12%3A54%3A15.906Z%22%2C"
          "%22expirationTime%22%3A1748782455907%7D", 0,
      "necessary:1,analytics:1,support:1,analytics/posthog:1,"
      "support/intercom:1", false, false },
    /* [hdr] chat.mistral.ai: necessary only */
    { CC, "%7B%22categories%22%3A%5B%22necessary%22%5D%2C%22revision%22%3A1"
          "%2C%22data%22%3Anull%2C%22consentTimestamp%22%3A%222024-11-20T19"
          "%3A02%3A36.823Z%22%2C%22consentId%22%3A%2212fd04af-4af6-48a3-8531-"
          "b7cf317849d1%22%2C%22services%22%3A%7B%22necessary%22%3A%5B%5D%2C"
          "%22analytics%22%3A%5B%5D%2C%22support%22%3A%5B%5D%7D%2C"
          "%22lastConsentTimestamp%22%3A%222024-11-20T19%3A02%3A36.823Z%22%2C"
          "%22expirationTime%22%3A1747854156824%7D", 0, "necessary:1", false,
      false },
    /* [hdr] a French site: no "necessary" category, six services */
    { CC, "%7B%22categories%22%3A%5B%22analytics%22%2C%22ads%22%5D%2C"
          "%22revision%22%3A0%2C%22data%22%3Anull%2C%22consentTimestamp%22%3A"
          "%222025-01-20T11%3A06%3A35.050Z%22%2C%22consentId%22%3A%220e238adb-"
          "d154-42c0-94f2-2abd20e7ec86%22%2C%22services%22%3A%7B%22analytics"
          "%22%3A%5B%22google_analytics%22%2C%22hotjar%22%2C%22posthog%22%2C"
          "%22microsoft%22%5D%2C%22ads%22%3A%5B%22facebook_pixel%22%2C"
          "%22linkedin%22%5D%7D%2C%22lastConsentTimestamp%22%3A%222025-01-20T11"
          "%3A06%3A35.050Z%22%2C%22expirationTime%22%3A1753095995051%7D", 0,
      "analytics:1,ads:1,analytics/google_analytics:1,analytics/hotjar:1,"
      "analytics/posthog:1,analytics/microsoft:1,ads/facebook_pixel:1,"
      "ads/linkedin:1", false, false },
    /* [hdr] parkrun.org.uk (cookie "psc"), an extra languageCode key */
    { CC, "%7B%22categories%22%3A%5B%22necessary%22%2C%22personalisation%22"
          "%2C%22analytics%22%5D%2C%22revision%22%3A1%2C%22data%22%3Anull%2C"
          "%22consentTimestamp%22%3A%222025-10-03T16%3A37%3A25.351Z%22%2C"
          "%22consentId%22%3A%22cd3ce520-8b73-4e48-8932-cbe3a8c4fcab%22%2C"
          "%22services%22%3A%7B%22necessary%22%3A%5B%5D%2C%22personalisation"
          "%22%3A%5B%5D%2C%22analytics%22%3A%5B%22ga%22%2C%22mapbox%22%2C"
          "%22youtube%22%2C%22twitter%22%5D%7D%2C%22languageCode%22%3A%22en%22"
          "%2C%22lastConsentTimestamp%22%3A%222025-10-03T16%3A37%3A25.351Z%22"
          "%2C%22expirationTime%22%3A1775234245351%7D", 0,
      "necessary:1,personalisation:1,analytics:1,analytics/ga:1,"
      "analytics/mapbox:1,analytics/youtube:1,analytics/twitter:1", false,
      false },
    /* a service listed under a category that is not accepted is not granted */
    { CC, "{\"categories\":[\"necessary\"],\"services\":{\"analytics\":"
          "[\"ga\"]}}", 0, "necessary:1,analytics/ga:0", false, false },
    { CC, "{\"categories\":[],\"revision\":0}", 0, "", false, false },
    { CC, " { \"level\" : [ \"a\" , \"b\" ] } ", 0, "a:1,b:1", false, false },

    /* malformed */
    { CC, "{\"revision\":0,\"data\":null}", -1, "", false, false },
    { CC, "{\"level\":\"necessary\"}", -1, "", false, false },
    { CC, "{\"level\":[\"necessary\",1]}", -1, "", false, false },
    { CC, "{\"level\":[\"necessary\",null]}", -1, "", false, false },
    { CC, "{\"level\":[\"necessary\",]}", -1, "", false, false },
    { CC, "{\"level\":[\"necessary\"\"x\"]}", -1, "", false, false },
    { CC, "{\"level\":[\"necessary\",\"necessary\"]}", -1, "", false, false },
    { CC, "{\"level\":[\"\"]}", -1, "", false, false },
    { CC, "{\"level\":[\"a\"],\"level\":[\"a\"]}", -1, "", false, false },
    { CC, "{\"categories\":[\"a\",\"b\"],\"level\":[\"a\"]}", -1, "", false,
      false },
    { CC, "{\"categories\":[\"a\"],\"level\":[\"a\",\"b\"]}", -1, "", false,
      false },
    { CC, "{\"categories\":[\"a\",\"b\"],\"level\":[\"a\",\"a\"]}", -1, "",
      false, false },
    { CC, "{\"categories\":[\"a\"],\"services\":[\"x\"]}", -1, "", false,
      false },
    { CC, "{\"categories\":[\"a\"],\"services\":{\"a\":\"x\"}}", -1, "", false,
      false },
    { CC, "{\"categories\":[\"a\"],\"services\":{\"a\":[1]}}", -1, "", false,
      false },
    { CC, "{\"categories\":[\"a\"],\"services\":{\"a\":[\"x\",\"x\"]}}", -1, "",
      false, false },
    { CC, "{\"categories\":[\"a\"],\"services\":null}", -1, "", false, false },
    { CC, "{\"categories\":[\"a\"]}}", -1, "", false, false },
    { CC, "{'categories':['a']}", -1, "", false, false },
    { CC, "{categories:[\"a\"]}", -1, "", false, false },
    { CC, "[\"necessary\"]", -1, "", false, false },
    { CC, "necessary", -1, "", false, false },
    { CC, "{\"level\":[\"necessary\"],\"data\":{\"a\":tru}}", -1, "", false,
      false },
    { CC, "{\"level\":[\"necessary\"],\"data\":NaN}", -1, "", false, false },
    { CC, "{\"level\":[\"nec\tessary\"]}", -1, "", false, false },
    { CC, "%7B%22level%22%3A%5B%22necessary%22%5D%7", -1, "", false, false },
};

/* ---- Klaro ---- */

static const cmp_case_t klaro_cases[] = {
    /* [hdr] mrw.es */
    { KL, "%7B%22necessary-cookies%22%3Atrue%2C%22preferences%22%3Afalse%2C"
          "%22google-analytics%22%3Afalse%2C%22google-ads%22%3Afalse%7D", 0,
      "necessary-cookies:1,preferences:0,google-analytics:0,google-ads:0",
      false, false },
    /* [hdr] a shop: seven services */
    { KL, "%7B%22site_functionality%22%3Atrue%2C%22facebook%22%3Atrue%2C"
          "%22pinterest%22%3Atrue%2C%22twitter%22%3Atrue%2C%22yandex%22%3Atrue"
          "%2C%22rf_google_ecommerce%22%3Atrue%2C%22google_tag_manager%22%3A"
          "true%7D", 0,
      "site_functionality:1,facebook:1,pinterest:1,twitter:1,yandex:1,"
      "rf_google_ecommerce:1,google_tag_manager:1", false, false },
    /* [hdr] creopard.de (a consent-cookie list of a browser extension) */
    { KL, "%7B%22klaro%22%3Atrue%2C%22cms%22%3Atrue%2C%22adsense%22%3Afalse%2C"
          "%22youtube%22%3Afalse%2C%22twitter%22%3Afalse%2C%22matomo%22%3Afalse"
          "%7D", 0,
      "klaro:1,cms:1,adsense:0,youtube:0,twitter:0,matomo:0", false, false },
    /* [hdr] uniba.sk: camelCase names kept as they are */
    { KL, "%7B%22uniba%22%3Atrue%2C%22youtube%22%3Atrue%2C%22fbpixel%22%3Atrue"
          "%2C%22googleAnalytics%22%3Atrue%2C%22google%22%3Atrue%7D", 0,
      "uniba:1,youtube:1,fbpixel:1,googleAnalytics:1,google:1", false, false },
    /* [hdr] ilb.de */
    { KL, "%7B%22klaro%22%3Atrue%2C%22apache%22%3Atrue%2C%22friendlyCaptcha%22"
          "%3Atrue%2C%22googleAnalytics%22%3Atrue%2C%22youtube%22%3Atrue%2C"
          "%22twitter%22%3Atrue%2C%22googleMaps%22%3Atrue%7D", 0,
      "klaro:1,apache:1,friendlyCaptcha:1,googleAnalytics:1,youtube:1,"
      "twitter:1,googleMaps:1", false, false },
    /* [hdr] an app setting the cookie itself */
    { KL, "%7B%22matomo%22%3Afalse%2C%22technicalTracker%22%3Atrue%7D", 0,
      "matomo:0,technicalTracker:1", false, false },
    /* [brief] raw JSON */
    { KL, "{\"googleAnalytics\":true,\"facebook\":false}", 0,
      "googleAnalytics:1,facebook:0", false, false },
    { KL, "{}", 0, "", false, false },
    /* escapes in names: \u, UTF-8, a surrogate pair, \/ */
    { KL, "{\"goo\\u0067le\":true,\"caf\\u00e9\":false,\"a\\/b\":true,"
          "\"\\ud83c\\udf6a\":true}", 0,
      "google:1,caf\xc3\xa9:0,a/b:1,\xf0\x9f\x8d\xaa:1", false, false },
    { KL, "{\"t\\u20ac\":true}", 0, "t\xe2\x82\xac:1", false, false },

    /* malformed */
    { KL, "{\"a\":1}", -1, "", false, false },
    { KL, "{\"a\":null}", -1, "", false, false },
    { KL, "{\"a\":\"true\"}", -1, "", false, false },
    { KL, "{\"a\":{\"b\":true}}", -1, "", false, false },
    { KL, "{\"\":true}", -1, "", false, false },
    { KL, "{\"a\":true,\"a\":false}", -1, "", false, false },
    { KL, "{\"a\":true,}", -1, "", false, false },
    { KL, "{,}", -1, "", false, false },
    { KL, "{\"a\" true}", -1, "", false, false },
    { KL, "{\"a\":true", -1, "", false, false },
    { KL, "{\"a\":true}}", -1, "", false, false },
    { KL, "{\"a\":true} x", -1, "", false, false },
    { KL, "[true]", -1, "", false, false },
    { KL, "true", -1, "", false, false },
    { KL, "{'a':true}", -1, "", false, false },
    { KL, "{a:true}", -1, "", false, false },
    { KL, "{\"a\\x\":true}", -1, "", false, false },
    { KL, "{\"a\\'\":true}", -1, "", false, false },
    { KL, "{\"a\\u00\":true}", -1, "", false, false },
    { KL, "{\"a\\u00zz\":true}", -1, "", false, false },
    { KL, "{\"a\\u0000\":true}", -1, "", false, false },
    { KL, "{\"\\ud83c\":true}", -1, "", false, false },
    { KL, "{\"\\ud83cx\":true}", -1, "", false, false },
    { KL, "{\"\\ud83c\\u0041\":true}", -1, "", false, false },
    { KL, "{\"\\udf6a\":true}", -1, "", false, false },
    { KL, "{\"a\x01\":true}", -1, "", false, false },
    { KL, "{\"a\":true%2C%22b%22%3Afalse", -1, "", false, false },
    { KL, "%7B%22a%22%3Atrue%7D%", -1, "", false, false },
    { KL, "%7B%22a%00%22%3Atrue%7D", -1, "", false, false },
};

/* ---- the TC string format ---- */

static const cmp_case_t tcf_cases[] = {
    /* [uBO] euconsent-v2 */
    { TC, "CPt3fQAPt3fQACNAFAENDLCgAAAAAAAAACiQAAAOCgDAB-AIsAZ8A6QDBAHBAAAA."
          "YAAAAAAAAAAA", 0, "", false, true },
    { TC, "CP6vdoAP6vdoAAHABBENApEgAAAAAAAAAAAAAAAAAAAA.YAAAAAAAAAAA", 0, "",
      false, true },
    { TC, "\"CP6vdoAP6vdoAAHABBENApEgAAAAAAAAAAAAAAAAAAAA.YAAAAAAAAAAA\"", 0,
      "", false, true },
    /* [uBO] the "euconsent" (v1 name) value: a trailing ',' */
    { TC, "CQB2TAAQB2TAAGRABAENA8EgAAAAAAAAAAAAAAAUrgAAAAAA.YAAAAAAAAAAA,", -1,
      "", false, false },
    { TC, "BO2e4qiO2e4qiB9ABADEDS-AAAAxKABgACBiQA", -1, "", false, false },
    { TC, "CPt3fQAPt3fQACNAFAENDLCgAAAAAAAAACiQAAAOCgDAB%2DAIsAZ8A6QDBAHBAAAA",
      -1, "", false, false },
    { TC, "1~", -1, "", false, false },
};

static void
test_onetrust(void **state)
{
    (void) state;
    run_cases(onetrust_cases, sizeof(onetrust_cases) / sizeof(onetrust_cases[0]));
}

static void
test_cookiebot(void **state)
{
    (void) state;
    run_cases(cookiebot_cases,
              sizeof(cookiebot_cases) / sizeof(cookiebot_cases[0]));
}

static void
test_cc_cookie(void **state)
{
    (void) state;
    run_cases(cc_cases, sizeof(cc_cases) / sizeof(cc_cases[0]));
}

static void
test_klaro(void **state)
{
    (void) state;
    run_cases(klaro_cases, sizeof(klaro_cases) / sizeof(klaro_cases[0]));
}

static void
test_tcf_format(void **state)
{
    (void) state;
    run_cases(tcf_cases, sizeof(tcf_cases) / sizeof(tcf_cases[0]));

    /* the decoded string is there, as cs_tcf_decode() gives it */
    const char *v = "CPt3fQAPt3fQACNAFAENDLCgAAAAAAAAACiQAAAOCgDAB-AIsAZ8A6QDBA"
                    "HBAAAA.YAAAAAAAAAAA";
    assert_int_equal(cs_cmp_parse(TC, v, strlen(v), &out), 0);
    assert_int_equal(out.tcf.cmp_id, 141);
    assert_true(cs_tcf_vendor_li(&out.tcf, 126));
}

/* The TC string inside Cookiebot's iab2 field is decoded (see test_tcf.c). */
static void
test_cookiebot_iab2(void **state)
{
    (void) state;
    const cmp_case_t *c = &cookiebot_cases[7];
    assert_int_equal(cs_cmp_parse(CB, c->value, strlen(c->value), &out), 0);
    assert_true(out.has_tcf);
    /* per @iabtcf/core */
    assert_int_equal(out.tcf.version, 2);
    assert_int_equal(out.tcf.cmp_id, 134);
    assert_int_equal(out.tcf.vendor_list_version, 65);
    assert_int_equal(out.tcf.purposes_consent, 0);
    assert_int_equal(out.tcf.segments, 1 << 3);
    assert_false(cs_tcf_vendor_allowed(&out.tcf, 8, 0));
    assert_true(cs_tcf_vendor_li(&out.tcf, 8));
}

static void
test_other_formats(void **state)
{
    (void) state;
    assert_int_equal(cs_cmp_parse(CS_CMP_LIST, "google", 6, &out), -1);
    assert_nothing_granted(&out);
    assert_int_equal(cs_cmp_parse((cs_cmp_format_t) 6, "{}", 2, &out), -1);
    assert_int_equal(cs_cmp_parse((cs_cmp_format_t) 7, "{}", 2, &out), -1);
    assert_int_equal(cs_cmp_parse(KL, NULL, 0, &out), -1);
    assert_int_equal(cs_cmp_parse(KL, "", 0, &out), -1);
    /* len bounds the read: "{}" inside a longer buffer */
    assert_int_equal(cs_cmp_parse(KL, "{}garbage", 2, &out), 0);
    assert_int_equal(cs_cmp_parse(KL, "{\"a\":true}", 9, &out), -1);
}

static void
test_format_names(void **state)
{
    static const struct { const char *name; int f; } names[] = {
        { "list", CS_CMP_LIST }, { "onetrust", CS_CMP_ONETRUST },
        { "cookiebot", CS_CMP_COOKIEBOT }, { "cc_cookie", CS_CMP_CC_COOKIE },
        { "klaro", CS_CMP_KLARO }, { "tcf", CS_CMP_TCF },
        { "OneTrust", CS_CMP_ONETRUST }, { "COOKIEBOT", CS_CMP_COOKIEBOT },
        { "TCF", CS_CMP_TCF }, { "CC_Cookie", CS_CMP_CC_COOKIE },
        { "onetrus", -1 }, { "onetrustx", -1 }, { "", -1 }, { "cc-cookie", -1 },
        { "euconsent-v2", -1 }, { "tcf ", -1 }, { "klar\xc3\xb6", -1 },
    };

    (void) state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_int_equal(cs_cmp_format_from_name(names[i].name,
                                                 strlen(names[i].name)),
                         names[i].f);
    }
    for (int f = 0; f < CS_CMP_FORMAT_COUNT; f++) {
        const char *n = cs_cmp_format_name((cs_cmp_format_t) f);
        assert_int_equal(cs_cmp_format_from_name(n, strlen(n)), f);
    }
    assert_string_equal(cs_cmp_format_name((cs_cmp_format_t) 6), "?");
    assert_string_equal(cs_cmp_format_name((cs_cmp_format_t) 7), "?");
    /* the length bounds the name */
    assert_int_equal(cs_cmp_format_from_name("tcfx", 3), CS_CMP_TCF);
}

static void
test_granted(void **state)
{
    (void) state;
    assert_int_equal(cs_cmp_parse(ON, onetrust_cases[0].value,
                                  strlen(onetrust_cases[0].value), &out), 0);
    assert_true(cs_cmp_granted(&out, "C0001", 5));
    assert_false(cs_cmp_granted(&out, "C0002", 5));
    assert_false(cs_cmp_granted(&out, "C0003", 5));
    assert_false(cs_cmp_granted(&out, "C000", 4));
    assert_false(cs_cmp_granted(&out, "c0001", 5));
    assert_false(cs_cmp_granted(&out, "", 0));

    assert_int_equal(cs_cmp_parse(CB, "-1", 2, &out), 0);
    assert_true(cs_cmp_granted(&out, "anything", 8));

    assert_int_equal(cs_cmp_parse(CB, "x", 1, &out), -1);
    assert_false(cs_cmp_granted(&out, "necessary", 9));
}

/* Item count and name length limits, the decoded-size limit, nesting. */
static void
test_limits(void **state)
{
    static char  v[16384];
    size_t       n;

    (void) state;

    /* CS_CMP_MAX_ITEMS items, then one more */
    for (int extra = 0; extra <= 1; extra++) {
        n = 0;
        v[n++] = '{';
        for (int i = 0; i < CS_CMP_MAX_ITEMS + extra; i++) {
            n += (size_t) snprintf(v + n, sizeof(v) - n, "%s\"s%d\":true",
                                   i ? "," : "", i);
        }
        v[n++] = '}';
        assert_int_equal(cs_cmp_parse(KL, v, n, &out), extra ? -1 : 0);
        assert_int_equal(out.n, extra ? 0 : CS_CMP_MAX_ITEMS);
    }

    /* a name of CS_CMP_NAME_MAX - 1 bytes, then one more */
    for (int extra = 0; extra <= 1; extra++) {
        n = 0;
        v[n++] = '{';
        v[n++] = '"';
        memset(v + n, 'x', CS_CMP_NAME_MAX - 1 + extra);
        n += CS_CMP_NAME_MAX - 1 + extra;
        memcpy(v + n, "\":false}", 8);
        n += 8;
        assert_int_equal(cs_cmp_parse(KL, v, n, &out), extra ? -1 : 0);
        if (!extra) {
            assert_int_equal(strlen(out.items[0].name), CS_CMP_NAME_MAX - 1);
        }
    }
    /* ... and a cc_cookie "category/service" that gets too long */
    n = (size_t) snprintf(v, sizeof(v), "{\"categories\":[\"c\"],\"services\":"
                          "{\"c\":[\"%061d\"]}}", 0);
    assert_int_equal(cs_cmp_parse(CC, v, n, &out), 0);
    assert_int_equal(strlen(out.items[1].name), 63);
    n = (size_t) snprintf(v, sizeof(v), "{\"categories\":[\"c\"],\"services\":"
                          "{\"c\":[\"%062d\"]}}", 0);
    assert_int_equal(cs_cmp_parse(CC, v, n, &out), -1);

    /*
     * CS_CMP_VALUE_MAX decoded bytes (trailing %20 whitespace), then one
     * more; and a raw value past 3 * CS_CMP_VALUE_MAX.
     */
    for (int extra = 0; extra <= 1; extra++) {
        n = (size_t) snprintf(v, sizeof(v), "{\"a\":true}");
        size_t pad = CS_CMP_VALUE_MAX - n + (size_t) extra;
        for (size_t i = 0; i < pad; i++) {
            memcpy(v + n, "%20", 3);
            n += 3;
        }
        assert_int_equal(cs_cmp_parse(KL, v, n, &out), extra ? -1 : 0);
    }
    memset(v, ' ', 3 * CS_CMP_VALUE_MAX + 1);
    memcpy(v, "groups=C0001%3A1&x=", 19);
    assert_int_equal(cs_cmp_parse(ON, v, 3 * CS_CMP_VALUE_MAX, &out), 0);
    assert_int_equal(cs_cmp_parse(ON, v, 3 * CS_CMP_VALUE_MAX + 1, &out), -1);

    /* nesting: 16 containers deep is the limit */
    for (int depth = 15; depth <= 17; depth++) {
        n = (size_t) snprintf(v, sizeof(v), "{\"level\":[\"a\"],\"data\":");
        for (int i = 1; i < depth; i++) {
            v[n++] = i % 2 ? '[' : '{';
            if (i % 2 == 0) {
                memcpy(v + n, "\"k\":", 4);
                n += 4;
            }
        }
        v[n++] = '1';
        for (int i = depth - 1; i >= 1; i--) {
            v[n++] = i % 2 ? ']' : '}';
        }
        v[n++] = '}';
        assert_int_equal(cs_cmp_parse(CC, v, n, &out), depth <= 16 ? 0 : -1);
    }
    /* deep garbage is refused quickly, without recursing through it all */
    n = (size_t) snprintf(v, sizeof(v), "{\"level\":[\"a\"],\"data\":");
    memset(v + n, '[', 4000);
    n += 4000;
    assert_int_equal(cs_cmp_parse(CC, v, n, &out), -1);
}

/*
 * Every prefix of every accepted case, in a buffer of exactly its size (so
 * ASan sees any read past it): no crash, and nothing granted on failure.
 */
static void
test_truncated(void **state)
{
    static const struct { const cmp_case_t *c; size_t n; } sets[] = {
        { onetrust_cases, sizeof(onetrust_cases) / sizeof(onetrust_cases[0]) },
        { cookiebot_cases, sizeof(cookiebot_cases) / sizeof(cookiebot_cases[0]) },
        { cc_cases, sizeof(cc_cases) / sizeof(cc_cases[0]) },
        { klaro_cases, sizeof(klaro_cases) / sizeof(klaro_cases[0]) },
        { tcf_cases, sizeof(tcf_cases) / sizeof(tcf_cases[0]) },
    };
    int runs = 0;

    (void) state;
    for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
        for (size_t i = 0; i < sets[s].n; i++) {
            const cmp_case_t *c = &sets[s].c[i];
            size_t len = strlen(c->value);

            for (size_t k = 0; k <= len; k++) {
                char *p = malloc(k ? k : 1);
                assert_non_null(p);
                memcpy(p, c->value, k);
                int rc = cs_cmp_parse(c->f, p, k, &out);
                free(p);
                if (rc != 0) {
                    assert_int_equal(rc, -1);
                    assert_nothing_granted(&out);
                } else {
                    assert_true(out.n <= CS_CMP_MAX_ITEMS);
                }
                runs++;
            }
        }
    }
    assert_true(runs > 10000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_onetrust),
        cmocka_unit_test(test_cookiebot),
        cmocka_unit_test(test_cc_cookie),
        cmocka_unit_test(test_klaro),
        cmocka_unit_test(test_tcf_format),
        cmocka_unit_test(test_cookiebot_iab2),
        cmocka_unit_test(test_other_formats),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_granted),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_truncated),
    };

    return cmocka_run_group_tests_name("cmp", tests, NULL, NULL);
}
