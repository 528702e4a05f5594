/*
 * What the files of the consent filter module share (internal, not an API):
 *
 *   ngx_http_consent_filter_module.c  the two modules, the header and body
 *                                     filters, the gate's hooks
 *   ngx_http_consent_conf.c           directives, create/merge of the
 *                                     configuration
 *   ngx_http_consent_generation.c     rule generations and their hot reload
 *   ngx_http_consent_request.c        the request's consent decision and the
 *                                     $consent_* variables
 *   ngx_http_consent_headers.c        response headers the module sets
 *   ngx_http_consent_disclosure.c     the consent_disclosure content handler
 *   ngx_http_consent_decode.c         Content-Encoding: which codings the
 *                                     gate can read, the gzip/deflate
 *                                     decoder
 *   ngx_http_consent_csp.c            the policy headers of gated responses
 *                                     (CSP, Permissions-Policy), the
 *                                     decision script, and the
 *                                     consent_csp_report content handler
 *
 * A new directive: its entry, handler and merge in the conf file, its field
 * below. A new response header of gated responses: the headers file. A new
 * content handler: a file of its own, like the disclosure's, set by its
 * directive. All HTML work happens in the pure-C core (core/, gate/).
 */

#ifndef NGX_HTTP_CONSENT_H
#define NGX_HTTP_CONSENT_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "cs_gate.h"
#include "cs_csp.h"


/*
 * One rule generation: the rules as loaded from one version of the
 * consent_rules file. A response holds a reference for its whole life, so it
 * is gated by one generation even when the file changes meanwhile.
 */
typedef struct {
    cs_rules_t                *rules;
    ngx_uint_t                 refs;
    ngx_str_t                  id;             /* $consent_generation */
    u_char                     id_data[24];
    time_t                     loaded;
    uint64_t                  *unknown_seen;   /* hashes of hosts logged */
    cs_gate_memo_t            *memo;           /* this worker's, made on
                                                  its first response */
    unsigned                   memo_failed:1;  /* said so once */
    ngx_uint_t                 unknown_count;
    unsigned                   versioned:1;    /* id from the file */
    unsigned                   unknown_full:1; /* said so once */
} ngx_http_consent_gen_t;


/* What identifies a version of the rules file without reading it. */
typedef struct {
    ngx_file_uniq_t            uniq;
    off_t                      size;
    time_t                     mtime_sec;
    long                       mtime_nsec;
} ngx_http_consent_file_id_t;


typedef struct {
    ngx_str_t                  path;
    ngx_http_consent_gen_t    *gen;            /* the current generation */
    ngx_http_consent_file_id_t file;           /* what gen was loaded from */
    ngx_http_consent_file_id_t failed;         /* last version that failed */
    ngx_uint_t                 stat_failed;    /* logged the stat error */
} ngx_http_consent_main_conf_t;


typedef struct {
    ngx_flag_t                 enable;
    ngx_uint_t                 action;
    ngx_str_t                  site_name;      /* literal consent_site */
    ngx_str_t                  site_file;      /* where it was set */
    ngx_uint_t                 site_line;
    ngx_int_t                  site_variable;  /* variable index, or -1 */
    ngx_array_t               *sources;        /* consent_cookie, in order */
    ngx_array_t               *maps;           /* cs_consent_map_t */
    ngx_flag_t                 gpc;
    ngx_flag_t                 consent_mode;
    ngx_uint_t                 unknown;        /* consent_unknown */
    ngx_array_t               *first_party;    /* ngx_str_t host suffixes */
    size_t                     max_element_size;
    ngx_uint_t                 undecodable;    /* consent_undecodable */
    size_t                     max_decoded_size;
    ngx_hash_t                 types;
    ngx_array_t               *types_keys;
    ngx_uint_t                 csp;            /* consent_csp */
    ngx_array_t               *csp_allow;      /* cs_csp_str_t */
    size_t                     csp_max_size;
    ngx_str_t                  csp_report_uri; /* len 0: none */
    ngx_flag_t                 csp_report_to;  /* also report-to */
    cs_csp_conf_t              csp_conf;       /* built at merge */
    ngx_str_t                  csp_header;     /* its header name */
    ngx_str_t                  reporting_endpoints; /* header value */
    ngx_flag_t                 permissions_policy;
    ngx_array_t               *ad_api_recipients; /* ngx_str_t ids */
    ngx_flag_t                 expose;         /* consent_expose */
} ngx_http_consent_loc_conf_t;


typedef struct ngx_http_consent_decoder_s  ngx_http_consent_decoder_t;
#define NGX_HTTP_CONSENT_CSP_OFF      0
#define NGX_HTTP_CONSENT_CSP_REPORT   1
#define NGX_HTTP_CONSENT_CSP_ENFORCE  2


/* One consent_cookie: a cookie name and the format of its value. */
typedef struct {
    ngx_str_t                  cookie;
    ngx_uint_t                 format;
} ngx_http_consent_source_t;


/*
 * A request's consent state: the decision (request.c) and, once the header
 * filter gates the response, the gate and its output chains (filter).
 */
typedef struct {
    ngx_http_consent_gen_t    *gen;            /* the rules deciding it */
    int32_t                    site;           /* -1: unknown site */
    size_t                     words;          /* of each recipient set */
    cs_gate_t                 *gate;           /* NULL: not gated */
    const char                *source;         /* what decided: $consent_source */
    uint64_t                  *allowed;
    uint64_t                  *blocked;
    ngx_http_request_t        *request;
    ngx_str_t                  site_id;        /* counters' label; len 0:
                                                  no site */
    ngx_buf_t                 *input;          /* buffer being fed */
    ngx_buf_t                 *last_ref;       /* output buf to extend */
    ngx_buf_t                 *last_input;     /* last output buf into input */
    ngx_chain_t               *out;
    ngx_chain_t              **last_out;
    ngx_chain_t               *busy;
    ngx_chain_t               *free;
    ngx_str_t                  csp;            /* policy sent: $consent_csp */
    off_t                      body_left;      /* body bytes still to come
                                                  by Content-Length; -1:
                                                  unknown */
    ngx_http_consent_decoder_t *decoder;       /* NULL: identity body */
    ngx_str_t                  coding;         /* its label in counters */
    unsigned                   finished:1;
    unsigned                   discard:1;      /* consent_undecodable
                                                  strip_all: no body */
    unsigned                   passing:1;      /* in the next body filter */
} ngx_http_consent_ctx_t;


#define NGX_HTTP_CONSENT_STRIP       CS_ACTION_STRIP
#define NGX_HTTP_CONSENT_NEUTRALIZE  CS_ACTION_NEUTRALIZE

#define NGX_HTTP_CONSENT_UNKNOWN_PASS   0
#define NGX_HTTP_CONSENT_UNKNOWN_LOG    1
#define NGX_HTTP_CONSENT_UNKNOWN_STRIP  2

/* consent_undecodable; also the action label's index in the counters */
#define NGX_HTTP_CONSENT_UNDECODABLE_STRIP_ALL  0
#define NGX_HTTP_CONSENT_UNDECODABLE_PASS       1
#define NGX_HTTP_CONSENT_UNDECODABLE_ERROR      2

/* a response's Content-Encoding as the gate sees it */
#define NGX_HTTP_CONSENT_CODING_IDENTITY     0
#define NGX_HTTP_CONSENT_CODING_GZIP         1
#define NGX_HTTP_CONSENT_CODING_DEFLATE      2
#define NGX_HTTP_CONSENT_CODING_UNDECODABLE  3


extern ngx_module_t  ngx_http_consent_filter_module;


/* ngx_http_consent_filter_module.c */

/* A cs_allocator_t that allocates from the pool (core objects, renderers). */
void ngx_http_consent_pool_allocator(cs_allocator_t *allocator,
    ngx_pool_t *pool);

/*
 * A first-party host: the request's own host or one under it, or under a
 * consent_first_party suffix. host is lowercase.
 */
ngx_uint_t ngx_http_consent_first_party_host(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, const char *host, size_t len);


/* ngx_http_consent_conf.c */

extern ngx_command_t  ngx_http_consent_commands[];

void *ngx_http_consent_create_main_conf(ngx_conf_t *cf);
void *ngx_http_consent_create_loc_conf(ngx_conf_t *cf);
char *ngx_http_consent_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);


/* ngx_http_consent_generation.c */

/*
 * consent_rules: loads mcf->path as the first generation, held by the
 * configuration until its pool goes. Logs why it failed.
 */
ngx_int_t ngx_http_consent_gen_load_first(ngx_conf_t *cf,
    ngx_http_consent_main_conf_t *mcf);

/*
 * The generation that decides a new response, after a hot reload of the
 * rules file if it changed. The caller takes a reference (refs++) to keep
 * it beyond the current call.
 */
ngx_http_consent_gen_t *ngx_http_consent_gen_current(
    ngx_http_consent_main_conf_t *mcf, ngx_log_t *log);

/* Drops one reference (a pool cleanup handler); the last one frees it. */
void ngx_http_consent_gen_release(void *data);

/*
 * True the first time this worker sees the unknown host under this
 * generation (the bounded table of hosts logged).
 */
ngx_uint_t ngx_http_consent_gen_first_sighting(ngx_http_consent_gen_t *gen,
    const char *host, size_t len, ngx_log_t *log);

/*
 * The gate's memo for this generation in this worker, made on first use
 * (NULL when it cannot be: the gate then works everything out); freed with
 * the generation, or by ngx_http_consent_gen_memo_free() at the worker's
 * exit.
 */
cs_gate_memo_t *ngx_http_consent_gen_memo(ngx_http_consent_gen_t *gen,
    ngx_log_t *log);
void ngx_http_consent_gen_memo_free(ngx_http_consent_gen_t *gen);


/* ngx_http_consent_request.c */

/* preconfiguration: the $consent_* variables */
ngx_int_t ngx_http_consent_add_variables(ngx_conf_t *cf);

/* The request's consent decision, made once; NULL on error or no rules. */
ngx_http_consent_ctx_t *ngx_http_consent_request_ctx(ngx_http_request_t *r);

/* The site table for this request in the given rules, or -1. */
int32_t ngx_http_consent_resolve_site(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_gen_t *gen);


/* ngx_http_consent_headers.c */

/* A response header; the caller may keep the element (e.g. as etag). */
ngx_table_elt_t *ngx_http_consent_add_header(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *value);

/*
 * The main response's headers once the gate will change its body: no
 * length, no ranges, a weak ETag, and Vary on what the decision reads.
 */
ngx_int_t ngx_http_consent_gated_headers(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf);


/* A handler for each response header of a name; may change or drop it. */
typedef void (*ngx_http_consent_header_pt)(ngx_table_elt_t *h, void *data);

void ngx_http_consent_each_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_http_consent_header_pt handler, void *data);

/* A handler for ngx_http_consent_each_header: the header is not sent. */
void ngx_http_consent_drop_header(ngx_table_elt_t *h, void *data);

/*
 * A body the gate will not read whole (consent_undecodable strip_all): no
 * body at all, and no header that describes the one replaced.
 */
ngx_int_t ngx_http_consent_emptied_headers(ngx_http_request_t *r);


/* ngx_http_consent_decode.c */

/*
 * The response's coding (NGX_HTTP_CONSENT_CODING_*) by every
 * Content-Encoding header, "identity" ignored; label: the coding's name in
 * the counters ("stacked" for more than one, "other" for unknown ones).
 */
ngx_uint_t ngx_http_consent_response_coding(ngx_http_request_t *r,
    ngx_str_t *label);

/* Drops every Content-Encoding header of the response. */
void ngx_http_consent_clear_content_encoding(ngx_http_request_t *r);

/* A decoder of a gzip or deflate body, memory from the request's pool. */
ngx_http_consent_decoder_t *ngx_http_consent_decoder_create(
    ngx_http_request_t *r, ngx_uint_t coding, off_t max_decoded);

/* Queues encoded input; once the decoder is done or failed it is dropped. */
ngx_int_t ngx_http_consent_decoder_add(ngx_http_consent_decoder_t *dec,
    ngx_chain_t *in);

/*
 * The next buffer of decoded bytes, possibly empty but carrying flush or
 * the body's end (last_buf/last_in_chain). NGX_AGAIN: no input, or every
 * output buffer still in use (a buffer is free again once pos == last).
 * NGX_DONE: the body is complete or was refused. NGX_DECLINED: refused now
 * (corrupt, truncated, over the size bound), see _failure().
 */
ngx_int_t ngx_http_consent_decoder_next(ngx_http_consent_decoder_t *dec,
    ngx_buf_t **out);

const char *ngx_http_consent_decoder_failure(ngx_http_consent_decoder_t *dec);
off_t ngx_http_consent_decoder_decoded(ngx_http_consent_decoder_t *dec);
/* ngx_http_consent_csp.c */

/*
 * merge: the location's policy configuration (first-party suffixes, sources,
 * report URI) checked against consent_csp_max_size, and the ad-API
 * recipients against the rules.
 */
char *ngx_http_consent_csp_merge(ngx_conf_t *cf,
    ngx_http_consent_loc_conf_t *conf, cs_rules_t *rules);

/*
 * The main response's policy headers (CSP, Reporting-Endpoints,
 * Permissions-Policy) for this request's decision.
 */
ngx_int_t ngx_http_consent_csp_headers(ngx_http_request_t *r,
    ngx_http_consent_loc_conf_t *lcf, ngx_http_consent_ctx_t *ctx);

/* consent_expose: the decision script to inject after <head>; len 0: none */
ngx_int_t ngx_http_consent_decision_block(ngx_http_request_t *r,
    ngx_http_consent_ctx_t *ctx, ngx_str_t *block);

/*
 * Frees the worker's cache of built policies, at its exit: nginx unloads the
 * module after that, which would leave the cached blocks unreachable.
 */
void ngx_http_consent_csp_cache_free(void);

/* the content handler of a consent_csp_report location */
ngx_int_t ngx_http_consent_csp_report_handler(ngx_http_request_t *r);


/* ngx_http_consent_disclosure.c */

/* the content handler of a consent_disclosure location */
ngx_int_t ngx_http_consent_disclosure_handler(ngx_http_request_t *r);


#endif /* NGX_HTTP_CONSENT_H */
