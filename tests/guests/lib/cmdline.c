/*
 * Lookup of "key=value" parameters on the Multiboot command line. QEMU puts
 * the kernel file name first ("/path/x.elf mib=16"); that token simply never
 * matches a key.
 */
#include "guest.h"

const char *cmdline(void)
{
	if (!mb_info || !(mb_info->flags & MULTIBOOT_INFO_CMDLINE))
		return "";
	return (const char *)(uint64_t)mb_info->cmdline;
}

uint64_t mem_upper_bytes(void)
{
	if (!mb_info || !(mb_info->flags & MULTIBOOT_INFO_MEMORY))
		return 0;
	return (uint64_t)mb_info->mem_upper * 1024;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Returns the value of the last "key=" token (later ones override), or NULL. */
static const char *find_value(const char *key)
{
	const char *p = cmdline();
	const char *found = NULL;
	size_t klen = strlen(key);

	while (*p) {
		while (is_space(*p))
			p++;
		if (!memcmp(p, key, klen) && p[klen] == '=')
			found = p + klen + 1;
		while (*p && !is_space(*p))
			p++;
	}
	return found;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

uint64_t param_u64(const char *key, uint64_t def)
{
	const char *v = find_value(key);
	const char *start;
	unsigned base = 10;
	uint64_t val = 0;
	int d;

	if (!v)
		return def;
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		v += 2;
	}
	start = v;
	while ((d = digit_value(*v)) < (int)base) {
		val = val * base + d;
		v++;
	}
	if (v == start || (*v && !is_space(*v))) {
		printf("warning: bad value for %s=, using %lu\n", key,
		       (unsigned long)def);
		return def;
	}
	return val;
}
