/*
 * Content-Encoding of gated responses: which codings the module reads, and
 * the streaming zlib decoder that turns a gzip or deflate body into the
 * identity bytes the gate reads (when nginx's gunzip did not already).
 *
 * Memory is bounded: at most NGX_HTTP_CONSENT_DECODE_BUFS output buffers of
 * NGX_HTTP_CONSENT_DECODE_BUF_SIZE bytes, reused once everything pointing
 * into them has been sent; while all are in use the input waits (and with
 * it the upstream). The decoded size is bounded by consent_max_decoded_size.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <zlib.h>

#include "ngx_http_consent.h"


#define NGX_HTTP_CONSENT_DECODE_BUFS      8
#define NGX_HTTP_CONSENT_DECODE_BUF_SIZE  (16 * 1024)

/* room for what the two sniffed bytes of a deflate body can decode to */
#define NGX_HTTP_CONSENT_DECODE_SNIFF_ROOM  16


struct ngx_http_consent_decoder_s {
    z_stream                   zstream;
    ngx_http_request_t        *request;
    ngx_uint_t                 coding;         /* NGX_HTTP_CONSENT_CODING_* */
    ngx_chain_t               *in;             /* input zlib has not seen */
    ngx_buf_t                 *in_buf;         /* the input zlib reads */
    ngx_buf_t                 *out_buf;        /* the buffer being filled */
    ngx_buf_t                 *bufs[NGX_HTTP_CONSENT_DECODE_BUFS];
    ngx_uint_t                 nbufs;
    off_t                      decoded;
    off_t                      max_decoded;
    const char                *failure;        /* why the body was refused */
    u_char                     sniff[2];       /* a deflate body's first bytes */
    ngx_uint_t                 sniffed;
    unsigned                   started:1;      /* zlib initialised */
    unsigned                   in_stream:1;    /* inside a gzip member or the
                                                  deflate stream */
    unsigned                   stream_end:1;   /* the deflate stream ended */
    unsigned                   input_done:1;   /* the body's last buffer seen */
    unsigned                   flush:1;        /* the input asked for a flush */
    unsigned                   reported:1;     /* the failure was returned */
    unsigned                   state:2;
};


#define NGX_HTTP_CONSENT_DECODE_RUNNING  0
#define NGX_HTTP_CONSENT_DECODE_DONE     1
#define NGX_HTTP_CONSENT_DECODE_FAILED   2


/* ---- which coding ---- */

typedef struct {
    ngx_str_t                  token;
    ngx_uint_t                 coding;
    ngx_str_t                  label;          /* consent_undecodable_total */
} ngx_http_consent_coding_name_t;


static ngx_http_consent_coding_name_t  ngx_http_consent_codings[] = {
    { ngx_string("gzip"), NGX_HTTP_CONSENT_CODING_GZIP, ngx_string("gzip") },
    { ngx_string("x-gzip"), NGX_HTTP_CONSENT_CODING_GZIP, ngx_string("gzip") },
    { ngx_string("deflate"), NGX_HTTP_CONSENT_CODING_DEFLATE,
      ngx_string("deflate") },
    { ngx_string("br"), NGX_HTTP_CONSENT_CODING_UNDECODABLE,
      ngx_string("br") },
    { ngx_string("zstd"), NGX_HTTP_CONSENT_CODING_UNDECODABLE,
      ngx_string("zstd") },
    { ngx_string("compress"), NGX_HTTP_CONSENT_CODING_UNDECODABLE,
      ngx_string("compress") },
    { ngx_string("x-compress"), NGX_HTTP_CONSENT_CODING_UNDECODABLE,
      ngx_string("compress") },
    { ngx_null_string, 0, ngx_null_string }
};

static ngx_str_t  ngx_http_consent_coding_other = ngx_string("other");
static ngx_str_t  ngx_http_consent_coding_stacked = ngx_string("stacked");
static ngx_str_t  ngx_http_consent_content_encoding =
    ngx_string("Content-Encoding");


typedef struct {
    ngx_uint_t                 count;          /* codings other than identity */
    ngx_http_consent_coding_name_t  *known;    /* the last one, if known */
} ngx_http_consent_coding_list_t;


/* Reads the codings of one header value: tokens separated by commas. */
static void
ngx_http_consent_read_codings(ngx_table_elt_t *h, void *data)
{
    ngx_http_consent_coding_list_t *list = data;

    u_char                          *p, *last, *start, *end;
    ngx_http_consent_coding_name_t  *name;

    p = h->value.data;
    last = p + h->value.len;

    while (p < last) {
        start = p;
        while (p < last && *p != ',') {
            p++;
        }
        end = p;
        if (p < last) {
            p++;
        }

        while (start < end && (*start == ' ' || *start == '\t')) {
            start++;
        }
        while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }

        if (end == start
            || (end - start == 8
                && ngx_strncasecmp(start, (u_char *) "identity", 8) == 0))
        {
            continue;
        }

        list->count++;
        list->known = NULL;

        for (name = ngx_http_consent_codings; name->token.len; name++) {
            if ((size_t) (end - start) == name->token.len
                && ngx_strncasecmp(start, name->token.data, name->token.len)
                   == 0)
            {
                list->known = name;
                break;
            }
        }
    }
}


ngx_uint_t
ngx_http_consent_response_coding(ngx_http_request_t *r, ngx_str_t *label)
{
    ngx_http_consent_coding_list_t  list;

    list.count = 0;
    list.known = NULL;

    ngx_http_consent_each_header(r, &ngx_http_consent_content_encoding,
                                 ngx_http_consent_read_codings, &list);

    if (list.count == 0) {
        return NGX_HTTP_CONSENT_CODING_IDENTITY;
    }

    if (list.count > 1) {
        *label = ngx_http_consent_coding_stacked;
        return NGX_HTTP_CONSENT_CODING_UNDECODABLE;
    }

    if (list.known == NULL) {
        *label = ngx_http_consent_coding_other;
        return NGX_HTTP_CONSENT_CODING_UNDECODABLE;
    }

    *label = list.known->label;
    return list.known->coding;
}


void
ngx_http_consent_clear_content_encoding(ngx_http_request_t *r)
{
    ngx_http_consent_each_header(r, &ngx_http_consent_content_encoding,
                                 ngx_http_consent_drop_header, NULL);
    r->headers_out.content_encoding = NULL;
}


/* ---- the decoder ---- */

static void *
ngx_http_consent_zalloc(void *opaque, u_int items, u_int size)
{
    return ngx_palloc(opaque, items * size);
}


static void
ngx_http_consent_zfree(void *opaque, void *address)
{
    ngx_pfree(opaque, address);
}


ngx_http_consent_decoder_t *
ngx_http_consent_decoder_create(ngx_http_request_t *r, ngx_uint_t coding,
    off_t max_decoded)
{
    ngx_http_consent_decoder_t  *dec;

    dec = ngx_pcalloc(r->pool, sizeof(ngx_http_consent_decoder_t));
    if (dec == NULL) {
        return NULL;
    }

    dec->request = r;
    dec->coding = coding;
    dec->max_decoded = max_decoded;
    dec->zstream.zalloc = ngx_http_consent_zalloc;
    dec->zstream.zfree = ngx_http_consent_zfree;
    dec->zstream.opaque = r->pool;

    return dec;
}


/* Ends zlib's use of its memory once the body is done, either way. */
static void
ngx_http_consent_decoder_stop(ngx_http_consent_decoder_t *dec,
    ngx_uint_t state)
{
    if (dec->started) {
        (void) inflateEnd(&dec->zstream);
        dec->started = 0;
    }

    dec->state = state;
}


static ngx_int_t
ngx_http_consent_decoder_fail(ngx_http_consent_decoder_t *dec,
    const char *why)
{
    dec->failure = why;
    ngx_http_consent_decoder_stop(dec, NGX_HTTP_CONSENT_DECODE_FAILED);
    return NGX_DECLINED;
}


const char *
ngx_http_consent_decoder_failure(ngx_http_consent_decoder_t *dec)
{
    return dec->failure;
}


off_t
ngx_http_consent_decoder_decoded(ngx_http_consent_decoder_t *dec)
{
    return dec->decoded;
}


/* Marks a buffer's bytes as used: what the upstream waits for to reuse it. */
static void
ngx_http_consent_buf_consume(ngx_buf_t *b)
{
    b->pos = b->last;

    if (b->in_file) {
        b->file_pos = b->file_last;
    }
}


ngx_int_t
ngx_http_consent_decoder_add(ngx_http_consent_decoder_t *dec,
    ngx_chain_t *in)
{
    if (dec->state != NGX_HTTP_CONSENT_DECODE_RUNNING) {
        /* refused or complete: whatever still comes is dropped */
        for ( /* void */ ; in; in = in->next) {
            ngx_http_consent_buf_consume(in->buf);
        }
        return NGX_OK;
    }

    return ngx_chain_add_copy(dec->request->pool, &dec->in, in);
}


static ngx_int_t
ngx_http_consent_decoder_start(ngx_http_consent_decoder_t *dec,
    int window_bits)
{
    if (inflateInit2(&dec->zstream, window_bits) != Z_OK) {
        ngx_log_error(NGX_LOG_ALERT, dec->request->connection->log, 0,
                      "consent: inflateInit2() failed");
        return NGX_ERROR;
    }

    dec->started = 1;

    return NGX_OK;
}


/*
 * The output buffer zlib writes into: the one being filled, a free one (all
 * its bytes sent), or a new one while there are fewer than the bound.
 * NGX_AGAIN: every buffer is still in use.
 */
static ngx_int_t
ngx_http_consent_decoder_out_buf(ngx_http_consent_decoder_t *dec,
    size_t room)
{
    ngx_buf_t   *b;
    ngx_uint_t   i;

    if (dec->out_buf && (size_t) (dec->out_buf->end - dec->out_buf->last)
                        >= room)
    {
        return NGX_OK;
    }

    if (dec->out_buf && ngx_buf_size(dec->out_buf)) {
        /* too little room left: handed out by the caller first */
        return NGX_DECLINED;
    }

    for (i = 0; i < dec->nbufs; i++) {
        b = dec->bufs[i];
        if (b != dec->out_buf && b->pos == b->last) {
            b->pos = b->start;
            b->last = b->start;
            b->flush = 0;
            b->last_buf = 0;
            b->last_in_chain = 0;
            b->shadow = NULL;
            dec->out_buf = b;
            return NGX_OK;
        }
    }

    if (dec->nbufs == NGX_HTTP_CONSENT_DECODE_BUFS) {
        return NGX_AGAIN;
    }

    b = ngx_create_temp_buf(dec->request->pool,
                            NGX_HTTP_CONSENT_DECODE_BUF_SIZE);
    if (b == NULL) {
        return NGX_ERROR;
    }

    /* recycled: later filters send it out instead of waiting for more */
    b->recycled = 1;
    b->tag = (ngx_buf_tag_t) &ngx_http_consent_filter_module;

    dec->bufs[dec->nbufs++] = b;
    dec->out_buf = b;

    return NGX_OK;
}


/* Hands out the buffer being filled, or an empty one for the flags. */
static ngx_buf_t *
ngx_http_consent_decoder_take(ngx_http_consent_decoder_t *dec)
{
    ngx_buf_t  *b;

    b = dec->out_buf;

    if (b == NULL || ngx_buf_size(b) == 0) {
        b = ngx_calloc_buf(dec->request->pool);
        if (b == NULL) {
            return NULL;
        }

    } else {
        dec->out_buf = NULL;
    }

    b->flush = dec->flush;
    dec->flush = 0;

    return b;
}


/* The next input buffer for zlib. NGX_AGAIN: none is waiting. */
static ngx_int_t
ngx_http_consent_decoder_next_input(ngx_http_consent_decoder_t *dec)
{
    ngx_buf_t  *ib;

    if (dec->in == NULL) {
        return NGX_AGAIN;
    }

    ib = dec->in->buf;
    dec->in = dec->in->next;

    if (ib->last_buf || ib->last_in_chain) {
        dec->input_done = 1;
    }

    if (ib->flush) {
        dec->flush = 1;
    }

    if (!ngx_buf_in_memory(ib)) {
        if (ngx_buf_size(ib)) {
            ngx_log_error(NGX_LOG_ALERT, dec->request->connection->log, 0,
                          "consent: encoded body buffer not in memory");
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    dec->in_buf = ib;
    dec->zstream.next_in = ib->pos;
    dec->zstream.avail_in = ib->last - ib->pos;

    return NGX_OK;
}


/*
 * "deflate" is meant to be zlib-wrapped (RFC 9110), but servers also send
 * it raw: the first two bytes tell (a zlib header is a multiple of 31 and
 * names method 8 with a window of at most 32K). They are copied aside, as
 * they may come in two input buffers, and given to zlib once it is set up.
 */
static ngx_int_t
ngx_http_consent_decoder_sniff(ngx_http_consent_decoder_t *dec)
{
    int         rc;
    u_char     *next_in;
    uInt        avail_in;
    ngx_uint_t  zlib;

    while (dec->sniffed < 2 && dec->zstream.avail_in) {
        dec->sniff[dec->sniffed++] = *dec->zstream.next_in++;
        dec->zstream.avail_in--;
        dec->in_buf->pos = dec->zstream.next_in;
    }

    if (dec->sniffed < 2) {
        return NGX_OK;
    }

    zlib = (dec->sniff[0] & 0x0f) == 8 && (dec->sniff[0] >> 4) <= 7
           && ((dec->sniff[0] << 8) | dec->sniff[1]) % 31 == 0;

    if (ngx_http_consent_decoder_start(dec, zlib ? MAX_WBITS : -MAX_WBITS)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    next_in = dec->zstream.next_in;
    avail_in = dec->zstream.avail_in;

    dec->zstream.next_in = dec->sniff;
    dec->zstream.avail_in = 2;
    dec->zstream.next_out = dec->out_buf->last;
    dec->zstream.avail_out = dec->out_buf->end - dec->out_buf->last;

    rc = inflate(&dec->zstream, Z_NO_FLUSH);

    dec->decoded += dec->zstream.next_out - dec->out_buf->last;
    dec->out_buf->last = dec->zstream.next_out;
    dec->in_stream = 1;

    if ((rc != Z_OK && rc != Z_STREAM_END) || dec->zstream.avail_in) {
        return ngx_http_consent_decoder_fail(dec, "corrupt deflate data");
    }

    if (rc == Z_STREAM_END) {
        dec->in_stream = 0;
        dec->stream_end = 1;
    }

    dec->zstream.next_in = next_in;
    dec->zstream.avail_in = avail_in;

    return NGX_OK;
}


/* One inflate() step into the buffer being filled. */
static ngx_int_t
ngx_http_consent_decoder_inflate(ngx_http_consent_decoder_t *dec)
{
    int     rc;
    size_t  n;

    if (dec->stream_end) {
        return ngx_http_consent_decoder_fail(dec, "data after the end of the "
                                             "deflate stream");
    }

    if (!dec->started
        && ngx_http_consent_decoder_start(dec, MAX_WBITS + 16) != NGX_OK)
    {
        return NGX_ERROR;
    }

    dec->zstream.next_out = dec->out_buf->last;
    dec->zstream.avail_out = dec->out_buf->end - dec->out_buf->last;
    dec->in_stream = 1;

    rc = inflate(&dec->zstream, Z_NO_FLUSH);

    n = dec->zstream.next_out - dec->out_buf->last;
    dec->out_buf->last = dec->zstream.next_out;
    dec->in_buf->pos = dec->zstream.next_in;
    dec->decoded += n;

    switch (rc) {

    case Z_OK:
        break;

    case Z_STREAM_END:
        dec->in_stream = 0;

        if (dec->coding == NGX_HTTP_CONSENT_CODING_DEFLATE) {
            dec->stream_end = 1;
            break;
        }

        /* a gzip body may hold several members, one after the other */
        if (inflateReset(&dec->zstream) != Z_OK) {
            return ngx_http_consent_decoder_fail(dec, "corrupt gzip data");
        }
        break;

    case Z_BUF_ERROR:
        /* no progress: fine only when input or output ran out */
        if (dec->zstream.avail_in && dec->zstream.avail_out) {
            return ngx_http_consent_decoder_fail(dec, "corrupt data");
        }
        break;

    case Z_MEM_ERROR:
        return NGX_ERROR;

    default:
        return ngx_http_consent_decoder_fail(dec,
                   dec->coding == NGX_HTTP_CONSENT_CODING_GZIP
                   ? "corrupt gzip data" : "corrupt deflate data");
    }

    if (dec->decoded > dec->max_decoded) {
        /* the bytes up to the bound are read; none beyond */
        dec->out_buf->last -= dec->decoded - dec->max_decoded;
        dec->decoded = dec->max_decoded;
        return ngx_http_consent_decoder_fail(dec, "decoded body over "
                                             "consent_max_decoded_size");
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_consent_decoder_next(ngx_http_consent_decoder_t *dec,
    ngx_buf_t **out)
{
    ngx_int_t  rc;
    ngx_buf_t  *b;

    *out = NULL;

    for ( ;; ) {

        if (dec->state == NGX_HTTP_CONSENT_DECODE_FAILED && !dec->reported) {
            /* what zlib decoded before it refused is read first */
            if (dec->out_buf && ngx_buf_size(dec->out_buf)) {
                *out = ngx_http_consent_decoder_take(dec);
                return *out ? NGX_OK : NGX_ERROR;
            }

            dec->reported = 1;
            return NGX_DECLINED;
        }

        if (dec->state != NGX_HTTP_CONSENT_DECODE_RUNNING) {
            return NGX_DONE;
        }

        if (dec->zstream.avail_in == 0) {
            if (dec->in_buf) {
                dec->in_buf = NULL;
                dec->zstream.next_in = NULL;
            }

            rc = ngx_http_consent_decoder_next_input(dec);

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (rc == NGX_OK) {
                continue;
            }

            /* all input read: the end of the body, a flush, or a pause */

            if (dec->input_done) {
                if (dec->in_stream || dec->sniffed == 1) {
                    (void) ngx_http_consent_decoder_fail(dec,
                               "body ends inside the compressed data");
                    continue;
                }

                b = ngx_http_consent_decoder_take(dec);
                if (b == NULL) {
                    return NGX_ERROR;
                }

                b->last_buf = (dec->request == dec->request->main);
                b->last_in_chain = 1;

                ngx_http_consent_decoder_stop(dec,
                                              NGX_HTTP_CONSENT_DECODE_DONE);
                *out = b;
                return NGX_OK;
            }

            if (dec->flush
                || (dec->out_buf && ngx_buf_size(dec->out_buf)))
            {
                *out = ngx_http_consent_decoder_take(dec);
                return *out ? NGX_OK : NGX_ERROR;
            }

            return NGX_AGAIN;
        }

        rc = ngx_http_consent_decoder_out_buf(dec,
                 dec->started ? 1 : NGX_HTTP_CONSENT_DECODE_SNIFF_ROOM);

        if (rc == NGX_DECLINED) {
            *out = ngx_http_consent_decoder_take(dec);
            return *out ? NGX_OK : NGX_ERROR;
        }

        if (rc != NGX_OK) {
            return rc;
        }

        if (dec->coding == NGX_HTTP_CONSENT_CODING_DEFLATE && !dec->started
            && !dec->stream_end)
        {
            rc = ngx_http_consent_decoder_sniff(dec);

        } else {
            rc = ngx_http_consent_decoder_inflate(dec);
        }

        if (rc == NGX_DECLINED) {
            continue;
        }

        if (rc != NGX_OK) {
            return rc;
        }

        if (dec->out_buf && dec->out_buf->last == dec->out_buf->end) {
            *out = ngx_http_consent_decoder_take(dec);
            return *out ? NGX_OK : NGX_ERROR;
        }
    }
}
