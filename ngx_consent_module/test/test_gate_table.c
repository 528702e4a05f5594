/*
 * The gate's table (gate/cs_gate_tags.c): rows well formed, the skipper's
 * prefilter (names by length, first and second letters, their nibble
 * lookups) in step with it, the tools' list from it, and each row driving
 * the gate: every URL attribute that ties its element removes a tracker's
 * element, every raw-text row hides a tracker tag in its text. A row added
 * without its prefilter side fails here.
 */

#include "test_support.h"
#include "cs_gate_int.h"

#define TRACKER  "https://www.googletagmanager.com/gtag/js?id=G-TEST"

static bool
row_name_ok(const cs_tag_row_t *r)
{
    size_t len = strlen(r->name);

    for (size_t i = 0; i < len; i++) {
        if (r->name[i] < 'a' || r->name[i] > 'z') {
            return false;
        }
    }
    /* the prefilter's words hold names of 3 to 9 letters; rows passed by
       name are found by attribute */
    return len >= (r->by_attr ? 1 : 3) && len <= 9;
}

static void
test_rows_well_formed(void **state)
{
    size_t               count;
    const cs_tag_row_t  *rows = cs_gate_tag_rows(&count);

    (void) state;
    assert_true(count > 0);
    for (size_t i = 0; i < count; i++) {
        const cs_tag_row_t *r = &rows[i];

        if (!row_name_ok(r)) {
            fail_msg("row \"%s\": not 3..9 lowercase letters", r->name);
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(rows[k].name, r->name) == 0) {
                fail_msg("row \"%s\" twice", r->name);
            }
        }
        assert_ptr_equal(cs_gate_tag_row(r->name, strlen(r->name)), r);
        assert_true(r->kind != CS_TAG_NONE && r->kind != CS_TAG_PENDING);
        if (r->is_void && r->content != CS_CONTENT_MARKUP) {
            fail_msg("row \"%s\": a void element has no content", r->name);
        }
        if (r->kind == CS_TAG_TEXT && r->content == CS_CONTENT_MARKUP) {
            fail_msg("row \"%s\": decides nothing", r->name);
        }
        for (size_t a = 0; a < CS_TAG_ATTRS && r->attrs[a].name; a++) {
            const cs_tag_attr_t *at = &r->attrs[a];

            assert_true(strlen(at->name) <= CS_NAME_MAX);
            if (!cs_gate_kind_gated(r->kind)) {
                fail_msg("row \"%s\": attributes on an element the gate "
                         "does not hold", r->name);
            }
            /* single URLs and srcset lists tie or go alone; ping lists
               and CSS only ever go alone */
            if ((at->ties_element && at->kind != CS_ATTR_URL
                 && at->kind != CS_ATTR_SRCSET)
                || (at->cut && at->kind != CS_ATTR_URL
                    && at->kind != CS_ATTR_SRCSET && at->kind != CS_ATTR_PING
                    && at->kind != CS_ATTR_STYLE))
            {
                fail_msg("row \"%s\" attribute \"%s\": decides with a URL "
                         "kind the gate does not read", r->name, at->name);
            }
            /* found by attribute: only cut, never tying the element */
            if (r->by_attr && (at->ties_element
                               || r->kind != CS_TAG_CARRIER))
            {
                fail_msg("row \"%s\": passed by name, but not a carrier",
                         r->name);
            }
            if (at->ties_element && at->cut) {
                fail_msg("row \"%s\" attribute \"%s\": ties the element "
                         "and goes alone", r->name, at->name);
            }
            /*
             * An element removed on its start tag drops its content up to
             * its end tag, which only raw text lets the tokenizer find:
             * one with markup content must be void, or only cut.
             */
            if (at->ties_element && !r->is_void
                && r->content == CS_CONTENT_MARKUP)
            {
                fail_msg("row \"%s\": removed whole, but its end is in "
                         "markup the tokenizer does not follow", r->name);
            }
        }
    }
    assert_null(cs_gate_tag_row("div", 3));
    assert_null(cs_gate_tag_row("scripts", 7));
}

/* The prefilter's word for a name: its first eight letters, zero-padded. */
static uint64_t
name_word(const char *name)
{
    uint64_t  w = 0;

    for (size_t i = 0; i < 8 && name[i]; i++) {
        w |= (uint64_t) (unsigned char) name[i] << (8 * i);
    }
    return w;
}

static void
test_prefilter_names_match_table(void **state)
{
    size_t               count, words = 0, count_by_attr = 0;
    const cs_tag_row_t  *rows = cs_gate_tag_rows(&count);
    unsigned char        buf[16];

    (void) state;
    for (size_t i = 0; i < count; i++) {
        const char  *name = rows[i].name;
        size_t       len = strlen(name);
        bool         found = false;

        if (rows[i].by_attr) {
            count_by_attr++;
            continue;
        }

        for (size_t k = 0; k < CS_SKIP_WORDS; k++) {
            found |= cs_gate_skip_words[len][k] == name_word(name);
        }
        if (!found) {
            fail_msg("row \"%s\" has no word in the skipper's names",
                     name);
        }
        memcpy(buf, name, len);
        if (!cs_gate_tag_matters(buf, len)) {
            fail_msg("the skipper passes <%s>", name);
        }
        for (size_t k = 0; k < len; k++) {
            buf[k] = (unsigned char) (name[k] - 'a' + 'A');
        }
        if (!cs_gate_tag_matters(buf, len)) {
            fail_msg("the skipper passes upper-case <%s>", name);
        }
        /* one letter off (to 'q', in no row name) no longer matters */
        memcpy(buf, name, len);
        buf[len - 1] = 'q';
        assert_false(cs_gate_tag_matters(buf, len));
    }
    for (size_t len = 0; len < 10; len++) {
        for (size_t k = 0; k < CS_SKIP_WORDS; k++) {
            words += cs_gate_skip_words[len][k] != 0;
        }
    }
    if (words != count - count_by_attr) {
        fail_msg("the skipper knows %zu names, the table has %zu rows it "
                 "stops at by name", words, count - count_by_attr);
    }
}

/* The set of letters at position pos of the row names, as a bit per letter. */
static uint32_t
row_letters(size_t pos)
{
    size_t               count;
    const cs_tag_row_t  *rows = cs_gate_tag_rows(&count);
    uint32_t             set = 0;

    for (size_t i = 0; i < count; i++) {
        if (!rows[i].by_attr) {
            set |= (uint32_t) 1 << (rows[i].name[pos] - 'a');
        }
    }
    return set;
}

static uint32_t
string_letters(const char *s)
{
    uint32_t set = 0;

    for (; *s; s++) {
        assert_true(*s >= 'a' && *s <= 'z');
        set |= (uint32_t) 1 << (*s - 'a');
    }
    return set;
}

static void
test_prefilter_letters_match_table(void **state)
{
    uint32_t       first = row_letters(0), second = row_letters(1);
    unsigned char  lo[16] = { 0 }, hi[16] = { 0 };

    (void) state;
    assert_int_equal(string_letters(cs_gate_skip_first), first);
    assert_int_equal(string_letters(cs_gate_skip_second), second);

    /*
     * The nibble lookups of (byte | 0x20): bit 0/1 first letter with high
     * nibble 6/7, bit 2/3 second letter with high nibble 6/7.
     */
    for (int c = 'a'; c <= 'z'; c++) {
        unsigned  high = (unsigned) c >> 4, low = (unsigned) c & 0x0f;
        unsigned  shift = high - 6;

        if (first >> (c - 'a') & 1) {
            lo[low] |= (unsigned char) (1u << shift);
        }
        if (second >> (c - 'a') & 1) {
            lo[low] |= (unsigned char) (4u << shift);
        }
    }
    hi[6] = 0x05;
    hi[7] = 0x0a;
    for (int k = 0; k < 16; k++) {
        assert_int_equal(cs_gate_skip_nibble_lo[k] & 0x0f, lo[k]);
        assert_int_equal(cs_gate_skip_nibble_hi[k] & 0x0f, hi[k]);
    }

    /*
     * Bits 4..6 on either high nibble 6/7: at least the letters of the
     * attribute trigger (third-last, second-last, last) by low nibble.
     */
    for (int c = 'a'; c <= 'z'; c++) {
        unsigned       low = (unsigned) c & 0x0f, high = (unsigned) c >> 4;
        unsigned char  bits = cs_gate_skip_nibble_lo[low]
                              & cs_gate_skip_nibble_hi[high];
        unsigned char  end3[3] = { 'x', 'x', 'x' };

        for (int pos = 0; pos < 3; pos++) {
            bool in_set = false;

            /* is c a trigger letter at pos, with some letters around it */
            for (int a = 'a'; a <= 'z' && !in_set; a++) {
                for (int b = 'a'; b <= 'z' && !in_set; b++) {
                    end3[pos] = (unsigned char) c;
                    end3[(pos + 1) % 3] = (unsigned char) a;
                    end3[(pos + 2) % 3] = (unsigned char) b;
                    in_set = cs_gate_attr_trigger(end3);
                }
            }
            if (in_set && !(bits & (0x10 << pos))) {
                fail_msg("'%c' at %d of a trigger is not in the window's "
                         "nibble bits", c, pos);
            }
        }
    }
    assert_int_equal(cs_gate_skip_nibble_hi[6] & 0x70, 0x70);
    assert_int_equal(cs_gate_skip_nibble_hi[7] & 0x70, 0x70);
}

static void
test_element_names_from_table(void **state)
{
    size_t               count, n = 0;
    const cs_tag_row_t  *rows = cs_gate_tag_rows(&count);

    (void) state;
    for (size_t i = 0; i < count; i++) {
        if (cs_gate_kind_gated(rows[i].kind) && !rows[i].by_attr) {
            assert_string_equal(cs_gate_element_name(n), rows[i].name);
            n++;
        }
    }
    assert_true(n > 0);
    assert_null(cs_gate_element_name(n));
}

/* What follows a row's start tag in a test: content and end tag, if any. */
static void
element_tail(const cs_tag_row_t *r, char *tail, size_t len)
{
    tail[0] = '\0';
    if (!r->is_void) {
        snprintf(tail, len, "x</%s>", r->name);
    }
}

/*
 * Each attribute that ties its element, with a tracker's URL, removes the
 * element whole (a hint row with a resource-hint rel).
 */
static void
test_each_url_attribute_removes(void **state)
{
    size_t               count;
    const cs_tag_row_t  *rows = cs_gate_tag_rows(&count);
    char                 in[512], tail[32];
    ts_conf_t            tc = { "", 0, -1, -1, CS_SIMD_BEST };

    (void) state;
    for (size_t i = 0; i < count; i++) {
        const cs_tag_row_t *r = &rows[i];

        for (size_t a = 0; a < CS_TAG_ATTRS && r->attrs[a].name; a++) {
            if (!r->attrs[a].ties_element) {
                continue;
            }
            element_tail(r, tail, sizeof(tail));
            snprintf(in, sizeof(in), "<p>a</p><%s %s%s=\"" TRACKER "\">%s<p>b",
                     r->name, r->kind == CS_TAG_HINT ? "rel=\"preload\" " : "",
                     r->attrs[a].name, tail);
            ts_result_t res = ts_expect_gate(&tc, in, "<p>a</p><p>b");
            assert_int_equal(res.stats.elements_removed, 1);
            ts_result_free(&res);
        }
    }
}

/*
 * Each attribute that goes alone, with a tracker's URL, leaves the element
 * and its content, minus that attribute and the spaces before it; a
 * first-party URL there stays.
 */
static void
test_each_cut_attribute_goes_alone(void **state)
{
    size_t               count, cuts = 0;
    const cs_tag_row_t  *rows = cs_gate_tag_rows(&count);
    char                 in[512], out[512], tail[32];
    ts_conf_t            tc = { "", 0, -1, -1, CS_SIMD_BEST };

    (void) state;
    for (size_t i = 0; i < count; i++) {
        const cs_tag_row_t *r = &rows[i];

        for (size_t a = 0; a < CS_TAG_ATTRS && r->attrs[a].name; a++) {
            if (!r->attrs[a].cut) {
                continue;
            }
            element_tail(r, tail, sizeof(tail));
            /* a first-party src keeps a srcset-only element from going;
               an <input> fetches its src only as an image button */
            const char *src = r->attrs[a].kind == CS_ATTR_SRCSET
                              ? " src=\"/a\""
                              : r->attrs[a].if_image ? " type=image" : "";
            snprintf(in, sizeof(in), "<p>a</p><%s%s %s=\"" TRACKER
                     "\" class=\"k\">%s<p>b", r->name, src, r->attrs[a].name,
                     tail);
            snprintf(out, sizeof(out), "<p>a</p><%s%s class=\"k\">%s<p>b",
                     r->name, src, tail);
            ts_result_t res = ts_expect_gate(&tc, in, out);
            assert_int_equal(res.stats.elements_removed, 0);
            assert_int_equal(res.stats.attributes_removed, 1);
            ts_result_free(&res);

            snprintf(in, sizeof(in), "<p>a</p><%s %s=\"/first.png\">%s<p>b",
                     r->name, r->attrs[a].name, tail);
            res = ts_expect_gate(&tc, in, in);
            assert_int_equal(res.stats.attributes_removed, 0);
            ts_result_free(&res);
            cuts++;
        }
    }
    assert_true(cuts > 0);
}

/*
 * Rows that only switch the tokenizer hide a tracker's tag in their text
 * (foreign content: in a CDATA section).
 */
static void
test_each_raw_text_row_hides_tags(void **state)
{
    size_t               count;
    const cs_tag_row_t  *rows = cs_gate_tag_rows(&count);
    char                 in[512];
    ts_conf_t            tc = { "", 0, -1, -1, CS_SIMD_BEST };

    (void) state;
    for (size_t i = 0; i < count; i++) {
        const cs_tag_row_t *r = &rows[i];

        if (r->kind != CS_TAG_TEXT) {
            continue;
        }
        bool foreign = r->content == CS_CONTENT_SVG
                       || r->content == CS_CONTENT_MATHML;

        snprintf(in, sizeof(in), "<%s>%s<img src=\"" TRACKER "\">%s</%s>",
                 r->name, foreign ? "<![CDATA[" : "", foreign ? "]]>" : "",
                 r->name);
        ts_result_t res = ts_expect_gate(&tc, in, in);
        assert_int_equal(res.stats.elements_removed, 0);
        ts_result_free(&res);
    }
}

/*
 * The skipper passes rows marked by_attr by name: every attribute the gate
 * reads on them, and the style attribute of any element, must be one whose
 * '=' stops it (cs_gate_attr_trigger), in any case; and the skipper must
 * stop at such a tag, whole or split, in every instruction set, whatever
 * the name (a style on an element with no row goes too).
 */
static void
test_attribute_trigger_covers_table(void **state)
{
    size_t               count, checked = 0;
    const cs_tag_row_t  *rows = cs_gate_tag_rows(&count);
    const cs_tag_attr_t *style = cs_gate_style_attr();
    unsigned char        up[CS_NAME_MAX + 1];
    char                 in[512], out[512];

    (void) state;
    for (size_t i = 0; i <= count; i++) {
        const cs_tag_row_t *r = i < count ? &rows[i] : NULL;

        for (size_t a = 0; a <= CS_TAG_ATTRS; a++) {
            const cs_tag_attr_t *at = a == CS_TAG_ATTRS ? style
                                      : r && r->attrs[a].name ? &r->attrs[a]
                                      : NULL;
            size_t               len;

            if (at == NULL || (r && !r->by_attr && a < CS_TAG_ATTRS)
                || (!at->cut && !at->ties_element))
            {
                continue;
            }
            len = strlen(at->name);
            assert_true(len >= 3);
            if (!cs_gate_attr_trigger((const unsigned char *) at->name
                                      + len - 3))
            {
                fail_msg("attribute \"%s\" does not stop the skipper",
                         at->name);
            }
            for (size_t k = 0; k < len; k++) {
                up[k] = (unsigned char) (at->name[k] >= 'a'
                                         ? at->name[k] - 'a' + 'A'
                                         : at->name[k]);
            }
            up[len] = '\0';
            assert_true(cs_gate_attr_trigger(up + len - 3));
            checked++;

            /* the gate cuts it after 64-byte runs of plain tags */
            const char *v = at->kind == CS_ATTR_STYLE
                            ? "background:url(" TRACKER ")" : TRACKER;
            const char *name = r && a < CS_TAG_ATTRS ? r->name : "div";
            const char *extra = at->if_image ? " type=image" : "";
            const char *pad = "<span class=\"a\">x</span><b id=\"q\">y</b>"
                              "<span class=\"a\">x</span><b id=\"q\">y</b>";

            for (int simd = CS_SIMD_SSE2; simd <= CS_SIMD_AVX512; simd++) {
                ts_conf_t  tc = { "", 0, -1, -1, (cs_simd_t) simd };

                snprintf(in, sizeof(in), "%s<%s%s %s=\"%s\" class=k>%s"
                         "<%s%s %s=%s>%s", pad, name, extra, at->name, v,
                         pad, name, extra, up, at->kind == CS_ATTR_STYLE
                         ? "background:url(" TRACKER ")" : TRACKER, pad);
                /* a declaration goes from a style, the rest whole */
                bool css = at->kind == CS_ATTR_STYLE;

                snprintf(out, sizeof(out), "%s<%s%s%s class=k>%s<%s%s%s%s%s>%s",
                         pad, name, extra, css ? " style=\"\"" : "", pad,
                         name, extra, css ? " " : "", css ? (char *) up : "",
                         css ? "=" : "", pad);
                ts_result_t res = ts_expect_gate(&tc, in, out);
                assert_int_equal(res.stats.elements_removed, 0);
                ts_result_free(&res);
            }
        }
    }
    assert_true(checked >= 5);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_well_formed),
        cmocka_unit_test(test_prefilter_names_match_table),
        cmocka_unit_test(test_prefilter_letters_match_table),
        cmocka_unit_test(test_element_names_from_table),
        cmocka_unit_test(test_each_url_attribute_removes),
        cmocka_unit_test(test_each_cut_attribute_goes_alone),
        cmocka_unit_test(test_each_raw_text_row_hides_tags),
        cmocka_unit_test(test_attribute_trigger_covers_table),
    };

    return cmocka_run_group_tests_name("gate_table", tests, ts_rules_setup,
                                       ts_rules_teardown);
}
