/*
 * The few libc functions the guests use. gcc may also emit calls to
 * memset/memcpy on its own (struct copies, loop idioms), even freestanding.
 */
#include "guest.h"

void *memset(void *dst, int c, size_t n)
{
	/* rep stosb is one instruction, and at CPL3 it runs natively. */
	void *d = dst;

	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
