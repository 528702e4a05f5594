/*
 * A site's external-transmission disclosure (利用者情報の外部送信, Japan's
 * Telecommunications Business Act): the table of recipients the site
 * declares, rendered from loaded rules as HTML, Markdown or JSON, in
 * Japanese or English. `consentctl disclosure` and the nginx module use
 * this one renderer.
 *
 * Pure C11: no nginx, LMDB or libfyaml; output goes to a bounded growable
 * buffer (cs_obuf_t) whose memory comes from a caller's allocator or
 * malloc.
 */

#ifndef CS_DISCLOSURE_H
#define CS_DISCLOSURE_H

#include <stdbool.h>
#include <stddef.h>

#include "cs_core.h"
#include "cs_rules.h"

/* ---- output buffer ---- */

/* The bound of a buffer whose max is 0. */
#define CS_OBUF_DEFAULT_MAX  ((size_t) 1 << 30)

/*
 * Growable output buffer. Zero-initialise it, optionally set max (most
 * bytes it may hold, 0: CS_OBUF_DEFAULT_MAX) and allocator (NULL: malloc
 * and free; with a pool allocator whose free does nothing, growth leaves
 * the old blocks in the pool, at most as much again as the final size).
 * data stays NUL-terminated (the NUL is not counted in len, but in max).
 * Release with cs_obuf_free().
 */
typedef struct {
    char                  *data;
    size_t                 len;
    size_t                 cap;
    size_t                 max;
    const cs_allocator_t  *allocator;
    bool                   oom;      /* an append failed: no memory, or it
                                        would pass max; the content is then
                                        incomplete and appends are refused */
} cs_obuf_t;

/* Appends n bytes; false (and oom set) on failure. */
bool cs_obuf_add(cs_obuf_t *b, const char *p, size_t n);
bool cs_obuf_str(cs_obuf_t *b, const char *s);
/* Appends printf-style formatted text, whatever its length. */
bool cs_obuf_fmt(cs_obuf_t *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void cs_obuf_free(cs_obuf_t *b);

/* Escapers, appended to out; false on failure. */
/* &, <, >, " and ' as character references */
bool cs_html_escape(cs_obuf_t *out, const char *s, size_t n);
/* JSON string content: quotes, backslash and controls escaped, invalid
   UTF-8 bytes as U+FFFD */
bool cs_json_escape(cs_obuf_t *out, const char *s, size_t n);

/* ---- the disclosure table ---- */

typedef enum {
    CS_DISCLOSURE_JA = 0,
    CS_DISCLOSURE_EN
} cs_disclosure_lang_t;

typedef enum {
    CS_DISCLOSURE_HTML = 0,
    CS_DISCLOSURE_MD,
    CS_DISCLOSURE_JSON
} cs_disclosure_format_t;

/*
 * Appends the disclosure table of site (an index, cs_rules_site_find()) to
 * out: one row per declaration, in declaration order
 * (cs_rules_site_declarations()), with the recipient's legal name, the
 * service, the information sent and the purpose (declaration overrides,
 * else the recipient's text); JSON rows also carry the recipient id and
 * category. Every text is escaped for the format. ja (the default):
 * headings 送信先 / サービス / 送信される情報 / 利用目的 and the title
 * 「利用者情報の外部送信について — SITE NAME」; en: English ones.
 *
 * Returns 0, or -1 when site is not a site of rules or out failed (out->oom:
 * no memory, or the table exceeds out->max).
 */
int cs_disclosure_render(const cs_rules_t *rules, uint32_t site,
    cs_disclosure_lang_t lang, cs_disclosure_format_t fmt, cs_obuf_t *out);

#endif /* CS_DISCLOSURE_H */
