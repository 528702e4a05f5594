/*
 * What the markup cannot show: the policy headers of gated responses
 * (consent_csp, consent_permissions_policy), the decision script for tag
 * managers (consent_expose), and the consent_csp_report endpoint that counts
 * the violations browsers report. The policy text, report parsing and
 * attribution are the core's (cs_csp.h).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_consent.h"
#include "ngx_http_consent_status.h"


/* the bound of a report body, and of the violations counted from one */
#define NGX_HTTP_CONSENT_CSP_REPORT_MAX      (64 * 1024)
#define NGX_HTTP_CONSENT_CSP_VIOLATIONS_MAX  100

/* policies cached per worker, by (location, generation, site, allowed) */
#define NGX_HTTP_CONSENT_CSP_CACHE           256

#define NGX_HTTP_CONSENT_CSP_GROUP           "consent-csp"


typedef struct {
    void                        *lcf;          /* NULL: empty slot */
    u_char                       gen[24];      /* the generation's id */
    size_t                       gen_len;
    int32_t                      site;
    size_t                       words;
    uint64_t                    *allowed;
    ngx_str_t                    policy;
    ngx_uint_t                   dropped;
} ngx_http_consent_csp_cached_t;


static ngx_http_consent_csp_cached_t
    ngx_http_consent_csp_cache[NGX_HTTP_CONSENT_CSP_CACHE];

static ngx_str_t  ngx_http_consent_csp_enforce_header =
    ngx_string("Content-Security-Policy");
static ngx_str_t  ngx_http_consent_csp_report_header =
    ngx_string("Content-Security-Policy-Report-Only");
static ngx_str_t  ngx_http_consent_reporting_endpoints =
    ngx_string("Reporting-Endpoints");
static ngx_str_t  ngx_http_consent_permissions_policy =
    ngx_string("Permissions-Policy");


/* ---- configuration ---- */

char *
ngx_http_consent_csp_merge(ngx_conf_t *cf, ngx_http_consent_loc_conf_t *conf,
    cs_rules_t *rules)
{
    size_t          base;
    ngx_str_t      *fp, *id;
    ngx_uint_t      i;
    cs_csp_str_t   *suffix;
    cs_csp_conf_t  *csp;

    csp = &conf->csp_conf;
    ngx_memzero(csp, sizeof(cs_csp_conf_t));

    if (conf->first_party) {
        suffix = ngx_palloc(cf->pool,
                            conf->first_party->nelts * sizeof(cs_csp_str_t));
        if (suffix == NULL) {
            return NGX_CONF_ERROR;
        }
        fp = conf->first_party->elts;
        for (i = 0; i < conf->first_party->nelts; i++) {
            suffix[i].data = (const char *) fp[i].data;
            suffix[i].len = fp[i].len;
        }
        csp->first_party = suffix;
        csp->nfirst_party = conf->first_party->nelts;
    }

    if (conf->csp_allow) {
        csp->allow = conf->csp_allow->elts;
        csp->nallow = conf->csp_allow->nelts;
    }

    if (conf->csp_report_uri.len) {
        csp->report_uri = (const char *) conf->csp_report_uri.data;
        csp->report_uri_len = conf->csp_report_uri.len;
        csp->report_group = conf->csp_report_to ? NGX_HTTP_CONSENT_CSP_GROUP
                                                : NULL;

        conf->reporting_endpoints.len = sizeof(NGX_HTTP_CONSENT_CSP_GROUP
                                               "=\"\"") - 1
                                        + conf->csp_report_uri.len;
        conf->reporting_endpoints.data = ngx_pnalloc(cf->pool,
                                             conf->reporting_endpoints.len);
        if (conf->reporting_endpoints.data == NULL) {
            return NGX_CONF_ERROR;
        }
        ngx_sprintf(conf->reporting_endpoints.data,
                    NGX_HTTP_CONSENT_CSP_GROUP "=\"%V\"",
                    &conf->csp_report_uri);
    }

    csp->max_size = conf->csp_max_size;

    conf->csp_header = (conf->csp == NGX_HTTP_CONSENT_CSP_ENFORCE)
                       ? ngx_http_consent_csp_enforce_header
                       : ngx_http_consent_csp_report_header;

    /* the fallback policy must always fit: it is what fail-closed sends */
    base = cs_csp_base_size(csp);
    if (conf->csp != NGX_HTTP_CONSENT_CSP_OFF && base > conf->csp_max_size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent_csp_max_size\" %uz is too small: the "
                           "policy without any recipient (first-party "
                           "suffixes, consent_csp_allow, report URI) takes "
                           "%uz bytes", conf->csp_max_size, base);
        return NGX_CONF_ERROR;
    }

    if (rules == NULL || conf->ad_api_recipients == NULL) {
        return NGX_CONF_OK;
    }

    id = conf->ad_api_recipients->elts;
    for (i = 0; i < conf->ad_api_recipients->nelts; i++) {
        if (cs_rules_recipient_find(rules, (const char *) id[i].data,
                                    id[i].len) < 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"consent_ad_api_recipients\" \"%V\" is not "
                               "a recipient in consent_rules", &id[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* ---- the policy ---- */

static ngx_uint_t
ngx_http_consent_csp_hash(ngx_http_consent_loc_conf_t *lcf,
    ngx_http_consent_ctx_t *ctx)
{
    uint64_t  h;

    h = cs_fnv1a(CS_FNV1A_INIT, &lcf, sizeof(lcf));
    h = cs_fnv1a(h, ctx->gen->id.data, ctx->gen->id.len);
    h = cs_fnv1a(h, &ctx->site, sizeof(ctx->site));
    h = cs_fnv1a(h, ctx->allowed, ctx->words * sizeof(uint64_t));

    return (ngx_uint_t) (h % NGX_HTTP_CONSENT_CSP_CACHE);
}


static ngx_uint_t
ngx_http_consent_csp_cache_hit(ngx_http_consent_csp_cached_t *c,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_ctx_t *ctx)
{
    return c->lcf == lcf
           && c->site == ctx->site
           && c->words == ctx->words
           && c->gen_len == ctx->gen->id.len
           && ngx_memcmp(c->gen, ctx->gen->id.data, c->gen_len) == 0
           && ngx_memcmp(c->allowed, ctx->allowed,
                         ctx->words * sizeof(uint64_t)) == 0;
}


void
ngx_http_consent_csp_cache_free(void)
{
    ngx_uint_t                      i;
    ngx_http_consent_csp_cached_t  *c;

    for (i = 0; i < NGX_HTTP_CONSENT_CSP_CACHE; i++) {
        c = &ngx_http_consent_csp_cache[i];
        if (c->lcf) {
            ngx_free(c->allowed);
            ngx_memzero(c, sizeof(ngx_http_consent_csp_cached_t));
        }
    }
}


/* Keeps a policy for the next requests of the same decision. */
static void
ngx_http_consent_csp_cache_store(ngx_http_consent_csp_cached_t *c,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_ctx_t *ctx,
    ngx_str_t *policy, ngx_uint_t dropped, ngx_log_t *log)
{
    u_char  *mem;
    size_t   size;

    if (ctx->gen->id.len > sizeof(c->gen)) {
        return;
    }

    size = ctx->words * sizeof(uint64_t) + policy->len;
    mem = ngx_alloc(size, log);
    if (mem == NULL) {
        return;
    }

    if (c->lcf) {
        ngx_free(c->allowed);
    }

    ngx_memcpy(mem, ctx->allowed, ctx->words * sizeof(uint64_t));
    ngx_memcpy(mem + ctx->words * sizeof(uint64_t), policy->data,
               policy->len);

    c->lcf = lcf;
    ngx_memcpy(c->gen, ctx->gen->id.data, ctx->gen->id.len);
    c->gen_len = ctx->gen->id.len;
    c->site = ctx->site;
    c->words = ctx->words;
    c->allowed = (uint64_t *) mem;
    c->policy.data = mem + ctx->words * sizeof(uint64_t);
    c->policy.len = policy->len;
    c->dropped = dropped;
}


/*
 * This request's policy into ctx->csp (the request's pool: the variable
 * reads it at log time), from the worker's cache when the same location,
 * generation, site and allowed set had it before.
 */
static ngx_int_t
ngx_http_consent_csp_policy(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_ctx_t *ctx)
{
    bool                            dropped;
    size_t                          len;
    u_char                         *buf;
    const uint64_t                 *allowed;
    ngx_http_consent_csp_cached_t  *c;

    c = &ngx_http_consent_csp_cache[ngx_http_consent_csp_hash(lcf, ctx)];

    if (ngx_http_consent_csp_cache_hit(c, lcf, ctx)) {
        ctx->csp.data = ngx_pnalloc(r->pool, c->policy.len);
        if (ctx->csp.data == NULL) {
            return NGX_ERROR;
        }
        ctx->csp.len = c->policy.len;
        ngx_memcpy(ctx->csp.data, c->policy.data, c->policy.len);
        return NGX_OK;
    }

    buf = ngx_pnalloc(r->pool, lcf->csp_max_size + 1);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    /* an unknown site allows nothing */
    allowed = ctx->site >= 0 ? ctx->allowed : NULL;

    len = cs_csp_build(&lcf->csp_conf, ctx->gen->rules, allowed, (char *) buf,
                       lcf->csp_max_size + 1, &dropped);
    if (len == 0) {
        /* cannot happen: merge checked the base policy fits */
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "consent: no CSP fits consent_csp_max_size");
        return NGX_ERROR;
    }

    if (dropped) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "consent: the CSP for the recipients allowed would "
                      "exceed consent_csp_max_size %uz; sent without them, "
                      "so the browser blocks them all", lcf->csp_max_size);
    }

    ctx->csp.data = buf;
    ctx->csp.len = len;

    ngx_http_consent_csp_cache_store(c, lcf, ctx, &ctx->csp, dropped,
                                     r->connection->log);

    return NGX_OK;
}


/* Whether the request allows none of the recipients using ad APIs. */
static ngx_uint_t
ngx_http_consent_ad_apis_denied(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_ctx_t *ctx)
{
    int32_t      rec;
    ngx_str_t   *id, google = ngx_string("google");
    ngx_uint_t   i, n;

    if (lcf->ad_api_recipients) {
        id = lcf->ad_api_recipients->elts;
        n = lcf->ad_api_recipients->nelts;

    } else {
        /* the default: Google's ad products use the browser's ad APIs */
        id = &google;
        n = 1;
    }

    for (i = 0; i < n; i++) {
        rec = cs_rules_recipient_find(ctx->gen->rules,
                                      (const char *) id[i].data, id[i].len);
        if (rec >= 0 && ctx->site >= 0
            && cs_bitset_test(ctx->allowed, (uint32_t) rec))
        {
            return 0;
        }
    }

    return 1;
}


ngx_int_t
ngx_http_consent_csp_headers(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_ctx_t *ctx)
{
    ngx_str_t  value;

    if (lcf->csp != NGX_HTTP_CONSENT_CSP_OFF) {
        if (ngx_http_consent_csp_policy(r, lcf, ctx) != NGX_OK) {
            return NGX_ERROR;
        }

        /* a header of its own: an upstream's policy is never altered */
        if (ngx_http_consent_add_header(r, &lcf->csp_header, &ctx->csp)
            == NULL)
        {
            return NGX_ERROR;
        }

        if (lcf->csp_report_to && lcf->reporting_endpoints.len
            && ngx_http_consent_add_header(r,
                                   &ngx_http_consent_reporting_endpoints,
                                   &lcf->reporting_endpoints)
               == NULL)
        {
            return NGX_ERROR;
        }
    }

    if (lcf->permissions_policy
        && ngx_http_consent_ad_apis_denied(r, lcf, ctx))
    {
        value.data = (u_char *) cs_csp_ad_apis_off;
        value.len = ngx_strlen(cs_csp_ad_apis_off);

        if (ngx_http_consent_add_header(r,
                                        &ngx_http_consent_permissions_policy,
                                        &value)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* ---- the decision for tag managers ---- */

ngx_int_t
ngx_http_consent_decision_block(ngx_http_request_t *r,
    ngx_http_consent_ctx_t *ctx, ngx_str_t *block)
{
    size_t  cap, need;

    cap = 1024;

    for ( ;; ) {
        block->data = ngx_pnalloc(r->pool, cap);
        if (block->data == NULL) {
            return NGX_ERROR;
        }

        need = cs_csp_decision_script(ctx->gen->rules, ctx->site,
                                      ctx->allowed, ctx->source,
                                      (const char *) ctx->gen->id.data,
                                      ctx->gen->id.len,
                                      (char *) block->data, cap);
        if (need < cap) {
            block->len = need;
            return NGX_OK;
        }

        ngx_pfree(r->pool, block->data);
        cap = need + 1;
    }
}


/* ---- consent_csp_report ---- */

typedef struct {
    ngx_http_request_t            *request;
    ngx_http_consent_gen_t        *gen;
    ngx_http_consent_loc_conf_t   *lcf;
    ngx_str_t                     *site;
} ngx_http_consent_csp_report_t;


static void ngx_http_consent_csp_report_body(ngx_http_request_t *r);


static ngx_int_t
ngx_http_consent_csp_report_format(ngx_http_request_t *r)
{
    u_char     *semicolon;
    ngx_str_t   type;

    if (r->headers_in.content_type == NULL) {
        return NGX_DECLINED;
    }

    type = r->headers_in.content_type->value;
    semicolon = ngx_strlchr(type.data, type.data + type.len, ';');
    if (semicolon) {
        type.len = semicolon - type.data;
    }
    while (type.len && type.data[type.len - 1] == ' ') {
        type.len--;
    }

    if (type.len == sizeof("application/csp-report") - 1
        && ngx_strncasecmp(type.data, (u_char *) "application/csp-report",
                           type.len) == 0)
    {
        return CS_CSP_REPORT_LEGACY;
    }

    if (type.len == sizeof("application/reports+json") - 1
        && ngx_strncasecmp(type.data, (u_char *) "application/reports+json",
                           type.len) == 0)
    {
        return CS_CSP_REPORT_API;
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_consent_csp_report_handler(ngx_http_request_t *r)
{
    ngx_int_t         rc;
    ngx_str_t         allow = ngx_string("Allow"), post = ngx_string("POST");

    if (r->method != NGX_HTTP_POST) {
        if (ngx_http_consent_add_header(r, &allow, &post) == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_consent_csp_report_format(r) == NGX_DECLINED) {
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    /* the size is known before any byte is read, or the report refused */
    if (r->headers_in.content_length_n < 0) {
        return NGX_HTTP_LENGTH_REQUIRED;
    }

    if (r->headers_in.content_length_n > NGX_HTTP_CONSENT_CSP_REPORT_MAX) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_consent_csp_report_body);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* The body in one buffer of the request's pool (it may be in a file). */
static u_char *
ngx_http_consent_csp_report_read(ngx_http_request_t *r, size_t *len)
{
    u_char       *body, *p;
    size_t        size, n;
    ssize_t       got;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    size = (size_t) r->headers_in.content_length_n;
    *len = 0;

    body = ngx_pnalloc(r->pool, size ? size : 1);
    if (body == NULL || r->request_body == NULL) {
        return body;
    }

    p = body;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            n = ngx_min((size_t) (b->file_last - b->file_pos),
                        size - (p - body));
            got = ngx_read_file(b->file, p, n, b->file_pos);
            if (got != (ssize_t) n) {
                return NULL;
            }

        } else {
            n = ngx_min((size_t) (b->last - b->pos), size - (p - body));
            if (n) {                /* an empty buffer may have no memory */
                ngx_memcpy(p, b->pos, n);
            }
        }

        p += n;
    }

    *len = p - body;

    return body;
}


static void
ngx_http_consent_csp_violation(void *ud, const cs_csp_violation_t *v)
{
    char                            host[256];
    int32_t                         rec;
    ngx_str_t                       label, h;
    ngx_http_request_t             *r;
    ngx_http_consent_csp_report_t  *rep = ud;

    r = rep->request;

    rec = cs_csp_attribute(rep->gen->rules, v->blocked, v->blocked_len, host,
                           sizeof(host));

    if (rec >= 0) {
        label.data = (u_char *) cs_rules_recipient(rep->gen->rules,
                                                   (uint32_t) rec)->id;
        label.len = ngx_strlen(label.data);

    } else if (rec == CS_CSP_NO_HOST) {
        ngx_str_set(&label, "other");

    } else if (ngx_http_consent_first_party_host(r, rep->lcf, host,
                                                 ngx_strlen(host)))
    {
        ngx_str_set(&label, "first-party");

    } else {
        /* host drift: a third party no recipient covers */
        ngx_str_set(&label, "unknown");

        h.data = (u_char *) host;
        h.len = ngx_strlen(host);
        ngx_http_consent_status_unknown_host(r, rep->site, &h);

        if (ngx_http_consent_gen_first_sighting(rep->gen, host, h.len,
                                                r->connection->log))
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "consent: a CSP report names third-party host "
                          "\"%V\", covered by no recipient in rules "
                          "generation %V", &h, &rep->gen->id);
        }
    }

    ngx_http_consent_status_csp_violation(r, rep->site, &label, v->directive,
                                          v->mode);
}


static void
ngx_http_consent_csp_report_body(ngx_http_request_t *r)
{
    int                             n;
    u_char                         *body;
    size_t                          len;
    int32_t                         site;
    ngx_int_t                       rc, format;
    ngx_str_t                       site_id;
    ngx_http_consent_csp_report_t   rep;
    ngx_http_consent_main_conf_t   *mcf;

    format = ngx_http_consent_csp_report_format(r);

    body = ngx_http_consent_csp_report_read(r, &len);
    if (body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_consent_filter_module);

    rep.request = r;
    rep.lcf = ngx_http_get_module_loc_conf(r, ngx_http_consent_filter_module);
    rep.gen = mcf->gen ? ngx_http_consent_gen_current(mcf, r->connection->log)
                       : NULL;
    rep.site = NULL;

    if (rep.gen == NULL) {
        /* no rules to attribute with: read and drop */
        n = cs_csp_report_parse((const char *) body, len, format, 0, NULL,
                                NULL);

    } else {
        site = ngx_http_consent_resolve_site(r, rep.lcf, rep.gen);
        if (site >= 0) {
            site_id.data = (u_char *) cs_rules_site_id(rep.gen->rules,
                                                       (uint32_t) site);
            site_id.len = ngx_strlen(site_id.data);
            rep.site = &site_id;
        }

        n = cs_csp_report_parse((const char *) body, len, format,
                                NGX_HTTP_CONSENT_CSP_VIOLATIONS_MAX,
                                ngx_http_consent_csp_violation, &rep);
    }

    if (n < 0) {
        /* the reason only: a report names the visitor's pages */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "consent: CSP report of %uz byte(s) is not %s JSON",
                      len, format == CS_CSP_REPORT_LEGACY
                           ? "application/csp-report"
                           : "application/reports+json");
        ngx_http_finalize_request(r, NGX_HTTP_BAD_REQUEST);
        return;
    }

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    rc = ngx_http_send_header(r);
    ngx_http_finalize_request(r, rc);
}
