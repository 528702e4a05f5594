/*
 * Response headers the consent module sets: those of a gated response
 * (its body changes and depends on the request's consent) and the helper
 * content handlers use for theirs.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_consent.h"


static ngx_str_t  ngx_http_consent_vary = ngx_string("Cookie");
static ngx_str_t  ngx_http_consent_vary_gpc = ngx_string("Cookie, Sec-GPC");


/* A response header; the caller may keep the element (e.g. as etag). */
ngx_table_elt_t *
ngx_http_consent_add_header(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key = *key;
    h->value = *value;

    return h;
}


/*
 * The main response's headers once the gate will change its body. A header
 * the gate's decision adds to every gated response belongs here.
 */
ngx_int_t
ngx_http_consent_gated_headers(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf)
{
    ngx_str_t  vary = ngx_string("Vary");

    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_weak_etag(r);

    /* shared caches must never mix consent states */
    if (ngx_http_consent_add_header(r, &vary,
                                    lcf->gpc ? &ngx_http_consent_vary_gpc
                                             : &ngx_http_consent_vary)
        == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}
