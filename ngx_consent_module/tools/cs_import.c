/*
 * Rules importer: services.json-shaped entity list -> YAML recipients. See
 * cs_import.h for the API and doc/consentctl.md for the mapping.
 *
 * The list is read into rows (entity, list category, domain). Sorting the
 * rows by domain decides which entity owns a domain listed more than once
 * and which domains the --exclude rules own; sorting them by entity groups
 * each recipient's hosts. Ids are made unique with a small hash set.
 */

#include "cs_import.h"
#include "cs_compile.h"
#include "cs_rules.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CS_IMPORT_MAX_FINDINGS    50u
#define CS_IMPORT_MAX_CATEGORIES  64u   /* an entity's categories: a mask */
#define CS_IMPORT_ID_SUFFIX_MAX   99999u
#define CS_IMPORT_ID_BASE_MAX     (CS_ID_MAX - 6)   /* room for "-99999" */
#define CS_IMPORT_PATH_MAX        4096u

/*
 * The list's categories, strictest first: an entity listed under several
 * takes the first of them. A category not listed here becomes a category
 * of its own, named like an id (lowercase, runs of other characters as
 * '-'), and ranks after these.
 */
static const struct {
    const char  *list;
    const char  *category;
} cs_import_categories[] = {
    { "Advertising",            "advertising" },
    { "FingerprintingInvasive", "fingerprinting" },
    { "FingerprintingGeneral",  "fingerprinting" },
    { "Cryptomining",           "cryptomining" },
    { "Social",                 "social" },
    { "Email",                  "email" },
    { "EmailAggressive",        "email" },
    { "Analytics",              "analytics" },
    { "Anti-fraud",             "anti-fraud" },
    { "Content",                "functional" },
    { "ConsentManagers",        "functional" },
};

#define CS_IMPORT_KNOWN \
    (sizeof(cs_import_categories) / sizeof(cs_import_categories[0]))

typedef struct {
    const char  *list;                 /* the list's name (in the document) */
    size_t       list_len;
    char         category[CS_ID_MAX + 1];
    unsigned     rank;                 /* lower is stricter */
} cs_imp_cat_t;

typedef struct {
    const char  *entity;               /* name, points into the document */
    size_t       entity_len;
    char        *domain;               /* normalised host suffix */
    size_t       domain_len;
    unsigned     cat;                  /* index into cats */
    bool         kept;                 /* this row's entity owns the domain */
} cs_imp_row_t;

typedef struct {
    const char  *name;
    size_t       name_len;
    size_t       first;                /* its rows: rows[first, first+count) */
    size_t       count;
    size_t       nhosts;               /* kept rows */
    uint64_t     listed;               /* mask of list categories */
    unsigned     cat;                  /* strictest category of kept rows */
    char         id[CS_ID_MAX + 1];
} cs_imp_entity_t;

typedef struct {
    const char      *src;
    char            *err;
    size_t           errlen;
    size_t           errused;
    unsigned         nfindings;
    bool             oom;

    cs_imp_cat_t     cats[CS_IMPORT_MAX_CATEGORIES];
    size_t           ncats;

    cs_imp_row_t    *rows;
    size_t           nrows;
    size_t           caprows;

    size_t           path_entries;     /* "host/path" entries left out */
    size_t           excluded;         /* domains the --exclude rules own */
    size_t           shared;           /* domains listed by two entities */
} cs_imp_t;

/* ---------------------------------------------------------------------- */
/* Findings */

static void
cs_imp_append(cs_imp_t *im, const char *line)
{
    size_t len = strlen(line), room;

    if (im->err == NULL || im->errlen == 0) {
        return;
    }
    if (im->errused > 0 && im->errused + 1 < im->errlen) {
        im->err[im->errused++] = '\n';
        im->err[im->errused] = '\0';
    }
    room = im->errlen - im->errused - 1;
    if (len > room) {
        len = room;
    }
    memcpy(im->err + im->errused, line, len);
    im->errused += len;
    im->err[im->errused] = '\0';
}

static void
cs_imp_error(cs_imp_t *im, struct fy_node *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cs_imp_error(cs_imp_t *im, struct fy_node *node, const char *fmt, ...)
{
    char     msg[512], line[CS_IMPORT_PATH_MAX + 600];
    int      ln, col;
    va_list  ap;

    if (++im->nfindings > CS_IMPORT_MAX_FINDINGS) {
        if (im->nfindings == CS_IMPORT_MAX_FINDINGS + 1) {
            snprintf(line, sizeof(line), "%s: too many errors, stopping the "
                     "report here", im->src);
            cs_imp_append(im, line);
        }
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (node != NULL && cs_node_pos(node, &ln, &col)) {
        snprintf(line, sizeof(line), "%s:%d:%d: %s", im->src, ln, col, msg);
    } else {
        snprintf(line, sizeof(line), "%s: %s", im->src, msg);
    }
    cs_imp_append(im, line);
}

/* ---------------------------------------------------------------------- */
/* Names */

static int
cs_imp_bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    return c != 0 ? c : (alen < blen ? -1 : alen > blen ? 1 : 0);
}

/*
 * Id-shaped form of a name: lowercase ASCII letters and digits, every run
 * of other bytes (spaces, punctuation, non-ASCII) as one '-', none at
 * either end, at most max bytes. Returns its length (0: nothing usable).
 */
static size_t
cs_imp_slug(const char *s, size_t len, char *out, size_t max)
{
    size_t n = 0;
    bool   gap = false;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z') {
            c = (char) (c - 'A' + 'a');
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            gap = true;
            continue;
        }
        if (gap && n > 0) {
            if (n + 1 >= max) {
                break;
            }
            out[n++] = '-';
        }
        gap = false;
        if (n >= max) {
            break;
        }
        out[n++] = c;
    }
    while (n > 0 && out[n - 1] == '-') {
        n--;
    }
    out[n] = '\0';
    return n;
}

/* ---------------------------------------------------------------------- */
/* Reading the list */

static bool
cs_imp_scalar(struct fy_node *node, const char **s, size_t *len)
{
    if (node == NULL || !fy_node_is_scalar(node)) {
        return false;
    }
    *s = fy_node_get_scalar(node, len);
    if (*s == NULL) {
        *s = "";
        *len = 0;
    }
    return memchr(*s, '\0', *len) == NULL;
}

/* Index of the list category "name", added on first use; -1 on error. */
static int
cs_imp_category(cs_imp_t *im, struct fy_node *key)
{
    const char    *s;
    size_t         len;
    cs_imp_cat_t  *c;

    if (!cs_imp_scalar(key, &s, &len) || len == 0) {
        cs_imp_error(im, key, "a category name must be a non-empty string");
        return -1;
    }
    for (size_t i = 0; i < im->ncats; i++) {
        if (cs_imp_bytes_cmp(s, len, im->cats[i].list, im->cats[i].list_len)
            == 0)
        {
            return (int) i;
        }
    }
    if (im->ncats == CS_IMPORT_MAX_CATEGORIES) {
        cs_imp_error(im, key, "more than %u categories",
                     CS_IMPORT_MAX_CATEGORIES);
        return -1;
    }

    c = &im->cats[im->ncats];
    c->list = s;
    c->list_len = len;
    c->rank = CS_IMPORT_KNOWN;
    for (size_t i = 0; i < CS_IMPORT_KNOWN; i++) {
        if (cs_imp_bytes_cmp(s, len, cs_import_categories[i].list,
                             strlen(cs_import_categories[i].list)) == 0)
        {
            snprintf(c->category, sizeof(c->category), "%s",
                     cs_import_categories[i].category);
            c->rank = (unsigned) i;
            break;
        }
    }
    if (c->rank == CS_IMPORT_KNOWN
        && cs_imp_slug(s, len, c->category, CS_ID_MAX) == 0)
    {
        cs_imp_error(im, key, "category '%.*s' has no letter or digit to "
                     "name it by", (int) (len > 60 ? 60 : len), s);
        return -1;
    }
    return (int) im->ncats++;
}

static void
cs_imp_domain(cs_imp_t *im, struct fy_node *item, const char *entity,
    size_t entity_len, unsigned cat)
{
    char         host[CS_HOST_MAX + 1];
    size_t       hlen = 0, len;
    const char  *s, *why;

    if (!cs_imp_scalar(item, &s, &len)) {
        cs_imp_error(im, item, "a domain of '%.*s' must be a string",
                     (int) (entity_len > 60 ? 60 : entity_len), entity);
        return;
    }
    /*
     * "host/path" entries block one path; a host suffix would block all of
     * the host. (A URL, "scheme://...", is an error below.)
     */
    const char *slash = memchr(s, '/', len);

    if (slash != NULL && !(slash > s && slash[-1] == ':')) {
        im->path_entries++;
        return;
    }
    if ((why = cs_normalize_host(s, len, host, &hlen)) != NULL) {
        cs_imp_error(im, item, "domain '%.*s' of '%.*s' %s",
                     (int) (len > 100 ? 100 : len), s,
                     (int) (entity_len > 60 ? 60 : entity_len), entity, why);
        return;
    }

    if (im->nrows == im->caprows) {
        size_t         cap = im->caprows ? im->caprows * 2 : 1024;
        cs_imp_row_t  *r = realloc(im->rows, cap * sizeof(*r));

        if (r == NULL) {
            im->oom = true;
            return;
        }
        im->rows = r;
        im->caprows = cap;
    }

    cs_imp_row_t *row = &im->rows[im->nrows];

    if ((row->domain = malloc(hlen + 1)) == NULL) {
        im->oom = true;
        return;
    }
    memcpy(row->domain, host, hlen + 1);
    row->domain_len = hlen;
    row->entity = entity;
    row->entity_len = entity_len;
    row->cat = cat;
    row->kept = false;
    im->nrows++;
}

/* One {"Entity Name": {"https://...": ["domain", ...], "flag": "x"}}. */
static void
cs_imp_entity(cs_imp_t *im, struct fy_node *map, unsigned cat)
{
    void                *it = NULL;
    struct fy_node_pair *pair;

    if (!fy_node_is_mapping(map)) {
        cs_imp_error(im, map, "an entry of category '%.*s' must be an object "
                     "{\"Entity Name\": {\"URL\": [domains]}}",
                     (int) im->cats[cat].list_len, im->cats[cat].list);
        return;
    }
    while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
        struct fy_node      *k = fy_node_pair_key(pair);
        struct fy_node      *v = fy_node_pair_value(pair);
        const char          *name;
        size_t               nlen;
        void                *uit = NULL;
        struct fy_node_pair *upair;

        if (!cs_imp_scalar(k, &name, &nlen) || nlen == 0) {
            cs_imp_error(im, k, "an entity name must be a non-empty string");
            continue;
        }
        if (v == NULL || !fy_node_is_mapping(v)) {
            cs_imp_error(im, v != NULL ? v : k, "entity '%.*s' must map URLs "
                         "to lists of domains", (int) (nlen > 60 ? 60 : nlen),
                         name);
            continue;
        }
        while ((upair = fy_node_mapping_iterate(v, &uit)) != NULL) {
            struct fy_node *uv = fy_node_pair_value(upair);
            struct fy_node *item;
            void           *dit = NULL;

            /* flags such as "performance": "true" carry no domains */
            if (uv != NULL && fy_node_is_scalar(uv)) {
                continue;
            }
            if (uv == NULL || !fy_node_is_sequence(uv)) {
                cs_imp_error(im, fy_node_pair_key(upair), "entity '%.*s': "
                             "a URL must map to a list of domains",
                             (int) (nlen > 60 ? 60 : nlen), name);
                continue;
            }
            while ((item = fy_node_sequence_iterate(uv, &dit)) != NULL
                   && !im->oom)
            {
                cs_imp_domain(im, item, name, nlen, cat);
            }
        }
    }
}

static void
cs_imp_document(cs_imp_t *im, struct fy_node *root)
{
    struct fy_node      *cats;
    void                *it = NULL;
    struct fy_node_pair *pair;

    if (root == NULL || !fy_node_is_mapping(root)) {
        cs_imp_error(im, root, "the entity list must be an object with "
                     "\"categories\"");
        return;
    }
    cats = fy_node_mapping_lookup_by_string(root, "categories", 10);
    if (cats == NULL || !fy_node_is_mapping(cats)) {
        cs_imp_error(im, cats != NULL ? cats : root, "\"categories\" must be "
                     "an object of category names to lists of entities");
        return;
    }
    while ((pair = fy_node_mapping_iterate(cats, &it)) != NULL && !im->oom) {
        struct fy_node  *k = fy_node_pair_key(pair);
        struct fy_node  *v = fy_node_pair_value(pair);
        struct fy_node  *item;
        void            *eit = NULL;
        int              cat = cs_imp_category(im, k);

        if (cat < 0) {
            continue;
        }
        if (v == NULL || !fy_node_is_sequence(v)) {
            cs_imp_error(im, v != NULL ? v : k, "category '%.*s' must be a "
                         "list of entities", (int) im->cats[cat].list_len,
                         im->cats[cat].list);
            continue;
        }
        while ((item = fy_node_sequence_iterate(v, &eit)) != NULL
               && !im->oom)
        {
            cs_imp_entity(im, item, (unsigned) cat);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Deciding */

static int
cs_imp_by_domain(const void *a, const void *b)
{
    const cs_imp_row_t *x = a, *y = b;
    int c = cs_imp_bytes_cmp(x->domain, x->domain_len, y->domain,
                             y->domain_len);

    if (c == 0) {
        c = cs_imp_bytes_cmp(x->entity, x->entity_len, y->entity,
                             y->entity_len);
    }
    return c != 0 ? c : (x->cat < y->cat ? -1 : x->cat > y->cat);
}

static int
cs_imp_by_entity(const void *a, const void *b)
{
    const cs_imp_row_t *x = a, *y = b;
    int c = cs_imp_bytes_cmp(x->entity, x->entity_len, y->entity,
                             y->entity_len);

    if (c == 0) {
        c = cs_imp_bytes_cmp(x->domain, x->domain_len, y->domain,
                             y->domain_len);
    }
    return c != 0 ? c : (x->cat < y->cat ? -1 : x->cat > y->cat);
}

static int
cs_imp_by_id(const void *a, const void *b)
{
    return strcmp(((const cs_imp_entity_t *) a)->id,
                  ((const cs_imp_entity_t *) b)->id);
}

/* True if category a is stricter than b (rank, then name). */
static bool
cs_imp_stricter(const cs_imp_t *im, unsigned a, unsigned b)
{
    const cs_imp_cat_t *x = &im->cats[a], *y = &im->cats[b];

    if (x->rank != y->rank) {
        return x->rank < y->rank;
    }
    return strcmp(x->category, y->category) < 0;
}

/*
 * Which row owns each domain: none if the exclude rules own it or a
 * suffix of it, else the first entity by name (rows sorted by domain).
 */
static void
cs_imp_owners(cs_imp_t *im, const cs_rules_t *exclude)
{
    qsort(im->rows, im->nrows, sizeof(*im->rows), cs_imp_by_domain);
    for (size_t i = 0; i < im->nrows; ) {
        size_t j = i + 1;

        while (j < im->nrows
               && cs_imp_bytes_cmp(im->rows[j].domain, im->rows[j].domain_len,
                                   im->rows[i].domain,
                                   im->rows[i].domain_len) == 0)
        {
            if (cs_imp_bytes_cmp(im->rows[j].entity, im->rows[j].entity_len,
                                 im->rows[i].entity, im->rows[i].entity_len)
                != 0)
            {
                im->shared++;
            }
            j++;
        }
        if (exclude != NULL
            && cs_rules_match_host(exclude, im->rows[i].domain,
                                   im->rows[i].domain_len) >= 0)
        {
            im->excluded++;
        } else {
            im->rows[i].kept = true;
        }
        i = j;
    }
}

/* Open-addressing set of ids (strings owned elsewhere). */
typedef struct {
    const char  **slot;
    size_t        mask;
} cs_imp_set_t;

static size_t
cs_imp_hash(const char *s)
{
    uint64_t h = 14695981039346656037u;        /* FNV-1a */

    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char) *s) * 1099511628211u;
    }
    return (size_t) h;
}

static bool
cs_imp_set_has(const cs_imp_set_t *set, const char *s)
{
    for (size_t i = cs_imp_hash(s) & set->mask; set->slot[i] != NULL;
         i = (i + 1) & set->mask)
    {
        if (strcmp(set->slot[i], s) == 0) {
            return true;
        }
    }
    return false;
}

/* The set is sized for every id and category: it never fills up. */
static void
cs_imp_set_add(cs_imp_set_t *set, const char *s)
{
    size_t i = cs_imp_hash(s) & set->mask;

    while (set->slot[i] != NULL) {
        if (strcmp(set->slot[i], s) == 0) {
            return;
        }
        i = (i + 1) & set->mask;
    }
    set->slot[i] = s;
}

static bool
cs_imp_taken(const cs_imp_set_t *set, const cs_rules_t *exclude,
    const char *id)
{
    size_t len = strlen(id);

    return cs_imp_set_has(set, id)
           || (exclude != NULL
               && (cs_rules_recipient_find(exclude, id, len) >= 0
                   || cs_rules_is_category(exclude, id, len)));
}

/*
 * Ids from entity names, in name order: the name's slug, or with "-2",
 * "-3", ... when an earlier entity, a category or an exclude file has it.
 */
static int
cs_imp_ids(cs_imp_t *im, cs_imp_entity_t *ents, size_t nents,
    const cs_rules_t *exclude)
{
    cs_imp_set_t  set;
    size_t        cap = 64;

    while (cap < 2 * (nents + im->ncats)) {
        cap *= 2;
    }
    set.mask = cap - 1;
    if ((set.slot = calloc(cap, sizeof(*set.slot))) == NULL) {
        return -1;
    }
    for (size_t i = 0; i < im->ncats; i++) {
        cs_imp_set_add(&set, im->cats[i].category);
    }

    for (size_t i = 0; i < nents; i++) {
        cs_imp_entity_t *e = &ents[i];
        char             base[CS_IMPORT_ID_BASE_MAX + 1];
        size_t           blen = cs_imp_slug(e->name, e->name_len, base,
                                            CS_IMPORT_ID_BASE_MAX);

        if (blen == 0) {
            blen = (size_t) snprintf(base, sizeof(base), "entity");
        }
        snprintf(e->id, sizeof(e->id), "%s", base);
        for (unsigned n = 2; cs_imp_taken(&set, exclude, e->id); n++) {
            if (n > CS_IMPORT_ID_SUFFIX_MAX) {
                free(set.slot);
                return -1;
            }
            snprintf(e->id, sizeof(e->id), "%s-%u", base, n);
        }
        cs_imp_set_add(&set, e->id);
    }
    free(set.slot);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Writing */

/* Text in a YAML comment: control bytes would end it; write '?'. */
static void
cs_imp_comment_text(FILE *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];

        fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
    }
}

static void
cs_imp_write(const cs_imp_t *im, const cs_imp_entity_t *ents, size_t nents,
    size_t nhosts, size_t dropped, FILE *out)
{
    fputs("# Recipients imported by \"consentctl import-entities\" from ",
          out);
    cs_imp_comment_text(out, im->src, strlen(im->src));
    fprintf(out, ".\n"
            "# %zu entities, %zu host suffixes. No site declares them, so "
            "the gate strips\n"
            "# them wherever they appear. Left out: domains owned by the "
            "--exclude rules: %zu;\n"
            "# entries with a path: %zu; entities with no domain left: %zu.\n"
            "# Regenerate rather than edit.\n"
            "format: " CS_RULES_FORMAT_VERSION "\n"
            "recipients:\n", nents, nhosts, im->excluded, im->path_entries,
            dropped);

    for (size_t i = 0; i < nents; i++) {
        const cs_imp_entity_t *e = &ents[i];
        bool                   first = true;

        fputs("  # listed as:", out);
        for (size_t c = 0; c < im->ncats; c++) {
            if (e->listed & ((uint64_t) 1 << c)) {
                fputs(first ? " " : ", ", out);
                cs_imp_comment_text(out, im->cats[c].list, im->cats[c].list_len);
                first = false;
            }
        }
        fprintf(out, "\n  - id: %s\n    name: ", e->id);
        cs_put_escaped(out, e->name, e->name_len, CS_PUT_QUOTED);
        fprintf(out, "\n    category: %s\n    hosts:\n",
                im->cats[e->cat].category);
        for (size_t r = e->first; r < e->first + e->count; r++) {
            if (im->rows[r].kept) {
                fprintf(out, "      - %s\n", im->rows[r].domain);
            }
        }
    }
    fputs("sites: []\n", out);
}

/* ---------------------------------------------------------------------- */
/* Entry */

/* Compiles the exclude rules into a private temporary file and loads it. */
static int
cs_imp_exclude(const char *const *excludes, size_t n, cs_rules_t **rules,
    char *err, size_t errlen)
{
    char path[CS_IMPORT_PATH_MAX + 16];
    char loaderr[512];
    int  rc;

    *rules = NULL;
    if (n == 0) {
        return CS_COMPILE_OK;
    }
    rc = cs_compile_tmp(excludes, n, "consentctl-import", "exclude.mdb",
                        path, sizeof(path), err, errlen);
    if (rc != CS_COMPILE_OK) {
        return rc;
    }
    if ((*rules = cs_rules_load(path, loaderr, sizeof(loaderr))) == NULL) {
        snprintf(err, errlen, "%s: %s", path, loaderr);
        rc = CS_COMPILE_IO;
    }
    cs_compile_tmp_remove(path);
    return rc;
}

/* Diagnostics are collected, never printed: library code must not print. */
static void
cs_imp_diag_discard(struct fy_diag *diag, void *user, const char *buf,
    size_t len)
{
    (void) diag;
    (void) user;
    (void) buf;
    (void) len;
}

static struct fy_document *
cs_imp_parse(cs_imp_t *im, const char *data, size_t len)
{
    struct fy_diag_cfg     dcfg;
    struct fy_parse_cfg    pcfg;
    struct fy_diag        *diag;
    struct fy_document    *doc;

    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = cs_imp_diag_discard;
    dcfg.colorize = false;
    if ((diag = fy_diag_create(&dcfg)) == NULL) {
        im->oom = true;
        return NULL;
    }
    fy_diag_set_collect_errors(diag, true);

    memset(&pcfg, 0, sizeof(pcfg));
    pcfg.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT | FYPCF_JSON_FORCE;
    pcfg.diag = diag;

    doc = fy_document_build_from_string(&pcfg, data, len);
    if (doc == NULL) {
        void                 *it = NULL;
        struct fy_diag_error *e;
        char                  line[CS_IMPORT_PATH_MAX + 600];
        unsigned              reported = 0;

        while ((e = fy_diag_errors_iterate(diag, &it)) != NULL) {
            if (e->type < FYET_ERROR) {
                continue;
            }
            reported++;
            im->nfindings++;
            snprintf(line, sizeof(line), "%s:%d:%d: JSON syntax error: %s",
                     im->src, e->line, e->column, e->msg ? e->msg : "?");
            cs_imp_append(im, line);
        }
        if (reported == 0) {
            im->nfindings++;
            snprintf(line, sizeof(line), "%s: no JSON document (empty file?)",
                     im->src);
            cs_imp_append(im, line);
        }
    }
    fy_diag_destroy(diag);
    return doc;
}

int
cs_import_entities(const char *src, const char *const *excludes,
    size_t nexcludes, FILE *out, char *err, size_t errlen)
{
    cs_imp_t             im;
    cs_rules_t          *exclude = NULL;
    struct fy_document  *doc = NULL;
    cs_imp_entity_t     *ents = NULL;
    char                *data = NULL;
    size_t               len = 0, nents = 0, nhosts = 0, dropped = 0;
    int                  ret;

    memset(&im, 0, sizeof(im));
    im.src = src;
    im.err = err;
    im.errlen = errlen;
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    if (src == NULL || out == NULL || (nexcludes > 0 && excludes == NULL)) {
        snprintf(err, errlen, "cs_import_entities: source and output "
                 "required");
        return CS_COMPILE_IO;
    }

    ret = cs_imp_exclude(excludes, nexcludes, &exclude, err, errlen);
    if (ret != CS_COMPILE_OK) {
        return ret;
    }
    if (cs_read_file(src, &data, &len, err, errlen) != 0) {
        ret = CS_COMPILE_IO;
        goto done;
    }
    doc = cs_imp_parse(&im, data, len);
    if (doc != NULL) {
        cs_imp_document(&im, fy_document_root(doc));
    }
    if (im.oom) {
        snprintf(err, errlen, "%s: out of memory", src);
        ret = CS_COMPILE_IO;
        goto done;
    }
    if (im.nfindings > 0) {
        ret = CS_COMPILE_INVALID;
        goto done;
    }

    cs_imp_owners(&im, exclude);

    /* entities: rows grouped by name */
    qsort(im.rows, im.nrows, sizeof(*im.rows), cs_imp_by_entity);
    if ((ents = calloc(im.nrows ? im.nrows : 1, sizeof(*ents))) == NULL) {
        snprintf(err, errlen, "%s: out of memory", src);
        ret = CS_COMPILE_IO;
        goto done;
    }
    for (size_t i = 0; i < im.nrows; ) {
        cs_imp_entity_t *e = &ents[nents];
        size_t           j = i;

        memset(e, 0, sizeof(*e));
        e->name = im.rows[i].entity;
        e->name_len = im.rows[i].entity_len;
        e->first = i;
        for (; j < im.nrows
               && cs_imp_bytes_cmp(im.rows[j].entity, im.rows[j].entity_len,
                                   e->name, e->name_len) == 0; j++)
        {
            e->listed |= (uint64_t) 1 << im.rows[j].cat;
            if (!im.rows[j].kept) {
                continue;
            }
            if (e->nhosts == 0 || cs_imp_stricter(&im, im.rows[j].cat, e->cat))
            {
                e->cat = im.rows[j].cat;
            }
            e->nhosts++;
        }
        e->count = j - i;
        i = j;
        if (e->nhosts == 0) {
            dropped++;
            continue;
        }
        nhosts += e->nhosts;
        nents++;
    }
    if (nents == 0) {
        cs_imp_error(&im, NULL, "no entity is left to import (every domain "
                     "is owned by the --exclude rules, or none is listed)");
        ret = CS_COMPILE_INVALID;
        goto done;
    }

    /* an imported category must not be a recipient id of the excludes */
    for (size_t i = 0; exclude != NULL && i < im.ncats; i++) {
        const char *c = im.cats[i].category;

        if (cs_rules_recipient_find(exclude, c, strlen(c)) >= 0) {
            cs_imp_error(&im, NULL, "category '%s' (from '%.*s') is a "
                         "recipient id in the --exclude rules (consent cookie "
                         "items would be ambiguous)", c,
                         (int) im.cats[i].list_len, im.cats[i].list);
        }
    }
    if (im.nfindings > 0) {
        ret = CS_COMPILE_INVALID;
        goto done;
    }

    if (cs_imp_ids(&im, ents, nents, exclude) != 0) {
        snprintf(err, errlen, "%s: cannot make unique recipient ids", src);
        ret = CS_COMPILE_IO;
        goto done;
    }
    qsort(ents, nents, sizeof(*ents), cs_imp_by_id);

    cs_imp_write(&im, ents, nents, nhosts, dropped, out);
    if (fflush(out) != 0 || ferror(out)) {
        snprintf(err, errlen, "write error: %s", strerror(errno));
        ret = CS_COMPILE_IO;
        goto done;
    }
    ret = CS_COMPILE_OK;

done:
    for (size_t i = 0; i < im.nrows; i++) {
        free(im.rows[i].domain);
    }
    free(im.rows);
    free(ents);
    if (doc != NULL) {
        fy_document_destroy(doc);
    }
    free(data);
    if (exclude != NULL) {
        cs_rules_free(exclude);
    }
    return ret;
}
