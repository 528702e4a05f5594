#!/usr/bin/python3
"""DOM oracle for the gate, built on html5lib (an independent WHATWG parser).

Reads one JSON object on stdin:
  { "cases": [ { "id", "input", "output", "action": "strip"|"neutralize",
                 "blocked_hosts": [host suffixes of recipients not allowed],
                 "signatures": [inline-loader regexes of those recipients],
                 "removed": [byte offsets the gate reported as removed],
                 "neutralized": [byte offsets reported as neutralized],
                 "all_fetches": true to also require every element that
                                fetches a blocked URL (srcset, poster, ...,
                                style url()) to go } ] }
HTML strings carry one byte per character (code points 0..255).

Prints one JSON object: { id: [problems...] } (an empty list = agreement).

Per case it checks, against html5lib's trees of input and output:
  * the output tree is the input tree minus whole elements (every other
    node, attribute and text identical and in document order); html, head
    and body are compared by their contents only, since removing an element
    can move where html5lib's implied tags fall; an element may also lose
    attributes that make the browser fetch a blocked URL (FETCH_ATTRS), and
    a srcset its blocked candidates, nothing else;
  * neutralized elements are the input's element with the README's rewrite
    (data-consent, type="text/plain", src/srcset/type renamed data-consent-*);
  * every removed or neutralized element is a tracker by the rules the gate
    reads (so nothing first-party goes), and no tracker stays in the output;
  * strip: the output is the input with one byte span cut at each reported
    offset, each span running from a '<' to a '>', one per removed element;
    where attributes were cut, every other tag's bytes are kept in order.
"""
import json
import re
import sys
import urllib.parse

import html5lib

HTML_NS = "http://www.w3.org/1999/xhtml"
TRANSPARENT = {"html", "head", "body"}
HINT_RELS = {"preconnect", "dns-prefetch", "preload", "prefetch",
             "modulepreload", "prerender"}
SPECIAL_SCHEMES = {"http", "https", "ws", "wss", "ftp", "file"}
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# Link types the browser fetches on its own (HTML "Link types": external
# resource links), beyond the resource hints.
FETCHED_RELS = {"stylesheet", "icon", "apple-touch-icon",
                "apple-touch-icon-precomposed", "manifest"}
# The HTML standard's elements whose attributes make the browser fetch, by
# the attribute: srcset kinds hold candidate lists. Elements that are the
# fetch (removed whole when it is blocked) are in WHOLE; the others carry
# the URL for content of the page's own (fallback, controls, sources).
FETCH_ATTRS = {
    (HTML_NS, "img"): {"src": "url", "srcset": "srcset"},
    (HTML_NS, "source"): {"src": "url", "srcset": "srcset"},
    (HTML_NS, "iframe"): {"src": "url"},
    (HTML_NS, "frame"): {"src": "url"},
    (HTML_NS, "embed"): {"src": "url"},
    (HTML_NS, "track"): {"src": "url"},
    (HTML_NS, "video"): {"src": "url", "poster": "url"},
    (HTML_NS, "audio"): {"src": "url"},
    (HTML_NS, "object"): {"data": "url"},
    (HTML_NS, "input"): {"src": "input"},
    (HTML_NS, "a"): {"ping": "ping"},
    (HTML_NS, "area"): {"ping": "ping"},
    (SVG_NS, "image"): {"href": "url", XLINK_HREF: "url"},
    (SVG_NS, "feImage"): {"href": "url", XLINK_HREF: "url"},
}
for _n in ("body", "table", "thead", "tbody", "tfoot", "tr", "td", "th"):
    FETCH_ATTRS[(HTML_NS, _n)] = {"background": "url"}
WHOLE = {(HTML_NS, n) for n in ("img", "source", "iframe", "frame", "embed",
                                "track")} | {(SVG_NS, "image"),
                                             (SVG_NS, "feImage")}


# CSS: the URLs a declaration or rule makes the browser fetch (url(), the
# strings of image-set()/src()/image(), @import), read after comments and
# escapes are gone; and the cut the README describes: each leaf item (a
# declaration, an @import) naming a blocked URL goes from its first byte
# through its ';' (or to its block's end), a rule whose prelude names one
# goes whole. Written apart from the gate's reader, on Python's re.
CSS_URL_RE = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))"""
    r"""|(?:-webkit-image-set|image-set|src|image)\(\s*(?:"([^"]*)"|'([^']*)')"""
    r"""|@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
CSS_LIST_RE = re.compile(r"""(?:-webkit-image-set|image-set)\(([^()]*)\)""",
                         re.I)


def css_unescape(text):
    def one(m):
        if m.group(1):
            cp = int(m.group(1), 16)
            return chr(cp) if 0 < cp < 0x110000 else "\ufffd"
        return m.group(2)
    return re.sub(r"\\(?:([0-9a-fA-F]{1,6})\s?|(.))", one, text, flags=re.S)


def css_urls(text):
    text = css_unescape(re.sub(r"/\*.*?(?:\*/|\Z)", " ", text, flags=re.S))
    urls = [next(g for g in m.groups() if g is not None)
            for m in CSS_URL_RE.finditer(text)
            if any(g is not None for g in m.groups())]
    for m in CSS_LIST_RE.finditer(text):
        urls += re.findall(r"""["']([^"']*)["']""", m.group(1))
    return urls


def css_items(text):
    """The leaf items of CSS text as (start, end) spans, and the rules with
    a block as (start, end, prelude end)."""
    leaves, rules, stack = [], [], []
    start, i, n, paren = None, 0, len(text), 0
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            e = text.find("*/", i + 2)
            i = n if e < 0 else e + 2
            continue
        if c in " \t\n\r\f":
            i += 1
            continue
        if start is None and c not in ";}":
            start = i
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c == "\\":
            i += 2
            continue
        if c in "([":
            paren += 1
        elif c in ")]":
            paren = max(0, paren - 1)
        elif c == ";" and paren == 0:
            if start is not None:
                leaves.append((start, i + 1))
            start = None
        elif c == "{" and paren == 0:
            stack.append((start, i))
            start = None
        elif c == "}" and paren == 0 and stack:
            if start is not None:
                leaves.append((start, i))
            rs, pe = stack.pop()
            rules.append((rs, i + 1, pe))
            start = None
        elif c == "}" and paren == 0:
            if start is not None:           # a stray one ends its item
                leaves.append((start, i + 1))
            start = None
        i += 1
    if start is not None:
        leaves.append((start, n))
    for rs, pe in stack:
        rules.append((rs, n, pe))
    return leaves, rules


def srcset_candidates(value):
    """HTML "parse a srcset attribute": [(url, descriptors)]."""
    out, pos, n = [], 0, len(value)
    while True:
        while pos < n and (value[pos] in ASCII_WS or value[pos] == ","):
            pos += 1
        if pos >= n:
            return out
        start = pos
        while pos < n and value[pos] not in ASCII_WS:
            pos += 1
        url, desc = value[start:pos], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            d0, paren = pos, False
            while pos < n and (value[pos] != "," or paren):
                paren = {"(": True, ")": False}.get(value[pos], paren)
                pos += 1
            desc = " ".join(value[d0:pos].split())
        out.append((url, desc))
ASCII_WS = " \t\n\f\r"


class Elem:
    __slots__ = ("ns", "name", "attrs", "kids")

    def __init__(self, ns, name, attrs, kids):
        self.ns, self.name, self.attrs, self.kids = ns, name, attrs, kids

    def label(self):
        ns = "" if self.ns == HTML_NS else "{%s}" % self.ns.rsplit("/", 1)[-1]
        attrs = "".join(' %s="%s"' % (k, v) for k, v in self.attrs)
        return "<%s%s%s>" % (ns, self.name, attrs)

    def text(self):
        return "".join(k[1] if isinstance(k, tuple) and k[0] == "t" else
                       (k.text() if isinstance(k, Elem) else "")
                       for k in self.kids)


def _split_tag(tag):
    if tag.startswith("{"):
        ns, name = tag[1:].split("}", 1)
        return ns, name
    return HTML_NS, tag


def _convert(node, out):
    """Appends node's items to out: Elem, ('t', char) per text character,
    ('c', comment), ('d', doctype). html/head/body are spliced in."""
    tag = node.tag
    if not isinstance(tag, str):                      # etree Comment
        out.append(("c", node.text or ""))
    elif tag == "<!DOCTYPE>":
        out.append(("d", node.text or ""))
    else:
        ns, name = _split_tag(tag)
        attrs = []
        for k, v in node.attrib.items():
            if isinstance(k, str) and k.startswith("{"):
                k = "{%s}%s" % _split_tag(k)
            attrs.append((k, v))
        if ns == HTML_NS and name in TRANSPARENT:
            kids = out
        else:
            kids = []
        if node.text:
            kids.extend(("t", ch) for ch in node.text)
        for child in node:
            _convert(child, kids)
        if kids is not out:
            out.append(Elem(ns, name, attrs, kids))
    if node.tail:
        out.extend(("t", ch) for ch in node.tail)


PARSER = html5lib.HTMLParser(
    tree=html5lib.getTreeBuilder("etree", fullTree=True))


def parse(data):
    """html5lib's document (scripting off, as html5lib always parses) as a
    list of items; doctype and comments outside <html> included."""
    doc = PARSER.parse(data.encode("latin-1"), transport_encoding="utf-8")
    items = []
    for child in doc:                                 # DOCUMENT_ROOT's
        _convert(child, items)
    return items


def url_host(url):
    """The host a browser would contact for url on an https page (None when
    relative or hostless)."""
    url = url.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c"
                    "\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19"
                    "\x1a\x1b\x1c\x1d\x1e\x1f ")
    url = re.sub("[\t\n\r]", "", url)
    m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)\Z", url, re.S)
    if m:
        scheme, rest = m.group(1).lower(), m.group(2)
        if scheme not in SPECIAL_SCHEMES:
            return None
        rest = rest.replace("\\", "/")
        if scheme != "https" and not rest.startswith("/"):
            rest = "//" + rest                    # other special scheme
        if not rest.startswith("//"):
            return None                           # https:path is relative
        rest = rest.lstrip("/")
    else:
        rest = url.replace("\\", "/")
        if not rest.startswith("//"):
            return None
        rest = rest[2:]
    auth = re.split(r"[/?#]", rest, 1)[0]
    host = auth.rsplit("@", 1)[-1]
    if host.startswith("["):
        return None
    host = host.split(":", 1)[0]
    host = urllib.parse.unquote(host).lower().rstrip(".")
    return host or None


class Judge:
    """Which elements are trackers, by the attributes the gate reads."""

    def __init__(self, hosts, signatures):
        self.hosts = set(h.lower() for h in hosts)
        self.sigs = [re.compile(s) for s in signatures]
        self.base = None        # the input's first <base href>, resolved

    def set_base(self, items):
        """The document's base URL: the first HTML <base> with an href
        (HTML "frozen base URL"), against an https page URL."""
        self.base = None
        for el in walk(items):
            if el.ns == HTML_NS and el.name == "base" and \
                    "href" in dict(el.attrs):
                self.base = urllib.parse.urljoin("https://page.invalid/",
                                                 dict(el.attrs)["href"].strip())
                return

    def host_blocked(self, host):
        if not host:
            return False
        labels = host.split(".")
        return any(".".join(labels[i:]) in self.hosts
                   for i in range(len(labels)))

    def url_blocked(self, url):
        if url is None:
            return False
        if self.base and url_host(url) is None and \
                not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", url.strip()):
            url = urllib.parse.urljoin(self.base, url.strip())
        return self.host_blocked(url_host(url))

    def text_blocked(self, text):
        """An inline script naming a blocked host (with or without a
        scheme, README: "whose text names a recipient host") or matching a
        signature."""
        for m in re.finditer(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", text):
            if self.host_blocked(m.group(0).lower()):
                return True
        return any(s.search(text) for s in self.sigs)

    def srcset_blocked(self, value):
        return [c for c in srcset_candidates(value) if self.url_blocked(c[0])]

    def css_blocked(self, text):
        return any(self.url_blocked(u) for u in css_urls(text))

    def css_cut(self, text):
        """text without its items that name a blocked URL (README)."""
        leaves, rules = css_items(text)
        spans = [(a, b) for a, b, pe in rules
                 if rules and self.css_blocked(text[a:pe])]
        spans += [(a, b) for a, b in leaves if self.css_blocked(text[a:b])]
        out, pos = [], 0
        for a, b in sorted(spans):
            if a >= pos:
                out.append(text[pos:a])
            pos = max(pos, b)
        out.append(text[pos:])
        return "".join(out)

    def attr_blocked(self, el, k, v):
        """Does attribute k=v of el make the browser fetch a blocked URL?"""
        if k == "style" and el.ns in (HTML_NS, SVG_NS):
            return self.css_blocked(v)
        kind = FETCH_ATTRS.get((el.ns, el.name), {}).get(k)
        if kind == "srcset":
            return bool(self.srcset_blocked(v))
        if kind == "ping":
            return any(self.url_blocked(u) for u in v.split())
        if kind == "input":
            return dict(el.attrs).get("type", "").lower() == "image" and \
                self.url_blocked(v)
        return kind == "url" and self.url_blocked(v)

    def carried(self, el):
        """The fetch attributes of el that name a blocked URL."""
        return [k for k, v in el.attrs if self.attr_blocked(el, k, v)]

    def cut_ok(self, a, b):
        """Is b's attribute list a's minus attributes fetching a blocked URL,
        a srcset minus its blocked candidates?"""
        bd = dict(b.attrs)
        if [k for k, _ in b.attrs] != [k for k, _ in a.attrs if k in bd]:
            return False
        for k, v in a.attrs:
            if k not in bd:
                if not self.attr_blocked(a, k, v):
                    return False
            elif bd[k] != v:
                kind = FETCH_ATTRS.get((a.ns, a.name), {}).get(k)
                if k == "style":
                    if bd[k] != self.css_cut(v):
                        return False
                elif kind != "srcset" or srcset_candidates(bd[k]) != [
                        c for c in srcset_candidates(v)
                        if not self.url_blocked(c[0])]:
                    return False
        return True

    def sheet_cut_ok(self, a, b):
        """Is <style> b's text a's without the items naming a blocked URL
        (or, for a text whose markup or references the gate reads whole,
        without all of it)?"""
        ta, tb = a.text(), b.text()
        if ta == tb:
            return True
        return tb == self.css_cut(ta) or (
            tb.strip(ASCII_WS) == "" and self.css_blocked(ta))

    def fetch_urls(self, el):
        """Every URL el makes a browser fetch, beyond what the gate reads
        (for the "not removed yet" TODO cases)."""
        a = dict(el.attrs)
        urls = []
        if el.ns == HTML_NS:
            for k in ("srcset", "imagesrcset"):
                urls += [c.strip().split()[0] for c in a.get(k, "").split(",")
                         if c.strip()]
            for k in ("src", "poster", "data", "ping", "background"):
                if k == "src" and el.name == "input" and \
                        a.get("type", "").lower() != "image":
                    continue            # fetched only by an image button
                urls += a.get(k, "").split() if k == "ping" else \
                    [a[k]] if k in a else []
            if el.name == "link":
                urls.append(a.get("href"))
        else:
            urls += [v for k, v in el.attrs if k == "href" or k.endswith("}href")]
        css = a.get("style", "") + (el.text() if el.name == "style" else "")
        urls += re.findall(r"url\(\s*['\"]?([^'\")\s]+)", css)
        urls += re.findall(r"@import\s+['\"]([^'\"]+)", css)
        return [u for u in urls if u]

    def is_tracker(self, el, inline_by_text=True):
        """inline_by_text: an inline script naming a blocked host counts
        (for justifying a removal); the reverse check (must have gone)
        only uses signatures, whose meaning is exact."""
        if (el.ns, el.name) in WHOLE:
            return bool(self.carried(el))
        if el.ns != HTML_NS:
            return False
        a = dict(el.attrs)
        if el.name == "script":
            if "src" in a:
                return self.url_blocked(a["src"])
            t = a.get("type", "").lower()
            if "json" in t or "template" in t or t == "text/html":
                return False
            text = el.text()
            if inline_by_text:
                return self.text_blocked(text)
            return any(s.search(text) for s in self.sigs)
        if el.name == "base":
            # it fetches nothing, but relative URLs after it reach its host
            return url_host(a.get("href", "")) is not None and \
                self.host_blocked(url_host(a.get("href", "")))
        if el.name == "link":
            rels = set(a.get("rel", "").lower().split())
            return bool(rels & (HINT_RELS | FETCHED_RELS)) and (
                self.url_blocked(a.get("href")) or
                bool(self.srcset_blocked(a.get("imagesrcset", ""))))
        if el.name == "noscript":
            # whole noscript goes when only tracker pixels and whitespace
            # were in it
            elems = [k for k in el.kids if isinstance(k, Elem)]
            rest = "".join(k[1] for k in el.kids
                           if isinstance(k, tuple) and k[0] == "t")
            return bool(elems) and not rest.strip(ASCII_WS) and \
                all(self.is_tracker(k) for k in elems) and \
                not any(isinstance(k, tuple) and k[0] == "c"
                        for k in el.kids)
        return False


def unneutralize(el):
    """The attributes el had before the README's neutralize rewrite, or
    None when el carries no such rewrite."""
    a = dict(el.attrs)
    if "data-consent" not in a:
        return None
    del a["data-consent"]
    if el.name == "script":
        if a.pop("type", None) != "text/plain":
            return {"?": "script neutralized without type=text/plain"}
        if "data-consent-type" in a:
            a["type"] = a.pop("data-consent-type")
    for k in ("src", "srcset"):
        if k in a:
            return {"?": "neutralized element still has %s" % k}
        if "data-consent-" + k in a:
            a[k] = a.pop("data-consent-" + k)
    return a


class Mismatch(Exception):
    pass


def same_leaf(a, b):
    return isinstance(a, tuple) and isinstance(b, tuple) and a == b


JUDGE = None        # the case's, for attribute cuts
CUTS = []           # elements that lost attributes, in the case


def match_elem(a, b, removed, neutral):
    if a.ns != b.ns or a.name != b.name:
        return False
    if a.attrs != b.attrs:
        before = unneutralize(b)
        if before is not None and "data-consent" not in dict(a.attrs) and \
                before == dict(a.attrs):
            neutral.append(a)
        elif JUDGE is not None and JUDGE.cut_ok(a, b):
            CUTS.append(a)
        else:
            return False
    if a.name == "style" and a.ns in (HTML_NS, SVG_NS) and JUDGE is not None \
            and not any(isinstance(k, Elem) for k in a.kids + b.kids) \
            and a.text() != b.text():
        if JUDGE.sheet_cut_ok(a, b):
            CUTS.append(a)
            return True
        return False
    return match_list(a.kids, b.kids, removed, neutral)


def match_list(A, B, removed, neutral):
    """B must be A with some whole elements deleted (greedy: keep an element
    of A when it matches the next node of B)."""
    i = j = 0
    while i < len(A):
        a = A[i]
        b = B[j] if j < len(B) else None
        if isinstance(a, Elem):
            if isinstance(b, Elem):
                r, n = [], []
                if match_elem(a, b, r, n):
                    removed.extend(r)
                    neutral.extend(n)
                    i += 1
                    j += 1
                    continue
            removed.append(a)
            i += 1
        elif b is not None and same_leaf(a, b):
            i += 1
            j += 1
        else:
            return False
    return j == len(B)


def where(items, at):
    """A short rendering of items around index at, for messages."""
    out = []
    for it in items[max(0, at - 20):at + 60]:
        out.append(it.label() if isinstance(it, Elem) else
                   it[1] if it[0] == "t" else "<!--%s-->" % it[1])
    return "".join(out)


def divergence(A, B, path=""):
    """(path, input text, output text) around the first difference, going
    down into elements that match by name and attributes."""
    for k in range(min(len(A), len(B))):
        a, b = A[k], B[k]
        if isinstance(a, Elem) and isinstance(b, Elem) and \
                a.name == b.name and a.attrs == b.attrs:
            if match_list(a.kids, b.kids, [], []):
                continue
            return divergence(a.kids, b.kids, path + "/" + a.name)
        if a != b:
            return path, where(A, k), where(B, k)
    k = min(len(A), len(B))
    return path, where(A, k), where(B, k)


def canon(items):
    return [(it.ns, it.name, it.attrs, canon(it.kids))
            if isinstance(it, Elem) else it for it in items]


def inert_tail(inp, starts, A):
    """Does the input from its last reported offset on make no node at all
    (a tag left open at EOF, which a browser drops)?"""
    return bool(starts) and canon(parse(inp[:max(starts)])) == canon(A)


def walk(items):
    for it in items:
        if isinstance(it, Elem):
            yield it
            yield from walk(it.kids)


def tag_end(s, i):
    """The index after the start tag at s[i] ('<' and a letter), quotes
    after '=' read as values, or None when it runs to the end."""
    j, n = i + 1, len(s)
    while j < n:
        c = s[j]
        if c == ">":
            return j + 1
        if c == "=":
            j += 1
            while j < n and s[j] in ASCII_WS:
                j += 1
            if j < n and s[j] in "\"'":
                q = s.find(s[j], j + 1)
                if q < 0:
                    return None
                j = q
        j += 1
    return None


def is_subsequence(small, big):
    it = iter(big)
    return all(c in it for c in small)


def copy_with_cuts(seg, out, opos):
    """seg copied to out at opos, where a start tag may have lost bytes
    (its attributes cut): the opos after it, or None."""
    i, j = 0, opos
    while i < len(seg):
        if seg[i] == "<" and i + 1 < len(seg) and seg[i + 1].isalpha():
            ie, oe = tag_end(seg, i), tag_end(out, j) if \
                out.startswith("<", j) else None
            if ie is None or oe is None:
                return j + len(seg) - i if out.startswith(seg[i:], j) \
                    else None
            a, b = seg[i:ie], out[j:oe]
            if not is_subsequence(b, a) or \
                    re.match(r"<[^\s/>]*", a).group(0) != \
                    re.match(r"<[^\s/>]*", b).group(0):
                return None
            i, j = ie, oe
            if re.match(r"<style[\s/>]", a, re.I):
                # a style sheet's text may have lost items (CSS cuts)
                m = re.compile(r"</style", re.I)
                si, sj = m.search(seg, i), m.search(out, j)
                si = si.start() if si else len(seg)
                sj = sj.start() if sj else len(out)
                if not is_subsequence(out[j:sj], seg[i:si]):
                    return None
                i, j = si, sj
        elif j < len(out) and out[j] == seg[i]:
            i, j = i + 1, j + 1
        else:
            return None
    return j


def spans_ok(inp, out, starts, cuts=False):
    """Is out == inp with one span cut at each start, each span running
    from a '<' to a '>' (the last one may run to the end of the input: an
    element or tag left open at EOF)? cuts: start tags may also have lost
    bytes of their own (attributes cut)."""
    starts = sorted(starts)
    memo = {}

    def go(k, ipos, opos):
        # inp[ipos:starts[k]] must be copied to out at opos
        key = (k, ipos)
        if key in memo:
            return memo[key]
        end = starts[k] if k < len(starts) else len(inp)
        seg = inp[ipos:end]
        if cuts:
            oend = copy_with_cuts(seg, out, opos)
        else:
            oend = opos + len(seg) if out.startswith(seg, opos) else None
        ok = oend is not None
        if ok and k == len(starts):
            ok = oend == len(out)
        elif ok:
            ok = False
            if inp.startswith("<", end):
                nxt = starts[k + 1] if k + 1 < len(starts) else len(inp)
                ends = [e + 1 for e in range(end, nxt) if inp[e] == ">"]
                if k + 1 == len(starts):
                    ends.append(len(inp))
                ok = any(go(k + 1, e, oend) for e in ends)
        memo[key] = ok
        return ok

    sys.setrecursionlimit(10000 + 4 * len(starts))
    return go(0, 0, 0)


def check(case, judge, cache):
    global JUDGE
    problems = []
    inp, out = case["input"], case["output"]
    if inp not in cache:
        cache[inp] = parse(inp)
    A = cache[inp]
    B = parse(out)
    removed, neutral = [], []
    JUDGE = judge
    judge.set_base(A)
    del CUTS[:]
    if not match_list(A, B, removed, neutral):
        problems.append("output tree is not the input tree minus whole "
                        "elements; first difference under %r near\n"
                        "  input:  %s\n  output: %s" % divergence(A, B))
        return problems
    for el in removed:
        if not judge.is_tracker(el) and not (
                case.get("all_fetches") and
                any(judge.url_blocked(u) for u in judge.fetch_urls(el))):
            problems.append("removed a non-tracker element %s (text %r)"
                            % (el.label(), el.text()[:80]))
    for el in neutral:
        if not judge.is_tracker(el):
            problems.append("neutralized a non-tracker element %s"
                            % el.label())
    for el in walk(B):
        if unneutralize(el) is None and judge.is_tracker(el, False):
            problems.append("tracker element kept: %s (text %r)"
                            % (el.label(), el.text()[:80]))
        elif case.get("all_fetches") and unneutralize(el) is None and \
                any(judge.url_blocked(u) for u in judge.fetch_urls(el)):
            problems.append("element fetching a tracker URL kept: %s"
                            % el.label())
        elif unneutralize(el) is None and judge.carried(el):
            problems.append("tracker URL kept in %s of %s"
                            % (" ".join(judge.carried(el)), el.label()))
        elif el.name == "style" and el.ns in (HTML_NS, SVG_NS) and \
                judge.css_blocked(el.text()):
            problems.append("tracker URL kept in the text of %s"
                            % el.label())
    nrep = len(case.get("removed", []))
    reported = case.get("removed", []) + case.get("neutralized", [])
    if nrep and nrep + len(case.get("neutralized", [])) == \
            len(removed) + len(neutral) + 1 and \
            inert_tail(inp, reported, A):
        nrep -= 1                   # removing bytes no browser reads is fine
    if case["action"] == "strip":
        if nrep != len(removed):
            problems.append("gate reported %d removals, html5lib sees %d "
                            "removed elements: %s" % (
                                nrep, len(removed),
                                " ".join(e.label() for e in removed)))
        if not spans_ok(inp, out, case.get("removed", []), bool(CUTS)):
            problems.append("output is not the input with one '<'..'>' span "
                            "cut at each reported offset %s"
                            % case.get("removed", []))
    elif nrep + len(case.get("neutralized", [])) != \
            len(removed) + len(neutral):
        problems.append("gate reported %d removed + %d neutralized, html5lib "
                        "sees %d + %d" % (nrep,
                                          len(case.get("neutralized", [])),
                                          len(removed), len(neutral)))
    return problems


def main():
    req = json.load(sys.stdin)
    judges = {}
    cache = {}
    res = {}
    for case in req["cases"]:
        key = (tuple(case["blocked_hosts"]), tuple(case["signatures"]))
        if key not in judges:
            judges[key] = Judge(*key)
        try:
            res[case["id"]] = check(case, judges[key], cache)
        except Exception as e:  # a crash is a finding, not a pass
            res[case["id"]] = ["oracle error: %s: %s" % (type(e).__name__, e)]
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    main()
