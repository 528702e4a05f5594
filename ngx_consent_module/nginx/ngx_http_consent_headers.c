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


/*
 * Calls handler on every live response header of this name (a repeated
 * header, one added by add_header, or the one a headers_out field points
 * at).
 */
void
ngx_http_consent_each_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_http_consent_header_pt handler, void *data)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash != 0
            && h[i].key.len == name->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
        {
            handler(&h[i], data);
        }
    }
}


/* A handler for ngx_http_consent_each_header: the header is not sent. */
void
ngx_http_consent_drop_header(ngx_table_elt_t *h, void *data)
{
    h->hash = 0;
}


/*
 * consent_undecodable strip_all: the body is replaced by nothing, so the
 * headers say so (Content-Length: 0, no coding) and nothing that describes
 * the page replaced stays: no validators or ranges, and no-store so no
 * cache keeps the empty stand-in as the page.
 */
ngx_int_t
ngx_http_consent_emptied_headers(ngx_http_request_t *r)
{
    ngx_str_t  cache_control = ngx_string("Cache-Control");
    ngx_str_t  no_store = ngx_string("no-store");

    ngx_http_consent_clear_content_encoding(r);
    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    r->headers_out.content_length_n = 0;

    ngx_http_consent_each_header(r, &cache_control,
                                 ngx_http_consent_drop_header, NULL);
#if (nginx_version >= 1023000)
    r->headers_out.cache_control = NULL;
#else
    r->headers_out.cache_control.nelts = 0;
#endif

    if (ngx_http_consent_add_header(r, &cache_control, &no_store) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}
