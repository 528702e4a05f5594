/*
 * Rules compiler: YAML rule files (libfyaml) -> LMDB rules database, and a
 * dumper printing a database as stable, diffable text. The on-disk layout
 * is described in doc/lmdb-layout.md; cs_rules.c is the reader.
 *
 * Pure C11 library code: never prints (except cs_dump() to the FILE it is
 * given) and never exits; every failure is reported through err/errlen.
 */

#ifndef CS_COMPILE_H
#define CS_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Return values; they double as consentctl exit codes. */
#define CS_COMPILE_OK       0
#define CS_COMPILE_INVALID  1   /* the rules (or database) are invalid */
#define CS_COMPILE_IO       2   /* cannot read/write a file, LMDB failure */

/* Longest host suffix, as in DNS. */
#define CS_HOST_MAX   253u

/* Largest rule file accepted (it is read into memory whole). */
#define CS_COMPILE_MAX_SOURCE   (64u * 1024u * 1024u)

/*
 * Compiles the YAML rule file "src" into the LMDB file "db".
 *
 * The database is written in one write transaction into a new file
 * "<db>.tmp.<pid>", synced, verified by loading it with cs_rules_load() and
 * only then rename()d over "db"; on any failure "db" is left untouched.
 *
 * On failure err receives one line per finding (at most errlen bytes,
 * always NUL-terminated, lines separated by '\n', no trailing newline):
 *   "SRC:LINE:COL: message"   for problems in the rule file
 *   "PATH: message"           for I/O problems
 * Returns CS_COMPILE_OK, CS_COMPILE_INVALID or CS_COMPILE_IO.
 */
int cs_compile(const char *src, const char *db, char *err, size_t errlen);

/*
 * As cs_compile(), for several rule files compiled into one database (one
 * write transaction): the recipients of all files, then the sites of all
 * files, so a site may declare a recipient of another file. With several
 * files, each needs 'recipients' or 'sites' (one file needs both), and
 * gpc_categories may be given in one of them. An id defined twice or a host
 * suffix given twice is reported at the second place, naming the first:
 *   "B.yaml:3:9: duplicate recipient id 'x' (first defined at A.yaml:12)"
 * Files are read in the order given; meta "source" lists them separated by
 * spaces.
 */
int cs_compile_sources(const char *const *srcs, size_t nsrcs, const char *db,
    char *err, size_t errlen);

/*
 * As cs_compile_sources(), into the file "name" of a fresh private
 * directory made by mkdtemp() under $TMPDIR (default /tmp) and named
 * "<stem>.XXXXXX": for callers that only read the result once. On
 * CS_COMPILE_OK "db" (dblen bytes) holds the database's path and the
 * caller removes it with cs_compile_tmp_remove() when done; on failure
 * nothing is left behind. Returns as cs_compile_sources().
 */
int cs_compile_tmp(const char *const *srcs, size_t nsrcs, const char *stem,
    const char *name, char *db, size_t dblen, char *err, size_t errlen);

/* Removes a database made by cs_compile_tmp() and its directory. */
void cs_compile_tmp_remove(const char *db);

/*
 * Prints every record of the rules database "db" to "out" in a stable,
 * sorted text form (meta, recipients with their hosts and signatures,
 * sites with their declarations and consent manager maps, the latter as
 * "  consent_map FORMAT NAME: [target, ...]"). Returns CS_COMPILE_OK,
 * CS_COMPILE_INVALID (not a valid rules database) or CS_COMPILE_IO; err as
 * for cs_compile().
 */
int cs_dump(const char *db, FILE *out, char *err, size_t errlen);

/*
 * The database's sub-databases, in the order of cs_db_names (layout in
 * doc/lmdb-layout.md). DB_CMP_MAPS and DB_PATHS are optional for readers (absent in
 * older files), as is DB_TAGGING_HOSTS: keep them last.
 */
enum cs_db_e { DB_META, DB_RECIPIENTS, DB_HOSTS, DB_SIGNATURES, DB_SITES,
               DB_DECLARES, DB_CMP_MAPS, DB_PATHS, DB_TAGGING_HOSTS,
               DB_COUNT };

/* The sub-databases readers must accept missing (older files). */
#define cs_db_optional(db)  ((db) == DB_CMP_MAPS || (db) == DB_PATHS         \
                             || (db) == DB_TAGGING_HOSTS)

extern const char *const cs_db_names[DB_COUNT];

/*
 * Writes len bytes of text on one line: control bytes as \xHH; with
 * CS_PUT_QUOTED inside double quotes, '"' and '\' escaped by a backslash
 * (a YAML double-quoted scalar); with CS_PUT_NEWLINE also newlines as \n.
 * The dumper, the importer and diff print through it.
 */
#define CS_PUT_QUOTED   1u
#define CS_PUT_NEWLINE  2u

void cs_put_escaped(FILE *out, const char *s, size_t len, unsigned how);

/*
 * Helpers the rules importer shares with the compiler, so both read and
 * check alike.
 */
struct fy_node;

/*
 * 1-based line and column of a parsed node (of its first scalar for a
 * collection); false if it has none (e.g. an empty collection).
 */
bool cs_node_pos(struct fy_node *node, int *line, int *col);

/*
 * Normalises a host suffix as the compiler stores it: lowercase, no
 * leading "*." or ".", no trailing dot. Returns NULL on success (out holds
 * *outlen bytes and a NUL) or why the text is not a host suffix (URL, port,
 * path, whitespace, non-ASCII, a single label, ...).
 */
const char *cs_normalize_host(const char *in, size_t len,
    char out[CS_HOST_MAX + 1], size_t *outlen);

/*
 * Reads the file "path" whole (at most CS_COMPILE_MAX_SOURCE bytes) into a
 * malloc'd, NUL-terminated buffer. Returns 0, or -1 with "PATH: reason" in
 * err.
 */
int cs_read_file(const char *path, char **data, size_t *len, char *err,
    size_t errlen);

#endif /* CS_COMPILE_H */
