/*
 * consent_zone and consent_status: the consent gate's counters in a shared
 * memory zone, served in the Prometheus text exposition format.
 *
 * The zone holds a fixed hash table of counter nodes allocated from its
 * slab. Nodes are never removed, so lookups walk the chains without a lock:
 * a new node is filled in completely before a memory barrier and only then
 * linked at the head of its chain, under the slab mutex. Counters are
 * updated with atomic adds. A reload with the same zone name and size keeps
 * the zone and its counters.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_consent_status.h"
#include "cs_csp.h"


/* counter families, in the order they are shown */
enum {
    NGX_HTTP_CONSENT_STATUS_RESPONSES = 0,
    NGX_HTTP_CONSENT_STATUS_ELEMENTS,
    NGX_HTTP_CONSENT_STATUS_BYTES,
    NGX_HTTP_CONSENT_STATUS_OVERSIZE,
    NGX_HTTP_CONSENT_STATUS_HOSTS,
    NGX_HTTP_CONSENT_STATUS_UNDECODABLE,
    NGX_HTTP_CONSENT_STATUS_CSP,
    NGX_HTTP_CONSENT_STATUS_MEMO,
    NGX_HTTP_CONSENT_STATUS_NFAMILIES
};

/* variants of the oversize family */
#define NGX_HTTP_CONSENT_STATUS_OVERSIZE_REMOVED  0
#define NGX_HTTP_CONSENT_STATUS_OVERSIZE_PASSED   1

/* variants of the memo family */
#define NGX_HTTP_CONSENT_STATUS_MEMO_HIT          0
#define NGX_HTTP_CONSENT_STATUS_MEMO_MISS         1

/*
 * The CSP family's variant holds two labels: directive * CSP_MODES + mode
 * (cs_csp.h's bounded sets: 19 directives, 3 modes, under 256).
 */
#define NGX_HTTP_CONSENT_STATUS_CSP_MODES  3

/* the smallest zone: the slab needs a few pages besides the table */
#define NGX_HTTP_CONSENT_STATUS_MIN_PAGES  8


typedef struct ngx_http_consent_status_node_s  ngx_http_consent_status_node_t;

struct ngx_http_consent_status_node_s {
    ngx_http_consent_status_node_t * volatile  next;
    ngx_atomic_t                   value;
    uint32_t                       hash;
    u_char                         family;
    u_char                         variant;
    u_char                         site_len;
    u_char                         label_len;
    u_char                         data[1];     /* site, then label */
};


typedef struct {
    ngx_uint_t                     nbuckets;    /* a power of two */
    ngx_http_consent_status_node_t * volatile  *buckets;
    ngx_uint_t                     max_hosts;
    ngx_uint_t                     hosts;       /* under the mutex */
    ngx_atomic_t                   hosts_overflow;
    ngx_atomic_t                   dropped;
    ngx_atomic_t                   rules_failures;
    ngx_atomic_t                   hosts_full_logged;
    ngx_atomic_t                   dropped_logged;
    /* the rules load, under the mutex */
    ngx_uint_t                     rules_loaded;
    time_t                         rules_time;
    size_t                         generation_len;
    u_char                         generation[
                                       NGX_HTTP_CONSENT_STATUS_GENERATION_MAX];
} ngx_http_consent_status_shctx_t;


/* shm_zone->data: one per configuration, pointing into the shared zone */
typedef struct {
    ngx_http_consent_status_shctx_t  *sh;
    ngx_slab_pool_t                  *shpool;
    ngx_str_t                         name;
} ngx_http_consent_status_zone_t;


typedef struct {
    ngx_shm_zone_t                *shm_zone;    /* NULL: no consent_zone */
    ngx_str_t                      status_file; /* first consent_status */
    ngx_uint_t                     status_line;
    /* the rules load of this configuration, applied when it starts */
    ngx_uint_t                     rules_loaded;
    time_t                         rules_time;
    ngx_str_t                      generation;
} ngx_http_consent_status_main_conf_t;


static void *ngx_http_consent_status_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_consent_status_init_main_conf(ngx_conf_t *cf,
    void *conf);
static char *ngx_http_consent_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_consent_status_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_consent_status_init_module(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_consent_status_commands[] = {

    { ngx_string("consent_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_consent_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_consent_status,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_consent_status_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_consent_status_create_main_conf, /* create main configuration */
    ngx_http_consent_status_init_main_conf,   /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_consent_status_module = {
    NGX_MODULE_V1,
    &ngx_http_consent_status_module_ctx,   /* module context */
    ngx_http_consent_status_commands,      /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_consent_status_init_module,   /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_consent_status_no_site = ngx_string("-");
static ngx_str_t  ngx_http_consent_status_unknown = ngx_string("unknown");
/* the label of site-only series: empty, but data is never NULL (memcmp) */
static ngx_str_t  ngx_http_consent_status_no_label = ngx_string("");


/* ---- counting ---- */

static ngx_http_consent_status_zone_t *
ngx_http_consent_status_zone(ngx_http_request_t *r)
{
    ngx_http_consent_status_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_consent_status_module);

    if (smcf == NULL || smcf->shm_zone == NULL) {
        return NULL;
    }

    return smcf->shm_zone->data;
}


/* Label values are printable ASCII; escaping covers '"' and '\'. */
static ngx_uint_t
ngx_http_consent_status_printable(ngx_str_t *s)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        if (s->data[i] < 0x20 || s->data[i] > 0x7e) {
            return 0;
        }
    }

    return 1;
}


static uint32_t
ngx_http_consent_status_hash(ngx_uint_t family, ngx_uint_t variant,
    ngx_str_t *site, ngx_str_t *label)
{
    u_char    sep[2];
    uint32_t  crc;

    sep[0] = (u_char) family;
    sep[1] = (u_char) variant;

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, sep, 2);
    ngx_crc32_update(&crc, site->data, site->len);
    /* a separator no label byte can be: "a"+"bc" differs from "ab"+"c" */
    sep[0] = '\0';
    ngx_crc32_update(&crc, sep, 1);
    ngx_crc32_update(&crc, label->data, label->len);
    ngx_crc32_final(crc);

    return crc;
}


static ngx_http_consent_status_node_t *
ngx_http_consent_status_find(ngx_http_consent_status_node_t *node,
    uint32_t hash, ngx_uint_t family, ngx_uint_t variant, ngx_str_t *site,
    ngx_str_t *label)
{
    for ( /* void */ ; node; node = node->next) {
        if (node->hash == hash
            && node->family == family
            && node->variant == variant
            && node->site_len == site->len
            && node->label_len == label->len
            && ngx_memcmp(node->data, site->data, site->len) == 0
            && ngx_memcmp(node->data + site->len, label->data, label->len)
               == 0)
        {
            return node;
        }
    }

    return NULL;
}


static void
ngx_http_consent_status_full(ngx_http_request_t *r,
    ngx_http_consent_status_zone_t *zone, ngx_uint_t family)
{
    ngx_atomic_t  *counter, *logged;
    const char    *where;

    if (family == NGX_HTTP_CONSENT_STATUS_HOSTS) {
        counter = &zone->sh->hosts_overflow;
        logged = &zone->sh->hosts_full_logged;
        where = "unknown hosts are counted in "
                "consent_unknown_hosts_overflow_total";
    } else {
        counter = &zone->sh->dropped;
        logged = &zone->sh->dropped_logged;
        where = "updates of series that do not fit are counted in "
                "consent_status_dropped_total";
    }

    (void) ngx_atomic_fetch_add(counter, 1);

    if (*logged == 0 && ngx_atomic_cmp_set(logged, 0, 1)) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "consent_zone \"%V\" is full: %s; give it more size",
                      &zone->name, where);
    }
}


/*
 * Adds n to the counter of (family, variant, site, label), creating it
 * under the mutex when it is new.
 */
static void
ngx_http_consent_status_add(ngx_http_request_t *r, ngx_uint_t family,
    ngx_uint_t variant, ngx_str_t *site, ngx_str_t *label, uint64_t n)
{
    size_t                            max;
    uint32_t                          hash;
    ngx_http_consent_status_node_t   *node, * volatile *bucket;
    ngx_http_consent_status_zone_t   *zone;
    ngx_http_consent_status_shctx_t  *sh;

    zone = ngx_http_consent_status_zone(r);
    if (zone == NULL) {
        return;
    }

    if (site == NULL) {
        site = &ngx_http_consent_status_no_site;
    }

    max = (family == NGX_HTTP_CONSENT_STATUS_HOSTS)
          ? NGX_HTTP_CONSENT_STATUS_HOST_MAX : NGX_HTTP_CONSENT_STATUS_ID_MAX;

    if (site->len > NGX_HTTP_CONSENT_STATUS_ID_MAX || label->len > max
        || !ngx_http_consent_status_printable(site)
        || !ngx_http_consent_status_printable(label))
    {
        ngx_http_consent_status_full(r, zone, family);
        return;
    }

    sh = zone->sh;
    hash = ngx_http_consent_status_hash(family, variant, site, label);
    bucket = &sh->buckets[hash & (sh->nbuckets - 1)];

    node = ngx_http_consent_status_find(*bucket, hash, family, variant, site,
                                        label);
    if (node) {
        (void) ngx_atomic_fetch_add(&node->value, n);
        return;
    }

    ngx_shmtx_lock(&zone->shpool->mutex);

    /* another process may have added it meanwhile */
    node = ngx_http_consent_status_find(*bucket, hash, family, variant, site,
                                        label);
    if (node) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        (void) ngx_atomic_fetch_add(&node->value, n);
        return;
    }

    if (family == NGX_HTTP_CONSENT_STATUS_HOSTS
        && sh->hosts >= sh->max_hosts)
    {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        ngx_http_consent_status_full(r, zone, family);
        return;
    }

    node = ngx_slab_alloc_locked(zone->shpool,
                                 offsetof(ngx_http_consent_status_node_t, data)
                                 + site->len + label->len);
    if (node == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        ngx_http_consent_status_full(r, zone, family);
        return;
    }

    node->value = n;
    node->hash = hash;
    node->family = (u_char) family;
    node->variant = (u_char) variant;
    node->site_len = (u_char) site->len;
    node->label_len = (u_char) label->len;
    ngx_memcpy(node->data, site->data, site->len);
    ngx_memcpy(node->data + site->len, label->data, label->len);
    node->next = *bucket;

    /* readers walk without the lock: publish only a complete node */
    ngx_memory_barrier();
    *bucket = node;

    if (family == NGX_HTTP_CONSENT_STATUS_HOSTS) {
        sh->hosts++;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


ngx_uint_t
ngx_http_consent_status_enabled(ngx_http_request_t *r)
{
    return ngx_http_consent_status_zone(r) != NULL;
}


void
ngx_http_consent_status_response(ngx_http_request_t *r, ngx_str_t *site,
    uint64_t bytes_removed, uint64_t oversize_removed,
    uint64_t oversize_passed, uint64_t memo_hits, uint64_t memo_misses)
{
    ngx_str_t  *none = &ngx_http_consent_status_no_label;

    ngx_http_consent_status_add(r, NGX_HTTP_CONSENT_STATUS_RESPONSES, 0,
                                site, none, 1);
    ngx_http_consent_status_add(r, NGX_HTTP_CONSENT_STATUS_BYTES, 0,
                                site, none, bytes_removed);

    /* rare: their series appear when they first happen */
    if (oversize_removed) {
        ngx_http_consent_status_add(r, NGX_HTTP_CONSENT_STATUS_OVERSIZE,
                                    NGX_HTTP_CONSENT_STATUS_OVERSIZE_REMOVED,
                                    site, none, oversize_removed);
    }

    if (oversize_passed) {
        ngx_http_consent_status_add(r, NGX_HTTP_CONSENT_STATUS_OVERSIZE,
                                    NGX_HTTP_CONSENT_STATUS_OVERSIZE_PASSED,
                                    site, none, oversize_passed);
    }

    if (memo_hits) {
        ngx_http_consent_status_add(r, NGX_HTTP_CONSENT_STATUS_MEMO,
                                    NGX_HTTP_CONSENT_STATUS_MEMO_HIT,
                                    site, none, memo_hits);
    }

    if (memo_misses) {
        ngx_http_consent_status_add(r, NGX_HTTP_CONSENT_STATUS_MEMO,
                                    NGX_HTTP_CONSENT_STATUS_MEMO_MISS,
                                    site, none, memo_misses);
    }
}


void
ngx_http_consent_status_element(ngx_http_request_t *r, ngx_str_t *site,
    ngx_str_t *recipient, ngx_uint_t done)
{
    ngx_http_consent_status_add(r, NGX_HTTP_CONSENT_STATUS_ELEMENTS,
                                done == NGX_HTTP_CONSENT_STATUS_NEUTRALIZED,
                                site,
                                recipient ? recipient
                                          : &ngx_http_consent_status_unknown,
                                1);
}


void
ngx_http_consent_status_undecodable(ngx_http_request_t *r, ngx_str_t *site,
    ngx_str_t *coding, ngx_uint_t action)
{
    ngx_http_consent_status_add(r, NGX_HTTP_CONSENT_STATUS_UNDECODABLE,
                                action, site, coding, 1);
}


void
ngx_http_consent_status_unknown_host(ngx_http_request_t *r, ngx_str_t *site,
    ngx_str_t *host)
{
    ngx_http_consent_status_add(r, NGX_HTTP_CONSENT_STATUS_HOSTS, 0, site,
                                host, 1);
}


void
ngx_http_consent_status_csp_violation(ngx_http_request_t *r, ngx_str_t *site,
    ngx_str_t *recipient, ngx_uint_t directive, ngx_uint_t mode)
{
    if (directive >= cs_csp_directive_count()
        || mode >= NGX_HTTP_CONSENT_STATUS_CSP_MODES)
    {
        return;
    }

    ngx_http_consent_status_add(r, NGX_HTTP_CONSENT_STATUS_CSP,
                                directive * NGX_HTTP_CONSENT_STATUS_CSP_MODES
                                + mode,
                                site, recipient, 1);
}


/* The counters' zone of a running configuration, or NULL. */
static ngx_http_consent_status_zone_t *
ngx_http_consent_status_cycle_zone(ngx_cycle_t *cycle)
{
    ngx_http_consent_status_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_consent_status_module);
    if (smcf == NULL || smcf->shm_zone == NULL
        || smcf->shm_zone->data == NULL)
    {
        return NULL;
    }

    return smcf->shm_zone->data;
}


/* The rules in use: their generation and when they were loaded. */
static void
ngx_http_consent_status_set_rules(ngx_http_consent_status_zone_t *zone,
    ngx_str_t *generation, time_t loaded)
{
    size_t                            len;
    ngx_http_consent_status_shctx_t  *sh;

    sh = zone->sh;
    len = ngx_min(generation->len, NGX_HTTP_CONSENT_STATUS_GENERATION_MAX);

    ngx_shmtx_lock(&zone->shpool->mutex);
    sh->rules_loaded = 1;
    sh->rules_time = loaded;
    sh->generation_len = len;
    ngx_memcpy(sh->generation, generation->data, len);
    ngx_shmtx_unlock(&zone->shpool->mutex);
}


void
ngx_http_consent_status_rules_loaded(ngx_conf_t *cf, ngx_str_t *generation)
{
    ngx_http_consent_status_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_consent_status_module);

    /* the zone is not mapped yet: init_module applies this */
    smcf->rules_loaded = 1;
    smcf->rules_time = ngx_time();
    smcf->generation = *generation;
    if (smcf->generation.len > NGX_HTTP_CONSENT_STATUS_GENERATION_MAX) {
        smcf->generation.len = NGX_HTTP_CONSENT_STATUS_GENERATION_MAX;
    }
}


void
ngx_http_consent_status_rules_failed(ngx_conf_t *cf)
{
    ngx_uint_t                       i;
    ngx_cycle_t                     *running;
    ngx_http_consent_status_zone_t  *zone;

    /*
     * The configuration being read will not start; the one still running
     * (a reload in the master) keeps the count. At the first start and in
     * "nginx -t" there is none.
     */
    running = (ngx_cycle_t *) ngx_cycle;

    if (running == NULL || running == cf->cycle
        || running->conf_ctx == NULL || running->modules == NULL)
    {
        return;
    }

    /* its main conf array has a slot for this module only if it loaded it */
    for (i = 0; running->modules[i]; i++) {
        if (running->modules[i] == &ngx_http_consent_status_module) {
            break;
        }
    }

    if (running->modules[i] == NULL) {
        return;
    }

    zone = ngx_http_consent_status_cycle_zone(running);
    if (zone) {
        (void) ngx_atomic_fetch_add(&zone->sh->rules_failures, 1);
    }
}


void
ngx_http_consent_status_generation(ngx_str_t *generation, time_t loaded)
{
    ngx_http_consent_status_zone_t  *zone;

    zone = ngx_http_consent_status_cycle_zone((ngx_cycle_t *) ngx_cycle);
    if (zone) {
        ngx_http_consent_status_set_rules(zone, generation, loaded);
    }
}


void
ngx_http_consent_status_load_failed(void)
{
    ngx_http_consent_status_zone_t  *zone;

    zone = ngx_http_consent_status_cycle_zone((ngx_cycle_t *) ngx_cycle);
    if (zone) {
        (void) ngx_atomic_fetch_add(&zone->sh->rules_failures, 1);
    }
}


/* ---- consent_status ---- */

typedef struct {
    const char                    *name;
    const char                    *type;
    const char                    *help;
    const char                    *label;       /* second label, or NULL */
    const char                    *variant;     /* third label, or NULL */
    const char                    *variants[3];
} ngx_http_consent_status_family_t;


static ngx_http_consent_status_family_t
    ngx_http_consent_status_families[NGX_HTTP_CONSENT_STATUS_NFAMILIES] = {

    { "consent_responses_gated_total", "counter",
      "Responses the consent gate read to the end, per site.",
      NULL, NULL, { NULL, NULL } },

    { "consent_elements_total", "counter",
      "Elements removed or neutralized, per site and the recipient that "
      "caused it (recipient unknown: removed for an unknown host).",
      "recipient", "action", { "removed", "neutralized" } },

    { "consent_bytes_removed_total", "counter",
      "Bytes the consent gate removed from responses, per site.",
      NULL, NULL, { NULL, NULL } },

    { "consent_oversize_elements_total", "counter",
      "Elements over consent_max_element_size, removed whole or passed "
      "through unattributed, per site.",
      NULL, "outcome", { "removed", "passed" } },

    { "consent_unknown_hosts_total", "counter",
      "URL attributes naming a host that matches no recipient, per site and "
      "host.",
      "host", NULL, { NULL, NULL } },

    { "consent_undecodable_total", "counter",
      "Responses whose Content-Encoding the gate could not read, or whose "
      "gzip/deflate body was corrupt or over consent_max_decoded_size, per "
      "site, coding, and what consent_undecodable did.",
      "encoding", "action", { "strip_all", "pass", "error" } },
    /* variant: two labels, see ngx_http_consent_status_variants() */
    { "consent_csp_violations_total", "counter",
      "CSP violation reports, per site, the recipient of the blocked URL "
      "(unknown: a third-party host no recipient covers; first-party; "
      "other: inline, eval, data:), effective directive and disposition.",
      "recipient", NULL, { NULL, NULL } },

    { "consent_memo_lookups_total", "counter",
      "Attributions (an inline script's recipients, a URL's) the worker's "
      "memo answered (hit) or worked out and kept (miss), per site.",
      NULL, "result", { "hit", "miss" } },
};


/*
 * A node's variant labels: "action"/"outcome" from the family's table, or
 * the CSP family's directive and mode. Returns how many (0, 1 or 2).
 */
static ngx_uint_t
ngx_http_consent_status_variants(ngx_uint_t family, ngx_uint_t variant,
    const char **names, const char **values)
{
    ngx_http_consent_status_family_t  *f;

    f = &ngx_http_consent_status_families[family];

    if (family == NGX_HTTP_CONSENT_STATUS_CSP) {
        names[0] = "directive";
        values[0] = cs_csp_directive_name(
                        variant / NGX_HTTP_CONSENT_STATUS_CSP_MODES);
        names[1] = "mode";
        values[1] = cs_csp_mode_name(
                        variant % NGX_HTTP_CONSENT_STATUS_CSP_MODES);
        return 2;
    }

    if (f->variant == NULL) {
        return 0;
    }

    names[0] = f->variant;
    values[0] = f->variants[variant];
    return 1;
}


static int ngx_libc_cdecl
ngx_http_consent_status_cmp(const void *one, const void *two)
{
    ngx_int_t                          rc;
    ngx_uint_t                         i, n;
    const char                        *names[2], *va[2], *vb[2];
    ngx_http_consent_status_node_t    *a, *b;

    a = *(ngx_http_consent_status_node_t **) one;
    b = *(ngx_http_consent_status_node_t **) two;

    if (a->family != b->family) {
        return (int) a->family - (int) b->family;
    }

    rc = ngx_memn2cmp(a->data, b->data, a->site_len, b->site_len);
    if (rc) {
        return (int) rc;
    }

    rc = ngx_memn2cmp(a->data + a->site_len, b->data + b->site_len,
                      a->label_len, b->label_len);
    if (rc) {
        return (int) rc;
    }

    /* by the label values, as everything else */
    n = ngx_http_consent_status_variants(a->family, a->variant, names, va);
    (void) ngx_http_consent_status_variants(b->family, b->variant, names, vb);

    for (i = 0; i < n; i++) {
        rc = ngx_strcmp(va[i], vb[i]);
        if (rc) {
            return (int) rc;
        }
    }

    return 0;
}


/* Prometheus label value escaping: backslash, double quote, newline. */
static u_char *
ngx_http_consent_status_escape(u_char *p, u_char *s, size_t len)
{
    while (len--) {
        if (*s == '\\' || *s == '"') {
            *p++ = '\\';
            *p++ = *s++;

        } else if (*s == '\n') {
            *p++ = '\\';
            *p++ = 'n';
            s++;

        } else {
            *p++ = *s++;
        }
    }

    return p;
}


static u_char *
ngx_http_consent_status_label(u_char *p, const char *name, u_char *value,
    size_t len, ngx_uint_t first)
{
    if (!first) {
        *p++ = ',';
    }

    p = ngx_cpymem(p, name, ngx_strlen(name));
    *p++ = '=';
    *p++ = '"';
    p = ngx_http_consent_status_escape(p, value, len);
    *p++ = '"';

    return p;
}


static u_char *
ngx_http_consent_status_head(u_char *p, const char *name, const char *type,
    const char *help)
{
    return ngx_sprintf(p, "# HELP %s %s\n# TYPE %s %s\n",
                       name, help, name, type);
}


/* Upper bound of a HELP/TYPE pair. */
static size_t
ngx_http_consent_status_head_len(const char *name, const char *type,
    const char *help)
{
    return sizeof("# HELP  \n# TYPE  \n") - 1
           + 2 * ngx_strlen(name) + ngx_strlen(type) + ngx_strlen(help);
}


static ngx_str_t  ngx_http_consent_status_hosts_overflow_help = ngx_string(
    "Unknown host sightings not counted per host: consent_zone's host "
    "series were full.");
static ngx_str_t  ngx_http_consent_status_dropped_help = ngx_string(
    "Counter updates lost because consent_zone was full.");
static ngx_str_t  ngx_http_consent_status_rules_help = ngx_string(
    "When the rules in use were loaded (Unix time), labelled with their "
    "generation.");
static ngx_str_t  ngx_http_consent_status_failures_help = ngx_string(
    "consent_rules loads that failed on reload (the previous rules stay).");


static ngx_int_t
ngx_http_consent_status_render(ngx_http_request_t *r,
    ngx_http_consent_status_zone_t *zone, ngx_buf_t **out)
{
    u_char                             *p, generation[
                                           NGX_HTTP_CONSENT_STATUS_GENERATION_MAX];
    size_t                              len, generation_len;
    time_t                              rules_time;
    ngx_buf_t                          *b;
    ngx_uint_t                          i, k, n, family, rules_loaded;
    const char                         *names[2], *values[2];
    ngx_array_t                         nodes;
    ngx_http_consent_status_node_t     *node, **np;
    ngx_http_consent_status_shctx_t    *sh;
    ngx_http_consent_status_family_t   *f;

    sh = zone->sh;

    ngx_shmtx_lock(&zone->shpool->mutex);
    rules_loaded = sh->rules_loaded;
    rules_time = sh->rules_time;
    generation_len = sh->generation_len;
    ngx_memcpy(generation, sh->generation, generation_len);
    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (ngx_array_init(&nodes, r->pool, 64, sizeof(void *)) != NGX_OK) {
        return NGX_ERROR;
    }

    /* a snapshot of the nodes; values are read once, when written out */
    for (i = 0; i < sh->nbuckets; i++) {
        for (node = sh->buckets[i]; node; node = node->next) {
            np = ngx_array_push(&nodes);
            if (np == NULL) {
                return NGX_ERROR;
            }
            *np = node;
        }
    }

    ngx_qsort(nodes.elts, nodes.nelts, sizeof(void *),
              ngx_http_consent_status_cmp);

    len = 0;

    for (family = 0; family < NGX_HTTP_CONSENT_STATUS_NFAMILIES; family++) {
        f = &ngx_http_consent_status_families[family];
        len += ngx_http_consent_status_head_len(f->name, f->type, f->help);
    }

    np = nodes.elts;
    for (i = 0; i < nodes.nelts; i++) {
        f = &ngx_http_consent_status_families[np[i]->family];
        len += ngx_strlen(f->name)
               + sizeof("{site=\"\",=\"\",=\"\"} \n") - 1
               + (f->label ? ngx_strlen(f->label) : 0)
               + 2 * (np[i]->site_len + np[i]->label_len)
               + NGX_ATOMIC_T_LEN;

        n = ngx_http_consent_status_variants(np[i]->family, np[i]->variant,
                                             names, values);
        for (k = 0; k < n; k++) {
            len += sizeof(",=\"\"") - 1 + ngx_strlen(names[k])
                   + ngx_strlen(values[k]);
        }
    }

    len += ngx_http_consent_status_head_len(
               "consent_unknown_hosts_overflow_total", "counter",
               (char *) ngx_http_consent_status_hosts_overflow_help.data)
           + sizeof("consent_unknown_hosts_overflow_total \n") - 1
           + NGX_ATOMIC_T_LEN
           + ngx_http_consent_status_head_len(
               "consent_status_dropped_total", "counter",
               (char *) ngx_http_consent_status_dropped_help.data)
           + sizeof("consent_status_dropped_total \n") - 1 + NGX_ATOMIC_T_LEN
           + ngx_http_consent_status_head_len(
               "consent_rules_loaded_timestamp_seconds", "gauge",
               (char *) ngx_http_consent_status_rules_help.data)
           + sizeof("consent_rules_loaded_timestamp_seconds"
                    "{generation=\"\"} \n") - 1
           + 2 * generation_len + NGX_TIME_T_LEN
           + ngx_http_consent_status_head_len(
               "consent_rules_load_failures_total", "counter",
               (char *) ngx_http_consent_status_failures_help.data)
           + sizeof("consent_rules_load_failures_total \n") - 1
           + NGX_ATOMIC_T_LEN;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    p = b->last;
    i = 0;

    for (family = 0; family < NGX_HTTP_CONSENT_STATUS_NFAMILIES; family++) {
        f = &ngx_http_consent_status_families[family];
        p = ngx_http_consent_status_head(p, f->name, f->type, f->help);

        for ( /* void */ ; i < nodes.nelts && np[i]->family == family; i++) {
            p = ngx_cpymem(p, f->name, ngx_strlen(f->name));
            *p++ = '{';
            p = ngx_http_consent_status_label(p, "site", np[i]->data,
                                              np[i]->site_len, 1);
            if (f->label) {
                p = ngx_http_consent_status_label(p, f->label,
                                             np[i]->data + np[i]->site_len,
                                             np[i]->label_len, 0);
            }
            n = ngx_http_consent_status_variants(family, np[i]->variant,
                                                 names, values);
            for (k = 0; k < n; k++) {
                p = ngx_http_consent_status_label(p, names[k],
                                                  (u_char *) values[k],
                                                  ngx_strlen(values[k]), 0);
            }
            p = ngx_sprintf(p, "} %uA\n", np[i]->value);
        }
    }

    p = ngx_http_consent_status_head(p,
            "consent_unknown_hosts_overflow_total", "counter",
            (char *) ngx_http_consent_status_hosts_overflow_help.data);
    p = ngx_sprintf(p, "consent_unknown_hosts_overflow_total %uA\n",
                    sh->hosts_overflow);

    p = ngx_http_consent_status_head(p, "consent_status_dropped_total",
            "counter", (char *) ngx_http_consent_status_dropped_help.data);
    p = ngx_sprintf(p, "consent_status_dropped_total %uA\n", sh->dropped);

    p = ngx_http_consent_status_head(p,
            "consent_rules_loaded_timestamp_seconds", "gauge",
            (char *) ngx_http_consent_status_rules_help.data);
    if (rules_loaded) {
        p = ngx_cpymem(p, "consent_rules_loaded_timestamp_seconds{",
                       sizeof("consent_rules_loaded_timestamp_seconds{") - 1);
        p = ngx_http_consent_status_label(p, "generation", generation,
                                          generation_len, 1);
        p = ngx_sprintf(p, "} %T\n", rules_time);
    }

    p = ngx_http_consent_status_head(p, "consent_rules_load_failures_total",
            "counter", (char *) ngx_http_consent_status_failures_help.data);
    p = ngx_sprintf(p, "consent_rules_load_failures_total %uA\n",
                    sh->rules_failures);

    b->last = p;
    *out = b;

    return NGX_OK;
}


static ngx_str_t  ngx_http_consent_status_no_zone = ngx_string(
    "consent_status: no consent_zone is configured, so no counters are "
    "kept; add \"consent_zone NAME SIZE;\" to the http block\n");


static ngx_int_t
ngx_http_consent_status_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_buf_t                       *b;
    ngx_chain_t                      out;
    ngx_http_consent_status_zone_t  *zone;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    zone = ngx_http_consent_status_zone(r);

    if (zone == NULL) {
        /*
         * Not configured, so not there: 404, like a location without
         * content, with the reason in the body for whoever looks.
         */
        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        b->pos = ngx_http_consent_status_no_zone.data;
        b->last = b->pos + ngx_http_consent_status_no_zone.len;
        b->memory = 1;
        r->headers_out.status = NGX_HTTP_NOT_FOUND;
        ngx_str_set(&r->headers_out.content_type, "text/plain");

    } else {
        if (ngx_http_consent_status_render(r, zone, &b) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        r->headers_out.status = NGX_HTTP_OK;
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4; charset=utf-8");
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = b->last - b->pos;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* ---- configuration ---- */

static void *
ngx_http_consent_status_create_main_conf(ngx_conf_t *cf)
{
    /*
     * set by ngx_pcalloc():
     *
     *     smcf->shm_zone = NULL;
     *     smcf->status_file = { 0, NULL };
     *     smcf->rules_loaded = 0;
     *     smcf->generation = { 0, NULL };
     */

    return ngx_pcalloc(cf->pool, sizeof(ngx_http_consent_status_main_conf_t));
}


static char *
ngx_http_consent_status_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_consent_status_main_conf_t *smcf = conf;

    if (smcf->status_file.len && smcf->shm_zone == NULL) {
        /* where consent_status is, not where the http block ends */
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "\"consent_status\" in %V:%ui has no \"consent_zone\" "
                      "to read and answers 404",
                      &smcf->status_file, smcf->status_line);
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_status_main_conf_t *smcf = conf;

    ssize_t                          size, min;
    ngx_str_t                       *value;
    ngx_http_consent_status_zone_t  *zone;

    if (smcf->shm_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent_zone\" needs a zone name");
        return NGX_CONF_ERROR;
    }

    size = ngx_parse_size(&value[2]);
    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"consent_zone\" size \"%V\"",
                           &value[2]);
        return NGX_CONF_ERROR;
    }

    min = NGX_HTTP_CONSENT_STATUS_MIN_PAGES * ngx_pagesize;
    if (size < min) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent_zone\" \"%V\" size %V is too small, "
                           "it must be at least %uzk",
                           &value[1], &value[2], (size_t) min / 1024);
        return NGX_CONF_ERROR;
    }

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_consent_status_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    smcf->shm_zone = ngx_shared_memory_add(cf, &value[1], size,
                                           &ngx_http_consent_status_module);
    if (smcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (smcf->shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent_zone\" \"%V\" is already declared",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    zone->name = value[1];
    smcf->shm_zone->init = ngx_http_consent_status_init_zone;
    smcf->shm_zone->data = zone;

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t             *clcf;
    ngx_http_consent_status_main_conf_t  *smcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_consent_status_handler;

    /* checked for a zone once the http block is read */
    smcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_consent_status_module);
    if (smcf->status_file.len == 0) {
        smcf->status_file = cf->conf_file->file.name;
        smcf->status_line = cf->conf_file->line;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_consent_status_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_consent_status_zone_t  *ozone = data;

    size_t                           n;
    ngx_uint_t                       nbuckets;
    ngx_http_consent_status_zone_t  *zone;

    zone = shm_zone->data;

    if (ozone) {
        /* a reload kept the zone (same name and size): keep its counters */
        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;
        return NGX_OK;
    }

    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        zone->sh = zone->shpool->data;
        return NGX_OK;
    }

    zone->sh = ngx_slab_calloc(zone->shpool,
                               sizeof(ngx_http_consent_status_shctx_t));
    if (zone->sh == NULL) {
        return NGX_ERROR;
    }

    zone->shpool->data = zone->sh;

    /* about one chain per kilobyte, and room for host series in a quarter */
    nbuckets = 32;
    while (nbuckets < shm_zone->shm.size / 1024) {
        nbuckets *= 2;
    }

    n = nbuckets * sizeof(ngx_http_consent_status_node_t *);
    zone->sh->buckets = ngx_slab_calloc(zone->shpool, n);
    if (zone->sh->buckets == NULL) {
        return NGX_ERROR;
    }

    zone->sh->nbuckets = nbuckets;
    zone->sh->max_hosts = shm_zone->shm.size / 2048;

    n = sizeof(" in consent_zone \"\"") + shm_zone->shm.name.len;
    zone->shpool->log_ctx = ngx_slab_alloc(zone->shpool, n);
    if (zone->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(zone->shpool->log_ctx, " in consent_zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full zone is counted and logged once, not logged per allocation */
    zone->shpool->log_nomem = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_consent_status_init_module(ngx_cycle_t *cycle)
{
    ngx_http_consent_status_main_conf_t  *smcf;

    if (cycle->conf_ctx == NULL) {
        return NGX_OK;
    }

    smcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_consent_status_module);

    if (smcf == NULL || smcf->shm_zone == NULL || !smcf->rules_loaded) {
        return NGX_OK;
    }

    /* the configuration starts now: its rules are the ones in use */
    ngx_http_consent_status_set_rules(smcf->shm_zone->data,
                                      &smcf->generation, smcf->rules_time);

    return NGX_OK;
}
