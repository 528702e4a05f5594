/*
 * Rule generations: the consent_rules file loaded at configuration time,
 * and again in a worker whenever the file changes (hot reload). Responses
 * hold a reference to the generation that gates them.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sys/random.h>

#include "ngx_http_consent.h"
#include "ngx_http_consent_status.h"


/* distinct unknown hosts logged per generation and worker */
#define NGX_HTTP_CONSENT_UNKNOWN_MAX    4096

/* what the gate's memo keeps per generation and worker: keys and results */
#define NGX_HTTP_CONSENT_MEMO_SIZE      (1024 * 1024)


void
ngx_http_consent_gen_release(void *data)
{
    ngx_http_consent_gen_t  *gen = data;

    if (--gen->refs == 0) {
        ngx_http_consent_gen_memo_free(gen);
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
ngx_http_consent_gen_t *
ngx_http_consent_gen_current(ngx_http_consent_main_conf_t *mcf, ngx_log_t *log)
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


/*
 * True the first time this worker sees the host under this generation, so
 * each unknown host is logged once per generation per worker. The table is
 * bounded; past it, one line says further hosts go unlogged.
 */
ngx_uint_t
ngx_http_consent_gen_first_sighting(ngx_http_consent_gen_t *gen,
    const char *host, size_t len, ngx_log_t *log)
{
    uint64_t    hash;
    ngx_uint_t  slot, mask;

    hash = cs_fnv1a(CS_FNV1A_INIT, host, len) | 1;   /* 0: an empty slot */

    if (gen->unknown_seen == NULL) {
        gen->unknown_seen = ngx_calloc(2 * NGX_HTTP_CONSENT_UNKNOWN_MAX
                                       * sizeof(uint64_t), log);
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
            ngx_log_error(NGX_LOG_WARN, log, 0,
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


static void *
ngx_http_consent_heap_alloc(void *ctx, size_t size)
{
    return ngx_alloc(size, ctx);
}


static void
ngx_http_consent_heap_free(void *ctx, void *p)
{
    ngx_free(p);
}


/*
 * Made in the worker, never in the master: each worker has its own (the
 * memo is not shared memory), keyed by its own random bytes.
 */
cs_gate_memo_t *
ngx_http_consent_gen_memo(ngx_http_consent_gen_t *gen, ngx_log_t *log)
{
    u_char          key[16];
    cs_allocator_t  heap;

    if (gen->memo || gen->memo_failed) {
        return gen->memo;
    }

    if (getrandom(key, sizeof(key), GRND_NONBLOCK) != (ssize_t) sizeof(key)) {
        ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                      "consent: no random bytes for the gate's memo; "
                      "generation %V is gated without one", &gen->id);
        gen->memo_failed = 1;
        return NULL;
    }

    heap.alloc = ngx_http_consent_heap_alloc;
    heap.free = ngx_http_consent_heap_free;
    heap.ctx = ngx_cycle->log;

    gen->memo = cs_gate_memo_create(gen->rules, key,
                                    NGX_HTTP_CONSENT_MEMO_SIZE, &heap);
    if (gen->memo == NULL) {
        gen->memo_failed = 1;
    }

    return gen->memo;
}


void
ngx_http_consent_gen_memo_free(ngx_http_consent_gen_t *gen)
{
    cs_gate_memo_free(gen->memo);
    gen->memo = NULL;
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


ngx_int_t
ngx_http_consent_gen_load_first(ngx_conf_t *cf,
    ngx_http_consent_main_conf_t *mcf)
{
    char                 err[512];
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    /* identify the file first: a later change is then always noticed */
    if (ngx_http_consent_file_id(&mcf->path, &mcf->file) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "consent_rules \"%V\" cannot be read",
                           &mcf->path);
        ngx_http_consent_status_rules_failed(cf);
        return NGX_ERROR;
    }

    mcf->gen = ngx_http_consent_gen_load(&mcf->path, cf->log, err,
                                         sizeof(err));
    if (mcf->gen == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "consent_rules \"%V\": %s", &mcf->path, err);
        ngx_http_consent_status_rules_failed(cf);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_consent_release_current;
    cln->data = mcf;

    ngx_http_consent_status_rules_loaded(cf, &mcf->gen->id);

    return NGX_OK;
}
