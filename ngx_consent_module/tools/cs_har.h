/*
 * HAR 1.2 captures (the browsers' "Save all as HAR with content"), read
 * entry by entry with jansson: only one entry of log.entries is in memory
 * at a time, so a capture of hundreds of megabytes is read in bounded
 * memory (the largest entry, at most CS_HAR_ENTRY_MAX bytes of JSON).
 *
 * Tools code (links jansson and zlib); never exits, failures go to
 * err/errlen (always NUL-terminated) and name the file and the entry.
 */

#ifndef CS_HAR_H
#define CS_HAR_H

#include <stddef.h>

#include <jansson.h>

#include "cs_disclosure.h"      /* cs_obuf_t */

/* Most JSON bytes of one entry, and most bytes of one decoded body. */
#define CS_HAR_ENTRY_MAX  ((size_t) 256 << 20)
#define CS_HAR_BODY_MAX   ((size_t) 64 << 20)

/*
 * Called for each element of log.entries in file order, index counting
 * from 0; the entry is released after the call (take a reference to keep
 * it). Returns 0 to go on, anything else to stop the walk with that value.
 */
typedef int (*cs_har_entry_cb)(void *ud, const char *path, size_t index,
    json_t *entry);

/*
 * Walks the HAR file at path: {"log": {..., "entries": [...], ...}}, keys
 * in any order. Every value is parsed by jansson; between values only the
 * object and array punctuation is read here. Returns 0 when the whole file
 * was well-formed and had log.entries, -1 (reason in err, naming the entry
 * and its byte offset) for an unreadable, malformed or truncated file, or
 * the callback's non-zero value.
 */
int cs_har_each_entry(const char *path, cs_har_entry_cb cb, void *ud,
    char *err, size_t errlen);

/*
 * Formats a one-line reason into err (errlen bytes, always NUL-terminated;
 * nothing when errlen is 0): the audit tools' one error writer.
 */
void cs_har_err(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A string member of an object, or NULL (absent or not a string). */
const char *cs_har_str(const json_t *obj, const char *key);

/*
 * The value of the first header called name (ASCII case-insensitive) in a
 * HAR headers array, or NULL.
 */
const char *cs_har_header(const json_t *headers, const char *name);

/*
 * The decoded response body of an entry: response.content.text, base64
 * when content.encoding says so, inflated when it still is gzip or zlib
 * data (some exporters keep the bytes as sent). Appends it to out.
 * Returns 1 and appends nothing when the entry has no content text, 0 on
 * success, -1 (reason in err) for an unknown content.encoding, invalid
 * base64, a body still compressed in a coding it cannot decode (br,
 * zstd), corrupt gzip, or more than CS_HAR_BODY_MAX bytes.
 */
int cs_har_body(const json_t *entry, cs_obuf_t *out, char *err,
    size_t errlen);

#endif /* CS_HAR_H */
