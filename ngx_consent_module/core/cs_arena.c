/*
 * The rules object's arena: its strings and tables live in a few large
 * chunks, freed at once with the rules (cs_rules_impl.h).
 */

#include "cs_rules_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CS_ARENA_CHUNK  (64u * 1024u)

void *
cs_arena_alloc(cs_arena_t *arena, size_t size)
{
    cs_arena_chunk_t  *chunk = arena->head;
    size_t             aligned = (size + 7u) & ~(size_t) 7u;

    if (aligned < size) {
        return NULL;
    }

    if (chunk == NULL || chunk->size - chunk->used < aligned) {
        size_t chunk_size = aligned > CS_ARENA_CHUNK ? aligned : CS_ARENA_CHUNK;

        chunk = malloc(sizeof(*chunk) + chunk_size);
        if (chunk == NULL) {
            return NULL;
        }
        chunk->next = arena->head;
        chunk->used = 0;
        chunk->size = chunk_size;
        arena->head = chunk;
    }

    void *p = chunk->data + chunk->used;
    chunk->used += aligned;
    return p;
}

/* Copies len bytes and appends a NUL. */
char *
cs_arena_strndup(cs_arena_t *arena, const char *s, size_t len)
{
    if (len == SIZE_MAX) {
        return NULL;
    }

    char *p = cs_arena_alloc(arena, len + 1);
    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void
cs_arena_free(cs_arena_t *arena)
{
    cs_arena_chunk_t *chunk = arena->head;

    while (chunk != NULL) {
        cs_arena_chunk_t *next = chunk->next;
        free(chunk);
        chunk = next;
    }
    arena->head = NULL;
}
