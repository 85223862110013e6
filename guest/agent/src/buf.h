/* A growable byte queue: bytes live in data[off, len). Allocation failure aborts: the agent cannot make
 * progress without memory, and in PID-1 mode the caller's abort handler powers the guest off. */
#ifndef PADDOCK_BUF_H
#define PADDOCK_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    uint8_t *data;
    size_t off;
    size_t len;
    size_t cap;
};

void buf_reserve(struct buf *b, size_t more);
void buf_append(struct buf *b, const void *p, size_t n);
static inline size_t buf_used(const struct buf *b) { return b->len - b->off; }
static inline uint8_t *buf_head(const struct buf *b) { return b->data + b->off; }
void buf_consume(struct buf *b, size_t n);
void buf_free(struct buf *b);

#endif
