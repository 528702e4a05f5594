/*
 * The disclosure table renderer and its output buffer. See cs_disclosure.h.
 */

#include "cs_disclosure.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* output buffer */

/* Room for n more bytes and the NUL, within max; false sets oom. */
static bool
cs_obuf_reserve(cs_obuf_t *b, size_t n)
{
    size_t  max = b->max ? b->max : CS_OBUF_DEFAULT_MAX;
    size_t  need, cap;
    char   *nd;

    if (b->oom) {
        return false;
    }
    if (n >= max || b->len >= max - n) {
        b->oom = true;
        return false;
    }
    need = b->len + n + 1;
    if (need <= b->cap) {
        return true;
    }
    for (cap = b->cap ? b->cap : 1024; cap < need; ) {
        cap = cap > max / 2 ? max : cap * 2;
    }
    if (cap > max) {
        cap = max;
    }

    if (b->allocator == NULL) {
        nd = realloc(b->data, cap);
    } else {
        nd = b->allocator->alloc(b->allocator->ctx, cap);
        if (nd != NULL && b->data != NULL) {
            memcpy(nd, b->data, b->len + 1);
            b->allocator->free(b->allocator->ctx, b->data);
        }
    }
    if (nd == NULL) {
        b->oom = true;
        return false;
    }
    b->data = nd;
    b->cap = cap;
    return true;
}

bool
cs_obuf_add(cs_obuf_t *b, const char *p, size_t n)
{
    if (!cs_obuf_reserve(b, n)) {
        return false;
    }
    if (n) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool
cs_obuf_str(cs_obuf_t *b, const char *s)
{
    return cs_obuf_add(b, s, strlen(s));
}

bool
cs_obuf_fmt(cs_obuf_t *b, const char *fmt, ...)
{
    va_list  ap;
    int      n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;                  /* the text is missing: incomplete */
        return false;
    }
    if (!cs_obuf_reserve(b, (size_t) n)) {
        return false;
    }
    va_start(ap, fmt);
    (void) vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t) n;
    return true;
}

void
cs_obuf_free(cs_obuf_t *b)
{
    if (b->data != NULL) {
        if (b->allocator == NULL) {
            free(b->data);
        } else {
            b->allocator->free(b->allocator->ctx, b->data);
        }
    }
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

/* ---------------------------------------------------------------------- */
/* escapers */

bool
cs_html_escape(cs_obuf_t *out, const char *s, size_t n)
{
    size_t from = 0;

    for (size_t i = 0; i < n; i++) {
        const char *rep;

        switch (s[i]) {
        case '&':  rep = "&amp;";  break;
        case '<':  rep = "&lt;";   break;
        case '>':  rep = "&gt;";   break;
        case '"':  rep = "&quot;"; break;
        case '\'': rep = "&#39;";  break;
        default:   continue;
        }
        cs_obuf_add(out, s + from, i - from);
        cs_obuf_str(out, rep);
        from = i + 1;
    }
    return cs_obuf_add(out, s + from, n - from);
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0. */
static size_t
cs_utf8_len(const unsigned char *s, size_t n)
{
    size_t   l;
    uint32_t cp;

    if (s[0] < 0x80) {
        return 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        l = 2;
        cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        l = 3;
        cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        l = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (l > n) {
        return 0;
    }
    for (size_t i = 1; i < l; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((l == 2 && cp < 0x80) || (l == 3 && cp < 0x800)
        || (l == 4 && (cp < 0x10000 || cp > 0x10ffff))
        || (cp >= 0xd800 && cp <= 0xdfff))
    {
        return 0;
    }
    return l;
}

bool
cs_json_escape(cs_obuf_t *out, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *) s;

    for (size_t i = 0; i < n; ) {
        unsigned char c = u[i];
        size_t        l;

        if (c == '"' || c == '\\') {
            cs_obuf_add(out, "\\", 1);
            cs_obuf_add(out, s + i, 1);
            i++;
        } else if (c == '\n') {
            cs_obuf_str(out, "\\n");
            i++;
        } else if (c == '\t') {
            cs_obuf_str(out, "\\t");
            i++;
        } else if (c == '\r') {
            cs_obuf_str(out, "\\r");
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            cs_obuf_fmt(out, "\\u%04x", c);
            i++;
        } else if ((l = cs_utf8_len(u + i, n - i)) == 0) {
            cs_obuf_str(out, "\\ufffd");        /* invalid UTF-8 byte */
            i++;
        } else {
            cs_obuf_add(out, s + i, l);
            i += l;
        }
    }
    return !out->oom;
}

/* Markdown table cell: HTML-escaped, '|' escaped, newlines as <br>. */
static void
cs_md_escape(cs_obuf_t *out, const char *s, size_t n)
{
    size_t from = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '|' && s[i] != '\n') {
            continue;
        }
        cs_html_escape(out, s + from, i - from);
        if (i < n) {
            cs_obuf_str(out, s[i] == '|' ? "\\|" : "<br>");
        }
        from = i + 1;
    }
}

/* ---------------------------------------------------------------------- */
/* the table */

enum { C_NAME = 0, C_SERVICE, C_SENT, C_PURPOSE, C_COLUMNS };

/* The four columns of one declaration. */
static void
cs_columns(const cs_rules_t *rules, const cs_declaration_t *d,
    const char *col[C_COLUMNS])
{
    col[C_NAME] = cs_rules_recipient(rules, d->recipient)->name;
    col[C_SERVICE] = d->service;
    col[C_SENT] = d->sent;
    col[C_PURPOSE] = d->purpose;
}

/* A table cell; "list" text (items joined by "\n") as <ul> in HTML. */
static void
cs_cell(cs_obuf_t *out, cs_disclosure_format_t fmt, const char *s, bool list)
{
    size_t n = strlen(s), from = 0;

    if (fmt == CS_DISCLOSURE_MD) {
        cs_md_escape(out, s, n);
        return;
    }
    if (!list) {
        cs_html_escape(out, s, n);
        return;
    }
    cs_obuf_str(out, "<ul>");
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\n') {
            continue;
        }
        if (i > from) {
            cs_obuf_str(out, "<li>");
            cs_html_escape(out, s + from, i - from);
            cs_obuf_str(out, "</li>");
        }
        from = i + 1;
    }
    cs_obuf_str(out, "</ul>");
}

static void
cs_json_str(cs_obuf_t *out, const char *key, const char *s, bool comma)
{
    cs_obuf_fmt(out, "%s\"%s\":\"", comma ? "," : "", key);
    cs_json_escape(out, s, strlen(s));
    cs_obuf_str(out, "\"");
}

/* "sent" as a JSON array of its non-empty items. */
static void
cs_json_list(cs_obuf_t *out, const char *s)
{
    size_t  n = strlen(s), from = 0;
    bool    first = true;

    cs_obuf_str(out, "[");
    for (size_t k = 0; k <= n; k++) {
        if (k < n && s[k] != '\n') {
            continue;
        }
        if (k > from) {
            cs_obuf_str(out, first ? "\"" : ",\"");
            cs_json_escape(out, s + from, k - from);
            cs_obuf_str(out, "\"");
            first = false;
        }
        from = k + 1;
    }
    cs_obuf_str(out, "]");
}

/* The page's own words, by language: Japanese (the default), English. */
typedef struct {
    const char  *lang_tag, *title, *heading[C_COLUMNS];
} cs_disclosure_text_t;

static const cs_disclosure_text_t  disclosure_texts[2] = {
    { "ja", "利用者情報の外部送信について",
      { "送信先", "サービス", "送信される情報", "利用目的" } },
    { "en", "External transmission of user information",
      { "Recipient", "Service", "Information sent", "Purpose" } },
};

int
cs_disclosure_render(const cs_rules_t *rules, uint32_t site,
    cs_disclosure_lang_t lang, cs_disclosure_format_t fmt, cs_obuf_t *out)
{
    const cs_declaration_t      *decls;
    const char                  *site_id = cs_rules_site_id(rules, site);
    const char                  *site_name = cs_rules_site_name(rules, site);
    const cs_disclosure_text_t  *t = &disclosure_texts[lang
                                                       == CS_DISCLOSURE_EN];
    const char                  *lang_tag = t->lang_tag, *title = t->title;
    const char *const           *h = t->heading;
    const char                  *col[C_COLUMNS];
    uint32_t                     n;

    if (site_id == NULL || site_name == NULL) {
        return -1;
    }
    n = cs_rules_site_declarations(rules, site, &decls);

    if (fmt == CS_DISCLOSURE_JSON) {
        cs_obuf_str(out, "{");
        cs_json_str(out, "site", site_id, false);
        cs_json_str(out, "site_name", site_name, true);
        cs_json_str(out, "lang", lang_tag, true);
        cs_json_str(out, "title", title, true);
        cs_obuf_str(out, ",\"headings\":[");
        for (int k = 0; k < C_COLUMNS; k++) {
            cs_obuf_str(out, k ? ",\"" : "\"");
            cs_json_escape(out, h[k], strlen(h[k]));
            cs_obuf_str(out, "\"");
        }
        cs_obuf_str(out, "],\"recipients\":[");
        for (uint32_t i = 0; i < n; i++) {
            const cs_declaration_t *d = &decls[i];

            cs_columns(rules, d, col);
            cs_obuf_str(out, i ? ",\n{" : "\n{");
            cs_json_str(out, "id", cs_rules_recipient(rules, d->recipient)->id,
                        false);
            cs_json_str(out, "name", col[C_NAME], true);
            cs_json_str(out, "service", col[C_SERVICE], true);
            cs_json_str(out, "category", d->category, true);
            cs_obuf_str(out, ",\"sent\":");
            cs_json_list(out, col[C_SENT]);
            cs_json_str(out, "purpose", col[C_PURPOSE], true);
            cs_obuf_str(out, "}");
        }
        cs_obuf_str(out, "\n]}\n");

    } else if (fmt == CS_DISCLOSURE_MD) {
        cs_obuf_fmt(out, "## %s — ", title);
        cs_md_escape(out, site_name, strlen(site_name));
        cs_obuf_fmt(out, "\n\n| %s | %s | %s | %s |\n|---|---|---|---|\n",
                    h[0], h[1], h[2], h[3]);
        for (uint32_t i = 0; i < n; i++) {
            cs_columns(rules, &decls[i], col);
            for (int k = 0; k < C_COLUMNS; k++) {
                cs_obuf_str(out, "| ");
                cs_cell(out, fmt, col[k], k == C_SENT);
                cs_obuf_str(out, " ");
            }
            cs_obuf_str(out, "|\n");
        }

    } else {
        cs_obuf_fmt(out, "<section class=\"consent-disclosure\" "
                    "lang=\"%s\">\n<h2>%s — ", lang_tag, title);
        cs_html_escape(out, site_name, strlen(site_name));
        cs_obuf_fmt(out, "</h2>\n<table>\n<thead><tr><th>%s</th><th>%s</th>"
                    "<th>%s</th><th>%s</th></tr></thead>\n<tbody>\n",
                    h[0], h[1], h[2], h[3]);
        for (uint32_t i = 0; i < n; i++) {
            cs_columns(rules, &decls[i], col);
            cs_obuf_str(out, "<tr>");
            for (int k = 0; k < C_COLUMNS; k++) {
                cs_obuf_str(out, "<td>");
                cs_cell(out, fmt, col[k], k == C_SENT);
                cs_obuf_str(out, "</td>");
            }
            cs_obuf_str(out, "</tr>\n");
        }
        cs_obuf_str(out, "</tbody>\n</table>\n</section>\n");
    }
    return out->oom ? -1 : 0;
}
