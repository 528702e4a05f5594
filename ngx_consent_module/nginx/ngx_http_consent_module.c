/*
 * nginx glue for the consent gate: directives, the header and body filters,
 * and $consent_blocked. All HTML work happens in the pure-C core (cs_*.c).
 *
 * Two modules live here: the filter itself, ordered after gunzip and before
 * addition/sub/gzip, and a header-only hook ordered before gunzip that makes
 * gunzip decompress gated responses even for clients that accept gzip (the
 * gzip filter re-compresses them after the gate).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "cs_gate.h"
#include "cs_disclosure.h"
#include "ngx_http_consent_status.h"


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
    ngx_hash_t                 types;
    ngx_array_t               *types_keys;
} ngx_http_consent_loc_conf_t;


typedef struct {
    ngx_str_t                  cookie;
    ngx_uint_t                 format;
} ngx_http_consent_source_t;


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
    off_t                      body_left;      /* body bytes still to come
                                                  by Content-Length; -1:
                                                  unknown */
    unsigned                   finished:1;
    unsigned                   passing:1;      /* in the next body filter */
} ngx_http_consent_ctx_t;


typedef struct {
    unsigned                   forced_gunzip:1;
} ngx_http_consent_hook_ctx_t;


#define NGX_HTTP_CONSENT_STRIP       CS_ACTION_STRIP
#define NGX_HTTP_CONSENT_NEUTRALIZE  CS_ACTION_NEUTRALIZE

#define NGX_HTTP_CONSENT_UNKNOWN_PASS   0
#define NGX_HTTP_CONSENT_UNKNOWN_LOG    1
#define NGX_HTTP_CONSENT_UNKNOWN_STRIP  2

/* the most a disclosure page may take */
#define NGX_HTTP_CONSENT_DISCLOSURE_MAX  (4 * 1024 * 1024)

/* distinct unknown hosts logged per generation and worker */
#define NGX_HTTP_CONSENT_UNKNOWN_MAX    4096



static ngx_int_t ngx_http_consent_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_consent_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_consent_hook_init(ngx_conf_t *cf);
static void *ngx_http_consent_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_consent_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_consent_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_consent_rules(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_site(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_action(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_map(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_unknown(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_disclosure(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_first_party(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_check_max_element(ngx_conf_t *cf, void *post,
    void *data);
static ngx_int_t ngx_http_consent_set_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_consent_key_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_consent_source_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_consent_version_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_consent_init_module(ngx_cycle_t *cycle);


static ngx_conf_post_handler_pt  ngx_http_consent_max_element_post =
    ngx_http_consent_check_max_element;


static ngx_command_t  ngx_http_consent_commands[] = {

    { ngx_string("consent"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, enable),
      NULL },

    { ngx_string("consent_rules"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_consent_rules,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_site"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_consent_site,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_consent_cookie,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_map"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE3,
      ngx_http_consent_map,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_gpc"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, gpc),
      NULL },

    { ngx_string("consent_google_consent_mode"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, consent_mode),
      NULL },

    { ngx_string("consent_action"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_consent_action,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_unknown"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_consent_unknown,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_first_party"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_consent_first_party,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_disclosure"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_consent_disclosure,
      0,
      0,
      NULL },

    { ngx_string("consent_types"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_types_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, types_keys),
      &ngx_http_html_default_types[0] },

    { ngx_string("consent_max_element_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, max_element_size),
      &ngx_http_consent_max_element_post },

      ngx_null_command
};


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
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


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


static ngx_http_variable_t  ngx_http_consent_vars[] = {

    { ngx_string("consent_blocked"), NULL,
      ngx_http_consent_set_variable,
      offsetof(ngx_http_consent_ctx_t, blocked),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("consent_allowed"), NULL,
      ngx_http_consent_set_variable,
      offsetof(ngx_http_consent_ctx_t, allowed),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("consent_source"), NULL,
      ngx_http_consent_source_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("consent_generation"), NULL,
      ngx_http_consent_source_variable, 1,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("consent_key"), NULL,
      ngx_http_consent_key_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("consent_version"), NULL,
      ngx_http_consent_version_variable, 0, 0, 0 },

      ngx_http_null_variable
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;
static ngx_http_output_header_filter_pt  ngx_http_hook_next_header_filter;


static ngx_str_t  ngx_http_consent_vary = ngx_string("Cookie");
static ngx_str_t  ngx_http_consent_vary_gpc = ngx_string("Cookie, Sec-GPC");


/* ---- rule generations ---- */

static void
ngx_http_consent_gen_release(void *data)
{
    ngx_http_consent_gen_t  *gen = data;

    if (--gen->refs == 0) {
        cs_rules_free(gen->rules);
        if (gen->unknown_seen) {
            ngx_free(gen->unknown_seen);
        }
        ngx_free(gen);
    }
}


static ngx_int_t
ngx_http_consent_file_id(ngx_str_t *path, ngx_http_consent_file_id_t *fid)
{
    ngx_file_info_t  fi;

    if (ngx_file_info(path->data, &fi) == NGX_FILE_ERROR) {
        return NGX_ERROR;
    }

    fid->uniq = ngx_file_uniq(&fi);
    fid->size = ngx_file_size(&fi);
    /* nanoseconds: an in-place LMDB write within the same second counts */
    fid->mtime_sec = fi.st_mtim.tv_sec;
    fid->mtime_nsec = fi.st_mtim.tv_nsec;

    return NGX_OK;
}


static ngx_uint_t
ngx_http_consent_file_id_eq(ngx_http_consent_file_id_t *a,
    ngx_http_consent_file_id_t *b)
{
    return a->uniq == b->uniq && a->size == b->size
           && a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec;
}


/* Loads the rules file as a new generation holding one reference. */
static ngx_http_consent_gen_t *
ngx_http_consent_gen_load(ngx_str_t *path, ngx_log_t *log, char *err,
    size_t errlen)
{
    size_t                   len;
    const char              *id;
    ngx_http_consent_gen_t  *gen;

    gen = ngx_calloc(sizeof(ngx_http_consent_gen_t), log);
    if (gen == NULL) {
        ngx_cpystrn((u_char *) err, (u_char *) "out of memory", errlen);
        return NULL;
    }

    gen->rules = cs_rules_load((const char *) path->data, err, errlen);
    if (gen->rules == NULL) {
        ngx_free(gen);
        return NULL;
    }

    /* files compiled before the generation key have no id of their own */
    id = cs_rules_generation(gen->rules);
    gen->versioned = (id != NULL && *id != '\0');
    if (!gen->versioned) {
        id = "unversioned";
    }

    len = ngx_min(ngx_strlen(id), sizeof(gen->id_data));
    gen->id.data = ngx_cpymem(gen->id_data, id, len) - len;
    gen->id.len = len;
    gen->refs = 1;
    gen->loaded = ngx_time();

    return gen;
}


/*
 * The generation that decides a new response. A changed rules file (new
 * inode after an atomic rename, or new size/mtime after an in-place write)
 * is loaded once per worker; if it cannot be loaded, the last good
 * generation stays and the failure is logged once per file version.
 */
static ngx_http_consent_gen_t *
ngx_http_consent_current(ngx_http_consent_main_conf_t *mcf, ngx_log_t *log)
{
    char                         err[512];
    ngx_http_consent_gen_t      *gen;
    ngx_http_consent_file_id_t   fid;

    if (ngx_http_consent_file_id(&mcf->path, &fid) != NGX_OK) {
        if (!mcf->stat_failed) {
            ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                          "consent_rules \"%V\" cannot be read; keeping "
                          "generation %V", &mcf->path, &mcf->gen->id);
            mcf->stat_failed = 1;
            ngx_http_consent_status_load_failed();
        }
        return mcf->gen;
    }

    mcf->stat_failed = 0;

    if (ngx_http_consent_file_id_eq(&fid, &mcf->file)
        || ngx_http_consent_file_id_eq(&fid, &mcf->failed))
    {
        return mcf->gen;
    }

    gen = ngx_http_consent_gen_load(&mcf->path, log, err, sizeof(err));
    if (gen == NULL) {
        mcf->failed = fid;
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "consent_rules \"%V\": %s; keeping generation %V",
                      &mcf->path, err, &mcf->gen->id);
        ngx_http_consent_status_load_failed();
        return mcf->gen;
    }

    mcf->file = fid;

    if (gen->versioned
        && gen->id.len == mcf->gen->id.len
        && ngx_strncmp(gen->id.data, mcf->gen->id.data, gen->id.len) == 0)
    {
        /* the same rules rewritten: keep what is cached */
        ngx_http_consent_gen_release(gen);
        return mcf->gen;
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "consent_rules \"%V\": generation %V replaces %V",
                  &mcf->path, &gen->id, &mcf->gen->id);

    ngx_http_consent_gen_release(mcf->gen);
    mcf->gen = gen;

    ngx_http_consent_status_generation(&gen->id, gen->loaded);

    return gen;
}


/* ---- request setup ---- */

/* Whether this response is one the gate reads (before any decoding). */
static ngx_int_t
ngx_http_consent_applies(ngx_http_request_t *r,
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


/* The site table for this request in the given rules, or -1. */
static int32_t
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
ngx_http_consent_parse(ngx_http_request_t *r,
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
            if (ngx_http_consent_parse(r, lcf, src, rules, site, value,
                                       value_len, one)
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
ngx_http_consent_gpc(ngx_http_request_t *r)
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

    if (lcf->gpc && ngx_http_consent_gpc(r)
        && cs_consent_apply_gpc(rules, (uint32_t) site, ctx->allowed))
    {
        ctx->source = "gpc";
    }

    return NGX_OK;
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


static int ngx_http_consent_emit(void *ud, const unsigned char *p, size_t n,
    bool held);
static void ngx_http_consent_count_element(void *ud, uint32_t recipient,
    cs_action_t done, size_t bytes);


/* A response header; the caller may keep the element (e.g. as etag). */
static ngx_table_elt_t *
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


static ngx_int_t
ngx_http_consent_add_vary(ngx_http_request_t *r, ngx_uint_t gpc)
{
    ngx_str_t  key = ngx_string("Vary");

    return ngx_http_consent_add_header(r, &key,
                                       gpc ? &ngx_http_consent_vary_gpc
                                           : &ngx_http_consent_vary)
           ? NGX_OK : NGX_ERROR;
}


static void ngx_http_consent_gen_release(void *data);


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
static ngx_uint_t
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
 * True the first time this worker sees the host under this generation, so
 * each unknown host is logged once per generation per worker. The table is
 * bounded; past it, one line says further hosts go unlogged.
 */
static ngx_uint_t
ngx_http_consent_unknown_first_sighting(ngx_http_request_t *r,
    ngx_http_consent_gen_t *gen, const char *host, size_t len)
{
    uint64_t    hash;
    ngx_uint_t  slot, mask;

    hash = cs_fnv1a(CS_FNV1A_INIT, host, len) | 1;   /* 0: an empty slot */

    if (gen->unknown_seen == NULL) {
        gen->unknown_seen = ngx_calloc(2 * NGX_HTTP_CONSENT_UNKNOWN_MAX
                                       * sizeof(uint64_t),
                                       r->connection->log);
        if (gen->unknown_seen == NULL) {
            return 0;
        }
    }

    mask = 2 * NGX_HTTP_CONSENT_UNKNOWN_MAX - 1;
    for (slot = hash & mask; gen->unknown_seen[slot]; slot = (slot + 1) & mask)
    {
        if (gen->unknown_seen[slot] == hash) {
            return 0;
        }
    }

    if (gen->unknown_count == NGX_HTTP_CONSENT_UNKNOWN_MAX) {
        if (!gen->unknown_full) {
            gen->unknown_full = 1;
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "consent: %ui unknown third-party hosts logged in "
                          "rules generation %V; further ones are not",
                          gen->unknown_count, &gen->id);
        }
        return 0;
    }

    gen->unknown_seen[slot] = hash;
    gen->unknown_count++;

    return 1;
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

    if (ngx_http_consent_unknown_first_sighting(r, ctx->gen, host, len)) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "consent: third-party host \"%*s\" is covered by no "
                      "recipient in rules generation %V%s", len, host,
                      &ctx->gen->id,
                      lcf->unknown == NGX_HTTP_CONSENT_UNKNOWN_STRIP
                      ? "; its elements are removed" : "");
    }

    return lcf->unknown == NGX_HTTP_CONSENT_UNKNOWN_STRIP;
}




/*
 * The request's consent decision: its rule generation (referenced until the
 * request ends), site and allowed recipients. Made once, by the header
 * filter or by an earlier $consent_key / $consent_allowed lookup.
 */
static ngx_http_consent_ctx_t *
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

    gen = ngx_http_consent_current(mcf, r->connection->log);
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


static ngx_int_t
ngx_http_consent_header_filter(ngx_http_request_t *r)
{
    const uint64_t                *declared;
    int32_t                        site;
    ngx_str_t                      block;
    cs_rules_t                    *rules;
    cs_gate_conf_t                 gconf;
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

    if (!ngx_http_consent_applies(r, lcf) || mcf->gen == NULL) {
        return ngx_http_next_header_filter(r);
    }

    if (r->headers_out.content_encoding
        && r->headers_out.content_encoding->value.len)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "consent: response is encoded (\"%V\") and passes "
                      "ungated; enable \"gunzip on\" or ask the upstream "
                      "for identity encoding",
                      &r->headers_out.content_encoding->value);
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_consent_request_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ctx->gate) {
        /* a second response header for the same request */
        return ngx_http_next_header_filter(r);
    }

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

    ngx_memzero(&gconf, sizeof(cs_gate_conf_t));
    gconf.rules = rules;
    gconf.action = lcf->action;
    gconf.head_inject = block.len ? block.data : NULL;
    gconf.head_inject_len = block.len;
    gconf.allowed = ctx->allowed;
    gconf.declared = declared;
    gconf.blocked = ctx->blocked;
    gconf.max_element = lcf->max_element_size;
    gconf.allocator.alloc = ngx_http_consent_pool_alloc;
    gconf.allocator.free = ngx_http_consent_pool_free;
    gconf.allocator.ctx = r->pool;
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

    r->filter_need_in_memory = 1;

    ctx->body_left = -1;

    if (r == r->main) {
        if (r->headers_out.content_length_n > 0) {
            ctx->body_left = r->headers_out.content_length_n;
        }
        ngx_http_clear_content_length(r);
        ngx_http_clear_accept_ranges(r);
        ngx_http_weak_etag(r);

        /* shared caches must never mix consent states */
        if (ngx_http_consent_add_vary(r, lcf->gpc) != NGX_OK) {
            return NGX_ERROR;
        }
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
                                     st->oversize_passed);
}


static ngx_int_t
ngx_http_consent_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    off_t                    size;
    ngx_int_t                rc;
    ngx_uint_t               last, complete;
    ngx_buf_t               *b, *ib;
    ngx_chain_t             *cl, **tail;
    ngx_http_consent_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_consent_filter_module);

    /*
     * A call while this filter is passing its output on comes from a filter
     * after it sending through the whole chain (addition's last buffer,
     * after its subrequest): not body to gate, and not to be swallowed.
     */
    if (ctx == NULL || ctx->gate == NULL || ctx->passing) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        ib = cl->buf;
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
            continue;
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
            b = ngx_http_consent_out_buf(ctx);
            if (b == NULL) {
                return NGX_ERROR;
            }
            b->sync = 1;
            b->last_buf = last;
            b->last_in_chain = ib->last_in_chain;
            b->flush = ib->flush;
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
ngx_http_consent_set_variable(ngx_http_request_t *r,
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


/* $consent_source and $consent_generation */
static ngx_int_t
ngx_http_consent_source_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_consent_ctx_t  *ctx;

    ctx = ngx_http_consent_variable_ctx(r);
    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data) {
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


/* Once per start and reload, in the master: which module version runs. */
static ngx_int_t
ngx_http_consent_init_module(ngx_cycle_t *cycle)
{
    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "ngx_consent_module " CS_VERSION);
    return NGX_OK;
}


/* ---- consent_disclosure ---- */

/*
 * The location's site's external-transmission disclosure, rendered from the
 * rule generation in use at this moment, so the published table and the
 * gate never disagree. ?lang=ja|en, ?format=html|md|json.
 */
static ngx_int_t
ngx_http_consent_disclosure_handler(ngx_http_request_t *r)
{
    int32_t                        site;
    ngx_int_t                      rc;
    ngx_str_t                      arg, value;
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

    lang = CS_DISCLOSURE_JA;
    if (ngx_http_arg(r, (u_char *) "lang", 4, &arg) == NGX_OK) {
        if (arg.len == 2 && ngx_strncmp(arg.data, "en", 2) == 0) {
            lang = CS_DISCLOSURE_EN;

        } else if (!(arg.len == 2 && ngx_strncmp(arg.data, "ja", 2) == 0)) {
            return NGX_HTTP_BAD_REQUEST;
        }
    }

    format = CS_DISCLOSURE_HTML;
    ngx_str_set(&r->headers_out.content_type, "text/html; charset=utf-8");
    if (ngx_http_arg(r, (u_char *) "format", 6, &arg) == NGX_OK) {
        if (arg.len == 2 && ngx_strncmp(arg.data, "md", 2) == 0) {
            format = CS_DISCLOSURE_MD;
            ngx_str_set(&r->headers_out.content_type,
                        "text/markdown; charset=utf-8");

        } else if (arg.len == 4 && ngx_strncmp(arg.data, "json", 4) == 0) {
            format = CS_DISCLOSURE_JSON;
            ngx_str_set(&r->headers_out.content_type, "application/json");

        } else if (!(arg.len == 4 && ngx_strncmp(arg.data, "html", 4) == 0)) {
            return NGX_HTTP_BAD_REQUEST;
        }
    }
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_consent_filter_module);
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_consent_filter_module);

    /* rendering is synchronous: the generation cannot go away meanwhile */
    gen = ngx_http_consent_current(mcf, r->connection->log);

    site = ngx_http_consent_resolve_site(r, lcf, gen);
    if (site < 0) {
        return NGX_HTTP_NOT_FOUND;
    }

    allocator.alloc = ngx_http_consent_pool_alloc;
    allocator.free = ngx_http_consent_pool_free;
    allocator.ctx = r->pool;

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
        || !ngx_http_consent_applies(r, lcf)
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


/* ---- configuration ---- */

static ngx_int_t
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


static void *
ngx_http_consent_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_consent_main_conf_t));
}


static void *
ngx_http_consent_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_consent_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_consent_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->site_name = { 0, NULL };
     *     conf->sources = NULL;
     *     conf->maps = NULL;
     *     conf->types = { NULL };
     *     conf->types_keys = NULL;
     */

    conf->enable = NGX_CONF_UNSET;
    conf->action = NGX_CONF_UNSET_UINT;
    conf->site_variable = NGX_CONF_UNSET;
    conf->max_element_size = NGX_CONF_UNSET_SIZE;
    conf->gpc = NGX_CONF_UNSET;
    conf->consent_mode = NGX_CONF_UNSET;
    conf->unknown = NGX_CONF_UNSET_UINT;
    conf->first_party = NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_http_consent_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_consent_loc_conf_t *prev = parent;
    ngx_http_consent_loc_conf_t *conf = child;

    int32_t                        site;
    ngx_uint_t                     i;
    cs_consent_map_t              *map;
    ngx_http_consent_source_t     *src;
    ngx_http_consent_main_conf_t  *mcf;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_uint_value(conf->action, prev->action,
                              NGX_HTTP_CONSENT_STRIP);
    ngx_conf_merge_value(conf->gpc, prev->gpc, 1);
    ngx_conf_merge_value(conf->consent_mode, prev->consent_mode, 0);
    ngx_conf_merge_uint_value(conf->unknown, prev->unknown,
                              NGX_HTTP_CONSENT_UNKNOWN_PASS);
    ngx_conf_merge_ptr_value(conf->first_party, prev->first_party, NULL);

    if (conf->sources == NULL) {
        conf->sources = prev->sources;
    }

    if (conf->maps == NULL) {
        conf->maps = prev->maps;
    }

    if (conf->sources == NULL) {
        /* the default: a plain list in the cookie "consent" */
        conf->sources = ngx_array_create(cf->pool, 1,
                                         sizeof(ngx_http_consent_source_t));
        if (conf->sources == NULL) {
            return NGX_CONF_ERROR;
        }
        src = ngx_array_push(conf->sources);
        if (src == NULL) {
            return NGX_CONF_ERROR;
        }
        ngx_str_set(&src->cookie, "consent");
        src->format = CS_CMP_LIST;
    }
    ngx_conf_merge_size_value(conf->max_element_size, prev->max_element_size,
                              256 * 1024);

    if (conf->site_name.data == NULL
        && conf->site_variable == NGX_CONF_UNSET)
    {
        conf->site_name = prev->site_name;
        conf->site_file = prev->site_file;
        conf->site_line = prev->site_line;
        conf->site_variable = prev->site_variable;
    }

    if (ngx_http_merge_types(cf, &conf->types_keys, &conf->types,
                             &prev->types_keys, &prev->types,
                             ngx_http_html_default_types)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    mcf = ngx_http_conf_get_module_main_conf(cf,
                                             ngx_http_consent_filter_module);

    if (mcf->gen == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent on\" needs \"consent_rules\" "
                           "in the http block");
        return NGX_CONF_ERROR;
    }

    if (conf->site_name.data == NULL
        && conf->site_variable == NGX_CONF_UNSET)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent on\" needs \"consent_site\"");
        return NGX_CONF_ERROR;
    }

    if (conf->maps) {
        map = conf->maps->elts;
        for (i = 0; i < conf->maps->nelts; i++) {
            if (cs_rules_recipient_find(mcf->gen->rules, map[i].target,
                                        map[i].target_len) < 0
                && !cs_rules_is_category(mcf->gen->rules, map[i].target,
                                         map[i].target_len))
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "consent_map target \"%*s\" is neither a "
                                   "recipient nor a category in consent_rules "
                                   "\"%V\"", map[i].target_len,
                                   map[i].target, &mcf->path);
                return NGX_CONF_ERROR;
            }
        }
    }

    if (conf->site_name.data) {
        site = cs_rules_site_find(mcf->gen->rules,
                                  (const char *) conf->site_name.data,
                                  conf->site_name.len);
        if (site < 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "consent_site \"%V\" (%V:%ui) is not a site "
                               "in consent_rules \"%V\"",
                               &conf->site_name, &conf->site_file,
                               conf->site_line, &mcf->path);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* The configuration's reference to the generation current at its end. */
static void
ngx_http_consent_release_current(void *data)
{
    ngx_http_consent_main_conf_t  *mcf = data;

    if (mcf->gen) {
        ngx_http_consent_gen_release(mcf->gen);
        mcf->gen = NULL;
    }
}


static char *
ngx_http_consent_rules(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_main_conf_t *mcf = conf;

    char                 err[512];
    ngx_str_t           *value;
    ngx_pool_cleanup_t  *cln;

    if (mcf->gen) {
        return "is duplicate";
    }

    value = cf->args->elts;
    mcf->path = value[1];

    if (ngx_conf_full_name(cf->cycle, &mcf->path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    /* identify the file first: a later change is then always noticed */
    if (ngx_http_consent_file_id(&mcf->path, &mcf->file) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "consent_rules \"%V\" cannot be read",
                           &mcf->path);
        ngx_http_consent_status_rules_failed(cf);
        return NGX_CONF_ERROR;
    }

    mcf->gen = ngx_http_consent_gen_load(&mcf->path, cf->log, err,
                                         sizeof(err));
    if (mcf->gen == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "consent_rules \"%V\": %s", &mcf->path, err);
        ngx_http_consent_status_rules_failed(cf);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_consent_release_current;
    cln->data = mcf;

    ngx_http_consent_status_rules_loaded(cf, &mcf->gen->id);

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_site(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    ngx_str_t  *value, name;

    if (lcf->site_name.data || lcf->site_variable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        return "takes a site name or a $variable";
    }

    if (value[1].data[0] == '$') {
        name.data = value[1].data + 1;
        name.len = value[1].len - 1;

        lcf->site_variable = ngx_http_get_variable_index(cf, &name);
        if (lcf->site_variable == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    /* checked against the rules once the whole http block is read */
    lcf->site_name = value[1];
    lcf->site_file = cf->conf_file->file.name;
    lcf->site_line = cf->conf_file->line;

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_action(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    ngx_str_t  *value;

    if (lcf->action != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 5 && ngx_strncmp(value[1].data, "strip", 5) == 0) {
        lcf->action = NGX_HTTP_CONSENT_STRIP;
        return NGX_CONF_OK;
    }

    if (value[1].len == 10
        && ngx_strncmp(value[1].data, "neutralize", 10) == 0)
    {
        lcf->action = NGX_HTTP_CONSENT_NEUTRALIZE;
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid \"consent_action\" value \"%V\", "
                       "it must be \"strip\" or \"neutralize\"",
                       &value[1]);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_consent_cookie(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    int                         format;
    ngx_str_t                  *value;
    ngx_uint_t                  i;
    ngx_http_consent_source_t  *src;

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent_cookie\" needs a cookie name");
        return NGX_CONF_ERROR;
    }

    format = CS_CMP_LIST;
    if (cf->args->nelts == 3) {
        format = cs_cmp_format_from_name((const char *) value[2].data,
                                         value[2].len);
        if (format < 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"consent_cookie\" format \"%V\", "
                               "it must be \"list\", \"onetrust\", "
                               "\"cookiebot\", \"cc_cookie\", \"klaro\" "
                               "or \"tcf\"", &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    if (lcf->sources == NULL) {
        lcf->sources = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_consent_source_t));
        if (lcf->sources == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    src = lcf->sources->elts;
    for (i = 0; i < lcf->sources->nelts; i++) {
        if (src[i].cookie.len == value[1].len
            && ngx_strncmp(src[i].cookie.data, value[1].data, value[1].len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate \"consent_cookie\" \"%V\"",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    src = ngx_array_push(lcf->sources);
    if (src == NULL) {
        return NGX_CONF_ERROR;
    }

    src->cookie = value[1];
    src->format = format;

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_map(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    int                format;
    ngx_str_t         *value;
    cs_consent_map_t  *map;

    value = cf->args->elts;

    format = cs_cmp_format_from_name((const char *) value[1].data,
                                     value[1].len);
    if (format < 0 || format == CS_CMP_LIST || format == CS_CMP_TCF) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"consent_map\" format \"%V\", it "
                           "must be \"onetrust\", \"cookiebot\", "
                           "\"cc_cookie\" or \"klaro\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (value[2].len == 0 || value[3].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent_map\" needs a name and a recipient "
                           "or category");
        return NGX_CONF_ERROR;
    }

    if (lcf->maps == NULL) {
        lcf->maps = ngx_array_create(cf->pool, 4, sizeof(cs_consent_map_t));
        if (lcf->maps == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    map = ngx_array_push(lcf->maps);
    if (map == NULL) {
        return NGX_CONF_ERROR;
    }

    /* the target is checked against the rules once the http block is read */
    map->format = format;
    map->name = (const char *) value[2].data;
    map->name_len = value[2].len;
    map->target = (const char *) value[3].data;
    map->target_len = value[3].len;

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_unknown(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    ngx_str_t  *value;

    if (lcf->unknown != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "pass") == 0) {
        lcf->unknown = NGX_HTTP_CONSENT_UNKNOWN_PASS;

    } else if (ngx_strcmp(value[1].data, "log") == 0) {
        lcf->unknown = NGX_HTTP_CONSENT_UNKNOWN_LOG;

    } else if (ngx_strcmp(value[1].data, "strip") == 0) {
        lcf->unknown = NGX_HTTP_CONSENT_UNKNOWN_STRIP;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"consent_unknown\" value \"%V\", "
                           "it must be \"pass\", \"log\" or \"strip\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_disclosure(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_consent_disclosure_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_first_party(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    ngx_str_t   *value, *suffix;
    ngx_uint_t   i;

    if (lcf->first_party != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    lcf->first_party = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                        sizeof(ngx_str_t));
    if (lcf->first_party == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        suffix = ngx_array_push(lcf->first_party);
        if (suffix == NULL) {
            return NGX_CONF_ERROR;
        }

        *suffix = value[i];
        if (suffix->len && suffix->data[0] == '.') {
            suffix->data++;
            suffix->len--;
        }

        if (suffix->len == 0
            || ngx_strlchr(suffix->data, suffix->data + suffix->len, '/')
            || ngx_strlchr(suffix->data, suffix->data + suffix->len, ':'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"consent_first_party\" host "
                               "suffix \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        ngx_strlow(suffix->data, suffix->data, suffix->len);
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_check_max_element(ngx_conf_t *cf, void *post, void *data)
{
    size_t *sp = data;

    if (*sp < 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent_max_element_size\" %uz is too small, "
                           "it must be at least 1k", *sp);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


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
