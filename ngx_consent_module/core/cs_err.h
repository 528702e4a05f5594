/*
 * The one error formatter of the core and the tools: a one-line reason into
 * a caller's buffer (the "char *err, size_t errlen" pair of their APIs).
 */

#ifndef CS_ERR_H
#define CS_ERR_H

#include <stddef.h>

/*
 * printf into err (errlen bytes, truncated, always NUL-terminated); does
 * nothing when err is NULL or errlen is 0.
 */
void cs_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* CS_ERR_H */
