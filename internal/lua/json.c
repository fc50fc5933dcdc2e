/*
 * json.c: the json module (Tarantool 2.6's lua-cjson). The encoder
 * walks Lua values through sp_tofield/sp_convertfield, so json agrees
 * with msgpack on what is an array, a map, an integer or null; the
 * decoder builds Lua values directly. Messages, number formatting
 * (%.14g, integers exact), escapes and the tokenizer's leniencies are
 * lua-cjson's as Tarantool ships it.
 */
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <math.h>
#include <limits.h>
#include "sp.h"

/* ---------------------------------------------------------------------- */
/* Encoding                                                                */

static inline void
json_put(struct sp_buf *b, const char *s, size_t n)
{
	sp_buf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static inline void
json_putc(struct sp_buf *b, char c)
{
	sp_buf_reserve(b, 1);
	b->data[b->len++] = c;
}

/*
 * json_escape[c] is the letter after the backslash for bytes written
 * escaped, 'u' for \u00XX, 0 for bytes copied as they are: control
 * characters, '"', '\\', '/' and DEL are escaped; everything else,
 * UTF-8 included, is copied (cjson's char2escape).
 */
static const unsigned char json_escape[256] = {
	[0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u',
	[0x04] = 'u', [0x05] = 'u', [0x06] = 'u', [0x07] = 'u',
	[0x08] = 'b', [0x09] = 't', [0x0a] = 'n', [0x0b] = 'u',
	[0x0c] = 'f', [0x0d] = 'r', [0x0e] = 'u', [0x0f] = 'u',
	[0x10] = 'u', [0x11] = 'u', [0x12] = 'u', [0x13] = 'u',
	[0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u',
	[0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u',
	[0x1c] = 'u', [0x1d] = 'u', [0x1e] = 'u', [0x1f] = 'u',
	['"'] = '"', ['\\'] = '\\', ['/'] = '/', [0x7f] = 'u',
};

static const char json_hex[] = "0123456789abcdef";

static void
json_append_string(struct sp_buf *b, const char *s, size_t len)
{
	/* Room for the common case (nothing escaped); each escape makes
	 * room for itself. */
	sp_buf_reserve(b, len + 2);
	char *p = b->data + b->len;
	*p++ = '"';
	size_t i = 0;
	while (i < len) {
		size_t run = i;
		while (run < len && json_escape[(unsigned char)s[run]] == 0)
			run++;
		memcpy(p, s + i, run - i);
		p += run - i;
		i = run;
		if (i == len)
			break;
		unsigned char c = (unsigned char)s[i++];
		unsigned char e = json_escape[c];
		/* Keep len - i + 1 bytes for the rest and the closing quote. */
		b->len = (size_t)(p - b->data);
		sp_buf_reserve(b, 6 + (len - i) + 1);
		p = b->data + b->len;
		*p++ = '\\';
		*p++ = (char)e;
		if (e == 'u') {
			*p++ = '0';
			*p++ = '0';
			*p++ = json_hex[c >> 4];
			*p++ = json_hex[c & 15];
		}
	}
	*p++ = '"';
	b->len = (size_t)(p - b->data);
}

static void
json_append_uint(struct sp_buf *b, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	sp_buf_reserve(b, (size_t)n);
	char *p = b->data + b->len;
	while (n > 0)
		*p++ = tmp[--n];
	b->len = (size_t)(p - b->data);
}

static void
json_append_int(struct sp_buf *b, int64_t v)
{
	if (v < 0) {
		json_putc(b, '-');
		json_append_uint(b, (uint64_t)0 - (uint64_t)v);
	} else {
		json_append_uint(b, (uint64_t)v);
	}
}

static const double json_pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * json_short_decimal writes d when it is a short decimal fraction: d *
 * 10^k rounds to an integer m of at most `precision` digits for some k
 * in 1..6, with 1e-4 <= |d| < 1e9. %.<precision>g would print m / 10^k
 * then: d lies within one part in 2^52 of it, far inside half a unit of
 * the last printed digit, and the magnitude keeps %g out of exponent
 * form. Returns 0 when d is not such a number (snprintf then decides).
 */
static int
json_short_decimal(struct sp_buf *b, double d, int precision)
{
	double a = fabs(d);
	if (!(a >= 1e-4 && a < 1e9))
		return 0;
	for (int k = 1; k <= 6; k++) {
		double m = a * json_pow10[k];
		if (m >= 1e15)
			return 0;
		uint64_t u = (uint64_t)m;
		if ((double)u != m)
			continue;
		if (u % 10 == 0)
			return 0; /* d is integral: %g prints no point */
		char digits[24];
		int n = 0;
		do {
			digits[n++] = (char)('0' + u % 10);
			u /= 10;
		} while (u != 0);
		/* Significant digits: leading zeros of the fraction are not. */
		if (n > precision)
			return 0;
		sp_buf_reserve(b, (size_t)(n + k + 3));
		char *p = b->data + b->len;
		if (d < 0)
			*p++ = '-';
		if (n <= k) {
			*p++ = '0';
			*p++ = '.';
			for (int z = n; z < k; z++)
				*p++ = '0';
			while (n > 0)
				*p++ = digits[--n];
		} else {
			while (n > k)
				*p++ = digits[--n];
			*p++ = '.';
			while (n > 0)
				*p++ = digits[--n];
		}
		b->len = (size_t)(p - b->data);
		return 1;
	}
	return 0;
}

/* fpconv_g_fmt: "%.<precision>g", precision outside 1..14 meaning 14;
 * every NaN is "nan". */
static void
json_append_number(struct sp_buf *b, double d, int precision)
{
	if (isnan(d)) {
		json_put(b, "nan", 3);
		return;
	}
	if (precision <= 0 || precision > 14)
		precision = 14;
	if (json_short_decimal(b, d, precision))
		return;
	sp_buf_reserve(b, 32);
	int n = snprintf(b->data + b->len, 32, "%.*g", precision, d);
	b->len += (size_t)n;
}

/* tt_uuid_str: 8-4-4-4-12 lowercase hex of a struct tt_uuid (its
 * integer fields in host order). */
static void
json_append_uuid(struct sp_buf *b, const unsigned char *u)
{
	uint32_t time_low;
	uint16_t time_mid, time_hi;
	memcpy(&time_low, u, 4);
	memcpy(&time_mid, u + 4, 2);
	memcpy(&time_hi, u + 6, 2);
	char s[40];
	int n = snprintf(s, sizeof(s), "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 (unsigned)time_low, (unsigned)time_mid, (unsigned)time_hi,
			 u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	json_append_string(b, s, (size_t)n);
}

static void
json_checkfield(lua_State *L, struct sp_serializer *cfg, int idx, struct sp_field *f)
{
	sp_tofield(L, cfg, idx, f);
	if (f->type == SPF_UNKNOWN)
		sp_convertfield(L, cfg, idx, f);
}

/* json_append_value writes the value on top of the stack. */
static void
json_append_value(lua_State *L, struct sp_serializer *cfg, struct sp_buf *b, int depth)
{
	int top = lua_gettop(L);
	int from_raw = 0;
	struct sp_field f;
	json_checkfield(L, cfg, top, &f);
restart:
	switch (f.type) {
	case SPF_NIL:
		json_put(b, "null", 4);
		return;
	case SPF_BOOL:
		if (f.b)
			json_put(b, "true", 4);
		else
			json_put(b, "false", 5);
		return;
	case SPF_UINT:
		json_append_uint(b, f.u);
		return;
	case SPF_INT:
		json_append_int(b, f.i);
		return;
	case SPF_FLOAT:
		json_append_number(b, f.f, cfg->encode_number_precision);
		return;
	case SPF_DOUBLE:
		json_append_number(b, f.d, cfg->encode_number_precision);
		return;
	case SPF_STR:
		json_append_string(b, f.s, f.len);
		return;
	case SPF_UUID:
		json_append_uuid(b, (const unsigned char *)f.s);
		return;
	case SPF_DECIMAL: {
		/* A string of decimal_to_string's text, as 2.6's json. */
		char text[SP_DECIMAL_TEXTMAX];
		size_t n = sp_decimal_text(L, text, (const struct sp_decimal *)f.s);
		json_append_string(b, text, n);
		return;
	}
	case SPF_RAW: {
		/* A tuple: its fields as msgpack.decode shows them, which is
		 * what Tarantool's tuple __serialize gives the encoder. A
		 * decoded value that is raw again is refused, so this cannot
		 * loop. */
		if (from_raw)
			luaL_error(L, "unsupported Lua type '%s'", luaL_typename(L, top));
		const char *p = f.s;
		luaL_checkstack(L, 4, "serializer");
		sp_mp_decode(L, sp_globals(L)->mp_cfg, &p);
		lua_replace(L, top);
		from_raw = 1;
		json_checkfield(L, cfg, top, &f);
		goto restart;
	}
	case SPF_ARRAY: {
		if (depth >= cfg->encode_max_depth) {
			if (!cfg->encode_deep_as_nil)
				luaL_error(L, "Too high nest level");
			json_put(b, "null", 4);
			return;
		}
		luaL_checkstack(L, 8, "serializer");
		json_putc(b, '[');
		for (uint32_t i = 1; i <= f.size; i++) {
			if (i > 1)
				json_putc(b, ',');
			lua_rawgeti(L, top, (int)i);
			json_append_value(L, cfg, b, depth + 1);
			lua_pop(L, 1);
		}
		json_putc(b, ']');
		return;
	}
	case SPF_MAP: {
		if (depth >= cfg->encode_max_depth) {
			if (!cfg->encode_deep_as_nil)
				luaL_error(L, "Too high nest level");
			json_put(b, "null", 4);
			return;
		}
		luaL_checkstack(L, 8, "serializer");
		json_putc(b, '{');
		int first = 1;
		lua_pushnil(L);
		while (lua_next(L, top) != 0) {
			if (!first)
				json_putc(b, ',');
			first = 0;
			if (lua_type(L, -2) == LUA_TSTRING) {
				/* What sp_tofield would say, without the copy. */
				size_t klen;
				const char *k = lua_tolstring(L, -2, &klen);
				json_append_string(b, k, klen);
				json_putc(b, ':');
				json_append_value(L, cfg, b, depth + 1);
				lua_pop(L, 1);
				continue;
			}
			/* The key is classified on a copy: a conversion replaces
			 * the value it inspects, and lua_next needs the key. */
			lua_pushvalue(L, -2);
			struct sp_field k;
			json_checkfield(L, cfg, top + 3, &k);
			switch (k.type) {
			case SPF_UINT:
				json_putc(b, '"');
				json_append_uint(b, k.u);
				json_put(b, "\":", 2);
				break;
			case SPF_INT:
				json_putc(b, '"');
				json_append_int(b, k.i);
				json_put(b, "\":", 2);
				break;
			case SPF_STR:
				json_append_string(b, k.s, k.len);
				json_putc(b, ':');
				break;
			default:
				luaL_error(L, "table key must be a number or string");
			}
			lua_pop(L, 1);
			json_append_value(L, cfg, b, depth + 1);
			lua_pop(L, 1);
		}
		json_putc(b, '}');
		return;
	}
	default:
		/* sp_convertfield leaves no SPF_UNKNOWN. */
		luaL_error(L, "unsupported Lua type '%s'", luaL_typename(L, top));
	}
}

/* json.encode(value [, options]); upvalue 1: configuration, 2: scratch. */
static int
json_encode(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_argcheck(L, n == 1 || n == 2, 1, "expected 1 or 2 arguments");
	struct sp_serializer *cfg = lua_touserdata(L, lua_upvalueindex(1));
	struct sp_serializer call;
	if (n == 2) {
		call = *cfg;
		sp_serializer_parse_options(L, 2, &call);
		lua_settop(L, 1);
		cfg = &call;
	}
	struct sp_buf *b = sp_scratch_take(L, 2);
	int slot = lua_gettop(L);
	lua_pushvalue(L, 1);
	json_append_value(L, cfg, b, 0);
	lua_pop(L, 1);
	lua_pushlstring(L, b->data, b->len);
	sp_scratch_put(L, 2, slot);
	return 1;
}

/* ---------------------------------------------------------------------- */
/* Decoding                                                                */

/* Token types; their names are part of the error messages. */
enum {
	T_OBJ_BEGIN,
	T_OBJ_END,
	T_ARR_BEGIN,
	T_ARR_END,
	T_STRING,
	T_UINT,
	T_INT,
	T_NUMBER,
	T_BOOLEAN,
	T_NULL,
	T_COLON,
	T_COMMA,
	T_END,
	T_WHITESPACE,
	T_LINEFEED,
	T_ERROR,
	T_UNKNOWN,
};

static const char *const json_token_name[] = {
	"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING",
	"T_UINT", "T_INT", "T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON",
	"T_COMMA", "T_END", "T_WHITESPACE", "T_LINEFEED", "T_ERROR",
	"T_UNKNOWN",
};

/* The token a byte starts: T_UNKNOWN needs a closer look (strings,
 * numbers, literals), T_ERROR is never valid. */
static const unsigned char json_ch2token[256] = {
	[0 ... 255] = T_ERROR,
	['{'] = T_OBJ_BEGIN, ['}'] = T_OBJ_END,
	['['] = T_ARR_BEGIN, [']'] = T_ARR_END,
	[','] = T_COMMA, [':'] = T_COLON, ['\0'] = T_END,
	[' '] = T_WHITESPACE, ['\t'] = T_WHITESPACE, ['\r'] = T_WHITESPACE,
	['\n'] = T_LINEFEED,
	['f'] = T_UNKNOWN, ['i'] = T_UNKNOWN, ['I'] = T_UNKNOWN,
	['n'] = T_UNKNOWN, ['N'] = T_UNKNOWN, ['t'] = T_UNKNOWN,
	['"'] = T_UNKNOWN, ['+'] = T_UNKNOWN, ['-'] = T_UNKNOWN,
	['0' ... '9'] = T_UNKNOWN,
};

/* What a backslash escape stands for; 'u' needs the hex digits, 0 is
 * invalid. */
static const char json_unescape[256] = {
	['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b', ['t'] = '\t',
	['n'] = '\n', ['f'] = '\f', ['r'] = '\r', ['u'] = 'u',
};

/*
 * The input is a Lua string, so it is NUL-terminated: the tokenizer
 * reads at most up to that NUL, which ends the document (as in cjson,
 * an embedded NUL ends it too).
 */
struct json_parser {
	lua_State *L;
	struct sp_serializer *cfg;
	const char *ptr;
	const char *end;      /* the terminating NUL */
	const char *line_ptr; /* first byte of the current line */
	int line;
	int depth;
	struct sp_buf *tmp;   /* unescaped strings */
};

struct json_token {
	int type;
	int column; /* 0-based, of the token or of the error */
	const char *str; /* T_STRING value or T_ERROR description */
	size_t len;
	union {
		double num;
		int64_t ival; /* T_INT; T_UINT as its bits */
		int boolean;
	};
};

static void
json_token_error(struct json_parser *p, struct json_token *t, const char *what)
{
	t->type = T_ERROR;
	t->column = (int)(p->ptr - p->line_ptr);
	t->str = what;
}

static int
json_hex4(const char *s)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1; /* includes the NUL: no read past it */
		v = (v << 4) | d;
	}
	return v;
}

/* json_unicode_escape appends the code point of the \uXXXX (or
 * surrogate pair) at p->ptr as UTF-8 and moves past it; -1 if invalid.
 * Lone low surrogates pass, as in cjson. */
static int
json_unicode_escape(struct json_parser *p, struct sp_buf *b)
{
	const char *s = p->ptr;
	int cp = json_hex4(s + 2);
	if (cp < 0)
		return -1;
	int esc = 6;
	if ((cp & 0xF800) == 0xD800) {
		if (cp & 0x400)
			return -1;
		if (s[6] != '\\' || s[7] != 'u')
			return -1;
		int low = json_hex4(s + 8);
		if (low < 0 || (low & 0xFC00) != 0xDC00)
			return -1;
		cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
		esc = 12;
	}
	/* The escape is at least as long as its UTF-8: the room reserved
	 * for the whole string suffices. */
	char *o = b->data + b->len;
	if (cp <= 0x7F) {
		*o++ = (char)cp;
	} else if (cp <= 0x7FF) {
		*o++ = (char)((cp >> 6) | 0xC0);
		*o++ = (char)((cp & 0x3F) | 0x80);
	} else if (cp <= 0xFFFF) {
		*o++ = (char)((cp >> 12) | 0xE0);
		*o++ = (char)(((cp >> 6) & 0x3F) | 0x80);
		*o++ = (char)((cp & 0x3F) | 0x80);
	} else {
		*o++ = (char)((cp >> 18) | 0xF0);
		*o++ = (char)(((cp >> 12) & 0x3F) | 0x80);
		*o++ = (char)(((cp >> 6) & 0x3F) | 0x80);
		*o++ = (char)((cp & 0x3F) | 0x80);
	}
	b->len = (size_t)(o - b->data);
	p->ptr += esc;
	return 0;
}

static void
json_string_token(struct json_parser *p, struct json_token *t)
{
	const char *s = ++p->ptr;
	const char *q = s;
	while (*q != '"' && *q != '\\' && *q != '\0')
		q++;
	if (*q == '"') {
		/* No escapes: the value is the input itself. */
		t->type = T_STRING;
		t->str = s;
		t->len = (size_t)(q - s);
		p->ptr = q + 1;
		return;
	}
	/* Unescaped text is never longer than its source. */
	struct sp_buf *b = p->tmp;
	b->len = 0;
	sp_buf_reserve(b, (size_t)(p->end - s) + 1);
	memcpy(b->data, s, (size_t)(q - s));
	b->len = (size_t)(q - s);
	p->ptr = q;
	char c;
	while ((c = *p->ptr) != '"') {
		if (c == '\0') {
			json_token_error(p, t, "unexpected end of string");
			return;
		}
		if (c == '\\') {
			c = json_unescape[(unsigned char)p->ptr[1]];
			if (c == 'u') {
				if (json_unicode_escape(p, b) == 0)
					continue;
				json_token_error(p, t, "invalid unicode escape code");
				return;
			}
			if (c == 0) {
				json_token_error(p, t, "invalid escape code");
				return;
			}
			p->ptr++;
		}
		b->data[b->len++] = c;
		p->ptr++;
	}
	p->ptr++;
	t->type = T_STRING;
	t->str = b->data;
	t->len = b->len;
}

/* json_invalid_number refuses what strtod would take but JSON does
 * not: a leading '+', hex, leading zeros, no digit at all. */
static int
json_invalid_number(const char *s)
{
	if (*s == '+')
		return 1;
	if (*s == '-')
		s++;
	if (*s == '0') {
		int c2 = (unsigned char)s[1];
		return (c2 | 0x20) == 'x' || (c2 >= '0' && c2 <= '9');
	}
	return *s < '0' || *s > '9';
}

/*
 * json_fast_number reads the common forms without libc: -?digits with at
 * most 18 digits (an exact int64), or -?digits.digits with at most 15
 * digits in all and no exponent, whose value m / 10^k is correctly
 * rounded by one division since m and 10^k are exact doubles. Returns 0
 * for anything else, which json_number_token parses as cjson does.
 */
static int
json_fast_number(struct json_parser *p, struct json_token *t)
{
	const char *s = p->ptr;
	int neg = *s == '-';
	s += neg;
	uint64_t m = 0;
	int digits = 0;
	while (*s >= '0' && *s <= '9') {
		m = m * 10 + (uint64_t)(*s++ - '0');
		if (++digits > 18)
			return 0;
	}
	if (*s == 'e' || *s == 'E')
		return 0;
	if (*s != '.') {
		t->type = T_INT;
		t->ival = neg ? -(int64_t)m : (int64_t)m;
		p->ptr = s;
		return 1;
	}
	const char *frac = ++s;
	while (*s >= '0' && *s <= '9') {
		m = m * 10 + (uint64_t)(*s++ - '0');
		if (++digits > 15)
			return 0;
	}
	int k = (int)(s - frac);
	if (k == 0 || *s == 'e' || *s == 'E')
		return 0;
	double d = (double)m / json_pow10[k];
	t->type = T_NUMBER;
	t->num = neg ? -d : d;
	p->ptr = s;
	return 1;
}

/* json_number_token: strtoll, strtoull from LLONG_MAX on, strtod when a
 * fraction or an exponent follows (saturating as they do). */
static void
json_number_token(struct json_parser *p, struct json_token *t)
{
	char *endptr;
	if (json_fast_number(p, t))
		return;
	t->type = T_INT;
	t->ival = strtoll(p->ptr, &endptr, 10);
	if (t->ival == LLONG_MAX) {
		t->type = T_UINT;
		t->ival = (int64_t)strtoull(p->ptr, &endptr, 10);
	}
	if (*endptr == '.' || *endptr == 'e' || *endptr == 'E') {
		t->type = T_NUMBER;
		t->num = strtod(p->ptr, &endptr);
	}
	if (endptr == p->ptr)
		json_token_error(p, t, "invalid number");
	else
		p->ptr = endptr;
}

static void
json_next_token(struct json_parser *p, struct json_token *t)
{
	int type;
	for (;;) {
		type = json_ch2token[(unsigned char)*p->ptr];
		if (type == T_LINEFEED) {
			p->line++;
			p->line_ptr = p->ptr + 1;
		} else if (type != T_WHITESPACE) {
			break;
		}
		p->ptr++;
	}
	t->type = type;
	t->column = (int)(p->ptr - p->line_ptr);
	if (type == T_ERROR) {
		json_token_error(p, t, "invalid token");
		return;
	}
	if (type == T_END)
		return;
	if (type != T_UNKNOWN) {
		p->ptr++;
		return;
	}
	const char *s = p->ptr;
	if (*s == '"') {
		json_string_token(p, t);
		return;
	}
	if (!json_invalid_number(s)) {
		json_number_token(p, t);
		return;
	}
	if (strncmp(s, "true", 4) == 0) {
		t->type = T_BOOLEAN;
		t->boolean = 1;
		p->ptr += 4;
		return;
	}
	if (strncmp(s, "false", 5) == 0) {
		t->type = T_BOOLEAN;
		t->boolean = 0;
		p->ptr += 5;
		return;
	}
	if (strncmp(s, "null", 4) == 0) {
		t->type = T_NULL;
		p->ptr += 4;
		return;
	}
	if (p->cfg->decode_invalid_numbers) {
		if (strncmp(s, "inf", 3) == 0) {
			t->type = T_NUMBER;
			t->num = INFINITY;
			p->ptr += 3;
			return;
		}
		if (strncmp(s, "-inf", 4) == 0) {
			t->type = T_NUMBER;
			t->num = -INFINITY;
			p->ptr += 4;
			return;
		}
		/* cjson matches "-nan" on its first three bytes and skips
		 * four; at the end of input it stops at the NUL instead. */
		if (strncmp(s, "nan", 3) == 0 || strncmp(s, "-nan", 3) == 0) {
			t->type = T_NUMBER;
			t->num = NAN;
			p->ptr += (*s == '-' && s[3] != '\0') ? 4 : 3;
			return;
		}
	}
	json_token_error(p, t, "invalid token");
}

static void
json_throw(struct json_parser *p, const char *expected, struct json_token *t)
{
	const char *found = t->type == T_ERROR ? t->str : json_token_name[t->type];
	luaL_error(p->L, "Expected %s but found %s on line %d at character %d",
		   expected, found, p->line, t->column + 1);
}

static void
json_descend(struct json_parser *p, int slots)
{
	p->depth++;
	if (p->depth <= p->cfg->decode_max_depth && lua_checkstack(p->L, slots))
		return;
	luaL_error(p->L, "Found too many nested data structures (%d) on line %d at character %d",
		   p->depth, p->line, (int)(p->ptr - p->line_ptr));
}

static void json_value(struct json_parser *p, struct json_token *t);

static void
json_object(struct json_parser *p)
{
	lua_State *L = p->L;
	struct json_token t;
	json_descend(p, 3);
	lua_newtable(L);
	if (p->cfg->decode_save_metatables) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, sp_globals(L)->map_mt_ref);
		lua_setmetatable(L, -2);
	}
	json_next_token(p, &t);
	if (t.type == T_OBJ_END) {
		p->depth--;
		return;
	}
	for (;;) {
		if (t.type != T_STRING)
			json_throw(p, "object key string", &t);
		lua_pushlstring(L, t.str, t.len);
		json_next_token(p, &t);
		if (t.type != T_COLON)
			json_throw(p, "colon", &t);
		json_next_token(p, &t);
		json_value(p, &t);
		lua_rawset(L, -3);
		json_next_token(p, &t);
		if (t.type == T_OBJ_END) {
			p->depth--;
			return;
		}
		if (t.type != T_COMMA)
			json_throw(p, "comma or object end", &t);
		json_next_token(p, &t);
	}
}

static void
json_array(struct json_parser *p)
{
	lua_State *L = p->L;
	struct json_token t;
	json_descend(p, 2);
	lua_newtable(L);
	if (p->cfg->decode_save_metatables) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, sp_globals(L)->array_mt_ref);
		lua_setmetatable(L, -2);
	}
	json_next_token(p, &t);
	if (t.type == T_ARR_END) {
		p->depth--;
		return;
	}
	for (int i = 1;; i++) {
		json_value(p, &t);
		lua_rawseti(L, -2, i);
		json_next_token(p, &t);
		if (t.type == T_ARR_END) {
			p->depth--;
			return;
		}
		if (t.type != T_COMMA)
			json_throw(p, "comma or array end", &t);
		json_next_token(p, &t);
	}
}

static void
json_value(struct json_parser *p, struct json_token *t)
{
	lua_State *L = p->L;
	switch (t->type) {
	case T_STRING:
		lua_pushlstring(L, t->str, t->len);
		return;
	case T_UINT:
		sp_pushuint64(L, (uint64_t)t->ival);
		return;
	case T_INT:
		sp_pushint64(L, t->ival);
		return;
	case T_NUMBER:
		if (!p->cfg->decode_invalid_numbers && !isfinite(t->num))
			luaL_error(L, "number must not be NaN or Inf");
		lua_pushnumber(L, t->num);
		return;
	case T_BOOLEAN:
		lua_pushboolean(L, t->boolean);
		return;
	case T_NULL:
		sp_pushnull(L);
		return;
	case T_OBJ_BEGIN:
		json_object(p);
		return;
	case T_ARR_BEGIN:
		json_array(p);
		return;
	}
	json_throw(p, "value", t);
}

/* json.decode(text [, options]); upvalue 1: configuration, 2: scratch. */
static int
json_decode(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_argcheck(L, n == 1 || n == 2, 1, "expected 1 or 2 arguments");
	struct sp_serializer *cfg = lua_touserdata(L, lua_upvalueindex(1));
	struct sp_serializer call;
	if (n == 2) {
		call = *cfg;
		sp_serializer_parse_options(L, 2, &call);
		lua_settop(L, 1);
		cfg = &call;
	}
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	/* Only the first character of a document is sure to be ASCII,
	 * which is enough to tell UTF-16 and UTF-32 apart. */
	if (len >= 2 && (s[0] == '\0' || s[1] == '\0'))
		luaL_error(L, "JSON parser does not support UTF-16 or UTF-32");
	struct json_parser p = {
		.L = L, .cfg = cfg, .ptr = s, .end = s + len, .line_ptr = s,
		.line = 1, .depth = 0,
	};
	p.tmp = sp_scratch_take(L, 2);
	int slot = lua_gettop(L);
	struct json_token t;
	json_next_token(&p, &t);
	json_value(&p, &t);
	json_next_token(&p, &t);
	if (t.type != T_END)
		json_throw(&p, "the end", &t);
	sp_scratch_put(L, 2, slot);
	return 1;
}

static int json_new(lua_State *L);

static const luaL_Reg json_lib[] = {
	{"encode", json_encode},
	{"decode", json_decode},
	{"new", json_new},
	{NULL, NULL},
};

static int
json_new(lua_State *L)
{
	sp_newserializer(L, json_lib, NULL);
	return 1;
}

/* sp_json_module is the loader of require('json'): a module with a
 * configuration of its own, and json.null (cjson's name for NULL). */
int
sp_json_module(lua_State *L)
{
	sp_newserializer(L, json_lib, NULL);
	sp_pushnull(L);
	lua_setfield(L, -2, "null");
	return 1;
}
