/*
 * Rules dumper: prints a compiled rules database (doc/lmdb-layout.md) as
 * stable, sorted text, after checking it with the module's own loader.
 * Also the one escaping text printer of the tools (cs_put_escaped).
 */

#include "cs_compile.h"
#include "cs_err.h"
#include "cs_rules.h"

#include <errno.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cs_dump_each() rows' "no memory": LMDB's codes and errno are never -1 */
#define CS_DUMP_NOMEM  (-1)

void
cs_put_escaped(FILE *out, const char *s, size_t len, unsigned how)
{
    if (how & CS_PUT_QUOTED) {
        fputc('"', out);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];

        if ((how & CS_PUT_QUOTED) && (c == '"' || c == '\\')) {
            fputc('\\', out);
            fputc(c, out);
        } else if ((how & CS_PUT_NEWLINE) && c == '\n') {
            fputs("\\n", out);
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\x%02x", c);
        } else {
            fputc(c, out);
        }
    }
    if (how & CS_PUT_QUOTED) {
        fputc('"', out);
    }
}

/* Text with control bytes escaped, so each record stays on one line. */
static void
cs_put_text(FILE *out, const char *s, size_t len)
{
    cs_put_escaped(out, s, len, 0);
}

static void
cs_put_field(FILE *out, const char *indent, const char *name, const char *s,
    size_t len)
{
    fprintf(out, "%s%s: ", indent, name);
    cs_put_text(out, s, len);
    fputc('\n', out);
}

/* Prints "sent" text one item per line (items were joined with "\n"). */
static void
cs_put_sent(FILE *out, const char *indent, const char *s, size_t len)
{
    size_t start = 0;

    if (len == 0) {
        fprintf(out, "%ssent:\n", indent);
        return;
    }
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '\n') {
            cs_put_field(out, indent, "sent", s + start, i - start);
            start = i + 1;
        }
    }
}

/* Field i of a NUL-terminated field sequence, or "" if absent. */
static const char *
cs_field(const MDB_val *v, int index, size_t *len)
{
    const char *p = v->mv_data, *end = p + v->mv_size;

    for (int i = 0; p < end; i++) {
        const char *nul = memchr(p, '\0', (size_t) (end - p));

        if (nul == NULL) {
            break;
        }
        if (i == index) {
            *len = (size_t) (nul - p);
            return p;
        }
        p = nul + 1;
    }
    *len = 0;
    return "";
}

/* Prints a "fields" list value as "[a, b, c]" (the rule file's syntax). */
static void
cs_put_list(FILE *out, const MDB_val *v)
{
    const char  *p = v->mv_data, *end = p + v->mv_size;

    fputc('[', out);
    for (bool first = true; p < end; first = false) {
        const char *nul = memchr(p, '\0', (size_t) (end - p));
        size_t      len = nul ? (size_t) (nul - p) : (size_t) (end - p);

        if (!first) {
            fputs(", ", out);
        }
        cs_put_text(out, p, len);
        p += len + 1;
    }
    fputc(']', out);
}

/* Orders two byte strings as LMDB orders keys. */
static int
cs_val_cmp(const MDB_val *x, const MDB_val *y)
{
    size_t  n = x->mv_size < y->mv_size ? x->mv_size : y->mv_size;
    int     c = memcmp(x->mv_data, y->mv_data, n);

    if (c == 0 && x->mv_size != y->mv_size) {
        c = x->mv_size < y->mv_size ? -1 : 1;
    }
    return c;
}

typedef struct {
    MDB_val  host;
    MDB_val  recipient;
} cs_host_row_t;

static int
cs_host_row_cmp(const void *a, const void *b)
{
    const cs_host_row_t *x = a, *y = b;
    int c = cs_val_cmp(&x->recipient, &y->recipient);

    return c != 0 ? c : cs_val_cmp(&x->host, &y->host);
}

/* What the dump is printing from, and the hosts grouped by recipient. */
typedef struct {
    MDB_txn        *txn;
    MDB_dbi         dbi[DB_COUNT];
    bool            has_maps;
    bool            has_tagging;     /* files from before tagging_hosts */
    bool            has_paths;       /* files from before paths lack it */
    FILE           *out;
    cs_host_row_t  *hosts;
    size_t          nhosts;
    size_t          hosts_cap;
    size_t          ihost;         /* the next recipient's first host */
} cs_dumper_t;

/* One record: its key with the prefix cut off, its value. 0 or an error. */
typedef int (*cs_dump_row_fn)(cs_dumper_t *d, const char *rest, size_t rlen,
    const MDB_val *val);

/*
 * The dumper's one cursor loop: calls row for each key of dbi that starts
 * with prefix (every key when plen is 0), in key order. Returns 0 or the
 * first error (LMDB's, or a row's).
 */
static int
cs_dump_each(cs_dumper_t *d, MDB_dbi dbi, const char *prefix, size_t plen,
    cs_dump_row_fn row)
{
    MDB_cursor  *cur;
    MDB_val      key = { plen, (void *) prefix }, val;
    int          rc = mdb_cursor_open(d->txn, dbi, &cur);

    if (rc != 0) {
        return rc;
    }
    for (rc = mdb_cursor_get(cur, &key, &val,
                             plen ? MDB_SET_RANGE : MDB_FIRST);
         rc == 0 && key.mv_size >= plen
         && memcmp(key.mv_data, prefix, plen) == 0;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT))
    {
        rc = row(d, (const char *) key.mv_data + plen, key.mv_size - plen,
                 &val);
        if (rc != 0) {
            break;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

/* meta: format_version first (cs_dump), then the other keys in key order */
static int
cs_dump_meta_row(cs_dumper_t *d, const char *key, size_t klen,
    const MDB_val *val)
{
    if (klen == strlen("format_version")
        && memcmp(key, "format_version", klen) == 0)
    {
        return 0;
    }
    cs_put_text(d->out, key, klen);
    fputs(": ", d->out);
    if (klen == strlen("gpc_categories")
        && memcmp(key, "gpc_categories", klen) == 0)
    {
        cs_put_list(d->out, val);
    } else {
        cs_put_text(d->out, val->mv_data, val->mv_size);
    }
    fputc('\n', d->out);
    return 0;
}

static int
cs_dump_host_row(cs_dumper_t *d, const char *key, size_t klen,
    const MDB_val *val)
{
    cs_host_row_t *h;

    if (d->nhosts == d->hosts_cap) {
        return 0;                     /* cannot happen: counted in this txn */
    }
    h = &d->hosts[d->nhosts++];
    h->host.mv_data = (void *) key;
    h->host.mv_size = klen;
    h->recipient = *val;
    return 0;
}

/* hosts grouped by recipient (the database is keyed by host) */
static int
cs_dump_collect_hosts(cs_dumper_t *d)
{
    MDB_stat  st;
    int       rc = mdb_stat(d->txn, d->dbi[DB_HOSTS], &st);

    if (rc != 0) {
        return rc;
    }
    d->hosts = calloc(st.ms_entries ? st.ms_entries : 1, sizeof(*d->hosts));
    if (d->hosts == NULL) {
        return CS_DUMP_NOMEM;
    }
    d->hosts_cap = st.ms_entries;
    rc = cs_dump_each(d, d->dbi[DB_HOSTS], "", 0, cs_dump_host_row);
    if (rc == 0) {
        qsort(d->hosts, d->nhosts, sizeof(*d->hosts), cs_host_row_cmp);
    }
    return rc;
}

/* "  signature NNN: pattern" or "  path NNN: pattern" */
static int
cs_dump_matcher_row(cs_dumper_t *d, const char *what, const char *ordinal,
    size_t len, const MDB_val *val)
{
    fprintf(d->out, "  %s %.*s: ", what, (int) len, ordinal);
    cs_put_text(d->out, val->mv_data, val->mv_size);
    fputc('\n', d->out);
    return 0;
}

static int
cs_dump_signature_row(cs_dumper_t *d, const char *ordinal, size_t len,
    const MDB_val *val)
{
    return cs_dump_matcher_row(d, "signature", ordinal, len, val);
}

static int
cs_dump_path_row(cs_dumper_t *d, const char *ordinal, size_t len,
    const MDB_val *val)
{
    return cs_dump_matcher_row(d, "path", ordinal, len, val);
}

static int
cs_dump_recipient_row(cs_dumper_t *d, const char *id, size_t len,
    const MDB_val *val)
{
    static const char *const names[] = { "name", "category", "sent",
                                         "purpose", "tcf_vendor_id",
                                         "tcf_purposes" };
    char  prefix[CS_ID_MAX + 2];
    int   plen;

    fprintf(d->out, "\nrecipient %.*s\n", (int) len, id);
    for (int i = 0; i < 6; i++) {
        size_t       flen;
        const char  *f = cs_field(val, i, &flen);

        if (i == 2) {
            cs_put_sent(d->out, "  ", f, flen);
        } else {
            cs_put_field(d->out, "  ", names[i], f, flen);
        }
    }

    /* hosts of this recipient: rows are sorted like recipient keys */
    while (d->ihost < d->nhosts
           && d->hosts[d->ihost].recipient.mv_size == len
           && memcmp(d->hosts[d->ihost].recipient.mv_data, id, len) == 0)
    {
        fprintf(d->out, "  host %.*s\n",
                (int) d->hosts[d->ihost].host.mv_size,
                (const char *) d->hosts[d->ihost].host.mv_data);
        d->ihost++;
    }

    plen = snprintf(prefix, sizeof(prefix), "%.*s:", (int) len, id);
    if (d->has_paths) {
        int rc = cs_dump_each(d, d->dbi[DB_PATHS], prefix, (size_t) plen,
                              cs_dump_path_row);
        if (rc != 0) {
            return rc;
        }
    }
    return cs_dump_each(d, d->dbi[DB_SIGNATURES], prefix, (size_t) plen,
                        cs_dump_signature_row);
}

static int
cs_dump_declaration_row(cs_dumper_t *d, const char *recipient, size_t len,
    const MDB_val *val)
{
    static const char *const names[] = { "service", "category", "sent",
                                         "purpose", "order" };

    fprintf(d->out, "  declares %.*s\n", (int) len, recipient);
    for (int i = 0; i < 5; i++) {
        size_t       flen;
        const char  *f = cs_field(val, i, &flen);

        if (flen == 0) {
            continue;          /* empty = the recipient's own value;
                                  no order in files from before it */
        }
        if (i == 2) {
            cs_put_sent(d->out, "    ", f, flen);
        } else {
            cs_put_field(d->out, "    ", names[i], f, flen);
        }
    }
    return 0;
}

/* "FORMAT/NAME" -> "  consent_map FORMAT NAME: [target, ...]" */
static int
cs_dump_consent_map_row(cs_dumper_t *d, const char *rest, size_t rlen,
    const MDB_val *val)
{
    const char  *slash = memchr(rest, '/', rlen);
    size_t       flen = slash ? (size_t) (slash - rest) : rlen;

    fputs("  consent_map ", d->out);
    cs_put_text(d->out, rest, flen);
    fputc(' ', d->out);
    if (slash != NULL) {
        cs_put_text(d->out, slash + 1, rlen - flen - 1);
    }
    fputs(": ", d->out);
    cs_put_list(d->out, val);
    fputc('\n', d->out);
    return 0;
}

/* "HOST" -> "  tagging_host HOST: RECIPIENT" */
static int
cs_dump_tagging_host_row(cs_dumper_t *d, const char *rest, size_t rlen,
    const MDB_val *val)
{
    fputs("  tagging_host ", d->out);
    cs_put_text(d->out, rest, rlen);
    fputs(": ", d->out);
    cs_put_text(d->out, val->mv_data, val->mv_size);
    fputc('\n', d->out);
    return 0;
}

static int
cs_dump_site_row(cs_dumper_t *d, const char *id, size_t len,
    const MDB_val *val)
{
    char         prefix[CS_ID_MAX + 2];
    size_t       flen;
    const char  *name = cs_field(val, 0, &flen);
    int          plen, rc;

    fprintf(d->out, "\nsite %.*s\n", (int) len, id);
    cs_put_field(d->out, "  ", "name", name, flen);

    plen = snprintf(prefix, sizeof(prefix), "%.*s/", (int) len, id);
    rc = cs_dump_each(d, d->dbi[DB_DECLARES], prefix, (size_t) plen,
                      cs_dump_declaration_row);
    if (rc == 0 && d->has_maps) {
        rc = cs_dump_each(d, d->dbi[DB_CMP_MAPS], prefix, (size_t) plen,
                          cs_dump_consent_map_row);
    }
    if (rc == 0 && d->has_tagging) {
        rc = cs_dump_each(d, d->dbi[DB_TAGGING_HOSTS], prefix, (size_t) plen,
                          cs_dump_tagging_host_row);
    }
    return rc;
}

/* Opens db read-only and its sub-databases into d (and *env). */
static int
cs_dump_open(const char *db, MDB_env **env, cs_dumper_t *d)
{
    int rc = mdb_env_create(env);

    if (rc == 0) {
        rc = mdb_env_set_maxdbs(*env, DB_COUNT + 2);
    }
    if (rc == 0) {
        rc = mdb_env_open(*env, db, MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK,
                          0);
    }
    if (rc == 0) {
        rc = mdb_txn_begin(*env, NULL, MDB_RDONLY, &d->txn);
    }
    d->has_maps = true;
    d->has_paths = true;
    d->has_tagging = true;
    for (int i = 0; rc == 0 && i < DB_COUNT; i++) {
        rc = mdb_dbi_open(d->txn, cs_db_names[i], 0, &d->dbi[i]);
        if (rc == MDB_NOTFOUND && cs_db_optional(i)) {
            /* optional: older files lack it */
            *(i == DB_PATHS ? &d->has_paths
              : i == DB_TAGGING_HOSTS ? &d->has_tagging : &d->has_maps) = false;
            rc = 0;
        }
    }
    return rc;
}

/* Everything, in the order of the dump; 0 or the first error. */
static int
cs_dump_all(cs_dumper_t *d)
{
    MDB_val  key = { strlen("format_version"), (void *) "format_version" };
    MDB_val  val;
    int      rc = mdb_get(d->txn, d->dbi[DB_META], &key, &val);

    if (rc != 0) {
        return rc;
    }
    fprintf(d->out, "format_version: %.*s\n", (int) val.mv_size,
            (const char *) val.mv_data);
    rc = cs_dump_each(d, d->dbi[DB_META], "", 0, cs_dump_meta_row);
    if (rc == 0) {
        rc = cs_dump_collect_hosts(d);
    }
    if (rc == 0) {
        rc = cs_dump_each(d, d->dbi[DB_RECIPIENTS], "", 0,
                          cs_dump_recipient_row);
    }
    if (rc == 0) {
        rc = cs_dump_each(d, d->dbi[DB_SITES], "", 0, cs_dump_site_row);
    }
    return rc;
}

int
cs_dump(const char *db, FILE *out, char *err, size_t errlen)
{
    MDB_env      *env = NULL;
    cs_dumper_t   d;
    int           rc, ret = CS_COMPILE_IO;
    char          loaderr[512];

    cs_set_err(err, errlen, "%s", "");
    if (db == NULL || out == NULL) {
        cs_set_err(err, errlen, "cs_dump: database path and output required");
        return CS_COMPILE_IO;
    }

    /* Validate with the real reader first: same errors as the module. */
    cs_rules_t *check = cs_rules_load(db, loaderr, sizeof(loaderr));
    if (check == NULL) {
        cs_set_err(err, errlen, "%s", loaderr);
        return access(db, R_OK) == 0 ? CS_COMPILE_INVALID : CS_COMPILE_IO;
    }
    cs_rules_free(check);

    memset(&d, 0, sizeof(d));
    d.out = out;
    rc = cs_dump_open(db, &env, &d);
    if (rc == 0) {
        rc = cs_dump_all(&d);
    }
    if (rc == CS_DUMP_NOMEM) {
        cs_set_err(err, errlen, "%s: out of memory", db);
    } else if (rc != 0) {
        cs_set_err(err, errlen, "%s: %s", db, mdb_strerror(rc));
    } else if (fflush(out) != 0 || ferror(out)) {
        cs_set_err(err, errlen, "%s: write error: %s", db, strerror(errno));
    } else {
        ret = CS_COMPILE_OK;
    }

    free(d.hosts);
    if (d.txn != NULL) {
        mdb_txn_abort(d.txn);
    }
    if (env != NULL) {
        mdb_env_close(env);
    }
    return ret;
}
