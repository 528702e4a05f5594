/*
 * ngx_http_consent_filter_module: the header and body filters that run the
 * consent gate over HTML responses, and the gate's hooks (unknown hosts,
 * counters). Its configuration, decision, generations and content handlers
 * live in the files ngx_http_consent.h lists.
 *
 * Two modules live here: the filter itself, ordered after gunzip and before
 * addition/sub/gzip, and a header-only hook ordered before gunzip that makes
 * gunzip decompress gated responses even for clients that accept gzip (the
 * gzip filter re-compresses them after the gate). Where gunzip is off, the
 * filter decodes gzip and deflate itself (ngx_http_consent_decode.c); any
 * other coding is answered per consent_undecodable.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_consent.h"
#include "ngx_http_consent_status.h"


typedef struct {
    unsigned                   forced_gunzip:1;
} ngx_http_consent_hook_ctx_t;


static ngx_int_t ngx_http_consent_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_consent_hook_init(ngx_conf_t *cf);
static int ngx_http_consent_emit(void *ud, const unsigned char *p, size_t n,
    bool held);
static void ngx_http_consent_count_element(void *ud, uint32_t recipient,
    cs_action_t done, size_t bytes);
static int ngx_http_consent_unknown_host(void *ud, const char *host,
    size_t len);
static ngx_int_t ngx_http_consent_init_module(ngx_cycle_t *cycle);
static void ngx_http_consent_exit_process(ngx_cycle_t *cycle);


static ngx_http_module_t  ngx_http_consent_filter_module_ctx = {
    ngx_http_consent_add_variables,        /* preconfiguration */
    ngx_http_consent_init,                 /* postconfiguration */

    ngx_http_consent_create_main_conf,     /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_consent_create_loc_conf,      /* create location configuration */
    ngx_http_consent_merge_loc_conf        /* merge location configuration */
};


ngx_module_t  ngx_http_consent_filter_module = {
    NGX_MODULE_V1,
    &ngx_http_consent_filter_module_ctx,   /* module context */
    ngx_http_consent_commands,             /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_consent_init_module,          /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_consent_exit_process,         /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* Once per start and reload, in the master: which module version runs. */
static ngx_int_t
ngx_http_consent_init_module(ngx_cycle_t *cycle)
{
    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "ngx_consent_module " CS_VERSION);
    return NGX_OK;
}


/* A worker's end: what it keeps outside any pool. */
static void
ngx_http_consent_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_consent_main_conf_t  *mcf;

    ngx_http_consent_csp_cache_free();

    mcf = ngx_http_cycle_get_module_main_conf(cycle,
                                              ngx_http_consent_filter_module);
    if (mcf && mcf->gen) {
        ngx_http_consent_gen_memo_free(mcf->gen);
    }
}


static ngx_http_module_t  ngx_http_consent_gunzip_hook_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_consent_hook_init,            /* postconfiguration */
    NULL, NULL, NULL, NULL, NULL, NULL
};


ngx_module_t  ngx_http_consent_gunzip_hook_module = {
    NGX_MODULE_V1,
    &ngx_http_consent_gunzip_hook_module_ctx,
    NULL,
    NGX_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NGX_MODULE_V1_PADDING
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;
static ngx_http_output_header_filter_pt  ngx_http_hook_next_header_filter;


static void *
ngx_http_consent_pool_alloc(void *ctx, size_t size)
{
    return ngx_palloc(ctx, size);
}


static void
ngx_http_consent_pool_free(void *ctx, void *p)
{
    ngx_pfree(ctx, p);
}


void
ngx_http_consent_pool_allocator(cs_allocator_t *allocator, ngx_pool_t *pool)
{
    allocator->alloc = ngx_http_consent_pool_alloc;
    allocator->free = ngx_http_consent_pool_free;
    allocator->ctx = pool;
}


/* ---- the gate's hooks ---- */

static ngx_str_t *
ngx_http_consent_site_label(ngx_http_consent_ctx_t *ctx)
{
    return ctx->site_id.len ? &ctx->site_id : NULL;
}


/* host equals suffix or ends with "." suffix */
static ngx_uint_t
ngx_http_consent_host_under(const char *host, size_t len, u_char *suffix,
    size_t slen)
{
    if (len < slen
        || ngx_strncmp(host + len - slen, suffix, slen) != 0)
    {
        return 0;
    }

    return len == slen || host[len - slen - 1] == '.';
}


/* The request's own host, its subdomains, and consent_first_party. */
ngx_uint_t
ngx_http_consent_first_party_host(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, const char *host, size_t len)
{
    ngx_str_t   *suffix;
    ngx_uint_t   i;

    if (r->headers_in.server.len
        && ngx_http_consent_host_under(host, len, r->headers_in.server.data,
                                       r->headers_in.server.len))
    {
        return 1;
    }

    if (lcf->first_party) {
        suffix = lcf->first_party->elts;
        for (i = 0; i < lcf->first_party->nelts; i++) {
            if (ngx_http_consent_host_under(host, len, suffix[i].data,
                                            suffix[i].len))
            {
                return 1;
            }
        }
    }

    return 0;
}


/*
 * Gate hook: a gated URL names a host no recipient covers. First-party hosts
 * are none of our business; third-party ones follow consent_unknown.
 */
static int
ngx_http_consent_unknown_host(void *ud, const char *host, size_t len)
{
    ngx_str_t                     h;
    ngx_http_request_t           *r;
    ngx_http_consent_ctx_t       *ctx = ud;
    ngx_http_consent_loc_conf_t  *lcf;

    r = ctx->request;
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_consent_filter_module);

    if (ngx_http_consent_first_party_host(r, lcf, host, len)) {
        return 0;
    }

    h.data = (u_char *) host;
    h.len = len;
    ngx_http_consent_status_unknown_host(r, ngx_http_consent_site_label(ctx),
                                         &h);

    if (lcf->unknown == NGX_HTTP_CONSENT_UNKNOWN_PASS) {
        return 0;
    }

    if (ngx_http_consent_gen_first_sighting(ctx->gen, host, len,
                                            r->connection->log))
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "consent: third-party host \"%*s\" is covered by no "
                      "recipient in rules generation %V%s", len, host,
                      &ctx->gen->id,
                      lcf->unknown == NGX_HTTP_CONSENT_UNKNOWN_STRIP
                      ? "; its elements are removed" : "");
    }

    return lcf->unknown == NGX_HTTP_CONSENT_UNKNOWN_STRIP;
}


/* ---- counters for consent_status (ngx_http_consent_status.h) ---- */

static void
ngx_http_consent_count_element(void *ud, uint32_t recipient,
    cs_action_t done, size_t bytes)
{
    ngx_str_t                id;
    ngx_http_consent_ctx_t  *ctx = ud;

    if (recipient != CS_RECIPIENT_UNKNOWN) {
        id.data = (u_char *) cs_rules_recipient(ctx->gen->rules,
                                                recipient)->id;
        id.len = ngx_strlen(id.data);
    }

    /* bytes are counted per response: an element may have several causes */
    ngx_http_consent_status_element(ctx->request,
        ngx_http_consent_site_label(ctx),
        recipient == CS_RECIPIENT_UNKNOWN ? NULL : &id,
        done == CS_ACTION_NEUTRALIZE ? NGX_HTTP_CONSENT_STATUS_NEUTRALIZED
                                     : NGX_HTTP_CONSENT_STATUS_REMOVED);
}


static void
ngx_http_consent_log_stats(ngx_http_request_t *r, ngx_http_consent_ctx_t *ctx)
{
    const cs_gate_stats_t  *st = cs_gate_stats(ctx->gate);

    if (st->oversize_removed || st->oversize_passed) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "consent: %uL element(s) over consent_max_element_size "
                      "removed whole, %uL passed through unattributed",
                      st->oversize_removed, st->oversize_passed);
    }

    ngx_http_consent_status_response(r, ngx_http_consent_site_label(ctx),
                                     st->bytes_removed, st->oversize_removed,
                                     st->oversize_passed, st->memo_hits,
                                     st->memo_misses);
}


/* ---- headers ---- */

/*
 * One Speculation-Rules header: a list of strings (RFC 8941), each the URL
 * of a JSON rule set the browser fetches on its own. Returns 1 when a URL
 * is denied (*recipient: whose), or when the value is not such a list
 * (fail closed: it cannot be read), else 0.
 */
static ngx_uint_t
ngx_http_consent_speculation_denied(ngx_http_consent_ctx_t *ctx,
    ngx_str_t *value, uint32_t *recipient)
{
    u_char  *p, *last;
    size_t   n;
    u_char   url[2048];

    *recipient = CS_RECIPIENT_UNKNOWN;
    p = value->data;
    last = p + value->len;

    for ( ;; ) {
        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last || *p++ != '"') {
            return 1;
        }

        for (n = 0; p < last && *p != '"'; p++) {
            if (*p == '\\' && ++p == last) {
                return 1;
            }

            if (n == sizeof(url) || *p < 0x20 || *p > 0x7e) {
                return 1;
            }

            url[n++] = *p;
        }

        if (p++ == last) {
            return 1;
        }

        if (cs_gate_url_denied(ctx->gate, (const char *) url, n, recipient)) {
            return 1;
        }

        /* parameters, then the next member */
        while (p < last && *p != ',') {
            p++;
        }

        if (p == last) {
            return 0;
        }

        p++;
    }
}


/* Each Speculation-Rules header naming a denied recipient is not sent. */
static void
ngx_http_consent_speculation_header(ngx_table_elt_t *h, void *data)
{
    uint32_t                 recipient;
    ngx_http_request_t      *r;
    ngx_http_consent_ctx_t  *ctx = data;

    r = ctx->request;

    if (!ngx_http_consent_speculation_denied(ctx, &h->value, &recipient)) {
        return;
    }

    h->hash = 0;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "consent: Speculation-Rules header \"%V\" removed (%s)",
                  &h->value,
                  recipient != CS_RECIPIENT_UNKNOWN
                  ? cs_rules_recipient(ctx->gen->rules, recipient)->id
                  : "unreadable or unknown host");

    if (ngx_http_consent_status_enabled(r)) {
        ngx_http_consent_count_element(ctx, recipient, CS_ACTION_STRIP,
                                       h->value.len);
    }
}


/* Whether this response is one the gate reads (before any decoding). */
static ngx_int_t
ngx_http_consent_gates_response(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf)
{
    if (!lcf->enable
        || r->header_only
        || r->method == NGX_HTTP_HEAD
        || r->headers_out.status == NGX_HTTP_NO_CONTENT
        || r->headers_out.status == NGX_HTTP_NOT_MODIFIED
        || r->headers_out.status < NGX_HTTP_OK
        || r->headers_out.content_length_n == 0
        || ngx_http_test_content_type(r, &lcf->types) == NULL)
    {
        return 0;
    }

    return 1;
}


/*
 * Google Consent Mode defaults reflecting the decision, for sites that
 * declare google: analytics_storage follows google; the ad_* signals are
 * granted only where google is declared for advertising, allowed, and GPC
 * did not withdraw it.
 */
static ngx_int_t
ngx_http_consent_mode_block(ngx_http_request_t *r, cs_rules_t *rules,
    int32_t site, ngx_http_consent_ctx_t *ctx, ngx_str_t *block)
{
    int32_t      google;
    ngx_uint_t   allowed, ads;
    const char  *category, *a, *g;

    block->len = 0;

    google = cs_rules_recipient_find(rules, "google", 6);
    if (site < 0 || google < 0
        || !cs_rules_site_declares(rules, (uint32_t) site, (uint32_t) google))
    {
        return NGX_OK;
    }

    allowed = cs_bitset_test(ctx->allowed, (uint32_t) google);
    category = cs_rules_declared_category(rules, (uint32_t) site,
                                          (uint32_t) google);
    ads = allowed && category && ngx_strcmp(category, "advertising") == 0;

    g = allowed ? "granted" : "denied";
    a = ads ? "granted" : "denied";

    block->data = ngx_pnalloc(r->pool, 320);
    if (block->data == NULL) {
        return NGX_ERROR;
    }

    block->len = ngx_snprintf(block->data, 320,
        "<script>window.dataLayer=window.dataLayer||[];"
        "function gtag(){dataLayer.push(arguments);}"
        "gtag('consent','default',{'ad_storage':'%s','ad_user_data':'%s',"
        "'ad_personalization':'%s','analytics_storage':'%s'});</script>",
        a, a, a, g) - block->data;

    return NGX_OK;
}


/*
 * Sets up the gate for this response: the decision's sets, the rules'
 * declared set for the site, the Consent Mode defaults to inject, and the
 * hooks that count and log.
 */
static ngx_int_t
ngx_http_consent_start_gate(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_ctx_t *ctx)
{
    u_char          *p;
    const uint64_t  *declared;
    int32_t          site;
    ngx_str_t        block, decision;
    cs_rules_t      *rules;
    cs_gate_conf_t   gconf;

    rules = ctx->gen->rules;
    site = ctx->site;

    ctx->blocked = ngx_pcalloc(r->pool, ctx->words * sizeof(uint64_t));
    ctx->gate = ngx_palloc(r->pool, cs_gate_size());
    if (ctx->blocked == NULL || ctx->gate == NULL) {
        return NGX_ERROR;
    }

    /* an unknown site declares nothing: neutralize nothing either */
    declared = (site >= 0) ? cs_rules_site_declared_set(rules, (uint32_t) site)
                           : NULL;
    if (declared == NULL) {
        declared = ngx_pcalloc(r->pool, ctx->words * sizeof(uint64_t));
        if (declared == NULL) {
            return NGX_ERROR;
        }
    }

    block.len = 0;
    if (lcf->consent_mode
        && ngx_http_consent_mode_block(r, rules, site, ctx, &block) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* consent_expose: the decision for tag managers, after Consent Mode's */
    if (lcf->expose) {
        if (ngx_http_consent_decision_block(r, ctx, &decision) != NGX_OK) {
            return NGX_ERROR;
        }

        p = ngx_pnalloc(r->pool, block.len + decision.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (block.len) {
            ngx_memcpy(p, block.data, block.len);
        }
        ngx_memcpy(p + block.len, decision.data, decision.len);
        block.data = p;
        block.len += decision.len;
    }

    ngx_memzero(&gconf, sizeof(cs_gate_conf_t));
    gconf.rules = rules;
    gconf.memo = ngx_http_consent_gen_memo(ctx->gen, r->connection->log);
    gconf.action = lcf->action;
    gconf.head_inject = block.len ? block.data : NULL;
    gconf.head_inject_len = block.len;
    gconf.allowed = ctx->allowed;
    gconf.declared = declared;
    gconf.blocked = ctx->blocked;
    gconf.has_site = site >= 0;
    gconf.site = site >= 0 ? (uint32_t) site : 0;
    gconf.max_element = lcf->max_element_size;
    ngx_http_consent_pool_allocator(&gconf.allocator, r->pool);
    gconf.emit = ngx_http_consent_emit;
    gconf.emit_ud = ctx;
    gconf.hook_ud = ctx;
    if (ngx_http_consent_status_enabled(r)) {
        gconf.on_element = ngx_http_consent_count_element;
        gconf.on_unknown_host = ngx_http_consent_unknown_host;
    }
    if (lcf->unknown != NGX_HTTP_CONSENT_UNKNOWN_PASS) {
        gconf.on_unknown_host = ngx_http_consent_unknown_host;
    }
    cs_gate_init(ctx->gate, &gconf);

    return NGX_OK;
}


/* ---- bodies the gate cannot read ---- */

static const char  *ngx_http_consent_undecodable_names[] = {
    "strip_all", "pass", "error"
};


/*
 * Logs (once per response: the caller's) and counts a body not gated: why,
 * and what consent_undecodable made of it.
 */
static void
ngx_http_consent_log_undecodable(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_ctx_t *ctx,
    const char *why, const char *done)
{
    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "consent: %s (%V); consent_undecodable %s: %s", why,
                  &ctx->coding,
                  ngx_http_consent_undecodable_names[lcf->undecodable], done);

    ngx_http_consent_status_undecodable(r, ngx_http_consent_site_label(ctx),
                                        &ctx->coding, lcf->undecodable);
}


/*
 * A Content-Encoding the gate cannot read (br, zstd, compress, unknown, or
 * several): what consent_undecodable says.
 */
static ngx_int_t
ngx_http_consent_undecodable(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_ctx_t *ctx)
{
    ngx_http_consent_log_undecodable(r, lcf, ctx,
        "response with a Content-Encoding the gate cannot read (it reads "
        "identity, gzip and deflate)",
        lcf->undecodable == NGX_HTTP_CONSENT_UNDECODABLE_PASS
        ? "it passes ungated"
        : lcf->undecodable == NGX_HTTP_CONSENT_UNDECODABLE_ERROR
        ? "an error page is sent" : "an empty body is sent");

    switch (lcf->undecodable) {

    case NGX_HTTP_CONSENT_UNDECODABLE_PASS:
        return ngx_http_next_header_filter(r);

    case NGX_HTTP_CONSENT_UNDECODABLE_ERROR:
        /* headers cleared, only this module's context kept, an error page */
        return ngx_http_filter_finalize_request(r,
                   &ngx_http_consent_filter_module,
                   r->upstream ? NGX_HTTP_BAD_GATEWAY
                               : NGX_HTTP_INTERNAL_SERVER_ERROR);

    default: /* NGX_HTTP_CONSENT_UNDECODABLE_STRIP_ALL */
        ctx->discard = 1;

        if (r == r->main && ngx_http_consent_emptied_headers(r) != NGX_OK) {
            return NGX_ERROR;
        }

        return ngx_http_next_header_filter(r);
    }
}


static ngx_int_t
ngx_http_consent_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t                     coding;
    ngx_str_t                      speculation_rules
                                       = ngx_string("Speculation-Rules");
    ngx_http_consent_ctx_t        *ctx;
    ngx_http_consent_hook_ctx_t   *hook;
    ngx_http_consent_loc_conf_t   *lcf;
    ngx_http_consent_main_conf_t  *mcf;

    hook = ngx_http_get_module_ctx(r, ngx_http_consent_gunzip_hook_module);
    if (hook && hook->forced_gunzip) {
        /* gunzip has run: let the gzip filter decide afresh */
        r->gzip_tested = 0;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_consent_filter_module);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_consent_filter_module);

    if (!ngx_http_consent_gates_response(r, lcf) || mcf->gen == NULL) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_consent_request_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ctx->gate || ctx->discard) {
        /* a second response header for the same request */
        return ngx_http_next_header_filter(r);
    }

    coding = ngx_http_consent_response_coding(r, &ctx->coding);

    if (coding == NGX_HTTP_CONSENT_CODING_UNDECODABLE) {
        return ngx_http_consent_undecodable(r, lcf, ctx);
    }

    if (coding != NGX_HTTP_CONSENT_CODING_IDENTITY) {
        /* gunzip is off here (or the coding is not gzip): decode it here */
        ctx->decoder = ngx_http_consent_decoder_create(r, coding,
                                                   lcf->max_decoded_size);
        if (ctx->decoder == NULL) {
            return NGX_ERROR;
        }

        ngx_http_consent_clear_content_encoding(r);
    }

    if (ngx_http_consent_start_gate(r, lcf, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    r->filter_need_in_memory = 1;

    ctx->body_left = -1;

    if (r == r->main) {
        /* the length of an encoded body is not the decoded one */
        if (r->headers_out.content_length_n > 0 && ctx->decoder == NULL) {
            ctx->body_left = r->headers_out.content_length_n;
        }

        if (ngx_http_consent_gated_headers(r, lcf) != NGX_OK
            || ngx_http_consent_csp_headers(r, lcf, ctx) != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_http_consent_each_header(r, &speculation_rules,
                                     ngx_http_consent_speculation_header,
                                     ctx);
    }

    return ngx_http_next_header_filter(r);
}


/* ---- body ---- */

static ngx_buf_t *
ngx_http_consent_out_buf(ngx_http_consent_ctx_t *ctx)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = ngx_chain_get_free_buf(ctx->request->pool, &ctx->free);
    if (cl == NULL) {
        return NULL;
    }

    b = cl->buf;
    ngx_memzero(b, sizeof(ngx_buf_t));
    b->tag = (ngx_buf_tag_t) &ngx_http_consent_filter_module;

    *ctx->last_out = cl;
    ctx->last_out = &cl->next;

    return b;
}


/*
 * Bytes that stay. Those still in the input buffer are referenced, not
 * copied; held bytes live only for this call and are copied.
 */
static int
ngx_http_consent_emit(void *ud, const unsigned char *p, size_t n, bool held)
{
    u_char                  *copy;
    ngx_buf_t               *b;
    ngx_http_consent_ctx_t  *ctx = ud;

    if (!held) {
        if (ctx->last_ref && ctx->last_ref->last == p) {
            ctx->last_ref->last += n;
            return 0;
        }

        b = ngx_http_consent_out_buf(ctx);
        if (b == NULL) {
            return -1;
        }

        b->memory = 1;
        b->pos = (u_char *) p;
        b->last = (u_char *) p + n;
        ctx->last_ref = b;
        ctx->last_input = b;
        return 0;
    }

    copy = ngx_pnalloc(ctx->request->pool, n);
    if (copy == NULL) {
        return -1;
    }
    ngx_memcpy(copy, p, n);

    b = ngx_http_consent_out_buf(ctx);
    if (b == NULL) {
        return -1;
    }

    b->memory = 1;
    b->pos = copy;
    b->last = copy + n;
    ctx->last_ref = NULL;

    return 0;
}


/* An empty output buffer for the input's flags: the end, or a flush. */
static ngx_int_t
ngx_http_consent_flags_buf(ngx_http_consent_ctx_t *ctx, ngx_uint_t last,
    ngx_uint_t last_in_chain, ngx_uint_t flush)
{
    ngx_buf_t  *b;

    b = ngx_http_consent_out_buf(ctx);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->sync = 1;
    b->last_buf = last;
    b->last_in_chain = last_in_chain;
    b->flush = flush;

    return NGX_OK;
}


/*
 * Feeds one input buffer to the gate. Kept bytes go out by reference into
 * it (see ngx_http_consent_emit); the body's end, at last_buf or at its
 * Content-Length, finishes the gate.
 */
static ngx_int_t
ngx_http_consent_feed_buf(ngx_http_request_t *r, ngx_http_consent_ctx_t *ctx,
    ngx_buf_t *ib)
{
    off_t        size;
    ngx_uint_t   last, complete;

    ctx->input = ib;
    ctx->last_ref = NULL;
    ctx->last_input = NULL;

    /*
     * After the end: the upstream's own last buffer when the body ended
     * at its Content-Length; data here would be past that length
     */
    if (ctx->finished) {
        if (ngx_buf_size(ib) && ngx_buf_in_memory(ib)) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "consent: %O byte(s) after the end of the body "
                          "dropped", ngx_buf_size(ib));
        }
        ib->pos = ib->last;
        return NGX_OK;
    }

    if (ngx_buf_size(ib) && !ngx_buf_in_memory(ib)) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "consent: body buffer not in memory");
        return NGX_ERROR;
    }

    complete = 0;

    if (ngx_buf_in_memory(ib) && ib->last > ib->pos) {
        size = ib->last - ib->pos;

        if (cs_gate_feed(ctx->gate, ib->pos, size) != 0) {
            return NGX_ERROR;
        }

        /*
         * The whole body by its Content-Length: end the response now,
         * so the final chunk goes out with the last data instead of
         * in a write (and a packet) of its own when the upstream
         * module sends the last buffer.
         */
        if (ctx->body_left > 0) {
            ctx->body_left -= size;
            complete = (ctx->body_left == 0);
        }
    }

    /*
     * The input is free for reuse only once the last output buffer
     * that points into it has been sent; until then it stays "busy".
     */
    if (ctx->last_input) {
        ctx->last_input->shadow = ib;
        ctx->last_input->recycled = ib->recycled;
    } else {
        ib->pos = ib->last;
    }

    last = ib->last_buf || complete;

    if (last || ib->last_in_chain) {
        ctx->last_ref = NULL;
        if (cs_gate_finish(ctx->gate) != 0) {
            return NGX_ERROR;
        }
        ngx_http_consent_log_stats(r, ctx);
        cs_gate_cleanup(ctx->gate);
        ctx->finished = 1;
    }

    if (last || ib->last_in_chain || ib->flush || ib->sync) {
        return ngx_http_consent_flags_buf(ctx, last, ib->last_in_chain,
                                          ib->flush);
    }

    return NGX_OK;
}


/*
 * Passes the output on to the next filter, then frees what it has sent,
 * and with it the input buffers those pointed into.
 */
static ngx_int_t
ngx_http_consent_pass_output(ngx_http_request_t *r,
    ngx_http_consent_ctx_t *ctx)
{
    ngx_int_t     rc;
    ngx_chain_t  *cl, **tail;

    ctx->passing = 1;
    rc = ngx_http_next_body_filter(r, ctx->out);
    ctx->passing = 0;

    if (ctx->out) {
        for (tail = &ctx->busy; *tail; tail = &(*tail)->next) { /* void */ }
        *tail = ctx->out;
        ctx->out = NULL;
        ctx->last_out = &ctx->out;
    }

    while (ctx->busy && ngx_buf_size(ctx->busy->buf) == 0) {
        cl = ctx->busy;
        ctx->busy = cl->next;

        /* sent: the input it pointed into may be reused upstream */
        if (cl->buf->shadow) {
            cl->buf->shadow->pos = cl->buf->shadow->last;
        }

        cl->next = ctx->free;
        ctx->free = cl;
    }

    return rc;
}


/* The end of the body where the gate stops early: only the flags. */
static ngx_int_t
ngx_http_consent_feed_end(ngx_http_request_t *r, ngx_http_consent_ctx_t *ctx)
{
    ngx_buf_t  *b;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last_buf = (r == r->main);
    b->last_in_chain = 1;

    return ngx_http_consent_feed_buf(r, ctx, b);
}


/*
 * consent_undecodable strip_all: every input byte is dropped, only the end
 * of the body goes on.
 */
static ngx_int_t
ngx_http_consent_discard_body(ngx_http_request_t *r,
    ngx_http_consent_ctx_t *ctx, ngx_chain_t *in)
{
    ngx_uint_t    end;
    ngx_chain_t  *cl;

    end = 0;

    for (cl = in; cl; cl = cl->next) {
        end |= cl->buf->last_buf || cl->buf->last_in_chain;
        cl->buf->pos = cl->buf->last;
        if (cl->buf->in_file) {
            cl->buf->file_pos = cl->buf->file_last;
        }
    }

    if (end && !ctx->finished) {
        ctx->finished = 1;
        if (ngx_http_consent_flags_buf(ctx, r == r->main, 1, 0) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return ngx_http_consent_pass_output(r, ctx);
}


/*
 * A gzip/deflate body the decoder refused halfway (corrupt, truncated, over
 * consent_max_decoded_size). What went out so far was gated; the rest
 * cannot be sent in any form the visitor reads, the response being declared
 * identity already: with "error" it is cut off (the client sees it
 * incomplete), otherwise it ends where the gate stopped.
 */
static ngx_int_t
ngx_http_consent_decode_failed(ngx_http_request_t *r,
    ngx_http_consent_ctx_t *ctx)
{
    u_char                        why[128];
    ngx_http_consent_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_consent_filter_module);

    ngx_snprintf(why, sizeof(why), "%s after %O decoded bytes%Z",
                 ngx_http_consent_decoder_failure(ctx->decoder),
                 ngx_http_consent_decoder_decoded(ctx->decoder));
    ngx_http_consent_log_undecodable(r, lcf, ctx, (const char *) why,
        lcf->undecodable == NGX_HTTP_CONSENT_UNDECODABLE_ERROR
        ? "the response is cut off" : "the body ends there");

    if (lcf->undecodable == NGX_HTTP_CONSENT_UNDECODABLE_ERROR) {
        return NGX_ERROR;
    }

    return ngx_http_consent_feed_end(r, ctx);
}


/*
 * An encoded body: the decoder's buffers go through the gate, and out, as
 * long as it has free ones; it gets them back as the output is sent.
 */
static ngx_int_t
ngx_http_consent_decode_body(ngx_http_request_t *r,
    ngx_http_consent_ctx_t *ctx, ngx_chain_t *in)
{
    ngx_int_t    rc;
    ngx_buf_t   *b;
    ngx_uint_t   flush;

    if (in && ngx_http_consent_decoder_add(ctx->decoder, in) != NGX_OK) {
        return NGX_ERROR;
    }

    /* a call without input is for the filters after this one too */
    flush = (in == NULL || ctx->busy != NULL);
    rc = NGX_OK;

    for ( ;; ) {

        for ( ;; ) {
            rc = ngx_http_consent_decoder_next(ctx->decoder, &b);

            if (rc == NGX_OK) {
                if (ngx_http_consent_feed_buf(r, ctx, b) != NGX_OK) {
                    return NGX_ERROR;
                }
                continue;
            }

            if (rc == NGX_DECLINED) {
                if (ngx_http_consent_decode_failed(r, ctx) != NGX_OK) {
                    return NGX_ERROR;
                }
                continue;
            }

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            /* NGX_AGAIN, NGX_DONE: nothing more for now */
            break;
        }

        ctx->input = NULL;
        ctx->last_ref = NULL;
        ctx->last_input = NULL;

        if (ctx->out == NULL && !flush) {
            return ctx->busy ? NGX_AGAIN : NGX_OK;
        }

        /* sending may free buffers the decoder waits for */
        rc = ngx_http_consent_pass_output(r, ctx);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        flush = 0;
    }
}


static ngx_int_t
ngx_http_consent_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t             *cl;
    ngx_http_consent_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_consent_filter_module);

    /*
     * A call while this filter is passing its output on comes from a filter
     * after it sending through the whole chain (addition's last buffer,
     * after its subrequest): not body to gate, and not to be swallowed.
     */
    if (ctx == NULL || ctx->passing) {
        return ngx_http_next_body_filter(r, in);
    }

    if (ctx->discard) {
        return ngx_http_consent_discard_body(r, ctx, in);
    }

    if (ctx->gate == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    if (ctx->decoder) {
        return ngx_http_consent_decode_body(r, ctx, in);
    }

    for (cl = in; cl; cl = cl->next) {
        if (ngx_http_consent_feed_buf(r, ctx, cl->buf) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    ctx->input = NULL;
    ctx->last_ref = NULL;
    ctx->last_input = NULL;

    /*
     * A call without input (nginx's writer, a subrequest done) is for the
     * filters after this one too: the postpone filter's queued buffers, a
     * write still pending.
     */
    if (in != NULL && ctx->out == NULL && ctx->busy == NULL) {
        return NGX_OK;
    }

    return ngx_http_consent_pass_output(r, ctx);
}


/* ---- the gunzip hook ---- */

static ngx_int_t
ngx_http_consent_hook_header_filter(ngx_http_request_t *r)
{
    ngx_http_consent_hook_ctx_t   *hook;
    ngx_http_consent_loc_conf_t   *lcf;
    ngx_http_consent_main_conf_t  *mcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_consent_filter_module);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_consent_filter_module);

    if (r != r->main
        || mcf->gen == NULL
        || !ngx_http_consent_gates_response(r, lcf)
        || r->headers_out.content_encoding == NULL
        || r->headers_out.content_encoding->value.len != 4
        || ngx_strncasecmp(r->headers_out.content_encoding->value.data,
                           (u_char *) "gzip", 4) != 0)
    {
        return ngx_http_hook_next_header_filter(r);
    }

    hook = ngx_pcalloc(r->pool, sizeof(ngx_http_consent_hook_ctx_t));
    if (hook == NULL) {
        return NGX_ERROR;
    }

    /* gunzip decompresses only for clients that are not "gzip ok" */
    hook->forced_gunzip = 1;
    r->gzip_tested = 1;
    r->gzip_ok = 0;

    ngx_http_set_ctx(r, hook, ngx_http_consent_gunzip_hook_module);

    return ngx_http_hook_next_header_filter(r);
}


/* ---- postconfiguration ---- */

static ngx_int_t
ngx_http_consent_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_consent_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_consent_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_consent_hook_init(ngx_conf_t *cf)
{
    ngx_http_hook_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_consent_hook_header_filter;

    return NGX_OK;
}
