/*
 * THE TABLE of what the gate reads: every element name that decides
 * anything, what the gate does with it, the tokenizer state its start tag
 * opens, and which of its attributes carry URLs and how. The tokenizer and
 * the decisions read only this; the skipper's prefilter (cs_gate_skip.c)
 * holds a copy in its own form, which test_gate_table checks against it.
 *
 * A new fetch path is one row (or one attribute on a row) plus its tests;
 * a new name also needs its word and letters in the prefilter, which the
 * test says, unless the row is found by attribute (by_attr: too common a
 * tag to stop at by name; its attributes' names must then stop the
 * skipper, cs_gate_attr_trigger(), which the test also says). The style
 * attribute, which any element may carry, is no row's (cs_gate_any_row).
 */

#include "cs_gate_int.h"

/* tied, renamed; tied; renamed */
#define URL(n)     { n, CS_ATTR_URL, true, true, false, false }
#define HREF(n)    { n, CS_ATTR_URL, true, false, false, false }
#define SRCSET(n)  { n, CS_ATTR_SRCSET, false, true, false, false }
#define SRCSET_TIED(n)  { n, CS_ATTR_SRCSET, true, false, false, false }
/* a tracker URL here goes alone: the attribute, or its srcset candidate */
#define URL_CUT(n)      { n, CS_ATTR_URL, false, false, true, false }
#define SRCSET_CUT(n)   { n, CS_ATTR_SRCSET, false, true, true, false }
/* fetched only when the element's type is "image" (<input>) */
#define URL_CUT_IF_IMAGE(n)  { n, CS_ATTR_URL, false, false, true, true }
/* a space-separated URL list: goes whole when any of them is denied */
#define PING_CUT(n)     { n, CS_ATTR_PING, false, false, true, false }
#define TYPE(n)    { n, CS_ATTR_TYPE, false, true, false, false }
#define REL(n)     { n, CS_ATTR_REL, false, false, false, false }
#define DOC(n)     { n, CS_ATTR_DOCUMENT, false, false, false, false }

/* name, kind, content, void element, then its attributes (if any) */
#define ROW(n, k, c, v, ...)                                                   \
    { .name = n, .kind = k, .content = c, .is_void = v,                       \
      .attrs = { __VA_ARGS__ } }
#define ROW_NO_ATTRS(n, k, c)                                                  \
    { .name = n, .kind = k, .content = c, .is_void = false }
/* a first-party element the skipper stops at only by attribute */
#define ROW_BY_ATTR(n, v, ...)                                                 \
    { .name = n, .kind = CS_TAG_CARRIER, .content = CS_CONTENT_MARKUP,        \
      .is_void = v, .by_attr = true, .attrs = { __VA_ARGS__ } }

static const cs_tag_row_t  tag_rows[] = {
    /* gated: held and decided on */
    ROW("script",   CS_TAG_LOADER, CS_CONTENT_SCRIPT, false,
        URL("src"), TYPE("type")),
    /*
     * An image: a tracker src removes it; a tracker srcset candidate goes
     * alone, and the <img> too when no candidate and no src is left.
     */
    ROW("img",      CS_TAG_BEACON, CS_CONTENT_MARKUP, true,
        URL("src"), SRCSET_CUT("srcset")),
    /*
     * The tree builder turns <image> into <img>; in SVG it is SVG's image
     * (href, or the older xlink:href). Void here: in SVG it is empty, and
     * its end tag, left alone, closes nothing a browser builds.
     */
    ROW("image",    CS_TAG_BEACON, CS_CONTENT_MARKUP, true,
        URL("src"), SRCSET_CUT("srcset"), HREF("href"), HREF("xlink:href")),
    ROW("feimage",  CS_TAG_BEACON, CS_CONTENT_MARKUP, true,
        HREF("href"), HREF("xlink:href")),
    /* a srcdoc document is gated in turn (cs_gate_srcdoc.c) */
    ROW("iframe",   CS_TAG_FRAME,  CS_CONTENT_RAW,    false,
        URL("src"), SRCSET("srcset"), DOC("srcdoc")),
    ROW("frame",    CS_TAG_FRAME,  CS_CONTENT_MARKUP, true,   URL("src")),
    ROW("embed",    CS_TAG_FRAME,  CS_CONTENT_MARKUP, true,   URL("src")),
    /* a <picture>'s or a media element's source, a media element's text
       track: the element is the fetch */
    ROW("source",   CS_TAG_BEACON, CS_CONTENT_MARKUP, true,
        URL("src"), SRCSET_CUT("srcset")),
    ROW("track",    CS_TAG_BEACON, CS_CONTENT_MARKUP, true,   URL("src")),
    /*
     * Elements with content the page owns (fallback, sources, controls):
     * their tracker URL goes, the element stays, inert for that URL
     * (a <video> falls to its <source>s, an <object> to its fallback).
     */
    ROW("video",    CS_TAG_CARRIER, CS_CONTENT_MARKUP, false,
        URL_CUT("src"), URL_CUT("poster")),
    ROW("audio",    CS_TAG_CARRIER, CS_CONTENT_MARKUP, false,
        URL_CUT("src")),
    ROW("object",   CS_TAG_CARRIER, CS_CONTENT_MARKUP, false,
        URL_CUT("data")),
    /*
     * Too common to hold by name (pages hold hundreds of <a>, <td> and
     * <input>): the skipper stops at them only when one of their
     * attributes may be one of these (cs_gate_attr_trigger), and so at a
     * style attribute on any element (cs_gate_any_row). A ping list goes
     * whole when any of its URLs is denied.
     */
    ROW_BY_ATTR("a",     false, PING_CUT("ping")),
    ROW_BY_ATTR("area",  true,  PING_CUT("ping")),
    ROW_BY_ATTR("input", true,  URL_CUT_IF_IMAGE("src"), TYPE("type")),
    ROW_BY_ATTR("body",  false, URL_CUT("background")),
    ROW_BY_ATTR("table", false, URL_CUT("background")),
    ROW_BY_ATTR("thead", false, URL_CUT("background")),
    ROW_BY_ATTR("tbody", false, URL_CUT("background")),
    ROW_BY_ATTR("tfoot", false, URL_CUT("background")),
    ROW_BY_ATTR("tr",    false, URL_CUT("background")),
    ROW_BY_ATTR("td",    false, URL_CUT("background")),
    ROW_BY_ATTR("th",    false, URL_CUT("background")),
    /* a fetched link type or resource hint (see link_rel_fetches) */
    ROW("link",     CS_TAG_HINT,   CS_CONTENT_MARKUP, true,
        HREF("href"), REL("rel"), SRCSET_TIED("imagesrcset")),
    /*
     * A scripting browser reads its content as raw text; the inner
     * (script-less) view parses it as markup and it is no row there.
     */
    ROW_NO_ATTRS("noscript",  CS_TAG_NOSCRIPT, CS_CONTENT_RAW),
    /*
     * Fetches nothing itself, but relative URLs after the first one
     * resolve against its href: it goes when that names a denied
     * recipient (then every relative URL, read or not, would reach it).
     */
    ROW("base",     CS_TAG_BASE,   CS_CONTENT_MARKUP, true,   HREF("href")),

    /* where head_inject goes */
    ROW_NO_ATTRS("head",      CS_TAG_HEAD, CS_CONTENT_MARKUP),

    /* first-party CSS: held to its end tag, its tracker URLs cut */
    ROW_NO_ATTRS("style",     CS_TAG_SHEET, CS_CONTENT_RAW),

    /* they only switch the tokenizer */
    ROW_NO_ATTRS("title",     CS_TAG_TEXT, CS_CONTENT_RAW),
    ROW_NO_ATTRS("xmp",       CS_TAG_TEXT, CS_CONTENT_RAW),
    ROW_NO_ATTRS("noembed",   CS_TAG_TEXT, CS_CONTENT_RAW),
    ROW_NO_ATTRS("noframes",  CS_TAG_TEXT, CS_CONTENT_RAW),
    ROW_NO_ATTRS("textarea",  CS_TAG_TEXT, CS_CONTENT_RAW),
    ROW_NO_ATTRS("plaintext", CS_TAG_TEXT, CS_CONTENT_PLAINTEXT),
    /* they open foreign content (cs_gate_scan.c) */
    ROW_NO_ATTRS("svg",       CS_TAG_TEXT, CS_CONTENT_SVG),
    ROW_NO_ATTRS("math",      CS_TAG_TEXT, CS_CONTENT_MATHML),
};

/*
 * An SVG <script> (inside <svg>, not at an integration point) runs as an
 * HTML one does, but its content is markup (foreign content) and it names
 * its code with href or xlink:href. It is no row of the table: the
 * tokenizer picks it by namespace (cs_gate_scan.c, tag_row()).
 */
static const cs_tag_row_t  svg_script_row =
    ROW("script",   CS_TAG_LOADER, CS_CONTENT_MARKUP, false,
        URL("href"), URL("xlink:href"), TYPE("type"));

/*
 * An SVG <style> (inside <svg>, not at an integration point): CSS as
 * HTML's, its content markup (text, CDATA sections). Picked by namespace
 * as the SVG <script> is.
 */
static const cs_tag_row_t  svg_style_row =
    ROW_NO_ATTRS("style",   CS_TAG_SHEET,  CS_CONTENT_MARKUP);

/* Any other element: only its style attribute (every element's). */
static const cs_tag_row_t  any_row =
    ROW_NO_ATTRS("",      CS_TAG_CARRIER, CS_CONTENT_MARKUP);
static const cs_tag_attr_t style_attr =
    { "style", CS_ATTR_STYLE, false, false, true, false };

#undef URL
#undef HREF
#undef URL_CUT_IF_IMAGE
#undef PING_CUT
#undef ROW_BY_ATTR
#undef SRCSET
#undef SRCSET_TIED
#undef URL_CUT
#undef SRCSET_CUT
#undef TYPE
#undef REL
#undef DOC
#undef ROW
#undef ROW_NO_ATTRS

const cs_tag_row_t *
cs_gate_tag_rows(size_t *count)
{
    *count = sizeof(tag_rows) / sizeof(tag_rows[0]);
    return tag_rows;
}

const cs_tag_row_t *
cs_gate_tag_row(const char *name, size_t len)
{
    for (size_t i = 0; len > 0 && i < sizeof(tag_rows) / sizeof(tag_rows[0]);
         i++)
    {
        const char *r = tag_rows[i].name;

        if (r[0] == name[0] && strlen(r) == len
            && memcmp(r, name, len) == 0)
        {
            return &tag_rows[i];
        }
    }
    return NULL;
}

bool
cs_gate_row_neutralizable(const cs_tag_row_t *row)
{
    for (size_t i = 0; i < CS_TAG_ATTRS && row->attrs[i].name; i++) {
        if (row->attrs[i].ties_element && !row->attrs[i].renamed) {
            return false;
        }
    }
    return true;
}


const cs_tag_row_t *
cs_gate_svg_script_row(void)
{
    return &svg_script_row;
}

const cs_tag_row_t *
cs_gate_svg_style_row(void)
{
    return &svg_style_row;
}

const cs_tag_row_t *
cs_gate_any_row(void)
{
    return &any_row;
}

const cs_tag_attr_t *
cs_gate_style_attr(void)
{
    return &style_attr;
}

const char *
cs_gate_element_name(size_t i)
{
    for (size_t k = 0; k < sizeof(tag_rows) / sizeof(tag_rows[0]); k++) {
        /* rows found by attribute are only ever cut: not listed */
        if (cs_gate_kind_gated(tag_rows[k].kind) && !tag_rows[k].by_attr
            && i-- == 0)
        {
            return tag_rows[k].name;
        }
    }
    return NULL;
}
