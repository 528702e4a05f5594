/*
 * Counters of the consent gate, kept in the shared memory zone of
 * "consent_zone" and served by "consent_status" (ngx_http_consent_status_module).
 *
 * The filter module calls these; each is a no-op when no consent_zone is
 * configured. Label values are bounded: a site id or recipient id of more
 * than NGX_HTTP_CONSENT_STATUS_ID_MAX bytes, or a host of more than
 * NGX_HTTP_CONSENT_STATUS_HOST_MAX bytes, is not counted under its own
 * series (hosts go to the overflow counter, the rest to the dropped one).
 */

#ifndef NGX_HTTP_CONSENT_STATUS_H
#define NGX_HTTP_CONSENT_STATUS_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_HTTP_CONSENT_STATUS_ID_MAX          64
#define NGX_HTTP_CONSENT_STATUS_HOST_MAX        253
#define NGX_HTTP_CONSENT_STATUS_GENERATION_MAX  128

/* what the gate did to an element */
#define NGX_HTTP_CONSENT_STATUS_REMOVED         0
#define NGX_HTTP_CONSENT_STATUS_NEUTRALIZED     1


/* Whether a consent_zone counts: the gate's hooks are set only then. */
ngx_uint_t ngx_http_consent_status_enabled(ngx_http_request_t *r);

/*
 * One gated response read to its end: counts it for the site, adds the
 * bytes the gate removed, the elements over consent_max_element_size that
 * were removed whole or passed through, and the attributions the worker's
 * memo answered or missed.
 */
void ngx_http_consent_status_response(ngx_http_request_t *r, ngx_str_t *site,
    uint64_t bytes_removed, uint64_t oversize_removed,
    uint64_t oversize_passed, uint64_t memo_hits, uint64_t memo_misses);

/*
 * One element removed or neutralized (NGX_HTTP_CONSENT_STATUS_*) because of
 * this recipient; recipient NULL: because of an unknown host.
 */
void ngx_http_consent_status_element(ngx_http_request_t *r, ngx_str_t *site,
    ngx_str_t *recipient, ngx_uint_t done);

/*
 * One response the gate could not read: coding is a fixed label (gzip,
 * deflate, br, zstd, compress, stacked, other), action what
 * consent_undecodable did (0 strip_all, 1 pass, 2 error: the values of
 * NGX_HTTP_CONSENT_UNDECODABLE_*).
 */
void ngx_http_consent_status_undecodable(ngx_http_request_t *r,
    ngx_str_t *site, ngx_str_t *coding, ngx_uint_t action);

/* One URL attribute naming a host that matches no recipient. */
void ngx_http_consent_status_unknown_host(ngx_http_request_t *r,
    ngx_str_t *site, ngx_str_t *host);

/*
 * One CSP violation report: the recipient label of its blocked URL (an id,
 * "unknown", "first-party" or "other"), cs_csp_directive_index() and
 * CS_CSP_MODE_*.
 */
void ngx_http_consent_status_csp_violation(ngx_http_request_t *r,
    ngx_str_t *site, ngx_str_t *recipient, ngx_uint_t directive,
    ngx_uint_t mode);

/*
 * The rules of the configuration being read loaded: generation (may be
 * empty; longer than NGX_HTTP_CONSENT_STATUS_GENERATION_MAX is cut) and
 * now. Shown once the new configuration runs.
 */
void ngx_http_consent_status_rules_loaded(ngx_conf_t *cf,
    ngx_str_t *generation);

/*
 * The rules of the configuration being read failed to load. Counted in the
 * zone of the configuration still running (a reload that fails), if any.
 */
void ngx_http_consent_status_rules_failed(ngx_conf_t *cf);

/*
 * In a worker: a changed consent_rules file was loaded as a new generation
 * (hot update), or could not be loaded (the last good generation stays).
 * Both are shown in the zone of the running configuration.
 */
void ngx_http_consent_status_generation(ngx_str_t *generation, time_t loaded);
void ngx_http_consent_status_load_failed(void);


#endif /* NGX_HTTP_CONSENT_STATUS_H */
