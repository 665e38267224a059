/*
 * A small vsnprintf: %s %c %d %i %u %x %X %p %%, the length modifiers l, ll
 * and z, a field width (digits or *), and the flags '0' (zero padding),
 * '-' (left justify) and '#' (0x before non-zero hex).  Like C's, it
 * returns the length the whole output would have had, and always
 * terminates the buffer when size > 0.
 */
#include "kernel/vsprintf.h"
#include "kernel/string.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

/* Wider fields are cut to this: no format can ask for gigabytes of padding. */
#define WIDTH_MAX 4096

struct spec {
	int width;
	bool zero, left, alt;
	int lng;		/* 0 int, 1 long, 2 long long */
};

/* Emit a string (or a converted number) honouring width and justification. */
static void emit(struct out *o, const struct spec *sp, const char *s, size_t n,
		 const char *sign)
{
	int signlen = sign ? (int)strlen(sign) : 0;
	int fill = sp->width - (int)n - signlen;

	if (!sp->left && !sp->zero)
		pad(o, ' ', fill);
	for (int i = 0; i < signlen; i++)
		put(o, sign[i]);
	if (!sp->left && sp->zero)
		pad(o, '0', fill);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', fill);
}

static void number(struct out *o, const struct spec *sp, unsigned long long v,
		   int base, bool upper, const char *sign)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = digits[v % base];
		v /= base;
	} while (v);
	emit(o, sp, tmp + sizeof(tmp) - n, n, sign);
}

static unsigned long long get_unsigned(const struct spec *sp, va_list *ap)
{
	if (sp->lng == 2)
		return va_arg(*ap, unsigned long long);
	if (sp->lng == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static long long get_signed(const struct spec *sp, va_list *ap)
{
	if (sp->lng == 2)
		return va_arg(*ap, long long);
	if (sp->lng == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

static void signed_number(struct out *o, const struct spec *sp, long long v)
{
	unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	number(o, sp, mag, 10, false, v < 0 ? "-" : NULL);
}

/* Parse flags, width and length of one conversion; returns the conversion char. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	memset(sp, 0, sizeof(*sp));
	for (;; f++) {
		if (*f == '0')
			sp->zero = true;
		else if (*f == '-')
			sp->left = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	if (*f == '*') {
		int w = va_arg(*ap, int);

		sp->left |= w < 0;
		sp->width = w < 0 ? (w < -WIDTH_MAX ? WIDTH_MAX : -w) : MIN(w, WIDTH_MAX);
		f++;
	}
	while (*f >= '0' && *f <= '9') {
		sp->width = sp->width * 10 + (*f++ - '0');
		sp->width = MIN(sp->width, WIDTH_MAX);
	}
	for (; *f == 'l' || *f == 'z'; f++)
		sp->lng = (*f == 'z') ? 1 : sp->lng + 1;
	if (sp->lng > 2)
		sp->lng = 2;
	return f;
}

static void convert(struct out *o, char c, struct spec *sp, va_list *ap)
{
	unsigned long long u;
	const char *s;
	char ch;

	switch (c) {
	case 'd':
	case 'i':
		signed_number(o, sp, get_signed(sp, ap));
		break;
	case 'u':
		number(o, sp, get_unsigned(sp, ap), 10, false, NULL);
		break;
	case 'x':
	case 'X':
		u = get_unsigned(sp, ap);
		number(o, sp, u, 16, c == 'X', sp->alt && u ? "0x" : NULL);
		break;
	case 'p':
		sp->zero = true;
		sp->width = 16 + 2;
		number(o, sp, (uintptr_t)va_arg(*ap, void *), 16, false, "0x");
		break;
	case 'c':
		ch = (char)va_arg(*ap, int);
		emit(o, sp, &ch, 1, NULL);
		break;
	case 's':
		s = va_arg(*ap, const char *);
		s = s ? s : "(null)";
		sp->zero = false;
		emit(o, sp, s, strlen(s), NULL);
		break;
	default:		/* unknown conversion: print it, so the bug shows */
		put(o, '%');
		put(o, c);
	}
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	struct spec sp;
	va_list args;

	va_copy(args, ap);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		if (f[1] == '%') {
			put(&o, '%');
			f++;
			continue;
		}
		f = parse_spec(f + 1, &sp, &args);
		if (!*f)
			break;
		convert(&o, *f, &sp, &args);
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
