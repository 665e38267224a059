/*
 * Command-line parsing (see cmdline.h).  Words are split on spaces; a word
 * is `key` or `key=value`.  Returns the number of warnings given.
 */
#include "kernel/cmdline.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"

#define WORD_MAX 128

/* "pvops=auto|native|off" or "selftest": what an option accepts. */
void cmdline_describe(const struct cmdline_opt *o, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size, "%s", o->name);

	if (o->type == OPT_UINT && len < size)
		snprintf(buf + len, size - len, "=<number>");
	if (o->type == OPT_STRING && !o->choices && len < size)
		snprintf(buf + len, size - len, "=<word>");
	for (int i = 0; o->choices && o->choices[i] && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "|" : "=",
					o->choices[i]);
}

static const struct cmdline_opt *find(const char *key, size_t klen,
				      const struct cmdline_opt *opts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(opts[i].name) == klen && !strncmp(opts[i].name, key, klen))
			return &opts[i];
	return NULL;
}

static void warn_unknown(const char *key, const struct cmdline_opt *opts, size_t n,
			 cmdline_warn_fn warn)
{
	char msg[512], desc[96];
	size_t len = (size_t)snprintf(msg, sizeof(msg), "unknown option '%s'; known:", key);

	for (size_t i = 0; i < n && len < sizeof(msg); i++) {
		cmdline_describe(&opts[i], desc, sizeof(desc));
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, " %s", desc);
	}
	warn(msg);
}

static bool parse_uint(const char *s, int *out)
{
	long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = (int)v;
	return true;
}

static bool set_value(const struct cmdline_opt *o, const char *val)
{
	if (o->type == OPT_UINT)
		return parse_uint(val, o->ival);
	if (o->type == OPT_STRING) {
		if (strlen(val) >= o->ssize)
			return false;
		strncpy0(o->sval, val, o->ssize);
		return true;
	}
	for (int i = 0; o->choices[i]; i++) {
		if (!strcmp(o->choices[i], val)) {
			*o->ival = i;
			return true;
		}
	}
	return false;
}

/* One word; returns 1 if it earned a warning. */
static int parse_word(const char *word, const struct cmdline_opt *opts, size_t n,
		      cmdline_warn_fn warn)
{
	const char *eq = strchr(word, '=');
	size_t klen = eq ? (size_t)(eq - word) : strlen(word);
	const struct cmdline_opt *o = find(word, klen, opts, n);
	char msg[256], desc[96];

	if (!o) {
		char key[WORD_MAX];

		strncpy0(key, word, MIN(klen + 1, sizeof(key)));
		warn_unknown(key, opts, n, warn);
		return 1;
	}
	cmdline_describe(o, desc, sizeof(desc));
	if (o->type == OPT_FLAG) {
		if (!eq) {
			*o->ival = 1;
			return 0;
		}
		snprintf(msg, sizeof(msg), "option '%s' takes no value; use: %s", o->name, desc);
	} else if (!eq || !eq[1]) {
		snprintf(msg, sizeof(msg), "option '%s' needs a value; use: %s", o->name, desc);
	} else if (!set_value(o, eq + 1)) {
		snprintf(msg, sizeof(msg), "bad value '%s' for '%s'; use: %s", eq + 1, o->name, desc);
	} else {
		return 0;
	}
	warn(msg);
	return 1;
}

int cmdline_parse(const char *line, const struct cmdline_opt *opts, size_t n,
		  cmdline_warn_fn warn)
{
	char word[WORD_MAX];
	int warnings = 0;

	while (*line) {
		size_t len = 0;

		while (*line == ' ' || *line == '\t')
			line++;
		while (line[len] && line[len] != ' ' && line[len] != '\t')
			len++;
		if (!len)
			break;
		if (len >= sizeof(word)) {
			warn("a command-line word is too long; ignored");
			warnings++;
		} else {
			strncpy0(word, line, len + 1);
			warnings += parse_word(word, opts, n, warn);
		}
		line += len;
	}
	return warnings;
}
