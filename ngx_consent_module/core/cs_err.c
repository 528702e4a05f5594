/*
 * The one error formatter (see cs_err.h).
 */

#include "cs_err.h"

#include <stdarg.h>
#include <stdio.h>

void
cs_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    if (err == NULL || errlen == 0) {
        return;
    }
    va_start(ap, fmt);
    (void) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
