/*
 * The rules compiler's inside, shared by its two halves: cs_compile.c
 * reads the rule documents' recipients and sites into records, and
 * cs_compile_db.c walks the documents, checks what needs all of them
 * (consent maps, gpc_categories) and writes the database. Not an API: only
 * those two files include it.
 */

#ifndef CS_COMPILE_IMPL_H
#define CS_COMPILE_IMPL_H

#include "cs_compile.h"
#include "cs_rules.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <libfyaml.h>
#include <lmdb.h>
#include <pcre2.h>
#include <stdbool.h>
#include <string.h>

#define CS_PATH_MAX           4096u

/* A growing byte buffer, always NUL-terminated. */
typedef struct {
    char    *data;
    size_t   len;
    size_t   cap;
} cs_buf_t;

typedef struct {
    char        text[CS_ID_MAX + 1];
    const char *src;                   /* rule file of the first use */
    int         line;
    int         col;
} cs_category_use_t;

/* A site's consent_map, checked once every category is known. */
typedef struct {
    char                 site[CS_ID_MAX + 1];
    const char          *src;          /* rule file of the site */
    struct fy_node      *key;
    struct fy_node      *value;
} cs_pending_map_t;

/* One rule file: its text (libfyaml points into it) and parsed document. */
typedef struct {
    const char          *path;
    char                *data;
    size_t               len;
    struct fy_document  *doc;
} cs_source_t;

typedef struct {
    const char          *src;          /* rule file being read, for messages */
    const char          *sources;      /* all rule files, for meta "source" */
    cs_source_t         *srcs;         /* in command-line order */
    size_t               nsrcs;
    char                *err;
    size_t               errlen;
    size_t               errused;
    unsigned             nfindings;

    int                  mdb_rc;       /* first LMDB failure, 0 if none */
    MDB_txn             *txn;
    MDB_dbi              dbi[DB_COUNT];

    cs_buf_t             val;          /* scratch for LMDB values */
    cs_buf_t             text;         /* scratch for joined text */

    cs_category_use_t   *cats;         /* distinct categories, first use */
    size_t               ncats;
    size_t               capcats;

    cs_pending_map_t    *maps;         /* sites' consent_map, in file order */
    size_t               nmaps;
    size_t               capmaps;

    pcre2_match_data    *md;           /* for the empty-match check */
} cs_cc_t;


/* Appends n bytes (-1: out of memory); _field also a NUL after them. */
int cs_buf_add(cs_buf_t *b, const void *p, size_t n);
int cs_buf_field(cs_buf_t *b, const char *s, size_t n);

/* True if s (len bytes) is the NUL-terminated lit. */
static inline bool
cs_text_is(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/*
 * Findings: one line "FILE:LINE:COL: message" each, located at node (else
 * fallback), counted in cc->nfindings; _append adds a ready line.
 */
void cs_error_at(cs_cc_t *cc, struct fy_node *node, struct fy_node *fallback,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void cs_finding_append(cs_cc_t *cc, const char *line);
/* Remembers an allocation failure (reported as an I/O error). */
void cs_oom(cs_cc_t *cc);

/* LMDB put (0, MDB_KEYEXIST or -1) and get (true if found). */
int cs_put(cs_cc_t *cc, enum cs_db_e db, const void *k, size_t klen,
    const void *v, size_t vlen, unsigned flags);
bool cs_get(cs_cc_t *cc, enum cs_db_e db, const void *k, size_t klen,
    MDB_val *out);

/* The scalar text of value (for key "what"); false after a finding. */
bool cs_scalar(cs_cc_t *cc, struct fy_node *value, struct fy_node *key,
    const char *what, const char **s, size_t *len);
/* True if a recipient or declaration uses the category s. */
bool cs_known_category(const cs_cc_t *cc, const char *s, size_t len);
/* True if the "fields" value in b already holds the field s. */
bool cs_fields_have(const cs_buf_t *b, const char *s, size_t len);

/* One entry of a document's recipients or sites list into records. */
void cs_recipient(cs_cc_t *cc, struct fy_node *map);
void cs_site(cs_cc_t *cc, struct fy_node *map);

#endif /* CS_COMPILE_IMPL_H */
