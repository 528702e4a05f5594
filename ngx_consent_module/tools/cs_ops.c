/*
 * consentctl operations (see cs_ops.h): reading a rules database or YAML
 * source into records, and disclosure. The commands check, diff and filter
 * are in cs_ops_check.c, cs_ops_diff.c and cs_ops_filter.c.
 */

#include "cs_ops_impl.h"
#include "cs_err.h"

#include <errno.h>
#include <libfyaml.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CS_OPS_ERR_MAX       (16u * 1024u)

/* ---------------------------------------------------------------------- */
/* records */

static const char *const cs_recipient_fields[] = {
    "name", "category", "sent", "purpose", "tcf_vendor_id", "tcf_purposes",
    NULL
};
static const char *const cs_site_fields[] = { "name", NULL };
static const char *const cs_declare_fields[] = {
    "service", "category", "sent", "purpose", "order", NULL
};


static char *
cs_memdup(const char *p, size_t n)
{
    char *d = malloc(n + 1);

    if (d != NULL) {
        if (n) {
            memcpy(d, p, n);
        }
        d[n] = '\0';
    }
    return d;
}

static bool
cs_rec_add(cs_ops_db_t *db, int which, const MDB_val *k, const MDB_val *v)
{
    if (db->nrecs == db->caprecs) {
        size_t    cap = db->caprecs ? db->caprecs * 2 : 256;
        cs_rec_t *nr = realloc(db->recs, cap * sizeof(*nr));
        if (nr == NULL) {
            return false;
        }
        db->recs = nr;
        db->caprecs = cap;
    }
    cs_rec_t *r = &db->recs[db->nrecs];
    r->db = which;
    r->klen = k->mv_size;
    r->vlen = v->mv_size;
    r->key = cs_memdup(k->mv_data, k->mv_size);
    r->val = cs_memdup(v->mv_data, v->mv_size);
    if (r->key == NULL || r->val == NULL) {
        free(r->key);
        free(r->val);
        return false;
    }
    db->nrecs++;
    return true;
}

static bool
cs_pos_add(cs_ops_db_t *db, int kind, const char *a, size_t alen,
    const char *b, size_t blen, size_t idx, size_t file, int line)
{
    if (db->npos == db->cappos) {
        size_t    cap = db->cappos ? db->cappos * 2 : 128;
        cs_pos_t *np = realloc(db->pos, cap * sizeof(*np));
        if (np == NULL) {
            return false;
        }
        db->pos = np;
        db->cappos = cap;
    }
    cs_pos_t *p = &db->pos[db->npos];
    p->kind = kind;
    p->idx = idx;
    p->file = file;
    p->line = line;
    p->a = cs_memdup(a, alen);
    p->b = b ? cs_memdup(b, blen) : NULL;
    if (p->a == NULL || (b != NULL && p->b == NULL)) {
        free(p->a);
        free(p->b);
        return false;
    }
    db->npos++;
    return true;
}

void
cs_ops_db_free(cs_ops_db_t *db)
{
    if (db == NULL) {
        return;
    }
    for (size_t i = 0; i < db->nrecs; i++) {
        free(db->recs[i].key);
        free(db->recs[i].val);
    }
    for (size_t i = 0; i < db->npos; i++) {
        free(db->pos[i].a);
        free(db->pos[i].b);
    }
    cs_rules_free(db->rules);
    free(db->recs);
    free(db->pos);
    free(db);
}

/* Reads every record, sub-database by sub-database, in key order. */
static int
cs_read_lmdb(cs_ops_db_t *db, const char *path, char *err, size_t errlen)
{
    MDB_env    *env = NULL;
    MDB_txn    *txn = NULL;
    int         rc, ret = CS_OPS_IO;
    char        lerr[512];

    /* the reader's own checks first: only a valid rules file is read */
    cs_rules_free(db->rules);
    db->rules = cs_rules_load(path, lerr, sizeof(lerr));
    if (db->rules == NULL) {
        cs_set_err(err, errlen, "%s: %s", path, lerr);
        return CS_OPS_FINDINGS;
    }

    if ((rc = mdb_env_create(&env)) != 0
        || (rc = mdb_env_set_maxdbs(env, 16)) != 0
        || (rc = mdb_env_open(env, path, MDB_RDONLY | MDB_NOSUBDIR
                              | MDB_NOLOCK, 0644)) != 0
        || (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0)
    {
        cs_set_err(err, errlen, "%s: %s", path, mdb_strerror(rc));
        goto done;
    }
    for (int i = 0; i < DB_COUNT; i++) {
        MDB_dbi     dbi;
        MDB_cursor *cur;
        MDB_val     k, v;

        rc = mdb_dbi_open(txn, cs_db_names[i], 0, &dbi);
        if (rc == MDB_NOTFOUND && cs_db_optional(i)) {
            continue;                           /* optional: absent = empty */
        }
        if (rc != 0 || (rc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
            cs_set_err(err, errlen, "%s: %s: %s", path, cs_db_names[i],
                       mdb_strerror(rc));
            goto done;
        }
        while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
            if (!cs_rec_add(db, i, &k, &v)) {
                mdb_cursor_close(cur);
                cs_set_err(err, errlen, "%s: out of memory", path);
                goto done;
            }
        }
        mdb_cursor_close(cur);
        if (rc != MDB_NOTFOUND) {
            cs_set_err(err, errlen, "%s: %s", path, mdb_strerror(rc));
            goto done;
        }
    }
    ret = CS_OPS_OK;
done:
    if (txn) {
        mdb_txn_abort(txn);
    }
    if (env) {
        mdb_env_close(env);
    }
    return ret;
}

/* ---- YAML positions ---- */

static int
cs_yline(struct fy_node *n)
{
    struct fy_token      *tok;
    const struct fy_mark *m;

    if (n == NULL || !fy_node_is_scalar(n)) {
        return 0;
    }
    tok = fy_node_get_scalar_token(n);
    m = tok ? fy_token_start_mark(tok) : NULL;
    return m ? m->line + 1 : 0;
}

static const char *
cs_yscalar(struct fy_node *n, size_t *len)
{
    if (n == NULL || !fy_node_is_scalar(n)) {
        return NULL;
    }
    return fy_node_get_scalar(n, len);
}

/* Positions of the source "path", the file-th of those compiled. */
static bool
cs_yaml_positions(cs_ops_db_t *db, const char *path, size_t file)
{
    struct fy_parse_cfg  cfg;
    struct fy_document  *doc;
    struct fy_node      *root, *seq, *it_node;
    void                *it = NULL;
    bool                 ok = true;

    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT;
    doc = fy_document_build_from_file(&cfg, path);
    if (doc == NULL) {
        return true;                  /* positions are best effort */
    }
    root = fy_document_root(doc);
    seq = root && fy_node_is_mapping(root)
          ? fy_node_mapping_lookup_by_string(root, "recipients", -1) : NULL;
    while (ok && seq && fy_node_is_sequence(seq)
           && (it_node = fy_node_sequence_iterate(seq, &it)) != NULL)
    {
        struct fy_node *idn, *lst, *x;
        const char     *id;
        size_t          idlen, i;
        void           *it2;

        if (!fy_node_is_mapping(it_node)) {
            continue;
        }
        idn = fy_node_mapping_lookup_by_string(it_node, "id", -1);
        if ((id = cs_yscalar(idn, &idlen)) == NULL) {
            continue;
        }
        ok = cs_pos_add(db, P_RECIPIENT, id, idlen, NULL, 0, 0, file,
                        cs_yline(idn));
        lst = fy_node_mapping_lookup_by_string(it_node, "hosts", -1);
        it2 = NULL;
        while (ok && lst && fy_node_is_sequence(lst)
               && (x = fy_node_sequence_iterate(lst, &it2)) != NULL)
        {
            char        h[CS_HOST_MAX + 1];
            size_t      sl, hl;
            const char *s = cs_yscalar(x, &sl);

            /* stored normalised; one that is not a host is not stored */
            if (s != NULL && cs_normalize_host(s, sl, h, &hl) == NULL) {
                ok = cs_pos_add(db, P_HOST, id, idlen, h, hl, 0, file,
                                cs_yline(x));
            }
        }
        /* signatures and paths: found by their ordinal */
        for (int kind = P_SIG; ok && kind <= P_PATH; kind += P_PATH - P_SIG) {
            lst = fy_node_mapping_lookup_by_string(it_node, kind == P_SIG
                                                   ? "signatures" : "paths",
                                                   -1);
            it2 = NULL;
            i = 0;
            while (ok && lst && fy_node_is_sequence(lst)
                   && (x = fy_node_sequence_iterate(lst, &it2)) != NULL)
            {
                ok = cs_pos_add(db, kind, id, idlen, NULL, 0, i++, file,
                                cs_yline(x));
            }
        }
    }
    it = NULL;
    seq = root && fy_node_is_mapping(root)
          ? fy_node_mapping_lookup_by_string(root, "sites", -1) : NULL;
    while (ok && seq && fy_node_is_sequence(seq)
           && (it_node = fy_node_sequence_iterate(seq, &it)) != NULL)
    {
        struct fy_node *idn, *lst, *x;
        const char     *id;
        size_t          idlen, i = 0;
        void           *it2 = NULL;

        if (!fy_node_is_mapping(it_node)) {
            continue;
        }
        idn = fy_node_mapping_lookup_by_string(it_node, "id", -1);
        if ((id = cs_yscalar(idn, &idlen)) == NULL) {
            continue;
        }
        ok = cs_pos_add(db, P_SITE, id, idlen, NULL, 0, 0, file,
                        cs_yline(idn));
        lst = fy_node_mapping_lookup_by_string(it_node, "declares", -1);
        while (ok && lst && fy_node_is_sequence(lst)
               && (x = fy_node_sequence_iterate(lst, &it2)) != NULL)
        {
            struct fy_node *rn = fy_node_is_mapping(x)
                ? fy_node_mapping_lookup_by_string(x, "recipient", -1) : x;
            const char     *r;
            size_t          rl;

            if ((r = cs_yscalar(rn, &rl)) != NULL) {
                ok = cs_pos_add(db, P_DECL, id, idlen, r, rl, i++, file,
                                cs_yline(rn));
            }
        }
    }
    fy_document_destroy(doc);
    return ok;
}

/* Where a record stands in the sources; NULL if unknown. */
const cs_pos_t *
cs_pos_find(const cs_ops_db_t *db, int kind, const char *a, const char *b,
    size_t idx)
{
    for (size_t i = 0; i < db->npos; i++) {
        const cs_pos_t *p = &db->pos[i];

        if (p->kind == kind && strcmp(p->a, a) == 0
            && (b == NULL || (p->b && strcmp(p->b, b) == 0))
            && ((kind != P_SIG && kind != P_PATH) || p->idx == idx))
        {
            return p;
        }
    }
    return NULL;
}

static bool
cs_is_yaml_name(const char *path)
{
    size_t n = strlen(path);

    return (n > 5 && strcmp(path + n - 5, ".yaml") == 0)
           || (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

/*
 * Compiles the sources together into a private temporary directory and
 * reads the result. err receives the compiler's findings when the rules are
 * invalid (CS_OPS_FINDINGS).
 */
int
cs_compile_read(cs_ops_db_t *db, const char *const *srcs, size_t nsrcs,
    char *err, size_t errlen)
{
    char path[CS_OPS_PATH_MAX + 16];
    int  rc;

    rc = cs_compile_tmp(srcs, nsrcs, "consentctl", "rules.mdb", path,
                        sizeof(path), err, errlen);
    if (rc == CS_COMPILE_OK) {
        rc = cs_read_lmdb(db, path, err, errlen);
        for (size_t i = 0; rc == CS_OPS_OK && i < nsrcs; i++) {
            if (!cs_yaml_positions(db, srcs[i], i)) {
                cs_set_err(err, errlen, "%s: out of memory", srcs[i]);
                rc = CS_OPS_IO;
            }
        }
        db->have_source = true;
        cs_compile_tmp_remove(path);
    }
    return rc == CS_COMPILE_INVALID ? CS_OPS_FINDINGS
           : rc == CS_COMPILE_OK ? CS_OPS_OK : CS_OPS_IO;
}

cs_ops_db_t *
cs_ops_db_open(const char *path, int *rc, char *err, size_t errlen)
{
    cs_ops_db_t *db = calloc(1, sizeof(*db));
    int          r;

    if (db == NULL) {
        cs_set_err(err, errlen, "out of memory");
        *rc = CS_OPS_IO;
        return NULL;
    }
    if (access(path, R_OK) != 0) {
        cs_set_err(err, errlen, "%s: %s", path, strerror(errno));
        r = CS_OPS_IO;
    } else if (cs_is_yaml_name(path)) {
        r = cs_compile_read(db, &path, 1, err, errlen);
    } else {
        r = cs_read_lmdb(db, path, err, errlen);
        if (r != CS_OPS_OK) {
            /* not a rules database: maybe a YAML source by another name */
            for (size_t i = 0; i < db->nrecs; i++) {
                free(db->recs[i].key);
                free(db->recs[i].val);
            }
            db->nrecs = 0;
            r = cs_compile_read(db, &path, 1, err, errlen);
        }
    }
    *rc = r;
    if (r != CS_OPS_OK) {
        cs_ops_db_free(db);
        return NULL;
    }
    return db;
}

/* ---- record lookups ---- */

const cs_rec_t *
cs_rec_find(const cs_ops_db_t *db, int which, const char *key)
{
    size_t klen = strlen(key);

    for (size_t i = 0; i < db->nrecs; i++) {
        const cs_rec_t *r = &db->recs[i];

        if (r->db == which && r->klen == klen
            && memcmp(r->key, key, klen) == 0)
        {
            return r;
        }
    }
    return NULL;
}

/* Splits a "fields" value; returns how many fields (at most max). */
size_t
cs_fields(const cs_rec_t *r, const char **f, size_t *fl, size_t max)
{
    size_t n = 0, start = 0;

    for (size_t i = 0; i < r->vlen && n < max; i++) {
        if (r->val[i] == '\0') {
            f[n] = r->val + start;
            fl[n++] = i - start;
            start = i + 1;
        }
    }
    return n;
}

const char *const *
cs_field_names(int which)
{
    switch (which) {
    case DB_RECIPIENTS: return cs_recipient_fields;
    case DB_SITES:      return cs_site_fields;
    case DB_DECLARES:   return cs_declare_fields;
    default:            return NULL;
    }
}

bool
cs_is_list(const cs_rec_t *r)
{
    return r->db == DB_CMP_MAPS
           || (r->db == DB_META && strcmp(r->key, "gpc_categories") == 0);
}

/* ---------------------------------------------------------------------- */
/* disclosure */

int
cs_ops_disclosure(const cs_ops_db_t *db, const char *site,
    cs_ops_lang_t lang, cs_ops_format_t fmt, cs_obuf_t *out, char *err,
    size_t errlen)
{
    int32_t s = cs_rules_site_find(db->rules, site, strlen(site));

    if (s < 0) {
        cs_set_err(err, errlen, "unknown site '%s'", site);
        return CS_OPS_FINDINGS;
    }
    if (cs_disclosure_render(db->rules, (uint32_t) s, lang, fmt, out) != 0) {
        cs_set_err(err, errlen, "out of memory");
        return CS_OPS_IO;
    }
    return CS_OPS_OK;
}
