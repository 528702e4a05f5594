/*
 * Rules compiler, second half: walks the rule documents (cs_compile.c reads
 * their recipients and sites), checks what needs every file read (consent
 * manager maps, gpc_categories), writes meta and the generation, and
 * builds the database file: the entry points of cs_compile.h.
 */

#include "cs_compile_impl.h"
#include "cs_err.h"

#include <errno.h>
#include <fcntl.h>
#include <libfyaml.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CS_MAP_SIZE_INITIAL   (64u * 1024u * 1024u)
#define CS_MAP_SIZE_MAX       ((size_t) 4 * 1024u * 1024u * 1024u)

/* Consent manager formats a site's consent_map may name. */
static const char *const cs_cmp_formats[] = {
    "onetrust", "cookiebot", "cc_cookie", "klaro",
};

/* ---------------------------------------------------------------------- */
/* Consent manager maps */

/* A CMP's name for a group, category or service: printable, no space. */
static bool
cs_cmp_name_valid(const char *s, size_t len)
{
    if (len == 0 || len > CS_RULES_CMP_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];

        if (c <= ' ' || c >= 0x7f) {
            return false;
        }
    }
    return true;
}

/*
 * One "NAME: [target, ...]" entry of a format: -> cmp_maps key
 * "SITE/FORMAT/NAME", value fields (each target and a NUL).
 */
static void
cs_cmp_map_entry(cs_cc_t *cc, const char *site, const char *format,
    struct fy_node *nk, struct fy_node *nv)
{
    const char      *name;
    size_t           nlen;
    void            *it = NULL;
    struct fy_node  *item;
    unsigned         before = cc->nfindings;
    MDB_val          unused;

    if (!cs_scalar(cc, nk, NULL, "consent_map name", &name, &nlen)) {
        return;
    }
    if (!cs_cmp_name_valid(name, nlen)) {
        cs_error_at(cc, nk, NULL, "invalid %s name '%.*s' in consent_map: "
                    "use 1 to %d printable ASCII characters, no spaces",
                    format, (int) (nlen > 80 ? 80 : nlen), name,
                    CS_RULES_CMP_NAME_MAX);
        return;
    }
    if (nv == NULL || !fy_node_is_sequence(nv)) {
        cs_error_at(cc, nv, nk, "consent_map %s '%.*s' must be a list of "
                    "recipient ids and/or categories", format, (int) nlen,
                    name);
        return;
    }
    if (fy_node_sequence_item_count(nv) == 0) {
        cs_error_at(cc, nv, nk, "consent_map %s '%.*s' is an empty list "
                    "(map it to recipient ids and/or categories, or leave it "
                    "out)", format, (int) nlen, name);
        return;
    }

    cc->val.len = 0;
    while ((item = fy_node_sequence_iterate(nv, &it)) != NULL) {
        const char  *t;
        size_t       tlen;

        if (!cs_scalar(cc, item, nk, "consent_map target", &t, &tlen)) {
            continue;
        }
        if (!cs_known_category(cc, t, tlen)
            && !(cs_rules_id_valid(t, tlen)
                 && cs_get(cc, DB_RECIPIENTS, t, tlen, &unused)))
        {
            cs_error_at(cc, item, nk, "consent_map %s '%.*s': '%.*s' is "
                        "neither a recipient id nor a category", format,
                        (int) nlen, name, (int) (tlen > 80 ? 80 : tlen), t);
        } else if (cs_fields_have(&cc->val, t, tlen)) {
            cs_error_at(cc, item, nk, "consent_map %s '%.*s': '%.*s' is "
                        "listed twice", format, (int) nlen, name, (int) tlen,
                        t);
        } else if (cs_buf_field(&cc->val, t, tlen) != 0) {
            cs_oom(cc);
            return;
        }
    }
    if (cc->nfindings != before) {
        return;
    }

    char key[CS_ID_MAX + 1 + 16 + 1 + CS_RULES_CMP_NAME_MAX + 1];
    int  klen = snprintf(key, sizeof(key), "%s/%s/%.*s", site, format,
                         (int) nlen, name);

    if (klen < 0 || (size_t) klen >= sizeof(key)) {
        cs_oom(cc);                     /* cannot happen: all parts bounded */
        return;
    }
    if (cs_put(cc, DB_CMP_MAPS, key, (size_t) klen, cc->val.data, cc->val.len,
               MDB_NOOVERWRITE) == MDB_KEYEXIST)
    {
        cs_error_at(cc, nk, NULL, "consent_map %s '%.*s' is given twice for "
                    "site '%s'", format, (int) nlen, name, site);
    }
}

/*
 * consent_map: { FORMAT: { NAME: [target, ...] } } of one site. Runs after
 * all recipients and sites, so targets may be any category in the file.
 */
static void
cs_consent_map(cs_cc_t *cc, const cs_pending_map_t *pm)
{
    void                *it = NULL;
    struct fy_node_pair *pair;

    if (pm->value == NULL || !fy_node_is_mapping(pm->value)
        || fy_node_mapping_item_count(pm->value) == 0)
    {
        cs_error_at(cc, pm->value, pm->key, "'consent_map' must be a mapping "
                    "of formats (onetrust, cookiebot, cc_cookie, klaro) to "
                    "{NAME: [recipient ids and/or categories]}");
        return;
    }

    while ((pair = fy_node_mapping_iterate(pm->value, &it)) != NULL) {
        struct fy_node  *fk = fy_node_pair_key(pair);
        struct fy_node  *fv = fy_node_pair_value(pair);
        const char      *fs, *format = NULL;
        size_t           flen;

        if (!cs_scalar(cc, fk, NULL, "consent_map format", &fs, &flen)) {
            continue;
        }
        for (size_t i = 0;
             i < sizeof(cs_cmp_formats) / sizeof(cs_cmp_formats[0]); i++)
        {
            if (cs_text_is(fs, flen, cs_cmp_formats[i])) {
                format = cs_cmp_formats[i];
            }
        }
        if (format == NULL) {
            cs_error_at(cc, fk, NULL, "unknown consent_map format '%.*s' "
                        "(known: onetrust, cookiebot, cc_cookie, klaro)",
                        (int) (flen > 60 ? 60 : flen), fs);
            continue;
        }
        if (fv == NULL || !fy_node_is_mapping(fv)
            || fy_node_mapping_item_count(fv) == 0)
        {
            cs_error_at(cc, fv, fk, "consent_map %s must be a non-empty "
                        "mapping of %s names to lists of recipient ids "
                        "and/or categories", format, format);
            continue;
        }

        void                *nit = NULL;
        struct fy_node_pair *npair;

        while ((npair = fy_node_mapping_iterate(fv, &nit)) != NULL) {
            cs_cmp_map_entry(cc, pm->site, format, fy_node_pair_key(npair),
                             fy_node_pair_value(npair));
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Global Privacy Control */

/*
 * gpc_categories: [advertising, social] -> meta "gpc_categories" (fields).
 * Absent: no meta key, and readers apply the default (advertising, social).
 */
static void
cs_gpc_categories(cs_cc_t *cc, struct fy_node *key, struct fy_node *value)
{
    void            *it = NULL;
    struct fy_node  *item;
    unsigned         before = cc->nfindings;

    if (value == NULL || !fy_node_is_sequence(value)
        || fy_node_sequence_item_count(value) == 0)
    {
        cs_error_at(cc, value, key, "'gpc_categories' must be a non-empty "
                    "list of categories (to ignore Global Privacy Control, "
                    "use 'consent_gpc off' in nginx)");
        return;
    }

    cc->val.len = 0;
    while ((item = fy_node_sequence_iterate(value, &it)) != NULL) {
        const char  *s;
        size_t       len;

        if (!cs_scalar(cc, item, key, "gpc_categories", &s, &len)) {
            continue;
        }
        if (!cs_known_category(cc, s, len)) {
            cs_error_at(cc, item, key, "gpc_categories: '%.*s' is not a "
                        "category of any recipient or declaration",
                        (int) (len > 80 ? 80 : len), s);
        } else if (cs_fields_have(&cc->val, s, len)) {
            cs_error_at(cc, item, key, "gpc_categories: '%.*s' is listed "
                        "twice", (int) len, s);
        } else if (cs_buf_field(&cc->val, s, len) != 0) {
            cs_oom(cc);
            return;
        }
    }
    if (cc->nfindings == before) {
        (void) cs_put(cc, DB_META, "gpc_categories", strlen("gpc_categories"),
                      cc->val.data, cc->val.len, 0);
    }
}

/* ---------------------------------------------------------------------- */
/* Document */

/* The top-level parts of one rule file. */
typedef struct {
    struct fy_node  *root;
    struct fy_node  *k_rec, *v_rec, *k_sites, *v_sites, *k_gpc, *v_gpc;
} cs_parts_t;

/* Checks the top-level keys of the current file (cc->src). */
static void
cs_document_parts(cs_cc_t *cc, struct fy_node *root, cs_parts_t *p)
{
    void                *it = NULL;
    struct fy_node_pair *pair;

    memset(p, 0, sizeof(*p));
    p->root = root;
    if (root == NULL || !fy_node_is_mapping(root)) {
        cs_error_at(cc, root, NULL, "the rule file must be a mapping with "
                    "'recipients' and 'sites'");
        p->root = NULL;
        return;
    }

    while ((pair = fy_node_mapping_iterate(root, &it)) != NULL) {
        struct fy_node  *k = fy_node_pair_key(pair);
        struct fy_node  *v = fy_node_pair_value(pair);
        const char      *ks, *s;
        size_t           klen, len;

        if (!cs_scalar(cc, k, NULL, "key", &ks, &klen)) {
            continue;
        }
        if (cs_text_is(ks, klen, "format")) {
            if (cs_scalar(cc, v, k, "format", &s, &len)
                && !cs_text_is(s, len, CS_RULES_FORMAT_VERSION))
            {
                cs_error_at(cc, v, k, "unsupported rules format '%.*s' (this "
                            "compiler understands format "
                            CS_RULES_FORMAT_VERSION ")",
                            (int) (len > 20 ? 20 : len), s);
            }
        } else if (cs_text_is(ks, klen, "recipients")) {
            p->k_rec = k;
            p->v_rec = v;
        } else if (cs_text_is(ks, klen, "sites")) {
            p->k_sites = k;
            p->v_sites = v;
        } else if (cs_text_is(ks, klen, "gpc_categories")) {
            p->k_gpc = k;
            p->v_gpc = v;
        } else {
            cs_error_at(cc, k, NULL, "unknown top-level key '%.*s' (known: "
                        "format, recipients, sites, gpc_categories)",
                        (int) (klen > 60 ? 60 : klen), ks);
        }
    }

    /*
     * One file must have both parts. Of several, each needs one of them
     * (e.g. an imported file of recipients, a file of sites only).
     */
    bool need_both = cc->nsrcs == 1
                     || (p->k_rec == NULL && p->k_sites == NULL);

    if (p->k_rec == NULL) {
        if (need_both) {
            cs_error_at(cc, root, NULL, "missing 'recipients'");
        }
    } else if (p->v_rec == NULL || !fy_node_is_sequence(p->v_rec)
               || fy_node_sequence_item_count(p->v_rec) == 0)
    {
        cs_error_at(cc, p->v_rec, p->k_rec, "'recipients' must be a "
                    "non-empty list");
        p->k_rec = NULL;
    }
    if (p->k_sites == NULL) {
        if (need_both) {
            cs_error_at(cc, root, NULL, "missing 'sites'");
        }
    } else if (p->v_sites != NULL && !fy_node_is_sequence(p->v_sites)) {
        cs_error_at(cc, p->v_sites, p->k_sites, "'sites' must be a list");
        p->k_sites = NULL;
    }
}

/*
 * All rule files as one: recipients of every file before any site (a site
 * may declare a recipient of another file), then the checks that need
 * every category. Messages name the file being read (cc->src).
 */
static void
cs_documents(cs_cc_t *cc)
{
    cs_parts_t  *parts = calloc(cc->nsrcs, sizeof(*parts));
    size_t       gpc_file = 0;
    bool         have_gpc = false;

    if (parts == NULL) {
        cs_oom(cc);
        return;
    }
    for (size_t i = 0; i < cc->nsrcs; i++) {
        cc->src = cc->srcs[i].path;
        cs_document_parts(cc, fy_document_root(cc->srcs[i].doc), &parts[i]);
    }

    for (size_t i = 0; i < cc->nsrcs; i++) {
        void           *rit = NULL;
        struct fy_node *item;

        if (parts[i].k_rec == NULL) {
            continue;
        }
        cc->src = cc->srcs[i].path;
        while ((item = fy_node_sequence_iterate(parts[i].v_rec, &rit))
               != NULL)
        {
            cs_recipient(cc, item);
        }
    }

    for (size_t i = 0; i < cc->nsrcs; i++) {
        void           *sit = NULL;
        struct fy_node *item;

        if (parts[i].k_sites == NULL || parts[i].v_sites == NULL) {
            continue;
        }
        cc->src = cc->srcs[i].path;
        while ((item = fy_node_sequence_iterate(parts[i].v_sites, &sit))
               != NULL)
        {
            cs_site(cc, item);
        }
    }

    /* Consent cookie items are recipient ids or category names. */
    for (size_t i = 0; i < cc->ncats; i++) {
        MDB_val unused;

        if (cs_get(cc, DB_RECIPIENTS, cc->cats[i].text,
                   strlen(cc->cats[i].text), &unused))
        {
            char line[CS_PATH_MAX + 256];

            cc->nfindings++;
            snprintf(line, sizeof(line), "%s:%d:%d: category '%s' is also a "
                     "recipient id (consent cookie items would be ambiguous)",
                     cc->cats[i].src, cc->cats[i].line, cc->cats[i].col,
                     cc->cats[i].text);
            cs_finding_append(cc, line);
        }
    }

    /* These need every category: after recipients and sites. */
    for (size_t i = 0; i < cc->nmaps; i++) {
        cc->src = cc->maps[i].src;
        cs_consent_map(cc, &cc->maps[i]);
    }
    for (size_t i = 0; i < cc->nsrcs; i++) {
        if (parts[i].k_gpc == NULL) {
            continue;
        }
        cc->src = cc->srcs[i].path;
        if (have_gpc) {
            int  line = 0, col = 0;

            (void) cs_node_pos(parts[gpc_file].k_gpc, &line, &col);
            cs_error_at(cc, parts[i].k_gpc, NULL, "'gpc_categories' is "
                        "given again (first at %s:%d): give it in one rule "
                        "file", cc->srcs[gpc_file].path, line);
            continue;
        }
        have_gpc = true;
        gpc_file = i;
        cs_gpc_categories(cc, parts[i].k_gpc, parts[i].v_gpc);
    }

    cc->src = cc->sources;
    free(parts);
}

static void
cs_write_meta(cs_cc_t *cc)
{
    char stamp[32];

    snprintf(stamp, sizeof(stamp), "%lld", (long long) time(NULL));
    (void) cs_put(cc, DB_META, "format_version", strlen("format_version"),
                  CS_RULES_FORMAT_VERSION, strlen(CS_RULES_FORMAT_VERSION), 0);
    (void) cs_put(cc, DB_META, "source", strlen("source"), cc->src,
                  strlen(cc->src), 0);
    (void) cs_put(cc, DB_META, "compiled_at", strlen("compiled_at"), stamp,
                  strlen(stamp), 0);
}

/* ---------------------------------------------------------------------- */
/* Generation */

/* Hashes a length as 8 little-endian bytes, whatever the host's order. */
static uint64_t
cs_fnv1a_len(uint64_t h, size_t len)
{
    unsigned char le[8];

    for (int i = 0; i < 8; i++) {
        le[i] = (unsigned char) ((uint64_t) len >> (8 * i));
    }
    return cs_fnv1a(h, le, sizeof(le));
}

/* Meta keys describing the compilation rather than the rules. */
static bool
cs_generation_skips(enum cs_db_e db, const MDB_val *key)
{
    static const char *const skip[] = { "source", "compiled_at",
                                        "generation" };

    if (db != DB_META) {
        return false;
    }
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
        if (key->mv_size == strlen(skip[i])
            && memcmp(key->mv_data, skip[i], key->mv_size) == 0)
        {
            return true;
        }
    }
    return false;
}

/*
 * meta "generation": 16 lowercase hex digits of FNV-1a 64 over every
 * record written so far (doc/lmdb-layout.md), sub-databases in cs_db_names
 * order, keys in LMDB byte order, each record as key length, key, value
 * length, value. Lengths make the encoding unambiguous, so a one-byte
 * change of any text always yields another generation.
 */
static void
cs_write_generation(cs_cc_t *cc)
{
    uint64_t  h = CS_FNV1A_INIT;
    char      hex[17];

    for (int db = 0; db < DB_COUNT && cc->mdb_rc == 0; db++) {
        MDB_cursor  *cur;
        MDB_val      key, val;
        int          rc = mdb_cursor_open(cc->txn, cc->dbi[db], &cur);

        if (rc != 0) {
            cc->mdb_rc = rc;
            return;
        }
        h = cs_fnv1a(h, cs_db_names[db], strlen(cs_db_names[db]) + 1);
        while ((rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) == 0) {
            if (cs_generation_skips((enum cs_db_e) db, &key)) {
                continue;
            }
            h = cs_fnv1a_len(h, key.mv_size);
            h = cs_fnv1a(h, key.mv_data, key.mv_size);
            h = cs_fnv1a_len(h, val.mv_size);
            h = cs_fnv1a(h, val.mv_data, val.mv_size);
        }
        mdb_cursor_close(cur);
        if (rc != MDB_NOTFOUND) {
            cc->mdb_rc = rc;
            return;
        }
    }
    snprintf(hex, sizeof(hex), "%016llx", (unsigned long long) h);
    (void) cs_put(cc, DB_META, "generation", strlen("generation"), hex,
                  strlen(hex), 0);
}

/* ---------------------------------------------------------------------- */
/* Files */

/* Reads a whole file (bounded) into a malloc'd buffer. */
int
cs_read_file(const char *path, char **data, size_t *len, char *err,
    size_t errlen)
{
    FILE    *fp = fopen(path, "rb");
    cs_buf_t b = { NULL, 0, 0 };
    char     chunk[65536];
    size_t   n;

    if (fp == NULL) {
        cs_set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (b.len + n > CS_COMPILE_MAX_SOURCE) {
            cs_set_err(err, errlen, "%s: larger than %u bytes", path,
                       CS_COMPILE_MAX_SOURCE);
            goto failed;
        }
        if (cs_buf_add(&b, chunk, n) != 0) {
            cs_set_err(err, errlen, "%s: out of memory", path);
            goto failed;
        }
    }
    if (ferror(fp)) {
        cs_set_err(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto failed;
    }
    fclose(fp);
    if (b.data == NULL && cs_buf_add(&b, "", 0) != 0) {
        cs_set_err(err, errlen, "%s: out of memory", path);
        return -1;
    }
    *data = b.data;
    *len = b.len;
    return 0;

failed:
    fclose(fp);
    free(b.data);
    return -1;
}

static int
cs_fsync_path(const char *path, int flags)
{
    int fd = open(path, flags);
    int rc;

    if (fd < 0) {
        return -1;
    }
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* fsync the directory holding "path" so the rename itself is durable. */
static void
cs_fsync_parent(const char *path)
{
    char        dir[CS_PATH_MAX];
    const char *slash = strrchr(path, '/');

    if (slash == NULL) {
        snprintf(dir, sizeof(dir), ".");
    } else if (slash == path) {
        snprintf(dir, sizeof(dir), "/");
    } else {
        snprintf(dir, sizeof(dir), "%.*s", (int) (slash - path), path);
    }
    (void) cs_fsync_path(dir, O_RDONLY);
}

static void
cs_unlink_tmp(const char *tmp)
{
    char lock[CS_PATH_MAX + 8];

    (void) unlink(tmp);
    snprintf(lock, sizeof(lock), "%s-lock", tmp);
    (void) unlink(lock);
}

/*
 * One attempt: build the whole database into "tmp" in a single write
 * transaction. Returns CS_COMPILE_OK, _INVALID (findings), _IO, or
 * MDB_MAP_FULL (caller retries with a larger map).
 */
static int
cs_build(cs_cc_t *cc, const char *tmp, size_t mapsize)
{
    MDB_env  *env = NULL;
    int       rc, ret = CS_COMPILE_IO;

    cc->errused = 0;
    cc->nfindings = 0;
    cc->mdb_rc = 0;
    cc->ncats = 0;
    cc->nmaps = 0;
    cc->txn = NULL;
    if (cc->err != NULL && cc->errlen > 0) {
        cc->err[0] = '\0';
    }

    cs_unlink_tmp(tmp);

    rc = mdb_env_create(&env);
    if (rc == 0) {
        rc = mdb_env_set_maxdbs(env, DB_COUNT + 2);
    }
    if (rc == 0) {
        rc = mdb_env_set_mapsize(env, mapsize);
    }
    /* A private new file: nobody else opens it until it is renamed. */
    if (rc == 0) {
        rc = mdb_env_open(env, tmp, MDB_NOSUBDIR | MDB_NOLOCK, 0644);
    }
    if (rc == 0) {
        rc = mdb_txn_begin(env, NULL, 0, &cc->txn);
    }
    for (int i = 0; rc == 0 && i < DB_COUNT; i++) {
        rc = mdb_dbi_open(cc->txn, cs_db_names[i], MDB_CREATE, &cc->dbi[i]);
    }
    if (rc != 0) {
        cs_set_err(cc->err, cc->errlen, "%s: cannot create database: %s",
                   tmp, mdb_strerror(rc));
        goto done;
    }

    cs_write_meta(cc);
    cs_documents(cc);
    if (cc->nfindings == 0) {
        cs_write_generation(cc);        /* last: hashes everything else */
    }

    if (cc->mdb_rc == MDB_MAP_FULL) {
        ret = MDB_MAP_FULL;
        goto done;
    }
    if (cc->mdb_rc != 0) {
        cs_set_err(cc->err, cc->errlen, "%s: writing database: %s", tmp,
                   cc->mdb_rc == ENOMEM ? "out of memory"
                                        : mdb_strerror(cc->mdb_rc));
        goto done;
    }
    if (cc->nfindings > 0) {
        ret = CS_COMPILE_INVALID;
        goto done;
    }

    rc = mdb_txn_commit(cc->txn);
    cc->txn = NULL;
    if (rc == MDB_MAP_FULL) {
        ret = MDB_MAP_FULL;
        goto done;
    }
    if (rc != 0) {
        cs_set_err(cc->err, cc->errlen, "%s: commit failed: %s", tmp,
                   mdb_strerror(rc));
        goto done;
    }
    ret = CS_COMPILE_OK;

done:
    if (cc->txn != NULL) {
        mdb_txn_abort(cc->txn);
        cc->txn = NULL;
    }
    if (env != NULL) {
        mdb_env_close(env);
    }
    if (ret != CS_COMPILE_OK) {
        cs_unlink_tmp(tmp);
    }
    return ret;
}

/* Reports libfyaml's collected parse errors as FILE:LINE:COL findings. */
static void
cs_report_parse_errors(cs_cc_t *cc, struct fy_diag *diag)
{
    void                  *it = NULL;
    struct fy_diag_error  *e;
    char                   line[1024];

    unsigned               reported = 0;

    while ((e = fy_diag_errors_iterate(diag, &it)) != NULL) {
        if (e->type < FYET_ERROR) {
            continue;
        }
        reported++;
        cc->nfindings++;
        /* fy_diag_error positions are already 1-based */
        snprintf(line, sizeof(line), "%s:%d:%d: YAML syntax error: %s",
                 cc->src, e->line, e->column, e->msg ? e->msg : "?");
        cs_finding_append(cc, line);
    }
    if (reported == 0) {
        /* libfyaml reports nothing for a stream without a document */
        cc->nfindings++;
        snprintf(line, sizeof(line), "%s: no YAML document (empty file?)",
                 cc->src);
        cs_finding_append(cc, line);
    }
}

/* Diagnostics are collected, never printed: library code must not print. */
static void
cs_diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void) diag;
    (void) user;
    (void) buf;
    (void) len;
}

/* Parses one rule file; on failure reports libfyaml's errors as findings. */
static int
cs_parse_source(cs_cc_t *cc, cs_source_t *source)
{
    struct fy_diag     *diag;
    struct fy_diag_cfg  dcfg;
    struct fy_parse_cfg pcfg;

    if (cs_read_file(source->path, &source->data, &source->len, cc->err,
                     cc->errlen) != 0)
    {
        return CS_COMPILE_IO;
    }

    /* a diag per file: it collects errors until destroyed */
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = cs_diag_discard;
    dcfg.colorize = false;
    if ((diag = fy_diag_create(&dcfg)) == NULL) {
        cs_set_err(cc->err, cc->errlen, "%s: out of memory", source->path);
        return CS_COMPILE_IO;
    }
    fy_diag_set_collect_errors(diag, true);

    memset(&pcfg, 0, sizeof(pcfg));
    pcfg.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT;
    pcfg.diag = diag;

    source->doc = fy_document_build_from_string(&pcfg, source->data,
                                                source->len);
    if (source->doc == NULL) {
        cc->src = source->path;
        cs_report_parse_errors(cc, diag);
    }
    fy_diag_destroy(diag);
    return source->doc != NULL ? CS_COMPILE_OK : CS_COMPILE_INVALID;
}

int
cs_compile(const char *src, const char *db, char *err, size_t errlen)
{
    return cs_compile_sources(&src, 1, db, err, errlen);
}

int
cs_compile_sources(const char *const *srcs, size_t nsrcs, const char *db,
    char *err, size_t errlen)
{
    cs_cc_t  cc;
    char     tmp[CS_PATH_MAX];
    size_t   joined = 1;
    int      ret = CS_COMPILE_IO;

    memset(&cc, 0, sizeof(cc));
    cc.err = err;
    cc.errlen = errlen;
    cs_set_err(err, errlen, "%s", "");

    if (srcs == NULL || nsrcs == 0 || db == NULL) {
        cs_set_err(err, errlen, "cs_compile: source and database paths are "
                   "required");
        return CS_COMPILE_IO;
    }
    for (size_t i = 0; i < nsrcs; i++) {
        if (srcs[i] == NULL) {
            cs_set_err(err, errlen, "cs_compile: source path is NULL");
            return CS_COMPILE_IO;
        }
        joined += strlen(srcs[i]) + 1;
    }
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", db, (long) getpid())
        >= (int) sizeof(tmp) - 8)
    {
        cs_set_err(err, errlen, "%s: path too long", db);
        return CS_COMPILE_IO;
    }

    /* meta "source": the rule files, separated by spaces */
    char *sources = malloc(joined);

    cc.srcs = calloc(nsrcs, sizeof(*cc.srcs));
    cc.md = pcre2_match_data_create(1, NULL);
    if (sources == NULL || cc.srcs == NULL || cc.md == NULL) {
        cs_set_err(err, errlen, "%s: out of memory", srcs[0]);
        goto done;
    }
    sources[0] = '\0';
    for (size_t i = 0; i < nsrcs; i++) {
        if (i > 0) {
            strcat(sources, " ");
        }
        strcat(sources, srcs[i]);
    }
    cc.sources = sources;
    cc.src = sources;
    cc.nsrcs = nsrcs;

    /* Parse all files first: syntax errors of each are reported. */
    bool invalid = false;

    for (size_t i = 0; i < nsrcs; i++) {
        cc.srcs[i].path = srcs[i];
        ret = cs_parse_source(&cc, &cc.srcs[i]);
        if (ret == CS_COMPILE_IO) {
            goto done;
        }
        invalid = invalid || ret == CS_COMPILE_INVALID;
    }
    if (invalid) {
        ret = CS_COMPILE_INVALID;
        goto done;
    }
    cc.src = sources;

    for (size_t mapsize = CS_MAP_SIZE_INITIAL; ; mapsize *= 2) {
        ret = cs_build(&cc, tmp, mapsize);
        if (ret != MDB_MAP_FULL) {
            break;
        }
        if (mapsize >= CS_MAP_SIZE_MAX) {
            cs_set_err(err, errlen, "%s: rules need more than %zu bytes of "
                       "database", db, CS_MAP_SIZE_MAX);
            ret = CS_COMPILE_IO;
            goto done;
        }
    }
    if (ret != CS_COMPILE_OK) {
        goto done;
    }

    /* Prove the reader accepts the result before it replaces anything. */
    char        loaderr[512];
    cs_rules_t *check = cs_rules_load(tmp, loaderr, sizeof(loaderr));

    if (check == NULL) {
        cs_set_err(err, errlen, "%s: compiled rules do not load: %s",
                   sources, loaderr);
        cs_unlink_tmp(tmp);
        ret = CS_COMPILE_INVALID;
        goto done;
    }
    cs_rules_free(check);

    if (cs_fsync_path(tmp, O_RDONLY) != 0) {
        cs_set_err(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
        cs_unlink_tmp(tmp);
        ret = CS_COMPILE_IO;
        goto done;
    }
    if (rename(tmp, db) != 0) {
        cs_set_err(err, errlen, "%s: cannot rename %s into place: %s", db,
                   tmp, strerror(errno));
        cs_unlink_tmp(tmp);
        ret = CS_COMPILE_IO;
        goto done;
    }
    cs_fsync_parent(db);
    ret = CS_COMPILE_OK;

done:
    for (size_t i = 0; cc.srcs != NULL && i < nsrcs; i++) {
        if (cc.srcs[i].doc != NULL) {
            fy_document_destroy(cc.srcs[i].doc);
        }
        free(cc.srcs[i].data);
    }
    free(cc.srcs);
    free(sources);
    pcre2_match_data_free(cc.md);
    free(cc.val.data);
    free(cc.text.data);
    free(cc.cats);
    free(cc.maps);
    return ret;
}

int
cs_compile_tmp(const char *const *srcs, size_t nsrcs, const char *stem,
    const char *name, char *db, size_t dblen, char *err, size_t errlen)
{
    char        dir[CS_PATH_MAX];
    const char *tmpdir = getenv("TMPDIR");
    int         rc;

    if (tmpdir == NULL || tmpdir[0] == '\0') {
        tmpdir = "/tmp";
    }
    if (snprintf(dir, sizeof(dir), "%s/%s.XXXXXX", tmpdir, stem)
        >= (int) sizeof(dir))
    {
        cs_set_err(err, errlen, "%s: temporary path too long", tmpdir);
        return CS_COMPILE_IO;
    }
    if (mkdtemp(dir) == NULL) {
        cs_set_err(err, errlen, "%s: %s", dir, strerror(errno));
        return CS_COMPILE_IO;
    }
    if (snprintf(db, dblen, "%s/%s", dir, name) >= (int) dblen) {
        cs_set_err(err, errlen, "%s: temporary path too long", dir);
        (void) rmdir(dir);
        return CS_COMPILE_IO;
    }
    rc = cs_compile_sources(srcs, nsrcs, db, err, errlen);
    if (rc != CS_COMPILE_OK) {
        cs_compile_tmp_remove(db);
    }
    return rc;
}

void
cs_compile_tmp_remove(const char *db)
{
    char        dir[CS_PATH_MAX];
    const char *slash = strrchr(db, '/');

    (void) unlink(db);
    if (slash != NULL && (size_t) (slash - db) < sizeof(dir)) {
        snprintf(dir, sizeof(dir), "%.*s", (int) (slash - db), db);
        (void) rmdir(dir);
    }
}
