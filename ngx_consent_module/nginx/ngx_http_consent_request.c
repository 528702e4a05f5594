/*
 * The request's consent decision (rule generation, site, the recipients its
 * consent cookies and Global Privacy Control allow) and the variables that
 * show it: $consent_allowed, $consent_blocked, $consent_key,
 * $consent_source, $consent_generation, $consent_csp; and $consent_version.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_consent.h"


static ngx_int_t ngx_http_consent_recipients_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_consent_key_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_consent_decision_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_consent_version_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_consent_vars[] = {

    { ngx_string("consent_blocked"), NULL,
      ngx_http_consent_recipients_variable,
      offsetof(ngx_http_consent_ctx_t, blocked),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("consent_allowed"), NULL,
      ngx_http_consent_recipients_variable,
      offsetof(ngx_http_consent_ctx_t, allowed),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("consent_source"), NULL,
      ngx_http_consent_decision_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("consent_generation"), NULL,
      ngx_http_consent_decision_variable, 1,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("consent_csp"), NULL,
      ngx_http_consent_decision_variable, 2,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("consent_key"), NULL,
      ngx_http_consent_key_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("consent_version"), NULL,
      ngx_http_consent_version_variable, 0, 0, 0 },

      ngx_http_null_variable
};


/* ---- the decision ---- */

/* The site table for this request in the given rules, or -1. */
int32_t
ngx_http_consent_resolve_site(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_gen_t *gen)
{
    int32_t                     site;
    ngx_str_t                   name;
    ngx_uint_t                  level;
    ngx_http_variable_value_t  *vv;

    if (lcf->site_variable == NGX_CONF_UNSET) {
        name = lcf->site_name;

    } else {
        vv = ngx_http_get_indexed_variable(r, lcf->site_variable);
        if (vv == NULL || vv->not_found || vv->len == 0) {
            return -1;
        }
        name.data = vv->data;
        name.len = vv->len;
    }

    if (name.len == 0) {
        return -1;
    }

    site = cs_rules_site_find(gen->rules, (const char *) name.data,
                              name.len);
    if (site < 0) {
        /* a literal one was there at startup: the new rules dropped it */
        level = (lcf->site_variable == NGX_CONF_UNSET) ? NGX_LOG_ERR
                                                       : NGX_LOG_INFO;
        ngx_log_error(level, r->connection->log, 0,
                      "consent: site \"%V\" is not in rules generation %V; "
                      "every recipient is removed", &name, &gen->id);
    }

    return site;
}


/*
 * Reads every occurrence of one consent source's cookie into "allowed".
 * Several occurrences (set for different paths or domains) grant only what
 * all of them grant. Returns how many occurrences there were (0: absent), or
 * NGX_ERROR when one is malformed: the source then contributes nothing.
 */
static ngx_int_t
ngx_http_consent_parse_cookie(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_source_t *src,
    cs_rules_t *rules, uint32_t site, u_char *value, size_t len,
    uint64_t *one)
{
    cs_cmp_consent_t  *c;

    if (src->format == CS_CMP_LIST) {
        return cs_consent_parse_list(rules, site, (const char *) value, len,
                                     one) < 0 ? NGX_ERROR : NGX_OK;
    }

    c = ngx_palloc(r->pool, sizeof(cs_cmp_consent_t));
    if (c == NULL) {
        return NGX_ERROR;
    }

    if (cs_cmp_parse(src->format, (const char *) value, len, c) != 0) {
        return NGX_ERROR;
    }

    (void) cs_consent_apply_cmp(rules, site, src->format, c,
                                lcf->maps ? lcf->maps->elts : NULL,
                                lcf->maps ? lcf->maps->nelts : 0, one);
    ngx_pfree(r->pool, c);

    return NGX_OK;
}


static ngx_int_t
ngx_http_consent_read_source(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_source_t *src,
    cs_rules_t *rules, uint32_t site, uint64_t *allowed, uint64_t *one,
    size_t words)
{
    u_char           *p, *end, *name, *value;
    size_t            name_len, value_len, i;
    ngx_int_t         found;
    ngx_table_elt_t  *h;
#if (nginx_version < 1023000)
    ngx_uint_t        n;
    ngx_table_elt_t **hh;
#endif

    found = 0;

#if (nginx_version >= 1023000)
    for (h = r->headers_in.cookie; h; h = h->next) {
#else
    hh = r->headers_in.cookies.elts;
    for (n = 0; n < r->headers_in.cookies.nelts; n++) {
        h = hh[n];
#endif
        p = h->value.data;
        end = p + h->value.len;

        while (p < end) {
            while (p < end && (*p == ' ' || *p == ';' || *p == '\t')) {
                p++;
            }
            name = p;
            while (p < end && *p != '=' && *p != ';') {
                p++;
            }
            name_len = p - name;
            while (name_len && name[name_len - 1] == ' ') {
                name_len--;
            }
            if (p == end || *p != '=') {
                continue;
            }
            value = ++p;
            while (p < end && *p != ';') {
                p++;
            }
            value_len = p - value;
            while (value_len && value[value_len - 1] == ' ') {
                value_len--;
            }

            if (name_len != src->cookie.len
                || ngx_strncmp(name, src->cookie.data, name_len) != 0)
            {
                continue;
            }

            ngx_memzero(one, words * sizeof(uint64_t));
            if (ngx_http_consent_parse_cookie(r, lcf, src, rules, site,
                                              value, value_len, one)
                != NGX_OK)
            {
                /* the reason, never the value: cookies are personal data */
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "consent: cookie \"%V\" is malformed "
                              "(not a valid %s value); it grants nothing",
                              &src->cookie, cs_cmp_format_name(src->format));
                return NGX_ERROR;
            }

            for (i = 0; i < words; i++) {
                allowed[i] = found ? (allowed[i] & one[i]) : one[i];
            }
            found++;
        }
    }

    return found;
}


/* The request's Global Privacy Control signal: "Sec-GPC: 1" exactly. */
static ngx_uint_t
ngx_http_consent_gpc_signal(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }
            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == 7
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Sec-GPC", 7) == 0)
        {
            return h[i].value.len == 1 && h[i].value.data[0] == '1';
        }
    }
}


/*
 * Decides what this request allows. The consent_cookie sources are tried in
 * the order configured: the first one present that parses decides. Then
 * Global Privacy Control withdraws every recipient of a sale/sharing
 * category (rules: gpc_categories). Only
 * recipients the site declares can be allowed.
 */
static ngx_int_t
ngx_http_consent_decide(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, cs_rules_t *rules, int32_t site,
    ngx_http_consent_ctx_t *ctx, size_t words)
{
    uint64_t                   *one;
    ngx_int_t                   rc;
    ngx_uint_t                  k;
    ngx_http_consent_source_t  *src;

    ctx->source = "none";

    if (site < 0) {
        return NGX_OK;
    }

    one = ngx_pcalloc(r->pool, words * sizeof(uint64_t));
    if (one == NULL) {
        return NGX_ERROR;
    }

    src = lcf->sources->elts;
    for (k = 0; k < lcf->sources->nelts; k++) {
        ngx_memzero(ctx->allowed, words * sizeof(uint64_t));
        rc = ngx_http_consent_read_source(r, lcf, &src[k], rules,
                                          (uint32_t) site, ctx->allowed, one,
                                          words);
        if (rc > 0) {
            ctx->source = cs_cmp_format_name(src[k].format);
            break;
        }
        ngx_memzero(ctx->allowed, words * sizeof(uint64_t));
    }

    if (lcf->gpc && ngx_http_consent_gpc_signal(r)
        && cs_consent_apply_gpc(rules, (uint32_t) site, ctx->allowed))
    {
        ctx->source = "gpc";
    }

    return NGX_OK;
}


/*
 * The request's consent decision: its rule generation (referenced until the
 * request ends), site and allowed recipients. Made once, by the header
 * filter or by an earlier $consent_key / $consent_allowed lookup.
 */
ngx_http_consent_ctx_t *
ngx_http_consent_request_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_consent_ctx_t        *ctx;
    ngx_http_consent_gen_t        *gen;
    ngx_http_consent_loc_conf_t   *lcf;
    ngx_http_consent_main_conf_t  *mcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_consent_filter_module);
    if (ctx) {
        return ctx;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_consent_filter_module);
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_consent_filter_module);

    if (mcf->gen == NULL) {
        return NULL;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_consent_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx == NULL || cln == NULL) {
        return NULL;
    }

    gen = ngx_http_consent_gen_current(mcf, r->connection->log);
    gen->refs++;
    cln->handler = ngx_http_consent_gen_release;
    cln->data = gen;

    ctx->gen = gen;
    ctx->request = r;
    ctx->last_out = &ctx->out;
    ctx->words = cs_bitset_words(cs_rules_recipient_count(gen->rules));
    if (ctx->words == 0) {
        ctx->words = 1;
    }

    ctx->allowed = ngx_pcalloc(r->pool, ctx->words * sizeof(uint64_t));
    if (ctx->allowed == NULL) {
        return NULL;
    }

    ctx->site = ngx_http_consent_resolve_site(r, lcf, gen);
    if (ctx->site >= 0) {
        ctx->site_id.data = (u_char *) cs_rules_site_id(gen->rules,
                                                        (uint32_t) ctx->site);
        ctx->site_id.len = ngx_strlen(ctx->site_id.data);
    }

    if (ngx_http_consent_decide(r, lcf, gen->rules, ctx->site, ctx,
                                ctx->words)
        != NGX_OK)
    {
        return NULL;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_consent_filter_module);

    return ctx;
}


/* ---- variables ---- */

/*
 * The decision variables read: the response's, or, in a location with
 * consent_site, one made now (so $consent_key works in proxy_cache_key
 * before any response exists).
 */
static ngx_http_consent_ctx_t *
ngx_http_consent_variable_ctx(ngx_http_request_t *r)
{
    ngx_http_consent_ctx_t       *ctx;
    ngx_http_consent_loc_conf_t  *lcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_consent_filter_module);
    if (ctx) {
        return ctx;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_consent_filter_module);
    if (lcf->site_name.data == NULL
        && lcf->site_variable == NGX_CONF_UNSET)
    {
        return NULL;
    }

    return ngx_http_consent_request_ctx(r);
}


/* Next recipient index >= from in set, or n. */
static uint32_t
ngx_http_consent_next_bit(const uint64_t *set, uint32_t from, uint32_t n)
{
    uint64_t  w;

    while (from < n) {
        w = set[from / 64] >> (from % 64);
        if (w) {
            from += __builtin_ctzll(w);
            return from < n ? from : n;
        }
        from = (from / 64 + 1) * 64;
    }

    return n;
}


static void
ngx_http_consent_variable_set(ngx_http_variable_value_t *v, u_char *data,
    size_t len)
{
    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
}


/*
 * $consent_blocked (recipients the gate removed) and $consent_allowed:
 * comma-separated ids, in id order.
 */
static ngx_int_t
ngx_http_consent_recipients_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                  *p;
    size_t                   len;
    uint32_t                 i, n;
    uint64_t                *set;
    cs_rules_t              *rules;
    const char              *id;
    ngx_http_consent_ctx_t  *ctx;

    /* only a gated response has a blocked set: never decide just for it */
    ctx = (data == offsetof(ngx_http_consent_ctx_t, blocked))
          ? ngx_http_get_module_ctx(r, ngx_http_consent_filter_module)
          : ngx_http_consent_variable_ctx(r);
    set = ctx ? *(uint64_t **) ((char *) ctx + data) : NULL;

    if (set == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    rules = ctx->gen->rules;
    n = cs_rules_recipient_count(rules);

    len = 0;
    for (i = ngx_http_consent_next_bit(set, 0, n); i < n;
         i = ngx_http_consent_next_bit(set, i + 1, n))
    {
        len += ngx_strlen(cs_rules_recipient(rules, i)->id) + 1;
    }

    p = ngx_pnalloc(r->pool, len ? len : 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_consent_variable_set(v, p, 0);

    for (i = ngx_http_consent_next_bit(set, 0, n); i < n;
         i = ngx_http_consent_next_bit(set, i + 1, n))
    {
        id = cs_rules_recipient(rules, i)->id;
        if (p != v->data) {
            *p++ = ',';
        }
        p = ngx_cpymem(p, id, ngx_strlen(id));
    }

    v->len = p - v->data;

    return NGX_OK;
}


/*
 * $consent_key: 16 hex digits of a 64-bit FNV-1a hash of the allowed ids as
 * $consent_allowed spells them. It depends only on the allowed set, not on
 * recipient numbering, so it stays stable across rule generations and nodes.
 */
static ngx_int_t
ngx_http_consent_key_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                  *p;
    uint32_t                 i, n;
    uint64_t                 hash;
    cs_rules_t              *rules;
    const char              *id;
    ngx_http_consent_ctx_t  *ctx;

    ctx = ngx_http_consent_variable_ctx(r);
    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    rules = ctx->gen->rules;
    n = cs_rules_recipient_count(rules);
    hash = CS_FNV1A_INIT;

    for (i = ngx_http_consent_next_bit(ctx->allowed, 0, n); i < n;
         i = ngx_http_consent_next_bit(ctx->allowed, i + 1, n))
    {
        id = cs_rules_recipient(rules, i)->id;
        hash = cs_fnv1a(hash, id, ngx_strlen(id));
        hash = cs_fnv1a(hash, ",", 1);
    }

    p = ngx_pnalloc(r->pool, 16);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_consent_variable_set(v, p, ngx_sprintf(p, "%016xL", hash) - p);

    return NGX_OK;
}


/*
 * $consent_source (data 0: what decided, "none", a cookie format or "gpc")
 * and $consent_generation (data 1: the id of the rules that decided)
 */
static ngx_int_t
ngx_http_consent_decision_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_consent_ctx_t  *ctx;

    ctx = ngx_http_consent_variable_ctx(r);
    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data == 2) {
        /* the policy sent, if any: none when consent_csp is off */
        if (ctx->csp.len == 0) {
            v->not_found = 1;
            return NGX_OK;
        }
        ngx_http_consent_variable_set(v, ctx->csp.data, ctx->csp.len);

    } else if (data) {
        ngx_http_consent_variable_set(v, ctx->gen->id.data, ctx->gen->id.len);
    } else {
        ngx_http_consent_variable_set(v, (u_char *) ctx->source,
                                      ngx_strlen(ctx->source));
    }

    return NGX_OK;
}


/* $consent_version: the version of the loaded module (CS_VERSION, ./config) */
static ngx_int_t
ngx_http_consent_version_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_consent_variable_set(v, (u_char *) CS_VERSION,
                                  sizeof(CS_VERSION) - 1);
    return NGX_OK;
}


/* ---- registration ---- */

ngx_int_t
ngx_http_consent_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_consent_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}
