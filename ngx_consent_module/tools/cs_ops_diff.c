/*
 * consentctl diff: two rules databases compared record by record
 * (see cs_ops_diff() in cs_ops.h).
 */

#include "cs_ops_impl.h"
#include "cs_err.h"

#include <stdio.h>
#include <string.h>

/* values as quoted one-line text, newlines as \\n */
#define CS_DIFF_TEXT  (CS_PUT_QUOTED | CS_PUT_NEWLINE)

/* ---------------------------------------------------------------------- */
/* diff */

static void
cs_put_value(FILE *out, const cs_rec_t *r)
{
    const char         *f[CS_OPS_FIELDS_MAX];
    size_t              fl[CS_OPS_FIELDS_MAX], nf;
    const char *const  *names = cs_field_names(r->db);

    if (names != NULL) {
        nf = cs_fields(r, f, fl, CS_OPS_FIELDS_MAX);
        fputc('{', out);
        for (size_t i = 0; i < nf && names[i] != NULL; i++) {
            fprintf(out, "%s%s: ", i ? ", " : "", names[i]);
            cs_put_escaped(out, f[i], fl[i], CS_DIFF_TEXT);
        }
        fputc('}', out);
    } else if (cs_is_list(r)) {
        nf = cs_fields(r, f, fl, CS_OPS_FIELDS_MAX);
        fputc('[', out);
        for (size_t i = 0; i < nf; i++) {
            fputs(i ? ", " : "", out);
            cs_put_escaped(out, f[i], fl[i], CS_DIFF_TEXT);
        }
        fputc(']', out);
    } else {
        cs_put_escaped(out, r->val, r->vlen, CS_DIFF_TEXT);
    }
}

static bool
cs_diff_skip(const cs_rec_t *r)
{
    /* the generation is a hash of the records compared here */
    return r->db == DB_META && (strcmp(r->key, "source") == 0
                                || strcmp(r->key, "compiled_at") == 0
                                || strcmp(r->key, "generation") == 0);
}

static int
cs_rec_cmp(const cs_rec_t *a, const cs_rec_t *b)
{
    size_t m;
    int    c;

    if (a->db != b->db) {
        return a->db < b->db ? -1 : 1;
    }
    m = a->klen < b->klen ? a->klen : b->klen;
    c = memcmp(a->key, b->key, m);
    if (c != 0) {
        return c;
    }
    return a->klen < b->klen ? -1 : a->klen > b->klen ? 1 : 0;
}

static void
cs_diff_changed(FILE *out, const cs_rec_t *a, const cs_rec_t *b)
{
    const char *const *names = cs_field_names(a->db);
    const char        *fa[CS_OPS_FIELDS_MAX], *fb[CS_OPS_FIELDS_MAX];
    size_t             la[CS_OPS_FIELDS_MAX], lb[CS_OPS_FIELDS_MAX], na, nb;

    if (names == NULL) {
        fprintf(out, "~ %s/%s: ", cs_db_names[a->db], a->key);
        cs_put_value(out, a);
        fputs(" -> ", out);
        cs_put_value(out, b);
        fputc('\n', out);
        return;
    }
    na = cs_fields(a, fa, la, CS_OPS_FIELDS_MAX);
    nb = cs_fields(b, fb, lb, CS_OPS_FIELDS_MAX);
    for (size_t i = 0; names[i] != NULL; i++) {
        const char *x = i < na ? fa[i] : "", *y = i < nb ? fb[i] : "";
        size_t      xl = i < na ? la[i] : 0, yl = i < nb ? lb[i] : 0;

        if (xl == yl && memcmp(x, y, xl) == 0) {
            continue;
        }
        fprintf(out, "~ %s/%s %s: ", cs_db_names[a->db], a->key, names[i]);
        cs_put_escaped(out, x, xl, CS_DIFF_TEXT);
        fputs(" -> ", out);
        cs_put_escaped(out, y, yl, CS_DIFF_TEXT);
        fputc('\n', out);
    }
}

int
cs_ops_diff(const cs_ops_db_t *a, const cs_ops_db_t *b, FILE *out)
{
    size_t i = 0, j = 0;
    bool   differ = false;

    for (;;) {
        while (i < a->nrecs && cs_diff_skip(&a->recs[i])) {
            i++;
        }
        while (j < b->nrecs && cs_diff_skip(&b->recs[j])) {
            j++;
        }
        if (i >= a->nrecs && j >= b->nrecs) {
            break;
        }
        int c = i >= a->nrecs ? 1 : j >= b->nrecs ? -1
                : cs_rec_cmp(&a->recs[i], &b->recs[j]);
        const cs_rec_t *r;

        if (c < 0) {
            r = &a->recs[i++];
            fprintf(out, "- %s/%s: ", cs_db_names[r->db], r->key);
            cs_put_value(out, r);
            fputc('\n', out);
            differ = true;
        } else if (c > 0) {
            r = &b->recs[j++];
            fprintf(out, "+ %s/%s: ", cs_db_names[r->db], r->key);
            cs_put_value(out, r);
            fputc('\n', out);
            differ = true;
        } else {
            const cs_rec_t *x = &a->recs[i++], *y = &b->recs[j++];

            if (x->vlen != y->vlen || memcmp(x->val, y->val, x->vlen) != 0) {
                cs_diff_changed(out, x, y);
                differ = true;
            }
        }
    }
    return differ ? CS_OPS_FINDINGS : CS_OPS_OK;
}
