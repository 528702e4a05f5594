/*
 * Rules compiler (YAML -> LMDB). See cs_compile.h for the API and
 * doc/lmdb-layout.md for the database layout written here; cs_dump.c
 * prints a database back as text.
 *
 * Validation uses the LMDB write transaction itself as the index for
 * duplicate checks (MDB_NOOVERWRITE): the transaction is simply aborted,
 * and the temporary file removed, if any finding was reported.
 */

#include "cs_compile_impl.h"
#include "cs_err.h"

#include <errno.h>
#include <libfyaml.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CS_MAX_FINDINGS       50u      /* stop reporting after this many */
#define CS_MAX_SIGNATURES     1000u    /* per recipient: 3-digit ordinal */
#define CS_LABEL_MAX          63u

const char *const cs_db_names[DB_COUNT] = {
    "meta", "recipients", "hosts", "signatures", "sites", "declares",
    "cmp_maps", "paths", "tagging_hosts",
};

/* ---------------------------------------------------------------------- */
/* Small utilities */


int
cs_buf_add(cs_buf_t *b, const void *p, size_t n)
{
    if (n > SIZE_MAX - b->len - 1) {
        return -1;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;

        while (cap < b->len + n + 1) {
            if (cap > SIZE_MAX / 2) {
                return -1;
            }
            cap *= 2;
        }
        char *d = realloc(b->data, cap);
        if (d == NULL) {
            return -1;
        }
        b->data = d;
        b->cap = cap;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Appends a field followed by its NUL terminator. */
int
cs_buf_field(cs_buf_t *b, const char *s, size_t n)
{
    return (cs_buf_add(b, s, n) == 0 && cs_buf_add(b, "", 1) == 0) ? 0 : -1;
}

/* memmem() is not POSIX; this is all the compiler needs. */
static bool
cs_contains(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (memcmp(s + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}


/* ---------------------------------------------------------------------- */
/* Compile context */

/*
 * Position of a node: libfyaml 0.7 exposes marks only for tokens, so a
 * collection is located by its first scalar (its first key or item).
 */
bool
cs_node_pos(struct fy_node *node, int *line, int *col)
{
    for (int depth = 0; node != NULL && depth < 64; depth++) {
        if (fy_node_is_scalar(node)) {
            struct fy_token      *tok = fy_node_get_scalar_token(node);
            const struct fy_mark *m = tok ? fy_token_start_mark(tok) : NULL;

            if (m == NULL) {
                return false;
            }
            *line = m->line + 1;
            *col = m->column + 1;
            return true;
        }
        if (fy_node_is_mapping(node)) {
            void                *it = NULL;
            struct fy_node_pair *pair = fy_node_mapping_iterate(node, &it);

            node = pair ? fy_node_pair_key(pair) : NULL;
        } else if (fy_node_is_sequence(node)) {
            void *it = NULL;

            node = fy_node_sequence_iterate(node, &it);
        } else {
            return false;
        }
    }
    return false;
}

void
cs_finding_append(cs_cc_t *cc, const char *line)
{
    size_t len = strlen(line);

    if (cc->err == NULL || cc->errlen == 0) {
        return;
    }
    if (cc->errused > 0 && cc->errused + 1 < cc->errlen) {
        cc->err[cc->errused++] = '\n';
        cc->err[cc->errused] = '\0';
    }

    size_t room = cc->errlen - cc->errused - 1;
    if (len > room) {
        len = room;
    }
    memcpy(cc->err + cc->errused, line, len);
    cc->errused += len;
    cc->err[cc->errused] = '\0';
}

/*
 * Reports a finding located at "node" (or at "fallback" if node has no
 * position, e.g. an empty collection or a missing value).
 */
void
cs_error_at(cs_cc_t *cc, struct fy_node *node, struct fy_node *fallback,
    const char *fmt, ...)
{
    char     msg[768], line[1024];
    int      ln = 0, col = 0;
    va_list  ap;

    cc->nfindings++;
    if (cc->nfindings > CS_MAX_FINDINGS) {
        if (cc->nfindings == CS_MAX_FINDINGS + 1) {
            snprintf(line, sizeof(line), "%s: too many errors, stopping "
                     "the report here", cc->src);
            cs_finding_append(cc, line);
        }
        return;
    }

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    if (cs_node_pos(node, &ln, &col) || cs_node_pos(fallback, &ln, &col)) {
        snprintf(line, sizeof(line), "%s:%d:%d: %s", cc->src, ln, col, msg);
    } else {
        snprintf(line, sizeof(line), "%s: %s", cc->src, msg);
    }
    cs_finding_append(cc, line);
}

void
cs_oom(cs_cc_t *cc)
{
    if (cc->mdb_rc == 0) {
        cc->mdb_rc = ENOMEM;
    }
}

/* LMDB put; returns 0, MDB_KEYEXIST, or -1 after recording a fatal error. */
int
cs_put(cs_cc_t *cc, enum cs_db_e db, const void *k, size_t klen,
    const void *v, size_t vlen, unsigned flags)
{
    MDB_val key = { klen, (void *) k };
    MDB_val val = { vlen, (void *) v };
    int     rc;

    if (cc->mdb_rc != 0) {
        return -1;
    }
    rc = mdb_put(cc->txn, cc->dbi[db], &key, &val, flags);
    if (rc == 0 || rc == MDB_KEYEXIST) {
        return rc;
    }
    cc->mdb_rc = rc;
    return -1;
}

/* LMDB get; returns true and sets *out if found. */
bool
cs_get(cs_cc_t *cc, enum cs_db_e db, const void *k, size_t klen, MDB_val *out)
{
    MDB_val key = { klen, (void *) k };

    return cc->mdb_rc == 0
           && mdb_get(cc->txn, cc->dbi[db], &key, out) == 0;
}

/* ---------------------------------------------------------------------- */
/* Scalars and text */

/*
 * Gets a scalar's text. Reports a finding and returns false if the value is
 * missing, not a scalar, or contains a NUL byte (fields are NUL-terminated).
 */
bool
cs_scalar(cs_cc_t *cc, struct fy_node *value, struct fy_node *key,
    const char *what, const char **s, size_t *len)
{
    if (value == NULL) {
        cs_error_at(cc, key, NULL, "missing value for '%s'", what);
        return false;
    }
    if (!fy_node_is_scalar(value)) {
        cs_error_at(cc, value, key, "'%s' must be a single value, not a %s",
                    what, fy_node_is_mapping(value) ? "mapping" : "list");
        return false;
    }
    *s = fy_node_get_scalar(value, len);
    if (*s == NULL) {
        *s = "";
        *len = 0;
    }
    if (memchr(*s, '\0', *len) != NULL) {
        cs_error_at(cc, value, key, "'%s' contains a NUL character", what);
        return false;
    }
    return true;
}

/*
 * Text that may be given as one string or a list of strings ("sent"):
 * list items are joined with "\n" into cc->text.
 */
static bool
cs_text_or_list(cs_cc_t *cc, struct fy_node *value, struct fy_node *key,
    const char *what)
{
    const char  *s;
    size_t       len;

    cc->text.len = 0;
    if (cs_buf_add(&cc->text, "", 0) != 0) {
        cs_oom(cc);
        return false;
    }

    if (value != NULL && fy_node_is_sequence(value)) {
        void            *it = NULL;
        struct fy_node  *item;
        bool             ok = true, first = true;

        while ((item = fy_node_sequence_iterate(value, &it)) != NULL) {
            if (!cs_scalar(cc, item, key, what, &s, &len)) {
                ok = false;
                continue;
            }
            if (memchr(s, '\n', len) != NULL) {
                cs_error_at(cc, item, key, "items of '%s' cannot contain line "
                            "breaks (they are joined with line breaks)", what);
                ok = false;
                continue;
            }
            if ((!first && cs_buf_add(&cc->text, "\n", 1) != 0)
                || cs_buf_add(&cc->text, s, len) != 0)
            {
                cs_oom(cc);
                return false;
            }
            first = false;
        }
        return ok;
    }

    if (!cs_scalar(cc, value, key, what, &s, &len)) {
        return false;
    }
    if (cs_buf_add(&cc->text, s, len) != 0) {
        cs_oom(cc);
        return false;
    }
    return true;
}

/* True if "s" is a category some recipient or declaration uses (so far). */
bool
cs_known_category(const cs_cc_t *cc, const char *s, size_t len)
{
    for (size_t i = 0; i < cc->ncats; i++) {
        if (cs_text_is(s, len, cc->cats[i].text)) {
            return true;
        }
    }
    return false;
}

/* True if the "fields" value in b already holds the field s. */
bool
cs_fields_have(const cs_buf_t *b, const char *s, size_t len)
{
    size_t i = 0;

    while (i < b->len) {
        size_t flen = strlen(b->data + i);

        if (flen == len && memcmp(b->data + i, s, len) == 0) {
            return true;
        }
        i += flen + 1;
    }
    return false;
}

/* Records a category use (for the recipient-id clash check at the end). */
static bool
cs_category(cs_cc_t *cc, struct fy_node *value, struct fy_node *key,
    const char **s, size_t *len)
{
    if (!cs_scalar(cc, value, key, "category", s, len)) {
        return false;
    }
    if (!cs_rules_id_valid(*s, *len)) {
        cs_error_at(cc, value, key, "invalid category '%.*s': use lowercase "
                    "[a-z0-9][a-z0-9_-]{0,63}", (int) (*len > 80 ? 80 : *len),
                    *s);
        return false;
    }

    if (cs_known_category(cc, *s, *len)) {
        return true;
    }
    if (cc->ncats == cc->capcats) {
        size_t              cap = cc->capcats ? cc->capcats * 2 : 16;
        cs_category_use_t  *c = realloc(cc->cats, cap * sizeof(*c));

        if (c == NULL) {
            cs_oom(cc);
            return false;
        }
        cc->cats = c;
        cc->capcats = cap;
    }

    cs_category_use_t *use = &cc->cats[cc->ncats++];
    memcpy(use->text, *s, *len);
    use->text[*len] = '\0';
    use->src = cc->src;
    use->line = use->col = 0;
    (void) cs_node_pos(value, &use->line, &use->col);
    return true;
}

/* ---------------------------------------------------------------------- */
/* Hosts and signatures */

/*
 * Normalises a host suffix: lowercase, no leading "*." or ".", no trailing
 * dot. Rejects URLs, ports, paths, whitespace, non-ASCII (IDNA names must
 * be given in punycode) and single-label suffixes. Returns NULL on success
 * or a reason.
 */
const char *
cs_normalize_host(const char *in, size_t len, char out[CS_HOST_MAX + 1],
    size_t *outlen)
{
    size_t n = 0, label = 0, labels = 1;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) in[i];

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            return "contains whitespace";
        }
        if (c >= 0x80) {
            return "contains non-ASCII characters (write IDNA names in "
                   "punycode, xn--...)";
        }
    }
    if (cs_contains(in, len, "://")) {
        return "looks like a URL; give the host name only";
    }
    if (memchr(in, '/', len) != NULL) {
        return "contains a path; give the host name only";
    }
    if (memchr(in, ':', len) != NULL) {
        return "contains a port or ':'; give the host name only";
    }

    if (len >= 2 && in[0] == '*' && in[1] == '.') {
        in += 2;
        len -= 2;
    } else if (len >= 1 && in[0] == '.') {
        in += 1;
        len -= 1;
    }
    if (len > 0 && in[len - 1] == '.') {
        len--;
    }
    if (len == 0) {
        return "is empty";
    }
    if (len > CS_HOST_MAX) {
        return "is longer than 253 characters";
    }

    for (size_t i = 0; i < len; i++) {
        char c = in[i];

        if (c >= 'A' && c <= 'Z') {
            c = (char) (c - 'A' + 'a');
        }
        if (c == '.') {
            if (label == 0) {
                return "has an empty label";
            }
            if (out[n - 1] == '-') {
                return "has a label ending in '-'";
            }
            label = 0;
            labels++;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                   || c == '-')
        {
            if (c == '-' && label == 0) {
                return "has a label starting with '-'";
            }
            if (++label > CS_LABEL_MAX) {
                return "has a label longer than 63 characters";
            }
        } else {
            return "contains a character not allowed in host names";
        }
        out[n++] = c;
    }
    if (label == 0 || out[n - 1] == '-') {
        return "has an empty label or a label ending in '-'";
    }
    if (labels < 2) {
        return "is a single label (a top-level domain would match every "
               "host under it)";
    }
    out[n] = '\0';
    *outlen = n;
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* First definitions, for messages naming both places of a clash */

typedef enum {
    CS_DEF_RECIPIENT,          /* recipients[].id */
    CS_DEF_SITE,               /* sites[].id */
    CS_DEF_HOST                /* recipients[].hosts[], normalised */
} cs_def_kind_t;

/* True if node is a scalar with exactly this text. */
static bool
cs_scalar_is(struct fy_node *node, const char *text, size_t len)
{
    const char *s;
    size_t      n = 0;

    if (node == NULL || !fy_node_is_scalar(node)) {
        return false;
    }
    s = fy_node_get_scalar(node, &n);
    return s != NULL && n == len && memcmp(s, text, len) == 0;
}

/* True if node is a host suffix scalar normalising to text. */
static bool
cs_host_is(struct fy_node *node, const char *text, size_t len)
{
    char        host[CS_HOST_MAX + 1];
    size_t      n = 0, hlen = 0;
    const char *s;

    if (node == NULL || !fy_node_is_scalar(node)
        || (s = fy_node_get_scalar(node, &n)) == NULL)
    {
        return false;
    }
    return cs_normalize_host(s, n, host, &hlen) == NULL && hlen == len
           && memcmp(host, text, len) == 0;
}

/*
 * Writes "FILE:LINE" of the first definition of text (in file order, then
 * document order) into where. Walks the parsed documents again instead of
 * keeping an index: it only runs when a clash is reported.
 */
static bool
cs_first_definition(const cs_cc_t *cc, cs_def_kind_t kind, const char *text,
    size_t len, char *where, size_t wlen)
{
    const char *list = kind == CS_DEF_SITE ? "sites" : "recipients";

    for (size_t i = 0; i < cc->nsrcs; i++) {
        struct fy_node *root = fy_document_root(cc->srcs[i].doc);
        struct fy_node *seq, *item, *found = NULL;
        void           *it = NULL;
        int             line, col;

        if (root == NULL || !fy_node_is_mapping(root)) {
            continue;
        }
        seq = fy_node_mapping_lookup_by_string(root, list, strlen(list));
        if (seq == NULL || !fy_node_is_sequence(seq)) {
            continue;
        }
        while (found == NULL
               && (item = fy_node_sequence_iterate(seq, &it)) != NULL)
        {
            if (!fy_node_is_mapping(item)) {
                continue;
            }
            if (kind != CS_DEF_HOST) {
                struct fy_node *id = fy_node_mapping_lookup_by_string(item,
                                                                  "id", 2);
                if (cs_scalar_is(id, text, len)) {
                    found = id;
                }
                continue;
            }

            struct fy_node *hosts = fy_node_mapping_lookup_by_string(item,
                                                                "hosts", 5);
            struct fy_node *h;
            void           *hit = NULL;

            if (hosts == NULL || !fy_node_is_sequence(hosts)) {
                continue;
            }
            while ((h = fy_node_sequence_iterate(hosts, &hit)) != NULL) {
                if (cs_host_is(h, text, len)) {
                    found = h;
                    break;
                }
            }
        }
        if (found != NULL && cs_node_pos(found, &line, &col)) {
            snprintf(where, wlen, "%s:%d", cc->srcs[i].path, line);
            return true;
        }
    }
    return false;
}

/*
 * " (first defined at FILE:LINE)" for a clash message, or "" when the
 * finding limit is reached (the message is not printed then).
 */
static const char *
cs_first_at(const cs_cc_t *cc, cs_def_kind_t kind, const char *text,
    size_t len, char *buf, size_t buflen)
{
    char where[CS_PATH_MAX + 16];

    buf[0] = '\0';
    if (cc->nfindings < CS_MAX_FINDINGS
        && cs_first_definition(cc, kind, text, len, where, sizeof(where)))
    {
        snprintf(buf, buflen, " (first defined at %s)", where);
    }
    return buf;
}

static void
cs_host(cs_cc_t *cc, struct fy_node *item, struct fy_node *key,
    const char *rid, size_t rlen)
{
    char         host[CS_HOST_MAX + 1];
    size_t       hlen = 0;
    const char  *s, *why;
    size_t       len;
    MDB_val      owner;

    if (!cs_scalar(cc, item, key, "hosts", &s, &len)) {
        return;
    }
    why = cs_normalize_host(s, len, host, &hlen);
    if (why != NULL) {
        cs_error_at(cc, item, key, "host suffix '%.*s' %s",
                    (int) (len > 100 ? 100 : len), s, why);
        return;
    }

    int rc = cs_put(cc, DB_HOSTS, host, hlen, rid, rlen, MDB_NOOVERWRITE);
    if (rc != MDB_KEYEXIST) {
        return;
    }

    /* On MDB_KEYEXIST LMDB does not return the value; look it up. */
    char first[CS_PATH_MAX + 48];

    if (cs_get(cc, DB_HOSTS, host, hlen, &owner)) {
        cs_first_at(cc, CS_DEF_HOST, host, hlen, first, sizeof(first));
        if (owner.mv_size == rlen && memcmp(owner.mv_data, rid, rlen) == 0) {
            cs_error_at(cc, item, key, "host suffix '%s' is listed twice for "
                        "recipient '%.*s'%s", host, (int) rlen, rid, first);
        } else {
            cs_error_at(cc, item, key, "host suffix '%s' already belongs to "
                        "recipient '%.*s'%s (a host suffix must belong to "
                        "exactly one recipient)", host,
                        (int) owner.mv_size, (const char *) owner.mv_data,
                        first);
        }
    }
}

/*
 * Validates one signature the way cs_rules.c will use it: compiled without
 * UTF, combined with others as "(?:p)(*MARK:n)|...". Hence no backtracking
 * verbs (they would break attribution), no capture groups (numbering would
 * shift), and it must not match empty text (it would match everything).
 */
static bool
cs_check_signature(cs_cc_t *cc, struct fy_node *item, struct fy_node *key,
    const char *s, size_t len)
{
    int          errcode;
    PCRE2_SIZE   erroff;
    uint32_t     captures = 0;
    pcre2_code  *code;

    if (len == 0) {
        cs_error_at(cc, item, key, "empty signature");
        return false;
    }
    if (cs_contains(s, len, "(*")) {
        cs_error_at(cc, item, key, "signature must not use \"(*\" verbs or "
                    "options (write a literal as \\(\\*)");
        return false;
    }

    code = pcre2_compile((PCRE2_SPTR) s, len, PCRE2_NEVER_UTF, &errcode,
                         &erroff, NULL);
    if (code == NULL) {
        PCRE2_UCHAR msg[160];

        pcre2_get_error_message(errcode, msg, sizeof(msg));
        cs_error_at(cc, item, key, "invalid signature pattern: %s (at "
                    "offset %zu)", (const char *) msg, (size_t) erroff);
        return false;
    }

    bool ok = true;
    (void) pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &captures);
    if (captures > 0) {
        cs_error_at(cc, item, key, "signature has capturing groups; use "
                    "(?:...) instead");
        ok = false;
    } else if (pcre2_match(code, (PCRE2_SPTR) "", 0, 0, 0, cc->md, NULL)
               >= 0)
    {
        cs_error_at(cc, item, key, "signature matches the empty string (it "
                    "would match every text)");
        ok = false;
    }
    pcre2_code_free(code);
    return ok;
}

/* ---------------------------------------------------------------------- */
/* Recipients */

/* One key a mapping may have, and where the document has it. */
typedef struct {
    const char      *name;
    struct fy_node  *key;          /* NULL: absent */
    struct fy_node  *value;
} cs_key_t;

/*
 * Files each pair of map under its name in keys (n known keys named by
 * names, in the order the error message lists them); reports a key that is
 * not there as an unknown "what" key. A repeated key: the last one counts.
 */
static void
cs_read_keys(cs_cc_t *cc, struct fy_node *map, const char *const *names,
    cs_key_t *keys, size_t n, const char *what)
{
    void                 *it = NULL;
    struct fy_node_pair  *pair;

    for (size_t i = 0; i < n; i++) {
        keys[i].name = names[i];
    }
    while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
        struct fy_node  *k = fy_node_pair_key(pair);
        const char      *ks;
        size_t           klen, i;
        char             known[160];
        size_t           used = 0;

        if (!cs_scalar(cc, k, NULL, "key", &ks, &klen)) {
            continue;
        }
        i = 0;
        while (i < n && !cs_text_is(ks, klen, keys[i].name)) {
            i++;
        }
        if (i < n) {
            keys[i].key = k;
            keys[i].value = fy_node_pair_value(pair);
            continue;
        }
        known[0] = '\0';
        for (i = 0; i < n && used < sizeof(known); i++) {
            used += (size_t) snprintf(known + used, sizeof(known) - used,
                                      "%s%s", i ? ", " : "", keys[i].name);
        }
        cs_error_at(cc, k, NULL, "unknown %s key '%.*s' (known: %s)", what,
                    (int) (klen > 60 ? 60 : klen), ks, known);
    }
}

/* A recipient's keys, in the order its unknown-key message lists them. */
enum { R_ID, R_NAME, R_CATEGORY, R_SENT, R_PURPOSE, R_HOSTS, R_SIGNATURES,
       R_PATHS, R_TCF_VENDOR, R_TCF_PURPOSES, R_APP_ONLY, R_KEYS };

static const char *const cs_recipient_keys[R_KEYS] = {
    "id", "name", "category", "sent", "purpose", "hosts", "signatures",
    "paths", "tcf_vendor_id", "tcf_purposes", "app_only",
};

/* Appends the text of an optional scalar key ("" when absent) to cc->val. */
static void
cs_optional_field(cs_cc_t *cc, const cs_key_t *k)
{
    const char  *s = "";
    size_t       len = 0;

    if (k->key != NULL) {
        (void) cs_scalar(cc, k->value, k->key, k->name, &s, &len);
    }
    if (cs_buf_field(&cc->val, s, len) != 0) {
        cs_oom(cc);
    }
}

/* name, category, sent, purpose, tcf_vendor_id -> fields of cc->val */
static void
cs_recipient_fields(cs_cc_t *cc, struct fy_node *map, const cs_key_t *keys,
    const char *rid, size_t rlen)
{
    const cs_key_t  *name = &keys[R_NAME], *cat = &keys[R_CATEGORY];
    const cs_key_t  *sent = &keys[R_SENT], *tcf = &keys[R_TCF_VENDOR];
    const char      *s;
    size_t           len;

    cc->val.len = 0;

    if (name->key == NULL) {
        cs_error_at(cc, map, NULL, "recipient '%.*s' has no 'name'",
                    (int) rlen, rid);
    } else if (cs_scalar(cc, name->value, name->key, "name", &s, &len)) {
        if (len == 0) {
            cs_error_at(cc, name->value, name->key, "'name' is empty");
        }
        if (cs_buf_field(&cc->val, s, len) != 0) {
            cs_oom(cc);
        }
    }

    if (cat->key == NULL) {
        cs_error_at(cc, map, NULL, "recipient '%.*s' has no 'category'",
                    (int) rlen, rid);
    } else if (cs_category(cc, cat->value, cat->key, &s, &len)) {
        if (cs_buf_field(&cc->val, s, len) != 0) {
            cs_oom(cc);
        }
    }

    if (sent->key == NULL) {
        cc->text.len = 0;
        (void) cs_buf_add(&cc->text, "", 0);
    } else {
        (void) cs_text_or_list(cc, sent->value, sent->key, "sent");
    }
    if (cc->text.data == NULL || cs_buf_field(&cc->val, cc->text.data,
                                              cc->text.len) != 0)
    {
        cs_oom(cc);
    }

    cs_optional_field(cc, &keys[R_PURPOSE]);

    s = "";
    len = 0;
    if (tcf->key != NULL && cs_scalar(cc, tcf->value, tcf->key,
                                      "tcf_vendor_id", &s, &len))
    {
        bool digits = len > 0 && len <= 5 && s[0] != '0';

        for (size_t i = 0; digits && i < len; i++) {
            digits = s[i] >= '0' && s[i] <= '9';
        }
        if (!digits) {
            cs_error_at(cc, tcf->value, tcf->key, "tcf_vendor_id must be a "
                        "positive integer (IAB global vendor list id)");
            len = 0;
        }
    }
    if (cs_buf_field(&cc->val, s, len) != 0) {
        cs_oom(cc);
    }
}

/*
 * tcf_purposes: the IAB purposes (besides purpose 1) whose consent the
 * vendor needs too; stored as a 6th field, purpose numbers joined by ','
 */
static void
cs_tcf_purposes(cs_cc_t *cc, const cs_key_t *keys)
{
    const cs_key_t  *tcfp = &keys[R_TCF_PURPOSES];
    char             purposes[24 * 3];
    size_t           plen = 0;

    if (tcfp->key == NULL) {
        /* none */
    } else if (keys[R_TCF_VENDOR].key == NULL) {
        cs_error_at(cc, tcfp->key, NULL, "tcf_purposes needs tcf_vendor_id");
    } else if (tcfp->value == NULL || !fy_node_is_sequence(tcfp->value)) {
        cs_error_at(cc, tcfp->value, tcfp->key, "tcf_purposes must be a list "
                    "of IAB purpose numbers (2 to 24)");
    } else {
        void           *pit = NULL;
        struct fy_node *item;
        uint32_t        seen = 0;

        while ((item = fy_node_sequence_iterate(tcfp->value, &pit)) != NULL) {
            const char *ps;
            size_t      pl;
            unsigned    num = 0;

            if (!cs_scalar(cc, item, tcfp->key, "tcf purpose", &ps, &pl)) {
                continue;
            }
            for (size_t i = 0; i < pl && i < 3; i++) {
                num = (ps[i] >= '0' && ps[i] <= '9')
                      ? num * 10 + (unsigned) (ps[i] - '0') : 100;
            }
            if (pl == 0 || pl > 2 || num < 2 || num > 24) {
                cs_error_at(cc, item, tcfp->key, "tcf purpose '%.*s' is not "
                            "a number from 2 to 24",
                            (int) (pl > 20 ? 20 : pl), ps);
                continue;
            }
            if (seen & (1u << num)) {
                cs_error_at(cc, item, tcfp->key, "tcf purpose %u is listed "
                            "twice", num);
                continue;
            }
            seen |= 1u << num;
            plen += (size_t) snprintf(purposes + plen,
                                      sizeof(purposes) - plen, "%s%u",
                                      plen ? "," : "", num);
        }
    }
    if (cs_buf_field(&cc->val, purposes, plen) != 0) {
        cs_oom(cc);
    }
}

/* Validates one path pattern (cs_rules_path_pattern_valid()). */
static bool
cs_check_path(cs_cc_t *cc, struct fy_node *item, struct fy_node *key,
    const char *s, size_t len)
{
    if (cs_rules_path_pattern_valid(s, len)) {
        return true;
    }
    cs_error_at(cc, item, key, "invalid path pattern '%.*s': '/' then a "
                "path without '?', '#', '\\', \"//\" or white space, not "
                "ending in '/', at most one '*' and only in its last "
                "segment, under %u bytes", (int) (len > 80 ? 80 : len), s,
                (unsigned) CS_RULES_PATH_MAX);
    return false;
}

/*
 * A list stored one record per item, keyed "<id>:NNN" by its position
 * (signatures, paths): items that check() accepts go to db. Returns how
 * many items; sets *malformed if the key is not a list of "expect".
 */
static size_t
cs_ordinal_list(cs_cc_t *cc, const cs_key_t *k, const char *rid, size_t rlen,
    enum cs_db_e db, const char *expect,
    bool (*check)(cs_cc_t *, struct fy_node *, struct fy_node *,
                  const char *, size_t),
    bool *malformed)
{
    size_t           n = 0;
    void            *it = NULL;
    struct fy_node  *item;

    if (k->key == NULL) {
        return 0;
    }
    if (k->value == NULL || !fy_node_is_sequence(k->value)) {
        cs_error_at(cc, k->value, k->key, "'%s' must be a list of %s",
                    k->name, expect);
        *malformed = true;
        return 0;
    }
    while ((item = fy_node_sequence_iterate(k->value, &it)) != NULL) {
        char         key[CS_ID_MAX + 8];
        const char  *s;
        size_t       len;

        if (!cs_scalar(cc, item, k->key, k->name, &s, &len)
            || !check(cc, item, k->key, s, len))
        {
            n++;
            continue;
        }
        if (n >= CS_MAX_SIGNATURES) {
            cs_error_at(cc, item, k->key, "more than %u %s for one "
                        "recipient", CS_MAX_SIGNATURES, k->name);
            break;
        }
        snprintf(key, sizeof(key), "%.*s:%03u", (int) rlen, rid,
                 (unsigned) n);
        (void) cs_put(cc, db, key, strlen(key), s, len, 0);
        n++;
    }
    return n;
}

/*
 * Hosts, path patterns, then signatures (keys "<id>:NNN"); *malformed if
 * a list is.
 */
static size_t
cs_recipient_matchers(cs_cc_t *cc, const cs_key_t *keys, const char *rid,
    size_t rlen, bool *malformed)
{
    const cs_key_t  *hosts = &keys[R_HOSTS];
    size_t           n = 0;
    void            *it = NULL;
    struct fy_node  *item;

    if (hosts->key != NULL) {
        if (hosts->value == NULL || !fy_node_is_sequence(hosts->value)) {
            cs_error_at(cc, hosts->value, hosts->key, "'hosts' must be a "
                        "list of host suffixes");
            *malformed = true;
        } else {
            while ((item = fy_node_sequence_iterate(hosts->value, &it))
                   != NULL)
            {
                cs_host(cc, item, hosts->key, rid, rlen);
                n++;
            }
        }
    }
    n += cs_ordinal_list(cc, &keys[R_PATHS], rid, rlen, DB_PATHS,
                         "URL path patterns", cs_check_path, malformed);
    n += cs_ordinal_list(cc, &keys[R_SIGNATURES], rid, rlen, DB_SIGNATURES,
                         "PCRE2 patterns", cs_check_signature, malformed);
    return n;
}

void
cs_recipient(cs_cc_t *cc, struct fy_node *map)
{
    cs_key_t     keys[R_KEYS] = { { NULL, NULL, NULL } };
    cs_key_t    *id = &keys[R_ID], *app = &keys[R_APP_ONLY];
    const char  *rid, *s;
    size_t       rlen, len;
    unsigned     before;
    bool         app_only = false, malformed = false;

    if (!fy_node_is_mapping(map)) {
        cs_error_at(cc, map, NULL, "a recipient must be a mapping with id, "
                    "name, category, hosts, ...");
        return;
    }
    cs_read_keys(cc, map, cs_recipient_keys, keys, R_KEYS, "recipient");

    /* id first: everything else is stored under it. */
    before = cc->nfindings;
    if (id->key == NULL) {
        cs_error_at(cc, map, NULL, "recipient has no 'id'");
        return;
    }
    if (!cs_scalar(cc, id->value, id->key, "id", &rid, &rlen)) {
        return;
    }
    if (!cs_rules_id_valid(rid, rlen)) {
        cs_error_at(cc, id->value, id->key, "invalid recipient id '%.*s': "
                    "use lowercase [a-z0-9][a-z0-9_-]{0,63}",
                    (int) (rlen > 80 ? 80 : rlen), rid);
        return;
    }

    cs_recipient_fields(cc, map, keys, rid, rlen);
    cs_tcf_purposes(cc, keys);

    if (app->key != NULL
        && cs_scalar(cc, app->value, app->key, "app_only", &s, &len))
    {
        if (cs_text_is(s, len, "true")) {
            app_only = true;
        } else if (!cs_text_is(s, len, "false")) {
            cs_error_at(cc, app->value, app->key,
                        "app_only must be true or false");
        }
    }

    if (cc->nfindings == before
        && cs_put(cc, DB_RECIPIENTS, rid, rlen, cc->val.data, cc->val.len,
                  MDB_NOOVERWRITE) == MDB_KEYEXIST)
    {
        char first[CS_PATH_MAX + 48];

        cs_error_at(cc, id->value, id->key, "duplicate recipient id '%.*s'%s",
                    (int) rlen, rid,
                    cs_first_at(cc, CS_DEF_RECIPIENT, rid, rlen, first,
                                sizeof(first)));
        return;
    }

    if (cs_recipient_matchers(cc, keys, rid, rlen, &malformed) == 0
        && !app_only && !malformed)
    {
        cs_error_at(cc, keys[R_HOSTS].key ? keys[R_HOSTS].key : map, NULL,
                    "recipient '%.*s' needs at least one host suffix, path "
                    "or signature (or 'app_only: true' if it only receives data "
                    "from native apps)", (int) rlen, rid);
    }
}

/* ---------------------------------------------------------------------- */
/* Sites */

/* "order" is the declaration's position in the site's declares list. */
static void
cs_declaration(cs_cc_t *cc, struct fy_node *item, struct fy_node *declares_key,
    const char *sid, size_t slen, uint32_t order)
{
    struct fy_node  *rec_node = item, *rec_key = declares_key;
    const char      *fields[4] = { "", "", "", "" };   /* service, category,
                                                          sent, purpose */
    size_t           flen[4] = { 0, 0, 0, 0 };
    char            *sent_copy = NULL;
    unsigned         before = cc->nfindings;

    if (item != NULL && fy_node_is_mapping(item)) {
        void                *it = NULL;
        struct fy_node_pair *pair;

        rec_node = NULL;
        rec_key = NULL;
        while ((pair = fy_node_mapping_iterate(item, &it)) != NULL) {
            struct fy_node  *k = fy_node_pair_key(pair);
            struct fy_node  *v = fy_node_pair_value(pair);
            const char      *ks;
            size_t           klen;

            if (!cs_scalar(cc, k, NULL, "key", &ks, &klen)) {
                continue;
            }
            if (cs_text_is(ks, klen, "recipient")) {
                rec_node = v;
                rec_key = k;
            } else if (cs_text_is(ks, klen, "service")) {
                (void) cs_scalar(cc, v, k, "service", &fields[0], &flen[0]);
            } else if (cs_text_is(ks, klen, "category")) {
                (void) cs_category(cc, v, k, &fields[1], &flen[1]);
            } else if (cs_text_is(ks, klen, "sent")) {
                if (cs_text_or_list(cc, v, k, "sent")) {
                    /* cc->text is reused below: keep a copy */
                    sent_copy = malloc(cc->text.len + 1);
                    if (sent_copy == NULL) {
                        cs_oom(cc);
                    } else {
                        memcpy(sent_copy, cc->text.data, cc->text.len + 1);
                        fields[2] = sent_copy;
                        flen[2] = cc->text.len;
                    }
                }
            } else if (cs_text_is(ks, klen, "purpose")) {
                (void) cs_scalar(cc, v, k, "purpose", &fields[3], &flen[3]);
            } else {
                cs_error_at(cc, k, NULL, "unknown declaration key '%.*s' "
                            "(known: recipient, service, category, sent, "
                            "purpose)", (int) (klen > 60 ? 60 : klen), ks);
            }
        }
        if (rec_key == NULL) {
            cs_error_at(cc, item, NULL, "declaration has no 'recipient'");
            goto done;
        }
    }

    const char  *rid;
    size_t       rlen;
    MDB_val      unused;

    if (!cs_scalar(cc, rec_node, rec_key, "recipient", &rid, &rlen)) {
        goto done;
    }
    if (!cs_rules_id_valid(rid, rlen) || !cs_get(cc, DB_RECIPIENTS, rid, rlen,
                                           &unused))
    {
        cs_error_at(cc, rec_node, rec_key, "site '%.*s' declares unknown "
                    "recipient '%.*s'", (int) slen, sid,
                    (int) (rlen > 80 ? 80 : rlen), rid);
        goto done;
    }
    if (cc->nfindings != before) {
        goto done;
    }

    char dkey[2 * CS_ID_MAX + 2];
    int  dlen = snprintf(dkey, sizeof(dkey), "%.*s/%.*s", (int) slen, sid,
                         (int) rlen, rid);

    char ord[16];
    int  olen = snprintf(ord, sizeof(ord), "%u", (unsigned) order);

    cc->val.len = 0;
    for (int i = 0; i < 4; i++) {
        if (cs_buf_field(&cc->val, fields[i], flen[i]) != 0) {
            cs_oom(cc);
            goto done;
        }
    }
    if (cs_buf_field(&cc->val, ord, (size_t) olen) != 0) {
        cs_oom(cc);
        goto done;
    }
    if (cs_put(cc, DB_DECLARES, dkey, (size_t) dlen, cc->val.data,
               cc->val.len, MDB_NOOVERWRITE) == MDB_KEYEXIST)
    {
        cs_error_at(cc, rec_node, rec_key, "site '%.*s' declares recipient "
                    "'%.*s' twice", (int) slen, sid, (int) rlen, rid);
    }

done:
    free(sent_copy);
}

/* Keeps a site's consent_map for cs_consent_map() once all are read. */
static int
cs_pending_map_add(cs_cc_t *cc, const char *sid, size_t slen,
    struct fy_node *key, struct fy_node *value)
{
    if (cc->nmaps == cc->capmaps) {
        size_t             cap = cc->capmaps ? cc->capmaps * 2 : 8;
        cs_pending_map_t  *m = realloc(cc->maps, cap * sizeof(*m));

        if (m == NULL) {
            cs_oom(cc);
            return -1;
        }
        cc->maps = m;
        cc->capmaps = cap;
    }

    cs_pending_map_t *pm = &cc->maps[cc->nmaps++];
    memcpy(pm->site, sid, slen);
    pm->site[slen] = '\0';
    pm->src = cc->src;
    pm->key = key;
    pm->value = value;
    return 0;
}

/* A site's keys, in the order its unknown-key message lists them. */
enum { S_ID, S_NAME, S_DECLARES, S_CONSENT_MAP, S_TAGGING_HOSTS, S_KEYS };

static const char *const cs_site_keys[S_KEYS] = {
    "id", "name", "declares", "consent_map", "tagging_hosts",
};

/*
 * A site's tagging hosts (tagging_hosts: {HOST: RECIPIENT}): hosts of the
 * site that serve a recipient's tags (a server-side tag manager), keyed
 * "SITE/HOST" -> raw recipient id. The recipient must be one the site
 * declares (its declarations are read first).
 */
static void
cs_tagging_hosts(cs_cc_t *cc, struct fy_node *key, struct fy_node *value,
    const char *sid, size_t slen)
{
    void                 *it = NULL;
    struct fy_node_pair  *pair;

    if (value == NULL || !fy_node_is_mapping(value)) {
        cs_error_at(cc, value, key, "'tagging_hosts' must be a mapping of "
                    "host: recipient id");
        return;
    }
    while ((pair = fy_node_mapping_iterate(value, &it)) != NULL) {
        struct fy_node  *hk = fy_node_pair_key(pair);
        struct fy_node  *rv = fy_node_pair_value(pair);
        char             host[CS_HOST_MAX + 1], k[CS_HOST_MAX + 80];
        const char      *hs, *rid, *why;
        size_t           hlen, hn = 0, rlen;
        int              kl;
        MDB_val          found;

        if (!cs_scalar(cc, hk, key, "tagging_hosts", &hs, &hlen)
            || !cs_scalar(cc, rv, hk, "tagging_hosts", &rid, &rlen))
        {
            continue;
        }
        why = cs_normalize_host(hs, hlen, host, &hn);
        if (why != NULL) {
            cs_error_at(cc, hk, key, "tagging host '%.*s' %s",
                        (int) (hlen > 100 ? 100 : hlen), hs, why);
            continue;
        }
        kl = snprintf(k, sizeof(k), "%.*s/%.*s", (int) slen, sid,
                      (int) rlen, rid);
        if (kl <= 0 || (size_t) kl >= sizeof(k)
            || !cs_get(cc, DB_DECLARES, k, (size_t) kl, &found))
        {
            cs_error_at(cc, rv, hk, "tagging host '%s' names '%.*s', which "
                        "site '%.*s' does not declare", host,
                        (int) (rlen > 64 ? 64 : rlen), rid, (int) slen, sid);
            continue;
        }
        kl = snprintf(k, sizeof(k), "%.*s/%s", (int) slen, sid, host);
        if (kl > 0 && (size_t) kl < sizeof(k)
            && cs_put(cc, DB_TAGGING_HOSTS, k, (size_t) kl, rid, rlen,
                      MDB_NOOVERWRITE) == MDB_KEYEXIST)
        {
            cs_error_at(cc, hk, key, "tagging host '%s' is listed twice for "
                        "site '%.*s'", host, (int) slen, sid);
        }
    }
}

void
cs_site(cs_cc_t *cc, struct fy_node *map)
{
    cs_key_t        keys[S_KEYS] = { { NULL, NULL, NULL } };
    struct fy_node  *k_id, *v_id, *k_name, *v_name, *k_decl, *v_decl,
                    *k_map, *v_map, *k_tag, *v_tag;

    if (!fy_node_is_mapping(map)) {
        cs_error_at(cc, map, NULL, "a site must be a mapping with id, name "
                    "and declares");
        return;
    }
    cs_read_keys(cc, map, cs_site_keys, keys, S_KEYS, "site");
    k_id = keys[S_ID].key;
    v_id = keys[S_ID].value;
    k_name = keys[S_NAME].key;
    v_name = keys[S_NAME].value;
    k_decl = keys[S_DECLARES].key;
    v_decl = keys[S_DECLARES].value;
    k_map = keys[S_CONSENT_MAP].key;
    v_map = keys[S_CONSENT_MAP].value;
    k_tag = keys[S_TAGGING_HOSTS].key;
    v_tag = keys[S_TAGGING_HOSTS].value;

    const char  *sid, *name;
    size_t       slen, nlen;

    if (k_id == NULL) {
        cs_error_at(cc, map, NULL, "site has no 'id'");
        return;
    }
    if (!cs_scalar(cc, v_id, k_id, "id", &sid, &slen)) {
        return;
    }
    if (!cs_rules_id_valid(sid, slen)) {
        cs_error_at(cc, v_id, k_id, "invalid site id '%.*s': use lowercase "
                    "[a-z0-9][a-z0-9_-]{0,63}", (int) (slen > 80 ? 80 : slen),
                    sid);
        return;
    }

    if (k_name == NULL) {
        cs_error_at(cc, map, NULL, "site '%.*s' has no 'name'", (int) slen,
                    sid);
    } else if (cs_scalar(cc, v_name, k_name, "name", &name, &nlen)) {
        if (nlen == 0) {
            cs_error_at(cc, v_name, k_name, "'name' is empty");
        } else {
            cc->val.len = 0;
            if (cs_buf_field(&cc->val, name, nlen) != 0) {
                cs_oom(cc);
            } else if (cs_put(cc, DB_SITES, sid, slen, cc->val.data,
                              cc->val.len, MDB_NOOVERWRITE) == MDB_KEYEXIST)
            {
                char first[CS_PATH_MAX + 48];

                cs_error_at(cc, v_id, k_id, "duplicate site id '%.*s'%s",
                            (int) slen, sid,
                            cs_first_at(cc, CS_DEF_SITE, sid, slen, first,
                                        sizeof(first)));
                return;
            }
        }
    }

    /* Targets may be categories of later sites: checked at the end. */
    if (k_map != NULL && cs_pending_map_add(cc, sid, slen, k_map, v_map) != 0)
    {
        return;
    }

    if (k_decl == NULL) {
        cs_error_at(cc, map, NULL, "site '%.*s' has no 'declares'",
                    (int) slen, sid);
        return;
    }
    if (v_decl == NULL || !fy_node_is_sequence(v_decl)
        || fy_node_sequence_item_count(v_decl) == 0)
    {
        cs_error_at(cc, v_decl, k_decl, "'declares' must be a non-empty list "
                    "of recipient ids or {recipient: ...} mappings");
        return;
    }

    void           *dit = NULL;
    struct fy_node *item;
    uint32_t        order = 0;

    while ((item = fy_node_sequence_iterate(v_decl, &dit)) != NULL) {
        cs_declaration(cc, item, k_decl, sid, slen, order++);
    }
    if (k_tag != NULL) {
        cs_tagging_hosts(cc, k_tag, v_tag, sid, slen);
    }
}
