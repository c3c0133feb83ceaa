/*
 * Minimal printf straight to the serial port: %s %c %d %i %u %x %X %p %%,
 * a field width with the '0' or '-' flag, and the l, ll and z sizes.
 */
#include "guest.h"

struct spec {
	bool zero_pad;
	bool left;
	unsigned width;
};

static int emit_padded(const struct spec *sp, const char *s, size_t len)
{
	char pad = sp->zero_pad && !sp->left ? '0' : ' ';
	size_t fill = sp->width > len ? sp->width - len : 0;
	size_t total = len + fill;
	size_t i;

	/* Zero padding goes after a minus sign: "-0042", not "00-42". */
	if (pad == '0' && len && s[0] == '-') {
		serial_putc('-');
		s++;
		len--;
	}
	if (!sp->left)
		for (i = 0; i < fill; i++)
			serial_putc(pad);
	for (i = 0; i < len; i++)
		serial_putc(s[i]);
	if (sp->left)
		for (i = 0; i < fill; i++)
			serial_putc(' ');
	return total;
}

static int emit_number(const struct spec *sp, uint64_t val, unsigned base,
		       bool negative, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	char *p = buf + sizeof(buf);

	do {
		*--p = digits[val % base];
		val /= base;
	} while (val);
	if (negative)
		*--p = '-';
	return emit_padded(sp, p, buf + sizeof(buf) - p);
}

int vprintf(const char *fmt, va_list ap)
{
	int count = 0;

	for (; *fmt; fmt++) {
		struct spec sp = { 0 };
		int longs = 0;
		bool size_t_arg = false;
		uint64_t u;
		int64_t s;
		const char *str;
		char c;

		if (*fmt != '%') {
			serial_putc(*fmt);
			count++;
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				sp.zero_pad = true;
			else if (*fmt == '-')
				sp.left = true;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			sp.width = sp.width * 10 + (*fmt++ - '0');
		for (;; fmt++) {
			if (*fmt == 'l')
				longs++;
			else if (*fmt == 'z')
				size_t_arg = true;
			else
				break;
		}

		switch (*fmt) {
		case 'd':
		case 'i':
			if (longs || size_t_arg)
				s = va_arg(ap, int64_t);
			else
				s = va_arg(ap, int);
			u = s < 0 ? -(uint64_t)s : (uint64_t)s;
			count += emit_number(&sp, u, 10, s < 0, false);
			break;
		case 'u':
		case 'x':
		case 'X':
			if (longs || size_t_arg)
				u = va_arg(ap, uint64_t);
			else
				u = va_arg(ap, unsigned int);
			count += emit_number(&sp, u, *fmt == 'u' ? 10 : 16,
					     false, *fmt == 'X');
			break;
		case 'p':
			serial_puts("0x");
			count += 2 + emit_number(&sp, (uint64_t)va_arg(ap, void *),
						 16, false, false);
			break;
		case 's':
			str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			sp.zero_pad = false;
			count += emit_padded(&sp, str, strlen(str));
			break;
		case 'c':
			c = (char)va_arg(ap, int);
			sp.zero_pad = false;
			count += emit_padded(&sp, &c, 1);
			break;
		case '%':
			serial_putc('%');
			count++;
			break;
		case '\0':
			/* A lone '%' at the end: print it and stop. */
			serial_putc('%');
			return count + 1;
		default:
			/* Unknown conversion: show it verbatim so it gets noticed. */
			serial_putc('%');
			serial_putc(*fmt);
			count += 2;
			break;
		}
	}
	return count;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int fail(const char *fmt, ...)
{
	va_list ap;

	serial_puts("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	serial_putc('\n');
	return 1;
}
