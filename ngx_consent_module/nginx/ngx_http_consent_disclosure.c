/*
 * consent_disclosure: a location's content handler serving the site's
 * external-transmission disclosure (who receives what, and why), rendered by
 * the core (cs_disclosure.h) from the rule generation in use.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "cs_disclosure.h"
#include "ngx_http_consent.h"


/* the most a disclosure page may take */
#define NGX_HTTP_CONSENT_DISCLOSURE_MAX  (4 * 1024 * 1024)


/*
 * ?lang=ja|en (ja by default) and ?format=html|md|json (html by default);
 * sets the Content-Type the format has. NGX_HTTP_BAD_REQUEST for other
 * values.
 */
static ngx_int_t
ngx_http_consent_disclosure_args(ngx_http_request_t *r,
    cs_disclosure_lang_t *lang, cs_disclosure_format_t *format)
{
    ngx_str_t  arg;

    *lang = CS_DISCLOSURE_JA;
    if (ngx_http_arg(r, (u_char *) "lang", 4, &arg) == NGX_OK) {
        if (arg.len == 2 && ngx_strncmp(arg.data, "en", 2) == 0) {
            *lang = CS_DISCLOSURE_EN;

        } else if (!(arg.len == 2 && ngx_strncmp(arg.data, "ja", 2) == 0)) {
            return NGX_HTTP_BAD_REQUEST;
        }
    }

    *format = CS_DISCLOSURE_HTML;
    ngx_str_set(&r->headers_out.content_type, "text/html; charset=utf-8");
    if (ngx_http_arg(r, (u_char *) "format", 6, &arg) == NGX_OK) {
        if (arg.len == 2 && ngx_strncmp(arg.data, "md", 2) == 0) {
            *format = CS_DISCLOSURE_MD;
            ngx_str_set(&r->headers_out.content_type,
                        "text/markdown; charset=utf-8");

        } else if (arg.len == 4 && ngx_strncmp(arg.data, "json", 4) == 0) {
            *format = CS_DISCLOSURE_JSON;
            ngx_str_set(&r->headers_out.content_type, "application/json");

        } else if (!(arg.len == 4 && ngx_strncmp(arg.data, "html", 4) == 0)) {
            return NGX_HTTP_BAD_REQUEST;
        }
    }
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    return NGX_OK;
}


/*
 * The location's site's external-transmission disclosure, rendered from the
 * rule generation in use at this moment, so the published table and the
 * gate never disagree. ?lang=ja|en, ?format=html|md|json.
 */
ngx_int_t
ngx_http_consent_disclosure_handler(ngx_http_request_t *r)
{
    int32_t                        site;
    ngx_int_t                      rc;
    ngx_str_t                      value;
    ngx_str_t                      etag_key = ngx_string("ETag");
    ngx_buf_t                     *b;
    cs_obuf_t                      out;
    ngx_chain_t                    cl;
    cs_allocator_t                 allocator;
    cs_disclosure_lang_t           lang;
    cs_disclosure_format_t         format;
    ngx_http_consent_gen_t        *gen;
    ngx_http_consent_loc_conf_t   *lcf;
    ngx_http_consent_main_conf_t  *mcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_consent_disclosure_args(r, &lang, &format);
    if (rc != NGX_OK) {
        return rc;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_consent_filter_module);
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_consent_filter_module);

    /* rendering is synchronous: the generation cannot go away meanwhile */
    gen = ngx_http_consent_gen_current(mcf, r->connection->log);

    site = ngx_http_consent_resolve_site(r, lcf, gen);
    if (site < 0) {
        return NGX_HTTP_NOT_FOUND;
    }

    ngx_http_consent_pool_allocator(&allocator, r->pool);

    ngx_memzero(&out, sizeof(cs_obuf_t));
    out.allocator = &allocator;
    out.max = NGX_HTTP_CONSENT_DISCLOSURE_MAX;

    if (cs_disclosure_render(gen->rules, (uint32_t) site, lang, format, &out)
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "consent_disclosure: the table of site \"%s\" could "
                      "not be rendered (out of memory or over %uz bytes)",
                      cs_rules_site_id(gen->rules, (uint32_t) site),
                      (size_t) NGX_HTTP_CONSENT_DISCLOSURE_MAX);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the same rules, language and format give the same bytes */
    value.data = ngx_pnalloc(r->pool, gen->id.len + 16);
    if (value.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    value.len = ngx_sprintf(value.data, "\"%V-%d-%d\"", &gen->id, (int) lang,
                            (int) format)
                - value.data;

    r->headers_out.etag = ngx_http_consent_add_header(r, &etag_key, &value);
    if (r->headers_out.etag == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = out.len;

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = (u_char *) out.data;
    b->last = b->pos + out.len;
    b->memory = 1;
    b->last_buf = (r == r->main);
    b->last_in_chain = 1;

    cl.buf = b;
    cl.next = NULL;

    return ngx_http_output_filter(r, &cl);
}
