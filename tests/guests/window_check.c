/*
 * Register-window checks for pio.elf and mmio.elf (see window_check.h).
 *
 * The scratch check keeps a shadow copy of the 8 scratch bytes: after every
 * write (each width at each offset where it fits) it reads the whole scratch
 * back with each width at each offset, so byte composition in both
 * directions is covered (e.g. a 4-byte write read back as single bytes, or
 * byte writes read back as one 8-byte value).
 */
#include "window_check.h"
#include "testdev.h"

#define MAX_REPORTED	20

struct ctx {
	const struct window *win;
	uint8_t shadow[TESTDEV_SCRATCH_SIZE];
	uint64_t rng;
	unsigned errors;
	unsigned writes;
	unsigned reads;
	/* The most recent scratch write (width 0: none, unlisted writes). */
	unsigned last_width;
	unsigned last_off;
	uint64_t last_val;
	bool context_shown;		/* the above was printed already */
};

static uint64_t width_mask(unsigned width)
{
	return width == 8 ? ~0ull : (1ull << (8 * width)) - 1;
}

/* xorshift64, fixed seed: varied bytes (0x00 and 0xff too), reproducible. */
static uint64_t next_value(struct ctx *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static uint64_t shadow_get(const struct ctx *c, unsigned off, unsigned width)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < width; i++)
		v |= (uint64_t)c->shadow[off + i] << (8 * i);
	return v;
}

static void shadow_put(struct ctx *c, unsigned off, unsigned width, uint64_t v)
{
	unsigned i;

	for (i = 0; i < width; i++)
		c->shadow[off + i] = v >> (8 * i);
}

static void mismatch(struct ctx *c, const char *what, unsigned width,
		     unsigned off, uint64_t got, uint64_t want)
{
	if (++c->errors <= MAX_REPORTED)
		printf("%s: %s: read%u at +0x%x = 0x%lx, expected 0x%lx\n",
		       c->win->name, what, width, off, (unsigned long)got,
		       (unsigned long)want);
	else if (c->errors == MAX_REPORTED + 1)
		printf("%s: (further mismatches not shown)\n", c->win->name);
}

static void scratch_mismatch(struct ctx *c, unsigned width, unsigned off,
			     uint64_t got, uint64_t want)
{
	/* Say once per write which write the following mismatches follow. */
	if (c->errors < MAX_REPORTED && !c->context_shown) {
		if (c->last_width)
			printf("%s: after write%u of 0x%lx at +0x%x:\n",
			       c->win->name, c->last_width,
			       (unsigned long)c->last_val,
			       c->win->scratch_off + c->last_off);
		else
			printf("%s: after writes to unlisted offsets:\n",
			       c->win->name);
		c->context_shown = true;
	}
	mismatch(c, "scratch", width, off, got, want);
}

/* Reads the scratch with every width at every offset and compares. */
static void check_scratch(struct ctx *c)
{
	const struct window *win = c->win;
	unsigned width, off;

	for (width = 1; width <= win->max_width; width <<= 1) {
		for (off = 0; off + width <= TESTDEV_SCRATCH_SIZE; off++) {
			uint64_t got = win->read(win->scratch_off + off, width);
			uint64_t want = shadow_get(c, off, width);

			c->reads++;
			if (got != want)
				scratch_mismatch(c, width, win->scratch_off + off,
						 got, want);
		}
	}
}

static void scratch_write(struct ctx *c, unsigned off, unsigned width,
			  uint64_t val)
{
	val &= width_mask(width);
	c->win->write(c->win->scratch_off + off, width, val);
	shadow_put(c, off, width, val);
	c->writes++;
	c->last_width = width;
	c->last_off = off;
	c->last_val = val;
	c->context_shown = false;
}

static void check_scratch_writes(struct ctx *c)
{
	const struct window *win = c->win;
	unsigned width, off;

	/* Known start: every byte written on its own, then read every way. */
	for (off = 0; off < TESTDEV_SCRATCH_SIZE; off++)
		scratch_write(c, off, 1, 0xa0 + off);
	check_scratch(c);

	for (width = 1; width <= win->max_width; width <<= 1) {
		for (off = 0; off + width <= TESTDEV_SCRATCH_SIZE; off++) {
			scratch_write(c, off, width, next_value(c));
			check_scratch(c);
		}
	}
	printf("%s: scratch: %u writes, %u reads checked\n", win->name,
	       c->writes, c->reads);
}

static void check_constant(struct ctx *c)
{
	const struct window *win = c->win;
	unsigned width, k, reads = 0;

	for (width = 1; width <= win->max_width; width <<= 1) {
		for (k = 0; k + width <= 8; k++) {
			uint64_t got = win->read(win->const_off + k, width);
			uint64_t want = (TESTDEV_CONSTANT >> (8 * k)) &
					width_mask(width);

			reads++;
			if (got != want)
				mismatch(c, "constant", width,
					 win->const_off + k, got, want);
		}
	}
	printf("%s: constant: %u reads checked\n", win->name, reads);
}

static void check_unlisted(struct ctx *c)
{
	const struct window *win = c->win;
	unsigned i;

	for (i = 0; i < win->n_unlisted; i++) {
		const struct window_reg *r = &win->unlisted[i];
		uint64_t got = win->read(r->off, r->width);

		if (got)
			mismatch(c, "unlisted offset", r->width, r->off, got, 0);
	}

	/* Writes there must be ignored: not stored, not aliased to scratch. */
	for (i = 0; i < win->n_unlisted; i++)
		win->write(win->unlisted[i].off, win->unlisted[i].width,
			   next_value(c) & width_mask(win->unlisted[i].width));
	for (i = 0; i < win->n_unlisted; i++) {
		const struct window_reg *r = &win->unlisted[i];
		uint64_t got = win->read(r->off, r->width);

		if (got)
			mismatch(c, "unlisted offset after write", r->width,
				 r->off, got, 0);
	}
	c->last_width = 0;
	c->context_shown = false;
	check_scratch(c);
	printf("%s: unlisted: %u offsets checked (read 0, writes ignored)\n",
	       win->name, win->n_unlisted);
}

unsigned window_check(const struct window *win)
{
	struct ctx c = { .win = win, .rng = 0x9e3779b97f4a7c15ull };

	check_scratch_writes(&c);
	check_constant(&c);
	check_unlisted(&c);
	return c.errors;
}
