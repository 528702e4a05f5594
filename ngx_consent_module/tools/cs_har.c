/*
 * HAR reading: see cs_har.h.
 *
 * jansson parses every value. A value is read with JSON_DISABLE_EOF_CHECK
 * from a callback that hands jansson one byte per call, so jansson stops
 * exactly at the value's last byte and the walker goes on from there with
 * the punctuation between values ('{' ':' ',' '[' ']' '}').
 */

#include "cs_har.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

typedef struct {
    FILE        *fp;
    const char  *path;
    size_t       off;        /* bytes consumed from the file */
    size_t       limit;      /* most bytes the current value may take */
    size_t       taken;      /* bytes the current value took so far */
    bool         over;       /* the current value passed limit */
    char        *err;
    size_t       errlen;
} cs_har_reader_t;

void
cs_har_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (errlen == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int
cs_har_getc(cs_har_reader_t *r)
{
    int c = getc_unlocked(r->fp);      /* one byte per call: no lock each */

    if (c != EOF) {
        r->off++;
    }
    return c;
}

/* Skips whitespace; returns the next byte without consuming it, or EOF. */
static int
cs_har_peek(cs_har_reader_t *r)
{
    int c;

    do {
        c = cs_har_getc(r);
    } while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
    if (c != EOF) {
        ungetc(c, r->fp);
        r->off--;
    }
    return c;
}

static size_t
cs_har_feed(void *buf, size_t buflen, void *data)
{
    cs_har_reader_t *r = data;
    int              c;

    if (buflen == 0) {
        return 0;
    }
    if (r->taken >= r->limit) {
        r->over = true;
        return (size_t) -1;
    }
    if ((c = cs_har_getc(r)) == EOF) {
        return 0;
    }
    r->taken++;
    *(unsigned char *) buf = (unsigned char) c;
    return 1;
}

/*
 * Parses the next JSON value (what names where it is, for errors). NULL on
 * error, with err set.
 */
static json_t *
cs_har_value(cs_har_reader_t *r, size_t limit, const char *what)
{
    json_error_t  je;
    json_t       *v;
    size_t        start;

    (void) cs_har_peek(r);
    start = r->off;
    r->limit = limit;
    r->taken = 0;
    r->over = false;
    v = json_load_callback(cs_har_feed, r,
                           JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK
                           | JSON_ALLOW_NUL, &je);
    if (v != NULL) {
        return v;
    }
    if (r->over) {
        cs_har_err(r->err, r->errlen, "%s: %s (byte %zu): larger than %zu "
                   "bytes", r->path, what, start, limit);
    } else if (ferror(r->fp)) {
        cs_har_err(r->err, r->errlen, "%s: %s (byte %zu): read error: %s",
                   r->path, what, start, strerror(errno));
    } else if (feof(r->fp)) {
        cs_har_err(r->err, r->errlen, "%s: %s (byte %zu): file truncated "
                   "(%s)", r->path, what, start, je.text);
    } else {
        cs_har_err(r->err, r->errlen, "%s: %s (byte %zu): malformed JSON at "
                   "byte %zu: %s", r->path, what, start, start + je.position,
                   je.text);
    }
    return NULL;
}

/* Consumes the punctuation byte c (after whitespace); -1 with err if not. */
static int
cs_har_expect(cs_har_reader_t *r, int c, const char *what)
{
    int got = cs_har_peek(r);

    if (got == c) {
        (void) cs_har_getc(r);
        return 0;
    }
    if (got == EOF) {
        cs_har_err(r->err, r->errlen, "%s: %s: file truncated at byte %zu",
                   r->path, what, r->off);
    } else {
        cs_har_err(r->err, r->errlen, "%s: %s: malformed JSON at byte %zu: "
                   "'%c' expected", r->path, what, r->off, c);
    }
    return -1;
}

/*
 * Reads the next member key of an object whose '{' is consumed: 1 with
 * *key set (the caller decrefs it), 0 at the closing '}', -1 on error.
 * first: no ',' before this member.
 */
static int
cs_har_key(cs_har_reader_t *r, bool first, json_t **key, const char *what)
{
    if (cs_har_peek(r) == '}') {
        (void) cs_har_getc(r);
        return 0;
    }
    if (!first && cs_har_expect(r, ',', what) != 0) {
        return -1;
    }
    if ((*key = cs_har_value(r, 4096, what)) == NULL) {
        return -1;
    }
    if (!json_is_string(*key)) {
        json_decref(*key);
        cs_har_err(r->err, r->errlen, "%s: %s: malformed JSON at byte %zu: "
                   "object key expected", r->path, what, r->off);
        return -1;
    }
    return cs_har_expect(r, ':', what) == 0 ? 1 : -1;
}

/* Reads and drops the next value (pages, creator, ...). */
static int
cs_har_skip(cs_har_reader_t *r, const char *what)
{
    json_t *v = cs_har_value(r, CS_HAR_ENTRY_MAX, what);

    json_decref(v);
    return v != NULL ? 0 : -1;
}

static int
cs_har_entries(cs_har_reader_t *r, cs_har_entry_cb cb, void *ud)
{
    char   what[64];
    size_t i;
    int    rc;

    if (cs_har_expect(r, '[', "log.entries") != 0) {
        return -1;
    }
    for (i = 0; ; i++) {
        json_t *entry;

        snprintf(what, sizeof(what), "entry %zu", i);
        if (cs_har_peek(r) == ']') {
            (void) cs_har_getc(r);
            return 0;
        }
        if (i > 0 && cs_har_expect(r, ',', what) != 0) {
            return -1;
        }
        if ((entry = cs_har_value(r, CS_HAR_ENTRY_MAX, what)) == NULL) {
            return -1;
        }
        if (!json_is_object(entry)) {
            json_decref(entry);
            cs_har_err(r->err, r->errlen, "%s: %s: not an object", r->path,
                       what);
            return -1;
        }
        rc = cb(ud, r->path, i, entry);
        json_decref(entry);
        if (rc != 0) {
            return rc;
        }
    }
}

/* The members of "log"; *seen set when it had entries. */
static int
cs_har_log(cs_har_reader_t *r, cs_har_entry_cb cb, void *ud, bool *seen)
{
    json_t *key;
    int     k, rc;

    if (cs_har_expect(r, '{', "log") != 0) {
        return -1;
    }
    for (bool first = true; (k = cs_har_key(r, first, &key, "log")) == 1;
         first = false)
    {
        if (strcmp(json_string_value(key), "entries") == 0 && !*seen) {
            *seen = true;
            rc = cs_har_entries(r, cb, ud);
        } else {
            rc = cs_har_skip(r, json_string_value(key));
        }
        json_decref(key);
        if (rc != 0) {
            return rc;
        }
    }
    return k;
}

int
cs_har_each_entry(const char *path, cs_har_entry_cb cb, void *ud, char *err,
    size_t errlen)
{
    cs_har_reader_t  r;
    json_t          *key;
    bool             seen = false, log = false;
    int              k, rc = 0;

    memset(&r, 0, sizeof(r));
    r.path = path;
    r.err = err;
    r.errlen = errlen;
    cs_har_err(err, errlen, "%s", "");
    if ((r.fp = fopen(path, "rb")) == NULL) {
        cs_har_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (cs_har_expect(&r, '{', "HAR") != 0) {
        fclose(r.fp);
        return -1;
    }
    for (bool first = true; (k = cs_har_key(&r, first, &key, "HAR")) == 1;
         first = false)
    {
        if (strcmp(json_string_value(key), "log") == 0 && !log) {
            log = true;
            rc = cs_har_log(&r, cb, ud, &seen);
        } else {
            rc = cs_har_skip(&r, json_string_value(key));
        }
        json_decref(key);
        if (rc != 0) {
            break;
        }
    }
    if (rc == 0 && k < 0) {
        rc = -1;
    }
    if (rc == 0 && cs_har_peek(&r) != EOF) {
        cs_har_err(err, errlen, "%s: trailing bytes after the HAR at byte "
                   "%zu", path, r.off);
        rc = -1;
    }
    if (rc == 0 && !seen) {
        cs_har_err(err, errlen, "%s: not a HAR: no log.entries", path);
        rc = -1;
    }
    fclose(r.fp);
    return rc;
}

const char *
cs_har_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

const char *
cs_har_header(const json_t *headers, const char *name)
{
    size_t  i;
    json_t *h;

    json_array_foreach(headers, i, h) {
        const char *n = cs_har_str(h, "name");

        if (n != NULL && strcasecmp(n, name) == 0) {
            return cs_har_str(h, "value");
        }
    }
    return NULL;
}

/* The standard base64 value of c, or -1. */
static int
cs_b64_value(unsigned char c)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c != '\0' ? strchr(alphabet, c) : NULL;

    return p != NULL ? (int) (p - alphabet) : -1;
}

/* Standard base64 (padding optional, whitespace skipped) into out. */
static int
cs_b64_decode(const char *s, size_t n, cs_obuf_t *out)
{
    uint32_t acc = 0;
    int      bits = 0;
    bool     pad = false;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];
        int           v;

        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            continue;
        }
        if (c == '=') {
            pad = true;
            continue;
        }
        if (pad || (v = cs_b64_value(c)) < 0) {
            return -1;
        }
        acc = (acc << 6) | (uint32_t) v;
        bits += 6;
        if (bits >= 8) {
            char b = (char) ((acc >> (bits - 8)) & 0xff);

            bits -= 8;
            if (!cs_obuf_add(out, &b, 1)) {
                return -1;
            }
        }
    }
    return bits >= 6 ? -1 : 0;
}

/* gzip or zlib data (auto-detected) into out. */
static int
cs_inflate(const unsigned char *p, size_t n, cs_obuf_t *out)
{
    z_stream       z;
    unsigned char  buf[16384];
    int            zr;

    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 32) != Z_OK) {
        return -1;
    }
    z.next_in = (unsigned char *) p;
    z.avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt) n;
    do {
        z.next_out = buf;
        z.avail_out = sizeof(buf);
        zr = inflate(&z, Z_NO_FLUSH);
        if ((zr != Z_OK && zr != Z_STREAM_END)
            || !cs_obuf_add(out, (const char *) buf, sizeof(buf) - z.avail_out))
        {
            inflateEnd(&z);
            return -1;
        }
    } while (zr != Z_STREAM_END && (z.avail_in > 0 || z.avail_out == 0));
    inflateEnd(&z);
    return zr == Z_STREAM_END ? 0 : -1;
}

static bool
cs_is_zlib(const unsigned char *p, size_t n)
{
    return n >= 2 && ((p[0] == 0x1f && p[1] == 0x8b)
                      || ((p[0] & 0x0f) == 8 && (p[0] * 256u + p[1]) % 31 == 0));
}

int
cs_har_body(const json_t *entry, cs_obuf_t *out, char *err, size_t errlen)
{
    const json_t  *resp = json_object_get(entry, "response");
    const json_t  *content = json_object_get(resp, "content");
    const json_t  *text = json_object_get(content, "text");
    const char    *enc = cs_har_str(content, "encoding");
    const char    *coding = cs_har_header(json_object_get(resp, "headers"),
                                          "content-encoding");
    cs_obuf_t      raw = { 0 };
    const char    *p;
    size_t         n;
    int            rc = -1;

    if (!json_is_string(text)) {
        return 1;
    }
    p = json_string_value(text);
    n = json_string_length(text);
    raw.max = CS_HAR_BODY_MAX;
    if (enc != NULL && enc[0] != '\0' && strcasecmp(enc, "base64") != 0) {
        cs_har_err(err, errlen, "unknown content.encoding '%.40s'", enc);
        return -1;
    }
    if (enc != NULL && strcasecmp(enc, "base64") == 0) {
        if (cs_b64_decode(p, n, &raw) != 0) {
            if (raw.oom) {
                cs_har_err(err, errlen, "body larger than %zu bytes",
                           CS_HAR_BODY_MAX);
            } else {
                cs_har_err(err, errlen, "invalid base64 in content.text");
            }
            goto done;
        }
    } else if (!cs_obuf_add(&raw, p, n)) {
        cs_har_err(err, errlen, "body larger than %zu bytes", CS_HAR_BODY_MAX);
        goto done;
    }
    if (cs_is_zlib((const unsigned char *) raw.data, raw.len)
        && coding != NULL && (strcasecmp(coding, "gzip") == 0
                              || strcasecmp(coding, "x-gzip") == 0
                              || strcasecmp(coding, "deflate") == 0))
    {
        size_t before = out->len;
        size_t max = out->max;

        out->max = before + CS_HAR_BODY_MAX + 1;
        if (cs_inflate((const unsigned char *) raw.data, raw.len, out) != 0) {
            if (out->oom) {
                cs_har_err(err, errlen, "inflated body larger than %zu bytes",
                           CS_HAR_BODY_MAX);
            } else {
                cs_har_err(err, errlen, "corrupt %s body", coding);
            }
            out->max = max;
            goto done;
        }
        out->max = max;
        rc = 0;
        goto done;
    }
    if (coding != NULL && raw.len > 0
        && (strcasecmp(coding, "br") == 0 || strcasecmp(coding, "zstd") == 0
            || strcasecmp(coding, "compress") == 0)
        && memchr(raw.data, '<', raw.len < 512 ? raw.len : 512) == NULL)
    {
        cs_har_err(err, errlen, "body still %s-compressed: export the HAR "
                   "from the browser's developer tools, which store bodies "
                   "decoded", coding);
        goto done;
    }
    rc = cs_obuf_add(out, raw.data, raw.len) ? 0 : -1;
    if (rc != 0) {
        cs_har_err(err, errlen, "out of memory");
    }
done:
    cs_obuf_free(&raw);
    return rc;
}
