/*
 * decimal.c: the C side of decimals — encoding the decimal_t cdata the
 * serializers meet as MP_DECIMAL and as text. The layout and the rules
 * are those of package decimal (Go), which the tests compare with.
 */
#include <string.h>
#include "sp.h"

_Static_assert(sizeof(struct sp_decimal) == 36, "decimal_t is 36 bytes, as in Tarantool 2.6");

int
sp_decimal_coeff(const struct sp_decimal *d, char *out)
{
	if ((d->bits & 0x70) != 0 || d->digits < 0 || d->digits > SP_DECIMAL_MAXDIGITS ||
	    d->exponent < -SP_DECIMAL_MAXEXP || d->exponent > SP_DECIMAL_MAXEXP)
		return -1;
	/* The units the digit count covers (a count of 0, which
	 * ffi.new('decimal_t') holds, reads as one zero unit). */
	int units = d->digits == 0 ? 1 : (d->digits + 2) / 3;
	int n = 0;
	for (int u = units - 1; u >= 0; u--) {
		unsigned v = d->lsu[u];
		if (v > 999)
			return -1;
		char three[3] = {(char)('0' + v / 100), (char)('0' + v / 10 % 10), (char)('0' + v % 10)};
		for (int i = 0; i < 3; i++) {
			if (n == 0 && three[i] == '0')
				continue;
			out[n++] = three[i];
		}
	}
	if (n == 0)
		out[n++] = '0';
	return n;
}

static int
sp_decimal_checked(lua_State *L, const struct sp_decimal *d, char *digits)
{
	int n = sp_decimal_coeff(d, digits);
	if (n < 0)
		luaL_error(L, "invalid decimal value");
	return n;
}

void
sp_decimal_pack(lua_State *L, struct sp_buf *b, const struct sp_decimal *d)
{
	char digits[SP_DECIMAL_MAXDIGITS];
	int n = sp_decimal_checked(L, d, digits);
	/* The payload: the scale (-exponent) as MP_UINT, or MP_INT when
	 * the exponent is positive, then digits/2 + 1 bytes of packed BCD:
	 * a zero nibble when the count is even, the digits, the sign nibble
	 * (0xd negative, 0xc positive). The scale is within +-1000. */
	unsigned char sbuf[3];
	size_t slen;
	int scale = -d->exponent;
	if (scale >= 0 && scale <= 0x7f) {
		sbuf[0] = (unsigned char)scale;
		slen = 1;
	} else if (scale >= -32 && scale < 0) {
		sbuf[0] = (unsigned char)(int8_t)scale;
		slen = 1;
	} else if (scale > 0 && scale <= 0xff) {
		sbuf[0] = 0xcc;
		sbuf[1] = (unsigned char)scale;
		slen = 2;
	} else if (scale > 0) {
		sbuf[0] = 0xcd;
		sbuf[1] = (unsigned char)(scale >> 8);
		sbuf[2] = (unsigned char)scale;
		slen = 3;
	} else if (scale >= -128) {
		sbuf[0] = 0xd0;
		sbuf[1] = (unsigned char)(int8_t)scale;
		slen = 2;
	} else {
		uint16_t v = (uint16_t)(int16_t)scale;
		sbuf[0] = 0xd1;
		sbuf[1] = (unsigned char)(v >> 8);
		sbuf[2] = (unsigned char)v;
		slen = 3;
	}
	uint32_t bcd = (uint32_t)n / 2 + 1;
	sp_mp_exthdr(b, 1, (uint32_t)slen + bcd);
	sp_mp_raw(b, (const char *)sbuf, slen);
	sp_buf_reserve(b, bcd);
	unsigned char *p = (unsigned char *)b->data + b->len;
	int i = 0;
	if (n % 2 == 0) {
		*p++ = (unsigned char)(digits[0] - '0');
		i = 1;
	}
	for (; i + 1 < n; i += 2)
		*p++ = (unsigned char)((digits[i] - '0') << 4 | (digits[i + 1] - '0'));
	*p = (unsigned char)((digits[i] - '0') << 4 | ((d->bits & 0x80) ? 0x0d : 0x0c));
	b->len += bcd;
}

size_t
sp_decimal_text(lua_State *L, char *out, const struct sp_decimal *d)
{
	char digits[SP_DECIMAL_MAXDIGITS];
	int n = sp_decimal_checked(L, d, digits);
	int exp = d->exponent;
	char *p = out;
	if (d->bits & 0x80)
		*p++ = '-';
	if (exp >= 0) {
		memcpy(p, digits, (size_t)n);
		p += n;
		memset(p, '0', (size_t)exp);
		p += exp;
	} else if (n + exp > 0) {
		int pre = n + exp;
		memcpy(p, digits, (size_t)pre);
		p += pre;
		*p++ = '.';
		memcpy(p, digits + pre, (size_t)(n - pre));
		p += n - pre;
	} else {
		*p++ = '0';
		*p++ = '.';
		memset(p, '0', (size_t)(-(n + exp)));
		p += -(n + exp);
		memcpy(p, digits, (size_t)n);
		p += n;
	}
	return (size_t)(p - out);
}

struct sp_decimal *
sp_pushdecimal(lua_State *L)
{
	struct sp_globals *g = sp_globals(L);
	if (g->decimal_ctor_ref == 0)
		return NULL;
	lua_rawgeti(L, LUA_REGISTRYINDEX, g->decimal_ctor_ref);
	lua_call(L, 0, 1);
	return (struct sp_decimal *)lua_topointer(L, -1);
}
