/*
 * Rules importer: a public entity -> domains list in the shape of
 * Disconnect's services.json
 *
 *   {"categories": {"Advertising": [{"Entity": {"https://entity.example/":
 *                                    ["entity.example", ...]}}, ...], ...}}
 *
 * -> a YAML rule file of recipients (one per entity, its domains as host
 * suffixes) that no site declares, so the gate always strips them. The
 * mapping of categories, ids and domains is described in doc/consentctl.md
 * ("import-entities").
 *
 * Pure C11 library code: never exits, prints only to the FILE it is given;
 * failures go to err/errlen (always NUL-terminated, one "FILE:LINE:COL:
 * message" line per finding).
 */

#ifndef CS_IMPORT_H
#define CS_IMPORT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Reads the entity list "src" and writes the rule file to "out". Domains
 * that a recipient of the "excludes" rule files (compiled together; may be
 * none) owns, or that lie under a host suffix such a recipient owns, are
 * left out, and so are entities left with no domain; ids avoid the
 * recipient ids and categories of those files, so the output compiles
 * together with them. The output depends only on the inputs (sorted by
 * recipient id, no timestamps).
 *
 * Returns CS_COMPILE_OK (0), CS_COMPILE_INVALID (1: the list or an exclude
 * file is invalid; findings in err) or CS_COMPILE_IO (2: cannot read, out
 * of memory, cannot write to out).
 */
int cs_import_entities(const char *src, const char *const *excludes,
    size_t nexcludes, FILE *out, char *err, size_t errlen);

#endif /* CS_IMPORT_H */
