/*
 * Attribution of an inline script by evidence: which recipient hosts its
 * text uses in a way that loads or sends, as opposed to hosts it only
 * carries as data.
 *
 * The text is read once or twice by a small JavaScript lexer (strings,
 * template literals, comments, regular expression literals, brackets),
 * linear and without backtracking:
 *
 *   1. Does the code (outside strings and comments) hold a construct that
 *      loads or sends: a src/href/action assignment, setAttribute of one of
 *      those, createElement of an element that fetches (or of a name held
 *      in a variable), document.write, innerHTML/outerHTML assignment,
 *      insertAdjacentHTML, fetch, XMLHttpRequest, sendBeacon, import(),
 *      new Image, Worker, EventSource, WebSocket, jQuery getScript/ajax?
 *   2. Every string literal is put in one of two places: data (a value or
 *      key in an array or object literal) or code (anything else: a call
 *      argument, an assignment, a concatenation), and is URL-shaped when it
 *      has a '/' and is not a sentence (no white space unless it is markup:
 *      '<' or "%3C"). A string's hosts tie the script when it is URL-shaped
 *      in code, or when the script holds a construct and the string is
 *      URL-shaped data or a bare host in code.
 *
 * Hosts in comments and regular expression literals never tie; bare host
 * names in data lists and sentences never do. A text the lexer cannot read
 * to its end in a known state (an unterminated string, comment or regular
 * expression, brackets nested deeper than it tracks, a template literal
 * inside a substitution) is judged as before evidence: every host it names
 * ties it (fail closed).
 */

#include "cs_gate_int.h"

#define EVIDENCE_DEPTH  64      /* brackets tracked; deeper: fail closed */

/* What a bracket on the stack opened. */
enum {
    B_PAREN = '(',
    B_MEMBER = 'm',             /* a[...]: computed member */
    B_ARRAY = 'a',              /* [...] array literal */
    B_OBJECT = 'o',             /* {...} object literal */
    B_BLOCK = 'b'               /* {...} block or function body */
};

typedef struct {
    const char  *t;
    size_t       len;
    char         stack[EVIDENCE_DEPTH];
    size_t       depth;
    char         prev;          /* last significant code byte, 0: none */
    bool         prev_keyword;  /* the last word was an operator keyword
                                   (return, typeof...): a '/' after it
                                   starts a regular expression */
    bool         broken;        /* could not read the text to its end */
} js_lex_t;

typedef void (*js_string_cb)(js_lex_t *lx, size_t from, size_t to,
    bool data, void *ud);

static bool
is_ident_char(unsigned char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '$'
           || c >= 0x80;
}

/* After a quote at i: the index past the closing quote (len: broken). */
static size_t
skip_quoted(js_lex_t *lx, size_t i, char quote)
{
    for (i++; i < lx->len; i++) {
        char c = lx->t[i];
        if (c == '\\') {
            i++;
        } else if (c == quote) {
            return i + 1;
        } else if (c == '\n' && quote != '`') {
            break;                          /* no string spans a line */
        }
    }
    lx->broken = true;
    return lx->len;
}

/*
 * After a backtick at i: past the template's end. Substitutions are
 * skipped with their own strings; a template inside one is not tracked.
 */
static size_t
skip_template(js_lex_t *lx, size_t i)
{
    size_t depth = 0;

    for (i++; i < lx->len; i++) {
        char c = lx->t[i];
        if (c == '\\') {
            i++;
        } else if (depth == 0 && c == '`') {
            return i + 1;
        } else if (depth == 0 && c == '$' && i + 1 < lx->len
                   && lx->t[i + 1] == '{')
        {
            depth = 1;
            i++;
        } else if (depth > 0 && (c == '"' || c == '\'')) {
            i = skip_quoted(lx, i, c) - 1;
        } else if (depth > 0 && c == '`') {
            break;
        } else if (depth > 0 && c == '{') {
            depth++;
        } else if (depth > 0 && c == '}') {
            depth--;
        }
    }
    lx->broken = true;
    return lx->len;
}

/* After the '/' at i that opens a regular expression literal. */
static size_t
skip_regex(js_lex_t *lx, size_t i)
{
    bool in_class = false;

    for (i++; i < lx->len; i++) {
        char c = lx->t[i];
        if (c == '\\') {
            i++;
        } else if (c == '\n') {
            break;
        } else if (c == '[') {
            in_class = true;
        } else if (c == ']') {
            in_class = false;
        } else if (c == '/' && !in_class) {
            return i + 1;
        }
    }
    lx->broken = true;
    return lx->len;
}

static size_t
skip_line(const js_lex_t *lx, size_t i)
{
    const char *nl = memchr(lx->t + i, '\n', lx->len - i);

    return nl ? (size_t) (nl - lx->t) : lx->len;
}

/* Whether a '/' here starts a regular expression (else it divides). */
static bool
slash_starts_regex(const js_lex_t *lx)
{
    return lx->prev == 0 || lx->prev_keyword
           || strchr("(,=:[!&|?{};+-*%<>~^", lx->prev) != NULL;
}

/* Whether a '{' here opens an object literal (else a block). */
static bool
brace_opens_object(const js_lex_t *lx)
{
    return !lx->prev_keyword && lx->prev != 0
           && strchr("(,=:[?&|!", lx->prev) != NULL;
}

/* Whether a '-->' at i stands at the start of its line (Annex B). */
static bool
at_line_start(const js_lex_t *lx, size_t i)
{
    while (i > 0 && (lx->t[i - 1] == ' ' || lx->t[i - 1] == '\t')) {
        i--;
    }
    return i == 0 || lx->t[i - 1] == '\n' || lx->t[i - 1] == '\r';
}

static void
push(js_lex_t *lx, char what)
{
    if (lx->depth == EVIDENCE_DEPTH) {
        lx->broken = true;
        return;
    }
    lx->stack[lx->depth++] = what;
}

static bool
in_data(const js_lex_t *lx)
{
    return lx->depth > 0 && (lx->stack[lx->depth - 1] == B_ARRAY
                             || lx->stack[lx->depth - 1] == B_OBJECT);
}

/* "word" (a literal) is the identifier [s, e). */
#define word_is(lx, s, e, word)                                               \
    ((e) - (s) == sizeof(word) - 1                                            \
     && memcmp((lx)->t + (s), word, sizeof(word) - 1) == 0)

static bool
operator_keyword(const js_lex_t *lx, size_t s, size_t e)
{
    return word_is(lx, s, e, "return") || word_is(lx, s, e, "typeof")
           || word_is(lx, s, e, "case") || word_is(lx, s, e, "throw")
           || word_is(lx, s, e, "in") || word_is(lx, s, e, "of")
           || word_is(lx, s, e, "delete") || word_is(lx, s, e, "void")
           || word_is(lx, s, e, "new") || word_is(lx, s, e, "else")
           || word_is(lx, s, e, "do");
}

/* The first byte at or after i that is not white space, or 0. */
static char
next_byte(const js_lex_t *lx, size_t *i)
{
    while (*i < lx->len && is_space((u_char_t) lx->t[*i])) {
        (*i)++;
    }
    return *i < lx->len ? lx->t[*i] : 0;
}

/* After an identifier ending at e: is an assignment ('=' or '+=') next? */
static bool
assigned(const js_lex_t *lx, size_t e)
{
    char c = next_byte(lx, &e);

    if (c == '+') {
        e++;
        c = e < lx->len ? lx->t[e] : 0;
    }
    return c == '=' && (e + 1 >= lx->len || lx->t[e + 1] != '=');
}

/* After an identifier ending at e: a call "(" next. */
static bool
called(const js_lex_t *lx, size_t e)
{
    return next_byte(lx, &e) == '(';
}

/*
 * After a call's "(" (an identifier ending at e is called): its first
 * argument is a string literal naming one of the words ("a|b|c|", each
 * followed by '|'), case-insensitively; or not a literal at all (a name:
 * it may hold anything) when "name_counts".
 */
static bool
first_argument(const js_lex_t *lx, size_t e, const char *words,
    bool name_counts)
{
    char q;

    if (next_byte(lx, &e) != '(') {
        return false;
    }
    e++;
    q = next_byte(lx, &e);
    if (q != '"' && q != '\'' && q != '`') {
        return name_counts && q != 0 && q != ')';
    }
    e++;
    for (const char *w = words; *w; ) {
        const char *bar = strchr(w, '|');
        size_t      n = (size_t) (bar - w), k;

        for (k = 0; k < n && e + k < lx->len
                    && lower((u_char_t) lx->t[e + k]) == (u_char_t) w[k];
             k++)
        {
            /* void */
        }
        if (k == n && e + n < lx->len && lx->t[e + n] == q) {
            return true;
        }
        w = bar + 1;
    }
    return false;
}

/* The identifier [s, e) begins a construct that loads or sends. */
static bool
loads_or_sends(const js_lex_t *lx, size_t s, size_t e)
{
    bool member;

    /* the words below: 3 to 18 letters, one of these first letters */
    if (e - s < 3 || e - s > 18 || strchr("acfghiowsIEWX", lx->t[s]) == NULL)
    {
        return false;
    }
    member = s > 0 && lx->t[s - 1] == '.';

    if (member && (word_is(lx, s, e, "src") || word_is(lx, s, e, "href")
                   || word_is(lx, s, e, "action")
                   || word_is(lx, s, e, "innerHTML")
                   || word_is(lx, s, e, "outerHTML")))
    {
        return assigned(lx, e);
    }
    if (word_is(lx, s, e, "setAttribute")) {
        return first_argument(lx, e, "src|href|action|data|poster|srcset|",
                              true);
    }
    if (word_is(lx, s, e, "createElement")) {
        return first_argument(lx, e,
                              "script|img|image|iframe|link|embed|object|"
                              "video|audio|source|frame|", true);
    }
    if (word_is(lx, s, e, "write") || word_is(lx, s, e, "writeln")
        || word_is(lx, s, e, "insertAdjacentHTML")
        || word_is(lx, s, e, "fetch") || word_is(lx, s, e, "sendBeacon")
        || word_is(lx, s, e, "import") || word_is(lx, s, e, "importScripts")
        || word_is(lx, s, e, "getScript") || word_is(lx, s, e, "ajax"))
    {
        return called(lx, e);
    }
    return word_is(lx, s, e, "XMLHttpRequest") || word_is(lx, s, e, "Image")
           || word_is(lx, s, e, "Worker") || word_is(lx, s, e, "EventSource")
           || word_is(lx, s, e, "WebSocket");
}

/*
 * One pass over the text. Without on_string: returns whether the code
 * holds a construct that loads or sends. With it: calls it for every
 * string literal (its bytes between the quotes; a template literal whole).
 * Sets lx->broken when the text does not end in code.
 */
static bool
js_lex(js_lex_t *lx, js_string_cb on_string, void *ud)
{
    bool   construct = false;
    size_t i = 0;

    while (i < lx->len && !lx->broken) {
        unsigned char c = (unsigned char) lx->t[i];

        if (is_space(c)) {
            i++;
            continue;
        }
        if (c == '"' || c == '\'' || c == '`') {
            size_t end = c == '`' ? skip_template(lx, i)
                                  : skip_quoted(lx, i, (char) c);
            if (on_string && !lx->broken) {
                on_string(lx, i + 1, end - 1, in_data(lx), ud);
            }
            i = end;
            lx->prev = '"';
            lx->prev_keyword = false;
            continue;
        }
        if (c == '/' && i + 1 < lx->len && lx->t[i + 1] == '/') {
            i = skip_line(lx, i);
            continue;
        }
        if (c == '/' && i + 1 < lx->len && lx->t[i + 1] == '*') {
            const char *end = NULL;
            for (size_t k = i + 2; k + 1 < lx->len; k++) {
                if (lx->t[k] == '*' && lx->t[k + 1] == '/') {
                    end = lx->t + k + 2;
                    break;
                }
            }
            if (end == NULL) {
                lx->broken = true;
                break;
            }
            i = (size_t) (end - lx->t);
            continue;
        }
        if (c == '<' && lx->len - i >= 4 && memcmp(lx->t + i, "<!--", 4) == 0)
        {
            i = skip_line(lx, i);            /* HTML-like comment */
            continue;
        }
        if (c == '-' && lx->len - i >= 3 && memcmp(lx->t + i, "-->", 3) == 0
            && at_line_start(lx, i))
        {
            i = skip_line(lx, i);
            continue;
        }
        if (c == '/' && slash_starts_regex(lx)) {
            i = skip_regex(lx, i);
            lx->prev = '"';
            lx->prev_keyword = false;
            continue;
        }
        if (is_ident_char(c)) {
            size_t s = i;
            while (i < lx->len && is_ident_char((unsigned char) lx->t[i])) {
                i++;
            }
            if (on_string == NULL && !construct
                && loads_or_sends(lx, s, i))
            {
                construct = true;
            }
            lx->prev_keyword = operator_keyword(lx, s, i);
            lx->prev = lx->t[i - 1];
            continue;
        }
        switch (c) {
        case '(':
            push(lx, B_PAREN);
            break;
        case '[':
            push(lx, lx->prev != 0 && !lx->prev_keyword
                     && (is_ident_char((unsigned char) lx->prev)
                         || lx->prev == ')' || lx->prev == ']'
                         || lx->prev == '"')
                     ? B_MEMBER : B_ARRAY);
            break;
        case '{':
            push(lx, brace_opens_object(lx) ? B_OBJECT : B_BLOCK);
            break;
        case ')':
        case ']':
        case '}':
            if (lx->depth > 0) {
                lx->depth--;
            }
            break;
        default:
            break;
        }
        lx->prev = (char) c;
        lx->prev_keyword = false;
        i++;
    }
    return construct;
}

/* What the string pass needs. */
typedef struct {
    const cs_rules_t  *rules;
    bool               construct;
    const uint32_t    *site;        /* whose tagging hosts count, or NULL */
    cs_match_cb        tie;
    void              *tie_ud;
} js_strings_t;

/* The recipients' hosts text names, and the site's tagging hosts. */
static void
scan_hosts(const cs_rules_t *rules, const uint32_t *site, const char *text,
    size_t len, cs_match_cb cb, void *ud)
{
    cs_scan_text_hosts(rules, text, len, cb, ud);
    if (site != NULL) {
        cs_scan_text_site_hosts(rules, *site, text, len, cb, ud);
    }
}

static bool
has_bytes(const char *s, size_t n, const char *what)
{
    size_t w = strlen(what);

    for (size_t i = 0; i + w <= n; i++) {
        if (memcmp(s + i, what, w) == 0) {
            return true;
        }
    }
    return false;
}

/* A string's hosts tie the script (see the top of this file). */
static void
string_hosts(js_lex_t *lx, size_t from, size_t to, bool data, void *ud)
{
    js_strings_t  *st = ud;
    const char    *s = lx->t + from;
    size_t         n = to - from;
    bool           url_shaped, sentence = false;

    if (n < 3 || memchr(s, '.', n) == NULL) {
        return;                             /* no host in it */
    }
    for (size_t i = 0; i < n && !sentence; i++) {
        sentence = is_space((u_char_t) s[i]);
    }
    url_shaped = memchr(s, '/', n) != NULL
                 && (!sentence || memchr(s, '<', n) != NULL
                     || has_bytes(s, n, "%3C") || has_bytes(s, n, "%3c"));
    if (data ? st->construct && url_shaped
             : url_shaped || (st->construct && !sentence))
    {
        scan_hosts(st->rules, st->site, s, n, st->tie, st->tie_ud);
    }
}

/* The hosts named, and whether one belongs to a recipient not tied yet. */
typedef struct {
    const uint32_t  *tied;
    uint32_t         ntied;
    bool             untied;
} js_named_t;

static void
note_host(void *ud, uint32_t recipient)
{
    js_named_t *nm = ud;
    uint32_t    i;

    for (i = 0; i < nm->ntied && nm->tied[i] != recipient; i++) {
        /* void */
    }
    nm->untied |= i == nm->ntied;
}

void
cs_gate_script_evidence(const cs_rules_t *rules, const uint32_t *site,
    const char *text, size_t len, const uint32_t *tied, uint32_t ntied,
    cs_match_cb tie, void *ud)
{
    js_lex_t      lx = { .t = text, .len = len };
    js_strings_t  st = { .rules = rules, .site = site, .tie = tie,
                         .tie_ud = ud };
    js_named_t    nm = { .tied = tied, .ntied = ntied };

    /*
     * Most inline scripts name no recipient host, and a vendor snippet
     * names its own, already tied by a signature: nothing to read then.
     */
    scan_hosts(rules, site, text, len, note_host, &nm);
    if (!nm.untied) {
        return;
    }
    st.construct = js_lex(&lx, NULL, NULL);
    if (!lx.broken) {
        js_lex_t again = { .t = text, .len = len };
        js_lex(&again, string_hosts, &st);
        if (!again.broken) {
            return;
        }
    }
    scan_hosts(rules, site, text, len, tie, ud);    /* unread: fail closed */
}
