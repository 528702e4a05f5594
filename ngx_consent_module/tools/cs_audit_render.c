/*
 * consentctl audit: the report document (cs_audit.c builds it) rendered as
 * text, Markdown or HTML: headings, paragraphs, lists and tables per format.
 */

#include "cs_audit_impl.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_har.h"

/* ---- rendering: headings, paragraphs, lists and tables per format ---- */

typedef struct {
    cs_obuf_t          *out;
    cs_audit_format_t   f;
} cs_render_t;

/* Text as the format needs it (HTML escaped; Markdown: table pipes, and
   '<' '>' as references so an element name is not read as a tag). */
static void
cs_r_text(cs_render_t *r, const char *s, bool cell)
{
    if (r->f == CS_AUDIT_HTML) {
        cs_html_escape(r->out, s, strlen(s));
        return;
    }
    for (; *s != '\0'; s++) {
        if (r->f == CS_AUDIT_MD && cell && (*s == '|' || *s == '\n')) {
            cs_obuf_str(r->out, *s == '|' ? "\\|" : " ");
        } else if (r->f == CS_AUDIT_MD && (*s == '<' || *s == '>')) {
            cs_obuf_str(r->out, *s == '<' ? "&lt;" : "&gt;");   /* no raw tags */
        } else {
            cs_obuf_add(r->out, s, 1);
        }
    }
}

static void
cs_r_heading(cs_render_t *r, int level, const char *s)
{
    if (r->f == CS_AUDIT_HTML) {
        cs_obuf_fmt(r->out, "<h%d>", level);
        cs_r_text(r, s, false);
        cs_obuf_fmt(r->out, "</h%d>\n", level);
    } else if (r->f == CS_AUDIT_MD) {
        cs_obuf_fmt(r->out, "\n%.*s ", level, "###");
        cs_r_text(r, s, false);
        cs_obuf_str(r->out, "\n\n");
    } else {
        size_t n = strlen(s);

        cs_obuf_fmt(r->out, "\n%s\n", s);
        for (size_t i = 0; i < n; i++) {
            cs_obuf_str(r->out, level == 1 ? "=" : "-");
        }
        cs_obuf_str(r->out, "\n");
    }
}

/* One line of text: a paragraph, or a list item when item. */
static void
cs_r_line(cs_render_t *r, bool item, const char *fmt, ...)
{
    char    buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (r->f == CS_AUDIT_HTML) {
        cs_obuf_str(r->out, item ? "<li>" : "<p>");
        cs_r_text(r, buf, false);
        cs_obuf_str(r->out, item ? "</li>\n" : "</p>\n");
    } else {
        cs_obuf_str(r->out, item ? "- " : "");
        cs_r_text(r, buf, false);
        cs_obuf_str(r->out, r->f == CS_AUDIT_MD && !item ? "\n\n" : "\n");
    }
}

static void
cs_r_list(cs_render_t *r, bool open)
{
    if (r->f == CS_AUDIT_HTML) {
        cs_obuf_str(r->out, open ? "<ul>\n" : "</ul>\n");
    } else if (!open && r->f == CS_AUDIT_MD) {
        cs_obuf_str(r->out, "\n");
    }
}

/*
 * A table: rows are arrays of strings, the first row the header. Text
 * pads columns to their widest cell; HTML marks removed/kept cells with a
 * class of that name.
 */
static void
cs_r_table(cs_render_t *r, json_t *rows)
{
    size_t  ncols = json_array_size(json_array_get(rows, 0)), i, c;
    size_t  width[32] = { 0 };
    json_t *row, *cell;

    if (ncols > 32) {
        ncols = 32;
    }
    if (r->f == CS_AUDIT_HTML) {
        cs_obuf_str(r->out, "<table>\n");
    }
    json_array_foreach(rows, i, row) {
        json_array_foreach(row, c, cell) {
            if (c < ncols && json_string_length(cell) > width[c]) {
                width[c] = json_string_length(cell);
            }
        }
    }
    json_array_foreach(rows, i, row) {
        if (r->f == CS_AUDIT_HTML) {
            cs_obuf_str(r->out, "<tr>");
        } else if (r->f == CS_AUDIT_MD) {
            cs_obuf_str(r->out, "|");
        } else {
            cs_obuf_str(r->out, "  ");
        }
        json_array_foreach(row, c, cell) {
            const char *s = json_string_value(cell);

            if (c >= ncols) {
                break;
            }
            if (r->f == CS_AUDIT_HTML) {
                const char *el = i == 0 ? "th" : "td";

                if (i > 0 && (strcmp(s, "removed") == 0
                              || strcmp(s, "kept") == 0))
                {
                    cs_obuf_fmt(r->out, "<%s class=\"%s\">", el, s);
                } else {
                    cs_obuf_fmt(r->out, "<%s>", el);
                }
                cs_r_text(r, s, true);
                cs_obuf_fmt(r->out, "</%s>", el);
            } else if (r->f == CS_AUDIT_MD) {
                cs_obuf_str(r->out, " ");
                cs_r_text(r, s, true);
                cs_obuf_str(r->out, " |");
            } else {
                cs_obuf_fmt(r->out, "%-*s%s", c + 1 < ncols ? (int) width[c]
                            : 0, s, c + 1 < ncols ? "  " : "");
            }
        }
        cs_obuf_str(r->out, r->f == CS_AUDIT_HTML ? "</tr>\n" : "\n");
        if (i == 0 && r->f == CS_AUDIT_MD) {
            cs_obuf_str(r->out, "|");
            for (c = 0; c < ncols; c++) {
                cs_obuf_str(r->out, "---|");
            }
            cs_obuf_str(r->out, "\n");
        }
    }
    cs_obuf_str(r->out, r->f == CS_AUDIT_HTML ? "</table>\n"
                        : r->f == CS_AUDIT_MD ? "\n" : "");
}

/* The strings of an array joined by ", " ("-" for none), as a new string. */
static json_t *
cs_joined(const json_t *arr)
{
    cs_obuf_t b = { 0 };
    size_t    i;
    json_t   *v, *s;

    json_array_foreach(arr, i, v) {
        cs_obuf_fmt(&b, "%s%s", i ? ", " : "", json_string_value(v));
    }
    s = json_string(b.len ? b.data : "-");
    cs_obuf_free(&b);
    return s;
}

static json_t *
cs_row(size_t n, ...)
{
    json_t  *row = json_array();
    va_list  ap;

    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(row, va_arg(ap, json_t *));
    }
    va_end(ap);
    return row;
}

static json_t *
cs_fmt(const char *fmt, ...)
{
    char    buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return json_string(buf);
}

static void
cs_render_recipients(cs_render_t *r, const json_t *doc)
{
    json_t *rows = json_array(), *rec;
    size_t  i;

    cs_r_heading(r, 2, "Recipients");
    cs_r_line(r, false, "Every recipient the site declares or the capture "
              "shows. \"Gate removes in\": the consent states in which the "
              "module removes its elements from the page; requests \"at run "
              "time\" come from no element of the captured markup (a tag "
              "manager or another script made them): only a browser-side "
              "policy can stop those.");
    json_array_append_new(rows, cs_row(8, json_string("recipient"),
        json_string("declared"), json_string("elements"),
        json_string("gate removes in"), json_string("gate keeps in"),
        json_string("requests in markup"), json_string("requests at run time"),
        json_string("hosts contacted")));
    json_array_foreach(json_object_get(doc, "recipients"), i, rec) {
        const json_t *req = json_object_get(rec, "requests");

        json_array_append_new(rows, cs_row(8,
            cs_fmt("%s (%s)", cs_har_str(rec, "id"), cs_har_str(rec, "name")),
            json_string(json_is_true(json_object_get(rec, "declared"))
                        ? "yes" : "NO"),
            cs_fmt("%lld", (long long) json_integer_value(
                               json_object_get(rec, "elements"))),
            cs_joined(json_object_get(rec, "removed_in")),
            cs_joined(json_object_get(rec, "kept_in")),
            cs_fmt("%lld", (long long) json_integer_value(
                               json_object_get(req, "in_markup"))),
            cs_fmt("%lld", (long long) json_integer_value(
                               json_object_get(req, "at_run_time"))),
            cs_joined(json_object_get(rec, "hosts"))));
    }
    cs_r_table(r, rows);
    json_decref(rows);
}

static void
cs_render_pages(cs_render_t *r, const json_t *doc)
{
    const json_t *states = json_object_get(doc, "states");
    json_t       *page, *e, *st;
    size_t        p, i, s;

    json_array_foreach(json_object_get(doc, "pages"), p, page) {
        json_t       *rows = json_array(), *head = json_array();
        const json_t *over = json_object_get(page, "oversize");
        char          title[512];

        snprintf(title, sizeof(title), "Page %s (%s, entry %lld)",
                 cs_har_str(page, "url"), cs_har_str(page, "har"),
                 (long long) json_integer_value(json_object_get(page,
                                                                "entry")));
        cs_r_heading(r, 2, title);
        json_array_append_new(head, json_string("byte"));
        json_array_append_new(head, json_string("element"));
        json_array_append_new(head, json_string("recipients"));
        json_array_foreach(states, s, st) {
            json_array_append(head, json_object_get(st, "id"));
        }
        json_array_append_new(rows, head);
        json_array_foreach(json_object_get(page, "elements"), i, e) {
            json_t *row = cs_row(3, cs_fmt("%lld", (long long)
                                 json_integer_value(json_object_get(e,
                                                               "offset"))),
                                 cs_fmt("<%s>", cs_har_str(e, "tag")),
                                 cs_joined(json_object_get(e, "recipients")));
            json_t *d;

            json_array_foreach(json_object_get(e, "decisions"), s, d) {
                json_array_append_new(row, json_string(
                    json_is_string(d) ? json_string_value(d) : "?"));
            }
            json_array_append_new(rows, row);
        }
        cs_r_line(r, false, "%lld bytes of HTML; %zu gated element(s) "
                  "removed in at least one state; elements over the hold "
                  "limit: %lld removed, %lld passed undecided.",
                  (long long) json_integer_value(json_object_get(page,
                                                                 "bytes")),
                  json_array_size(json_object_get(page, "elements")),
                  (long long) json_integer_value(json_object_get(over,
                                                                 "removed")),
                  (long long) json_integer_value(json_object_get(over,
                                                                 "passed")));
        cs_r_table(r, rows);
        json_decref(rows);
    }
}

static void
cs_render_requests(cs_render_t *r, const json_t *doc)
{
    json_t *rows = json_array(), *rec;
    size_t  i;

    cs_r_heading(r, 2, "Requests to third parties");
    json_array_append_new(rows, cs_row(5, json_string("host"),
        json_string("recipient"), json_string("requests"),
        json_string("origin"), json_string("first request")));
    json_array_foreach(json_object_get(doc, "requests"), i, rec) {
        const json_t *first = json_object_get(rec, "first");
        const char   *rid = cs_har_str(rec, "recipient");

        json_array_append_new(rows, cs_row(5,
            json_string(cs_har_str(rec, "host")),
            rid == NULL ? json_string("(none: drift)")
            : cs_fmt("%s%s", rid, json_is_true(json_object_get(rec,
                     "declared")) ? "" : " (undeclared)"),
            cs_fmt("%lld", (long long) json_integer_value(
                               json_object_get(rec, "count"))),
            json_string(strcmp(cs_har_str(rec, "origin"), "in_markup") == 0
                        ? "in markup" : "at run time"),
            cs_fmt("%s entry %lld", cs_har_str(first, "har"),
                   (long long) json_integer_value(json_object_get(first,
                                                                  "entry")))));
    }
    cs_r_table(r, rows);
    json_decref(rows);
}

static void
cs_render(cs_render_t *r, const json_t *doc)
{
    const json_t *findings = json_object_get(doc, "findings");
    json_t       *v;
    size_t        i;
    char          title[256];

    snprintf(title, sizeof(title), "Consent audit: %s (%s)",
             cs_har_str(json_object_get(doc, "site"), "id"),
             cs_har_str(json_object_get(doc, "site"), "name"));
    if (r->f == CS_AUDIT_HTML) {
        cs_obuf_str(r->out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                    "<title>");
        cs_r_text(r, title, false);
        cs_obuf_str(r->out, "</title>\n<style>body{font-family:sans-serif;"
                    "margin:2em}table{border-collapse:collapse;margin:1em 0}"
                    "td,th{border:1px solid #999;padding:2px 6px;"
                    "text-align:left}.removed{background:#cfc}"
                    ".kept{background:#eee}</style></head><body>\n");
    }
    cs_r_heading(r, 1, title);
    cs_r_list(r, true);
    cs_r_line(r, true, "rules generation %s; hold limit %lld bytes",
              cs_har_str(doc, "rules_generation"),
              (long long) json_integer_value(json_object_get(doc,
                                                             "max_element")));
    json_array_foreach(json_object_get(doc, "inputs"), i, v) {
        cs_r_line(r, true, "input %s: %lld entries, %lld HTML page(s)",
                  cs_har_str(v, "har"),
                  (long long) json_integer_value(json_object_get(v,
                                                                 "entries")),
                  (long long) json_integer_value(json_object_get(v,
                                                             "html_pages")));
    }
    json_array_foreach(json_object_get(doc, "states"), i, v) {
        json_t *allowed = cs_joined(json_object_get(v, "allowed"));

        cs_r_line(r, true, "consent state \"%s\" (%s) allows: %s",
                  cs_har_str(v, "id"), cs_har_str(v, "consent"),
                  json_string_value(allowed));
        json_decref(allowed);
    }
    cs_r_list(r, false);
    cs_render_recipients(r, doc);
    cs_render_pages(r, doc);
    cs_render_requests(r, doc);
    snprintf(title, sizeof(title), "Findings (%zu)", json_array_size(findings));
    cs_r_heading(r, 2, title);
    cs_r_list(r, true);
    json_array_foreach(findings, i, v) {
        cs_r_line(r, true, "%s: %s", cs_har_str(v, "kind"),
                  cs_har_str(v, "detail"));
    }
    cs_r_list(r, false);
    cs_r_line(r, false, "Result: %s", cs_har_str(doc, "result"));
    if (r->f == CS_AUDIT_HTML) {
        cs_obuf_str(r->out, "</body></html>\n");
    }
}


void
cs_audit_render_doc(const json_t *doc, cs_audit_format_t format,
    cs_obuf_t *out)
{
    cs_render_t  r = { out, format };

    cs_render(&r, doc);
}
