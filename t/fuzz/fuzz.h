/*
 * What every fuzz harness in t/fuzz/ shares.  A harness is one
 * LLVMFuzzerTestOneInput(): built with clang -fsanitize=fuzzer by
 * "make fuzz", and with replay.c's main() by "make check", which replays
 * the corpora and the findings through the normally built code.
 *
 * A harness checks invariants, not only crashes: when one does not hold
 * it names it on stderr and aborts, which libFuzzer saves as a crash and
 * the replay driver reports as a failure.
 */
#ifndef KT_FUZZ_H
#define KT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_assert(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "invariant broken: %s: ", #cond);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/*
 * Chunk sizes "taken from the input": the K-th chunk is 1 + (the byte
 * at K * 7919 modulo the size) modulo MAX.  The split thus varies with
 * the input, the fuzzer explores it too, and a saved input replays with
 * the same split.
 */
static inline size_t
fuzz_chunk(const uint8_t *data, size_t size, size_t k, size_t max)
{
	if (size == 0)
		return 1;
	return 1 + data[(k * 7919) % size] % max;
}

/* A writer's output gathered in memory, for harnesses that read back
   what a writer made. */
struct fuzz_out {
	uint8_t *buf;
	size_t len;
};

static inline int
fuzz_collect(void *cookie, const void *buf, size_t len)
{
	struct fuzz_out *o = cookie;

	fuzz_assert((o->buf = realloc(o->buf, o->len + len)) != NULL,
	    "memory");
	memcpy(o->buf + o->len, buf, len);
	o->len += len;
	return 0;
}

#endif
