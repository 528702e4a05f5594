/*
 * consentctl operations' inside: the records of a rules database (or of a
 * YAML source) that cs_ops.c reads, and the lookups the check
 * (cs_ops_check.c) and diff (cs_ops_diff.c) commands share. Not an API:
 * only the cs_ops*.c files include it.
 */

#ifndef CS_OPS_IMPL_H
#define CS_OPS_IMPL_H

#include "cs_ops.h"
#include "cs_compile.h"
#include "cs_rules.h"

#include <stdbool.h>
#include <stddef.h>

#define CS_OPS_PATH_MAX      4096
#define CS_OPS_FIELDS_MAX    8

typedef struct {
    int      db;
    char    *key;
    size_t   klen;
    char    *val;
    size_t   vlen;
} cs_rec_t;

/* what only a YAML source knows */
enum { P_RECIPIENT = 0, P_HOST, P_SIG, P_SITE, P_DECL, P_PATH };

typedef struct {
    int      kind;
    char    *a;         /* recipient or site id */
    char    *b;         /* host (normalised) or declared recipient id */
    size_t   idx;       /* signature ordinal, declaration order */
    size_t   file;      /* which of the sources compiled together */
    int      line;
} cs_pos_t;

struct cs_ops_db {
    cs_rules_t *rules;  /* the same database, loaded as the module does */
    cs_rec_t  *recs;
    size_t     nrecs;
    size_t     caprecs;
    cs_pos_t  *pos;
    size_t     npos;
    size_t     cappos;
    bool       have_source;
};

/*
 * Compiles the sources together into a private temporary database and
 * reads it into db (positions included); err receives the compiler's
 * findings when the rules are invalid (CS_OPS_FINDINGS).
 */
int cs_compile_read(cs_ops_db_t *db, const char *const *srcs, size_t nsrcs,
    char *err, size_t errlen);

/* Where a record stands in the sources; NULL if unknown. */
const cs_pos_t *cs_pos_find(const cs_ops_db_t *db, int kind, const char *a,
    const char *b, size_t idx);

/* The record of sub-database which (DB_*) with this key; NULL if none. */
const cs_rec_t *cs_rec_find(const cs_ops_db_t *db, int which,
    const char *key);

/* Splits a "fields" value; returns how many fields (at most max). */
size_t cs_fields(const cs_rec_t *r, const char **f, size_t *fl, size_t max);

/* The field names of a sub-database's values (NULL-terminated), or NULL. */
const char *const *cs_field_names(int which);

/* True if the record's value is a list (cmp_maps, gpc_categories). */
bool cs_is_list(const cs_rec_t *r);

#endif /* CS_OPS_IMPL_H */
