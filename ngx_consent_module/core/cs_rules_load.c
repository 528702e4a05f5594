/*
 * Rules store loader: reads the LMDB file written by cs_compile.c (layout in
 * doc/lmdb-layout.md) in one read-only transaction, copies everything into
 * heap memory owned by cs_rules_t and closes the environment again, so a
 * later rename() of a new database over the path never affects a loaded
 * rules object. Builds the lookup tables the queries in cs_rules.c use
 * (host and label hashes, site sets, the signature prefilter) and compiles
 * the signatures.
 */

#include "cs_rules_impl.h"
#include "cs_bitset.h"
#include "cs_err.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>


/* Sub-databases every format-1 file must contain. */
static const char *const cs_required_dbs[] = {
    "meta", "recipients", "hosts", "signatures", "sites", "declares",
};

/* GPC categories when meta has no gpc_categories (sorted). */
static const char *const cs_gpc_default[] = { "advertising", "social" };


bool
cs_rules_id_valid(const char *s, size_t len)
{
    if (len == 0 || len > CS_ID_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

        if (!alnum && (i == 0 || (c != '_' && c != '-'))) {
            return false;
        }
    }
    return true;
}

/*
 * Splits an LMDB value made of NUL-terminated fields. Returns the number of
 * complete fields found (at most max); trailing fields beyond max are
 * ignored (forward compatibility), bytes after the last NUL are an error.
 */
static int
cs_split_fields(const MDB_val *val, const char **fields, size_t max)
{
    const char  *p = val->mv_data;
    size_t       left = val->mv_size;
    size_t       n = 0;

    while (left > 0) {
        const char *nul = memchr(p, '\0', left);

        if (nul == NULL) {
            return -1;
        }
        if (n < max) {
            fields[n] = p;
        }
        n++;
        left -= (size_t) (nul - p) + 1;
        p = nul + 1;
    }
    return (int) (n < max ? n : max);
}

/* ---------------------------------------------------------------------- */
/* Loading */

typedef struct {
    const char   *path;
    char         *err;
    size_t        errlen;
    MDB_txn      *txn;
    MDB_dbi       dbi[sizeof(cs_required_dbs) / sizeof(cs_required_dbs[0])];
    MDB_dbi       cmp_maps;         /* optional sub-databases */
    bool          has_cmp_maps;
    MDB_dbi       paths;
    bool          has_paths;
    MDB_dbi       tagging;
    bool          has_tagging;
    cs_rules_t   *rules;
} cs_load_t;

enum { CS_DB_META, CS_DB_RECIPIENTS, CS_DB_HOSTS, CS_DB_SIGNATURES,
       CS_DB_SITES, CS_DB_DECLARES };

/*
 * One entry of a sub-database for a loader: returns 0, or -1 with the
 * error set. ctx is the loader's own state.
 */
typedef int (*cs_row_fn)(cs_load_t *ld, const MDB_val *key,
    const MDB_val *val, void *ctx);

/*
 * The loader's one cursor loop: calls row for the first count entries of
 * dbi in key order, stopping at the first that fails; name is the
 * sub-database's, for a read error.
 */
static int
cs_each_row(cs_load_t *ld, MDB_dbi dbi, const char *name, uint32_t count,
    cs_row_fn row, void *ctx)
{
    MDB_cursor  *cur;
    MDB_val      key, val;
    uint32_t     n = 0;
    int          rc = mdb_cursor_open(ld->txn, dbi, &cur);

    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: %s", ld->path, mdb_strerror(rc));
        return -1;
    }
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
         rc == 0 && n < count;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT), n++)
    {
        if (row(ld, &key, &val, ctx) != 0) {
            mdb_cursor_close(cur);
            return -1;
        }
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        cs_set_err(ld->err, ld->errlen, "%s: reading %s: %s", ld->path, name,
                   mdb_strerror(rc));
        return -1;
    }
    return 0;
}

/* Counts entries of a sub-database (bounded by what fits in uint32_t). */
static int
cs_db_count(cs_load_t *ld, int which, uint32_t *count)
{
    MDB_stat st;
    int      rc = mdb_stat(ld->txn, ld->dbi[which], &st);

    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: cannot stat sub-database '%s': %s",
                   ld->path, cs_required_dbs[which], mdb_strerror(rc));
        return -1;
    }
    if (st.ms_entries > UINT32_MAX / 4) {
        cs_set_err(ld->err, ld->errlen, "%s: sub-database '%s' is too large",
                   ld->path, cs_required_dbs[which]);
        return -1;
    }
    *count = (uint32_t) st.ms_entries;
    return 0;
}

static int
cs_check_format(cs_load_t *ld)
{
    MDB_val  key = { sizeof("format_version") - 1, (void *) "format_version" };
    MDB_val  val;
    int      rc = mdb_get(ld->txn, ld->dbi[CS_DB_META], &key, &val);

    if (rc == MDB_NOTFOUND) {
        cs_set_err(ld->err, ld->errlen,
                   "%s: missing meta key 'format_version' (not a consent rules "
                   "database?)", ld->path);
        return -1;
    }
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: cannot read format_version: %s",
                   ld->path, mdb_strerror(rc));
        return -1;
    }

    size_t want = sizeof(CS_RULES_FORMAT_VERSION) - 1;

    if (val.mv_size != want
        || memcmp(val.mv_data, CS_RULES_FORMAT_VERSION, want) != 0)
    {
        char shown[32];
        size_t n = val.mv_size < sizeof(shown) - 1 ? val.mv_size
                                                   : sizeof(shown) - 1;

        /* Show printable bytes only: the value may be arbitrary. */
        for (size_t i = 0; i < n; i++) {
            unsigned char c = ((const unsigned char *) val.mv_data)[i];
            shown[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
        }
        shown[n] = '\0';
        cs_set_err(ld->err, ld->errlen,
                   "%s: unsupported rules format_version '%s' (this build "
                   "reads version " CS_RULES_FORMAT_VERSION ")",
                   ld->path, shown);
        return -1;
    }
    return 0;
}

static int
cs_recipient_row(cs_load_t *ld, const MDB_val *key, const MDB_val *val,
    void *ctx)
{
    cs_rules_t  *rules = ld->rules;
    const char  *f[6];
    int          nf = cs_split_fields(val, f, 6);

    (void) ctx;

    if (!cs_rules_id_valid(key->mv_data, key->mv_size)) {
        cs_set_err(ld->err, ld->errlen, "%s: invalid recipient id '%.*s'",
                   ld->path, (int) (key->mv_size > 64 ? 64 : key->mv_size),
                   (const char *) key->mv_data);
        return -1;
    }
    if (nf < 5 || f[1][0] == '\0' || f[0][0] == '\0') {
        cs_set_err(ld->err, ld->errlen,
                   "%s: recipient '%.*s': malformed value (need name, "
                   "category, sent, purpose, tcf_vendor_id)", ld->path,
                   (int) key->mv_size, (const char *) key->mv_data);
        return -1;
    }

    cs_recipient_t *r = &rules->recipients[rules->nrecipients];
    r->id = cs_arena_strndup(&rules->arena, key->mv_data, key->mv_size);
    r->name = cs_arena_strndup(&rules->arena, f[0], strlen(f[0]));
    r->category = cs_arena_strndup(&rules->arena, f[1], strlen(f[1]));
    r->sent = cs_arena_strndup(&rules->arena, f[2], strlen(f[2]));
    r->purpose = cs_arena_strndup(&rules->arena, f[3], strlen(f[3]));
    r->tcf_vendor_id = 0;
    for (const char *d = f[4]; *d >= '0' && *d <= '9'; d++) {
        if (r->tcf_vendor_id > 100000) {
            break;                      /* real ids are 4 digits */
        }
        r->tcf_vendor_id = r->tcf_vendor_id * 10 + (uint32_t) (*d - '0');
    }
    /* optional 6th field: "2,3,4"; absent in files from before it */
    r->tcf_purposes = 0;
    for (const char *d = nf >= 6 ? f[5] : ""; *d; ) {
        unsigned num = 0;
        while (*d >= '0' && *d <= '9' && num < 100) {
            num = num * 10 + (unsigned) (*d++ - '0');
        }
        if (num < 1 || num > 24 || (*d != ',' && *d != '\0')) {
            cs_set_err(ld->err, ld->errlen, "%s: recipient '%.*s': "
                       "malformed tcf_purposes", ld->path,
                       (int) key->mv_size, (const char *) key->mv_data);
            return -1;
        }
        r->tcf_purposes |= 1u << (num - 1);
        d += (*d == ',');
    }
    if (r->id == NULL || r->name == NULL || r->category == NULL
        || r->sent == NULL || r->purpose == NULL)
    {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    rules->nrecipients++;
    return 0;
}

static int
cs_load_recipients(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    uint32_t     count;

    if (cs_db_count(ld, CS_DB_RECIPIENTS, &count) != 0) {
        return -1;
    }
    rules->recipients = calloc(count ? count : 1, sizeof(cs_recipient_t));
    if (rules->recipients == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    return cs_each_row(ld, ld->dbi[CS_DB_RECIPIENTS], "recipients", count,
                       cs_recipient_row, NULL);
}

static int
cs_host_insert(cs_rules_t *rules, const char *host, uint32_t len,
    int32_t recipient)
{
    uint64_t h = cs_hash_reverse(host, len);

    for (uint32_t i = (uint32_t) h & rules->host_mask; ;
         i = (i + 1) & rules->host_mask)
    {
        cs_host_slot_t *slot = &rules->host_slots[i];

        if (slot->host == NULL) {
            slot->key = cs_host_key(h, len);
            slot->host = host;
            slot->recipient = recipient;
            rules->nhosts++;
            return 0;
        }
        if (slot->key == cs_host_key(h, len)
            && memcmp(slot->host, host, len) == 0)
        {
            return -1;   /* LMDB keys are unique; cannot happen */
        }
    }
}

static int
cs_host_row(cs_load_t *ld, const MDB_val *key, const MDB_val *val, void *ctx)
{
    cs_rules_t  *rules = ld->rules;
    int32_t      rec = cs_rules_recipient_find(rules, val->mv_data,
                                               val->mv_size);

    (void) ctx;
    if (key->mv_size == 0 || key->mv_size > 253 || rec < 0) {
        cs_set_err(ld->err, ld->errlen,
                   "%s: host '%.*s' is empty, too long or maps to an "
                   "unknown recipient", ld->path,
                   (int) (key->mv_size > 253 ? 253 : key->mv_size),
                   (const char *) key->mv_data);
        return -1;
    }

    char *host = cs_arena_strndup(&rules->arena, key->mv_data, key->mv_size);
    if (host == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    if (cs_host_insert(rules, host, (uint32_t) key->mv_size, rec) != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: duplicate host '%s'",
                   ld->path, host);
        return -1;
    }
    return 0;
}

static int
cs_load_hosts(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    uint32_t     count, cap = 16;

    if (cs_db_count(ld, CS_DB_HOSTS, &count) != 0) {
        return -1;
    }
    /* Load factor <= 1/2 keeps linear probing short. */
    while (cap < count * 2) {
        cap *= 2;
    }
    rules->host_slots = calloc(cap, sizeof(cs_host_slot_t));
    if (rules->host_slots == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    rules->host_mask = cap - 1;
    return cs_each_row(ld, ld->dbi[CS_DB_HOSTS], "hosts", count, cs_host_row,
                       NULL);
}


static int
cs_cstr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * The distinct last labels ("com", "net", "jp", ...) of every host suffix:
 * a domain-like token in script text whose last label is none of them
 * cannot match, and most tokens there are property accesses. Sized for the
 * distinct labels (a few dozen even for thousands of hosts) so the set stays
 * in a few cache lines.
 */
static int
cs_build_labels(cs_load_t *ld)
{
    cs_rules_t   *rules = ld->rules;
    const char  **labels;
    uint32_t      n = 0, distinct = 0, cap = 16;

    labels = calloc(rules->nhosts ? rules->nhosts : 1, sizeof(*labels));
    if (labels == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    for (uint32_t i = 0; rules->nhosts && i <= rules->host_mask; i++) {
        const char *host = rules->host_slots[i].host;
        if (host != NULL && n < rules->nhosts) {
            const char *dot = strrchr(host, '.');
            labels[n++] = dot ? dot + 1 : host;
        }
    }
    qsort(labels, n, sizeof(*labels), cs_cstr_cmp);
    for (uint32_t i = 0; i < n; i++) {
        if (distinct == 0 || strcmp(labels[distinct - 1], labels[i]) != 0) {
            labels[distinct++] = labels[i];
        }
    }

    /* load factor <= 1/2, as the host table */
    while (cap < distinct * 2) {
        cap *= 2;
    }
    rules->label_slots = calloc(cap, sizeof(*rules->label_slots));
    if (rules->label_slots == NULL) {
        free(labels);
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    rules->label_mask = cap - 1;
    for (uint32_t i = 0; i < distinct; i++) {
        size_t    len = strlen(labels[i]);
        uint64_t  h = cs_hash_reverse(labels[i], len);
        uint32_t  s = (uint32_t) h & rules->label_mask;

        while (rules->label_slots[s].label != NULL) {
            s = (s + 1) & rules->label_mask;
        }
        rules->label_slots[s].label = labels[i];
        rules->label_slots[s].key = cs_host_key(h, (uint32_t) len);
        if (len > rules->label_len_max) {
            rules->label_len_max = (uint32_t) len;
        }
        if (len < 64) {
            rules->label_first[len] |= 1ull << ((unsigned char) labels[i][0]
                                                & 63);
        }
    }
    free(labels);
    return 0;
}

static int
cs_signature_row(cs_load_t *ld, const MDB_val *key, const MDB_val *val,
    void *ctx)
{
    const char  *k = key->mv_data;
    const char  *colon = NULL;
    int          klen = (int) (key->mv_size > 80 ? 80 : key->mv_size);
    char         msg[160];

    (void) ctx;
    for (size_t i = key->mv_size; i > 0; i--) {
        if (k[i - 1] == ':') {
            colon = k + i - 1;
            break;
        }
    }

    int32_t rec = colon ? cs_rules_recipient_find(ld->rules, k,
                                                  (size_t) (colon - k))
                        : -1;
    if (rec < 0 || val->mv_size == 0) {
        cs_set_err(ld->err, ld->errlen,
                   "%s: signature '%.*s' is empty or names an unknown "
                   "recipient", ld->path, klen, k);
        return -1;
    }
    if (memchr(val->mv_data, '\0', val->mv_size) != NULL) {
        cs_set_err(ld->err, ld->errlen,
                   "%s: signature '%.*s' contains a NUL byte", ld->path,
                   klen, k);
        return -1;
    }
    if (cs_rules_signature_add(ld->rules, (uint32_t) rec, val->mv_data,
                               val->mv_size, msg, sizeof(msg)) != 0)
    {
        cs_set_err(ld->err, ld->errlen,
                   "%s: signature '%.*s' does not compile: %s", ld->path,
                   klen, k, msg);
        return -1;
    }
    return 0;
}

static int
cs_load_signatures(cs_load_t *ld)
{
    uint32_t  count;

    if (cs_db_count(ld, CS_DB_SIGNATURES, &count) != 0) {
        return -1;
    }
    if (count == 0) {
        return 0;
    }
    if (cs_rules_signatures_init(ld->rules, count) != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    if (cs_each_row(ld, ld->dbi[CS_DB_SIGNATURES], "signatures", count,
                    cs_signature_row, NULL) != 0)
    {
        return -1;
    }
    cs_rules_signatures_index(ld->rules);
    return 0;
}

/*
 * Optional paths: "RECIPIENT:NNN" -> raw pattern (as signatures are keyed),
 * each a valid pattern (cs_rules_path_pattern_valid()).
 */
static int
cs_path_row(cs_load_t *ld, const MDB_val *key, const MDB_val *val, void *ctx)
{
    cs_rules_t  *rules = ld->rules;
    const char  *k = key->mv_data;
    const char  *colon = memchr(k, ':', key->mv_size);
    cs_path_t   *p = &rules->paths[rules->npaths];
    int32_t      rec;

    (void) ctx;
    rec = colon ? cs_rules_recipient_find(rules, k, (size_t) (colon - k))
                : -1;
    if (rec < 0 || !cs_rules_path_pattern_valid(val->mv_data, val->mv_size)) {
        cs_set_err(ld->err, ld->errlen, "%s: path '%.*s' names an unknown "
                   "recipient or is not a valid path pattern", ld->path,
                   (int) (key->mv_size > 80 ? 80 : key->mv_size), k);
        return -1;
    }
    p->pattern = cs_arena_strndup(&rules->arena, val->mv_data, val->mv_size);
    if (p->pattern == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    p->len = (uint32_t) val->mv_size;
    p->recipient = (uint32_t) rec;
    rules->npaths++;
    return 0;
}

static int
cs_load_paths(cs_load_t *ld)
{
    MDB_stat  st;
    int       rc;

    if (!ld->has_paths) {
        return 0;                        /* compiled before paths: none */
    }
    rc = mdb_stat(ld->txn, ld->paths, &st);
    if (rc != 0 || st.ms_entries > UINT32_MAX / 4) {
        cs_set_err(ld->err, ld->errlen, "%s: sub-database 'paths': %s",
                   ld->path, rc ? mdb_strerror(rc) : "too large");
        return -1;
    }
    if (st.ms_entries == 0) {
        return 0;
    }
    ld->rules->paths = calloc(st.ms_entries, sizeof(cs_path_t));
    if (ld->rules->paths == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    return cs_each_row(ld, ld->paths, "paths", (uint32_t) st.ms_entries,
                       cs_path_row, NULL);
}

static int
cs_site_row(cs_load_t *ld, const MDB_val *key, const MDB_val *val, void *ctx)
{
    cs_rules_t  *rules = ld->rules;
    const char  *f[1];

    (void) ctx;
    if (!cs_rules_id_valid(key->mv_data, key->mv_size)
        || cs_split_fields(val, f, 1) < 1)
    {
        cs_set_err(ld->err, ld->errlen, "%s: site '%.*s': invalid id or "
                   "malformed value", ld->path,
                   (int) (key->mv_size > 64 ? 64 : key->mv_size),
                   (const char *) key->mv_data);
        return -1;
    }

    cs_site_t *s = &rules->sites[rules->nsites];
    s->id = cs_arena_strndup(&rules->arena, key->mv_data, key->mv_size);
    s->name = cs_arena_strndup(&rules->arena, f[0], strlen(f[0]));
    if (s->id == NULL || s->name == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    rules->nsites++;
    return 0;
}

static int
cs_load_sites(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    uint32_t     count;

    if (cs_db_count(ld, CS_DB_SITES, &count) != 0) {
        return -1;
    }
    rules->sites = calloc(count ? count : 1, sizeof(cs_site_t));
    if (rules->sites == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    return cs_each_row(ld, ld->dbi[CS_DB_SITES], "sites", count, cs_site_row,
                       NULL);
}

/* A declares record while loading, before it takes its place. */
typedef struct {
    uint32_t          site;
    uint64_t          rank;     /* stored order, else 2^32 + recipient */
    cs_declaration_t  decl;
} cs_decl_load_t;

static int
cs_decl_rank_cmp(const void *a, const void *b)
{
    const cs_decl_load_t *x = a, *y = b;

    if (x->site != y->site) {
        return x->site < y->site ? -1 : 1;
    }
    if (x->rank != y->rank) {
        return x->rank < y->rank ? -1 : 1;
    }
    return 0;
}

static int
cs_decl_ref_cmp(const void *a, const void *b)
{
    const cs_decl_ref_t *x = a, *y = b;

    return x->recipient < y->recipient ? -1 : x->recipient > y->recipient;
}

static const char *
cs_field_or(cs_arena_t *arena, const char *field, const char *fallback)
{
    return field[0] != '\0' ? cs_arena_strndup(arena, field, strlen(field))
                            : fallback;
}

/* The optional order field: decimal, 0 to 2^32 - 2. */
static bool
cs_parse_order(const char *s, uint64_t *order)
{
    uint64_t v = 0;

    if (s[0] == '\0' || strlen(s) > 10) {
        return false;
    }
    for (const char *d = s; *d; d++) {
        if (*d < '0' || *d > '9') {
            return false;
        }
        v = v * 10 + (uint64_t) (*d - '0');
    }
    if (v >= UINT32_MAX) {
        return false;
    }
    *order = v;
    return true;
}

/*
 * declares "SITE/RECIPIENT": service, category, sent, purpose and the
 * optional order (absent in files compiled before it: those sort after the
 * ordered ones, in recipient id order). Each site's declarations end up in
 * declaration order, with an index by recipient beside them.
 */
/* The declares records read so far. */
typedef struct {
    cs_decl_load_t  *tmp;
    uint32_t         n;
} cs_decl_rows_t;

static int
cs_declare_row(cs_load_t *ld, const MDB_val *key, const MDB_val *val,
    void *ctx)
{
    cs_rules_t      *rules = ld->rules;
    cs_decl_rows_t  *rows = ctx;
    const char      *k = key->mv_data;
    const char      *slash = memchr(k, '/', key->mv_size);
    const char      *f[5];
    int              nf = -1;
    int32_t          site = -1, rec = -1;
    uint64_t         order = 0;

    if (slash != NULL) {
        site = cs_rules_site_find(rules, k, (size_t) (slash - k));
        rec = cs_rules_recipient_find(rules, slash + 1,
                                      key->mv_size - (size_t) (slash - k)
                                      - 1);
        nf = cs_split_fields(val, f, 5);
    }
    if (site < 0 || rec < 0 || nf < 4
        || (nf == 5 && !cs_parse_order(f[4], &order)))
    {
        cs_set_err(ld->err, ld->errlen,
                   "%s: declaration '%.*s' names an unknown site or "
                   "recipient, or is malformed", ld->path,
                   (int) (key->mv_size > 140 ? 140 : key->mv_size), k);
        return -1;
    }

    const cs_recipient_t *r = &rules->recipients[rec];
    cs_decl_load_t       *t = &rows->tmp[rows->n];
    cs_declaration_t     *d = &t->decl;

    t->site = (uint32_t) site;
    t->rank = nf == 5 ? order : ((uint64_t) 1 << 32) + (uint32_t) rec;
    d->recipient = (uint32_t) rec;
    d->service = cs_field_or(&rules->arena, f[0], "");
    d->category = cs_field_or(&rules->arena, f[1], r->category);
    d->sent = cs_field_or(&rules->arena, f[2], r->sent);
    d->purpose = cs_field_or(&rules->arena, f[3], r->purpose);
    if (d->service == NULL || d->category == NULL || d->sent == NULL
        || d->purpose == NULL)
    {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    rows->n++;
    return 0;
}

static int
cs_load_declares(cs_load_t *ld)
{
    cs_rules_t      *rules = ld->rules;
    cs_decl_load_t  *tmp;
    cs_decl_rows_t   rows;
    uint32_t         count, n;

    if (cs_db_count(ld, CS_DB_DECLARES, &count) != 0) {
        return -1;
    }
    tmp = calloc(count ? count : 1, sizeof(*tmp));
    rules->decls = calloc(count ? count : 1, sizeof(cs_declaration_t));
    rules->decl_refs = calloc(count ? count : 1, sizeof(cs_decl_ref_t));
    if (tmp == NULL || rules->decls == NULL || rules->decl_refs == NULL) {
        free(tmp);
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }

    rows.tmp = tmp;
    rows.n = 0;
    if (cs_each_row(ld, ld->dbi[CS_DB_DECLARES], "declares", count,
                    cs_declare_row, &rows) != 0)
    {
        goto failed;
    }
    n = rows.n;

    /* Key order ("site/recipient" bytes) is neither site nor rank order. */
    qsort(tmp, n, sizeof(*tmp), cs_decl_rank_cmp);

    for (uint32_t i = 0; i < n; ) {
        uint32_t   j = i;
        cs_site_t *s = &rules->sites[tmp[i].site];

        for (; j < n && tmp[j].site == tmp[i].site; j++) {
            if (j > i && tmp[j].rank == tmp[j - 1].rank) {
                cs_set_err(ld->err, ld->errlen, "%s: site '%s' has two "
                           "declarations with order %llu", ld->path, s->id,
                           (unsigned long long) tmp[j].rank);
                goto failed;
            }
            rules->decls[j] = tmp[j].decl;
            rules->decl_refs[j].recipient = tmp[j].decl.recipient;
            rules->decl_refs[j].decl = j - i;
        }
        s->decls = &rules->decls[i];
        s->by_recipient = &rules->decl_refs[i];
        s->ndecls = j - i;
        qsort(s->by_recipient, s->ndecls, sizeof(cs_decl_ref_t),
              cs_decl_ref_cmp);
        i = j;
    }
    rules->ndecls = n;
    free(tmp);
    return 0;

failed:
    free(tmp);
    return -1;
}

static int
cs_str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Categories are derived: recipients' plus declarations' overrides. */
static int
cs_build_categories(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    size_t       total = (size_t) rules->nrecipients + rules->ndecls;
    uint32_t     n = 0;

    rules->categories = calloc(total ? total : 1, sizeof(const char *));
    if (rules->categories == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    for (uint32_t i = 0; i < rules->nrecipients; i++) {
        rules->categories[n++] = rules->recipients[i].category;
    }
    for (uint32_t i = 0; i < rules->ndecls; i++) {
        const cs_declaration_t *d = &rules->decls[i];

        /* without an override it is the recipient's string, listed above */
        if (d->category != rules->recipients[d->recipient].category) {
            rules->categories[n++] = d->category;
        }
    }
    qsort(rules->categories, n, sizeof(const char *), cs_str_cmp);

    uint32_t unique = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (unique == 0
            || strcmp(rules->categories[unique - 1], rules->categories[i]) != 0)
        {
            rules->categories[unique++] = rules->categories[i];
        }
    }
    rules->ncategories = unique;

    /* few distinct categories: give the rest back (keep it if that fails) */
    const char **shrunk = realloc(rules->categories,
                                  (unique ? unique : 1) * sizeof(const char *));
    if (shrunk != NULL) {
        rules->categories = shrunk;
    }
    return 0;
}

static int
cs_map_entry_order(const void *a, const void *b)
{
    const cs_cmp_map_t *y = b;

    return cs_map_key_compare(a, y->site, y->format, y->name, y->name_len);
}

/*
 * Optional cmp_maps: "SITE/FORMAT/NAME" -> fields, one target each (at
 * least one; each a recipient id or category). Needs sites, recipients and
 * categories loaded. The format is not restricted to the ones the compiler
 * knows, so a later compiler may add formats.
 */
static int
cs_consent_map_row(cs_load_t *ld, const MDB_val *key, const MDB_val *val,
    void *ctx)
{
    cs_rules_t    *rules = ld->rules;
    const char    *k = key->mv_data, *end = k + key->mv_size;
    const char    *s1 = memchr(k, '/', key->mv_size);
    const char    *s2 = s1 ? memchr(s1 + 1, '/', (size_t) (end - s1 - 1))
                           : NULL;
    cs_cmp_map_t  *m = &rules->cmp_maps[rules->ncmp_maps];
    int32_t        site = -1;
    bool           ok = s2 != NULL;

    (void) ctx;

    if (ok) {
        site = cs_rules_site_find(rules, k, (size_t) (s1 - k));
        m->name_len = (size_t) (end - s2 - 1);
        ok = site >= 0 && cs_rules_id_valid(s1 + 1, (size_t) (s2 - s1 - 1))
             && m->name_len > 0 && m->name_len <= CS_RULES_CMP_NAME_MAX;
        for (size_t i = 0; ok && i < m->name_len; i++) {
            unsigned char c = (unsigned char) s2[1 + i];
            ok = c > ' ' && c < 0x7f;
        }
    }

    /* targets: one or more non-empty fields, the value ends with NUL */
    const char *t = val->mv_data;
    size_t      left = val->mv_size;

    ok = ok && left > 0 && t[left - 1] == '\0';
    m->ntargets = 0;
    while (ok && left > 0) {
        size_t tlen = strlen(t);

        ok = tlen > 0 && (cs_rules_recipient_find(rules, t, tlen) >= 0
                          || cs_rules_is_category(rules, t, tlen));
        m->ntargets++;
        t += tlen + 1;
        left -= tlen + 1;
    }
    if (!ok) {
        cs_set_err(ld->err, ld->errlen, "%s: consent manager map '%.*s' "
                   "names an unknown site, an invalid format or name, or "
                   "a target that is neither a recipient nor a category",
                   ld->path, (int) (key->mv_size > 140 ? 140 : key->mv_size),
                   k);
        return -1;
    }

    m->site = (uint32_t) site;
    m->format = cs_arena_strndup(&rules->arena, s1 + 1,
                                 (size_t) (s2 - s1 - 1));
    m->name = cs_arena_strndup(&rules->arena, s2 + 1, m->name_len);
    m->targets = cs_arena_strndup(&rules->arena, val->mv_data,
                                  val->mv_size);
    if (m->format == NULL || m->name == NULL || m->targets == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    rules->ncmp_maps++;
    return 0;
}

/*
 * Optional tagging_hosts: "SITE/HOST" -> raw recipient id, a recipient the
 * site declares; HOST a lowercase host name of two labels or more.
 */
static int
cs_tagging_host_row(cs_load_t *ld, const MDB_val *key, const MDB_val *val,
    void *ctx)
{
    cs_rules_t         *rules = ld->rules;
    const char         *k = key->mv_data, *h;
    const char         *slash = memchr(k, '/', key->mv_size);
    cs_tagging_host_t  *t = &rules->tagging[rules->ntagging];
    int32_t             site = -1, rec = -1;
    size_t              hl = 0;
    bool                ok = slash != NULL;

    (void) ctx;
    if (ok) {
        h = slash + 1;
        hl = key->mv_size - (size_t) (h - k);
        site = cs_rules_site_find(rules, k, (size_t) (slash - k));
        rec = cs_rules_recipient_find(rules, val->mv_data, val->mv_size);
        ok = site >= 0 && rec >= 0 && hl > 2 && hl <= 253
             && memchr(h, '.', hl) != NULL && h[0] != '.' && h[hl - 1] != '.'
             && cs_rules_site_declares(rules, (uint32_t) site,
                                       (uint32_t) rec);
        for (size_t i = 0; ok && i < hl; i++) {
            ok = (h[i] >= 'a' && h[i] <= 'z') || (h[i] >= '0' && h[i] <= '9')
                 || h[i] == '-' || h[i] == '.';
        }
    }
    if (!ok) {
        cs_set_err(ld->err, ld->errlen, "%s: tagging host '%.*s' names an "
                   "unknown site, an invalid host, or a recipient the site "
                   "does not declare", ld->path,
                   (int) (key->mv_size > 140 ? 140 : key->mv_size), k);
        return -1;
    }
    t->site = (uint32_t) site;
    t->recipient = (uint32_t) rec;
    t->host = cs_arena_strndup(&rules->arena, slash + 1, hl);
    t->host_len = hl;
    if (t->host == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    rules->ntagging++;
    return 0;
}

static int
cs_load_tagging_hosts(cs_load_t *ld)
{
    MDB_stat  st;
    int       rc;

    if (!ld->has_tagging) {
        return 0;                   /* compiled before tagging_hosts: none */
    }
    rc = mdb_stat(ld->txn, ld->tagging, &st);
    if (rc != 0 || st.ms_entries > UINT32_MAX / 4) {
        cs_set_err(ld->err, ld->errlen, "%s: sub-database 'tagging_hosts': "
                   "%s", ld->path, rc ? mdb_strerror(rc) : "too large");
        return -1;
    }
    if (st.ms_entries == 0) {
        return 0;
    }
    ld->rules->tagging = calloc(st.ms_entries, sizeof(cs_tagging_host_t));
    if (ld->rules->tagging == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    return cs_each_row(ld, ld->tagging, "tagging_hosts",
                       (uint32_t) st.ms_entries, cs_tagging_host_row, NULL);
}

static int
cs_load_cmp_maps(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    MDB_stat     st;
    int          rc;

    if (!ld->has_cmp_maps) {
        return 0;                        /* compiled before cmp_maps: empty */
    }
    rc = mdb_stat(ld->txn, ld->cmp_maps, &st);
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: cannot stat sub-database "
                   "'cmp_maps': %s", ld->path, mdb_strerror(rc));
        return -1;
    }
    if (st.ms_entries > UINT32_MAX / 4) {
        cs_set_err(ld->err, ld->errlen, "%s: sub-database 'cmp_maps' is too "
                   "large", ld->path);
        return -1;
    }
    if (st.ms_entries == 0) {
        return 0;
    }

    uint32_t count = (uint32_t) st.ms_entries;

    rules->cmp_maps = calloc(count, sizeof(cs_cmp_map_t));
    if (rules->cmp_maps == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    if (cs_each_row(ld, ld->cmp_maps, "cmp_maps", count, cs_consent_map_row,
                    NULL) != 0)
    {
        return -1;
    }

    /* Key order ("site/..." bytes) differs from site index order. */
    qsort(rules->cmp_maps, rules->ncmp_maps, sizeof(cs_cmp_map_t),
          cs_map_entry_order);
    return 0;
}

/*
 * meta "gpc_categories": fields, one category each (at least one, each a
 * category of these rules, no repeats). Absent: the default.
 */
static int
cs_load_gpc(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    MDB_val      key = { sizeof("gpc_categories") - 1,
                         (void *) "gpc_categories" };
    MDB_val      val;
    int          rc = mdb_get(ld->txn, ld->dbi[CS_DB_META], &key, &val);

    if (rc == MDB_NOTFOUND) {
        rules->gpc = cs_gpc_default;
        rules->ngpc = sizeof(cs_gpc_default) / sizeof(cs_gpc_default[0]);
        return 0;
    }
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: cannot read gpc_categories: %s",
                   ld->path, mdb_strerror(rc));
        return -1;
    }

    const char  *p = val.mv_data;
    size_t       left = val.mv_size;
    uint32_t     n = 0;

    if (left == 0 || p[left - 1] != '\0' || left / 2 > UINT32_MAX) {
        goto malformed;
    }
    rules->gpc_alloc = calloc(left / 2 + 1, sizeof(const char *));
    if (rules->gpc_alloc == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    while (left > 0) {
        size_t len = strlen(p);          /* the value ends with NUL */

        if (!cs_rules_id_valid(p, len) || !cs_rules_is_category(rules, p, len)) {
            cs_set_err(ld->err, ld->errlen, "%s: meta gpc_categories: '%.*s' "
                       "is not a category of these rules", ld->path,
                       (int) (len > 64 ? 64 : len), p);
            return -1;
        }
        rules->gpc_alloc[n] = cs_arena_strndup(&rules->arena, p, len);
        if (rules->gpc_alloc[n] == NULL) {
            cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
            return -1;
        }
        n++;
        p += len + 1;
        left -= len + 1;
    }
    qsort(rules->gpc_alloc, n, sizeof(const char *), cs_str_cmp);
    for (uint32_t i = 1; i < n; i++) {
        if (strcmp(rules->gpc_alloc[i - 1], rules->gpc_alloc[i]) == 0) {
            goto malformed;
        }
    }
    rules->gpc = rules->gpc_alloc;
    rules->ngpc = n;
    return 0;

malformed:
    cs_set_err(ld->err, ld->errlen, "%s: meta gpc_categories: malformed value "
               "(need one or more distinct categories, each followed by NUL)",
               ld->path);
    return -1;
}

/*
 * meta "generation": 16 lowercase hex digits identifying the compiled
 * content. Absent (compiled before the key): left empty.
 */
static int
cs_load_generation(cs_load_t *ld)
{
    MDB_val  key = { sizeof("generation") - 1, (void *) "generation" };
    MDB_val  val;
    int      rc = mdb_get(ld->txn, ld->dbi[CS_DB_META], &key, &val);

    if (rc == MDB_NOTFOUND) {
        return 0;
    }
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: cannot read generation: %s",
                   ld->path, mdb_strerror(rc));
        return -1;
    }

    const char *v = val.mv_data;
    bool        ok = val.mv_size == CS_RULES_GENERATION_LEN;

    for (size_t i = 0; ok && i < val.mv_size; i++) {
        ok = (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f');
    }
    if (!ok) {
        cs_set_err(ld->err, ld->errlen, "%s: meta generation: malformed "
                   "value (need %d lowercase hex digits)", ld->path,
                   CS_RULES_GENERATION_LEN);
        return -1;
    }
    memcpy(ld->rules->generation, v, CS_RULES_GENERATION_LEN);
    ld->rules->generation[CS_RULES_GENERATION_LEN] = '\0';
    return 0;
}

static int
cs_u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return x < y ? -1 : x > y;
}

/*
 * Per site: the declared set, one set per category it declares recipients
 * under, and the set Global Privacy Control withdraws, all in one block.
 * Categories are handled by their index in the sorted rules->categories,
 * so a site's categories sort by index and compare as integers. Needs
 * declarations, categories and GPC categories loaded.
 */
static int
cs_build_site_sets(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    size_t       words = cs_bitset_words(rules->nrecipients);
    size_t       ncats = 0, nsets;
    uint32_t     ncategories = rules->ncategories ? rules->ncategories : 1;
    uint32_t    *decl_cat, *seen, *slot, *list;
    uint64_t    *next;
    int          ret = -1;

    if (words == 0) {
        words = 1;                      /* valid, all-zero sets */
    }
    decl_cat = calloc(rules->ndecls ? rules->ndecls : 1, sizeof(uint32_t));
    seen = calloc(ncategories, sizeof(uint32_t));     /* site index + 1 */
    slot = calloc(ncategories, sizeof(uint32_t));
    list = calloc(ncategories, sizeof(uint32_t));
    if (decl_cat == NULL || seen == NULL || slot == NULL || list == NULL) {
        goto nomem;
    }

    /* every declaration's category index; the distinct ones per site */
    for (uint32_t d = 0; d < rules->ndecls; d++) {
        const char  *c = rules->decls[d].category;
        int32_t      ci = cs_rules_find_sorted(rules->categories,
                                               sizeof(char *),
                                               rules->ncategories, c,
                                               strlen(c));

        if (ci < 0) {
            cs_set_err(ld->err, ld->errlen, "%s: category '%s' missing from "
                       "the category index", ld->path, c);
            goto done;
        }
        decl_cat[d] = (uint32_t) ci;
    }
    for (uint32_t i = 0; i < rules->nsites; i++) {
        const cs_site_t *s = &rules->sites[i];
        size_t           first = (size_t) (s->decls - rules->decls);

        for (uint32_t d = 0; d < s->ndecls; d++) {
            uint32_t ci = decl_cat[first + d];

            if (seen[ci] != i + 1) {
                seen[ci] = i + 1;
                ncats++;
            }
        }
    }

    nsets = (size_t) rules->nsites * 2 + ncats;
    rules->set_words = words;
    if (nsets > SIZE_MAX / sizeof(uint64_t) / words) {
        goto nomem;
    }
    rules->site_sets = calloc(nsets ? nsets * words : 1, sizeof(uint64_t));
    rules->site_cats = calloc(ncats ? ncats : 1, sizeof(cs_site_category_t));
    if (rules->site_sets == NULL || rules->site_cats == NULL) {
        goto nomem;
    }

    memset(seen, 0, ncategories * sizeof(uint32_t));
    next = rules->site_sets;
    ncats = 0;
    for (uint32_t i = 0; i < rules->nsites; i++) {
        cs_site_t  *s = &rules->sites[i];
        size_t      first = (size_t) (s->decls - rules->decls);
        uint64_t   *declared = next, *gpc = next + words;
        uint32_t    n = 0;

        next += 2 * words;
        s->declared = declared;
        s->gpc = gpc;
        s->cats = &rules->site_cats[ncats];

        for (uint32_t d = 0; d < s->ndecls; d++) {
            uint32_t ci = decl_cat[first + d];

            if (seen[ci] != i + 1) {
                seen[ci] = i + 1;
                list[n++] = ci;
            }
        }
        qsort(list, n, sizeof(uint32_t), cs_u32_cmp);   /* = name order */
        for (uint32_t c = 0; c < n; c++) {
            s->cats[c].category = rules->categories[list[c]];
            s->cats[c].set = next;
            s->cats[c].count = 0;
            slot[list[c]] = c;
            next += words;
        }
        s->ncats = n;
        ncats += n;

        for (uint32_t d = 0; d < s->ndecls; d++) {
            uint32_t             r = s->decls[d].recipient;
            cs_site_category_t  *cat = &s->cats[slot[decl_cat[first + d]]];

            cs_bitset_set(declared, r);
            cs_bitset_set(cat->set, r);
            cat->count++;
        }
        for (uint32_t c = 0; c < n; c++) {
            if (!cs_rules_is_gpc_category(rules, s->cats[c].category)) {
                continue;
            }
            for (size_t w = 0; w < words; w++) {
                gpc[w] |= s->cats[c].set[w];
            }
        }
    }
    ret = 0;
    goto done;

nomem:
    cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
done:
    free(decl_cat);
    free(seen);
    free(slot);
    free(list);
    return ret;
}

/* Opens an optional sub-database; *has: it exists. */
static int
cs_open_optional_db(cs_load_t *ld, const char *name, MDB_dbi *dbi, bool *has)
{
    int rc = mdb_dbi_open(ld->txn, name, 0, dbi);

    *has = rc == 0;
    if (rc != 0 && rc != MDB_NOTFOUND) {
        cs_set_err(ld->err, ld->errlen, "%s: cannot open sub-database "
                   "'%s': %s", ld->path, name, mdb_strerror(rc));
        return -1;
    }
    return 0;
}

/* Opens the required sub-databases and the optional ones that exist. */
static int
cs_open_dbs(cs_load_t *ld)
{
    size_t  n = sizeof(cs_required_dbs) / sizeof(cs_required_dbs[0]);
    int     rc;

    for (size_t i = 0; i < n; i++) {
        rc = mdb_dbi_open(ld->txn, cs_required_dbs[i], 0, &ld->dbi[i]);
        if (rc == MDB_NOTFOUND) {
            cs_set_err(ld->err, ld->errlen, "%s: missing sub-database '%s' "
                       "(not a consent rules database?)", ld->path,
                       cs_required_dbs[i]);
            return -1;
        }
        if (rc != 0) {
            cs_set_err(ld->err, ld->errlen, "%s: cannot open sub-database "
                       "'%s': %s", ld->path, cs_required_dbs[i],
                       mdb_strerror(rc));
            return -1;
        }
    }

    /* Optional sub-databases: absent (older files) means empty. */
    if (cs_open_optional_db(ld, "cmp_maps", &ld->cmp_maps,
                            &ld->has_cmp_maps) != 0
        || cs_open_optional_db(ld, "paths", &ld->paths, &ld->has_paths) != 0
        || cs_open_optional_db(ld, "tagging_hosts", &ld->tagging,
                               &ld->has_tagging) != 0)
    {
        return -1;
    }
    return 0;
}

cs_rules_t *
cs_rules_load(const char *path, char *err, size_t errlen)
{
    MDB_env     *env = NULL;
    cs_load_t    ld;
    int          rc;

    cs_set_err(err, errlen, "%s", "");
    memset(&ld, 0, sizeof(ld));
    ld.path = path != NULL ? path : "(null)";
    ld.err = err;
    ld.errlen = errlen;

    if (path == NULL) {
        cs_set_err(err, errlen, "rules database path is NULL");
        return NULL;
    }

    ld.rules = calloc(1, sizeof(cs_rules_t));
    if (ld.rules == NULL) {
        cs_set_err(err, errlen, "%s: out of memory", path);
        return NULL;
    }

    rc = mdb_env_create(&env);
    if (rc == 0) {
        rc = mdb_env_set_maxdbs(env, 16);
    }
    if (rc != 0) {
        cs_set_err(err, errlen, "%s: %s", path, mdb_strerror(rc));
        goto failed;
    }

    /*
     * The file is immutable once renamed into place (the compiler always
     * writes a new file), so no lock file is needed: MDB_NOLOCK also means
     * readers need no write access to the directory.
     */
    rc = mdb_env_open(env, path, MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK, 0);
    if (rc != 0) {
        /* LMDB reports an empty read-only file as EBADF */
        if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == EINVAL
            || rc == EBADF)
        {
            cs_set_err(err, errlen, "%s: not an LMDB rules database (%s)",
                       path, mdb_strerror(rc));
        } else {
            cs_set_err(err, errlen, "%s: cannot open rules database: %s",
                       path, mdb_strerror(rc));
        }
        goto failed;
    }

    rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &ld.txn);
    if (rc != 0) {
        cs_set_err(err, errlen, "%s: cannot begin read transaction: %s",
                   path, mdb_strerror(rc));
        goto failed;
    }

    if (cs_open_dbs(&ld) != 0) {
        goto failed;
    }

    if (cs_check_format(&ld) != 0
        || cs_load_generation(&ld) != 0
        || cs_load_recipients(&ld) != 0
        || cs_load_hosts(&ld) != 0
        || cs_build_labels(&ld) != 0
        || cs_load_signatures(&ld) != 0
        || cs_load_paths(&ld) != 0
        || cs_load_sites(&ld) != 0
        || cs_load_declares(&ld) != 0
        || cs_build_categories(&ld) != 0
        || cs_load_cmp_maps(&ld) != 0
        || cs_load_gpc(&ld) != 0
        || cs_build_site_sets(&ld) != 0
        || cs_load_tagging_hosts(&ld) != 0)
    {
        goto failed;
    }

    mdb_txn_abort(ld.txn);
    mdb_env_close(env);
    return ld.rules;

failed:
    if (ld.txn != NULL) {
        mdb_txn_abort(ld.txn);
    }
    if (env != NULL) {
        mdb_env_close(env);
    }
    cs_rules_free(ld.rules);
    return NULL;
}

void
cs_rules_free(cs_rules_t *rules)
{
    if (rules == NULL) {
        return;
    }
    free(rules->label_slots);
    for (uint32_t i = 0; i < rules->nsigs; i++) {
        pcre2_code_free(rules->sigs[i].code);
    }
    free(rules->sigs);
    free(rules->bigrams);
    free(rules->bigram_table);
    free(rules->sig_candidate);
    pcre2_match_data_free(rules->sig_mdata);
    pcre2_match_context_free(rules->sig_mctx);
    pcre2_jit_stack_free(rules->sig_jit_stack);
    free(rules->categories);
    free(rules->gpc_alloc);
    free(rules->cmp_maps);
    free(rules->paths);
    free(rules->tagging);
    free(rules->decls);
    free(rules->decl_refs);
    free(rules->site_sets);
    free(rules->site_cats);
    free(rules->sites);
    free(rules->host_slots);
    free(rules->recipients);
    cs_arena_free(&rules->arena);
    free(rules);
}
