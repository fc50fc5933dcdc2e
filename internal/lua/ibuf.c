/*
 * ibuf.c: what Go reads and writes of the buffer module's ibufs (the
 * merger's buffer sources and output buffer).
 */
#include <string.h>
#include "sp.h"

/* sp_ibuf_view sets *data and *len to the unread bytes of the ibuf at
 * idx; 0 when idx is no ibuf. */
int
sp_ibuf_view(lua_State *L, int idx, const char **data, size_t *len)
{
	struct sp_ibuf *ib = sp_checkibuf(L, idx);
	if (ib == NULL)
		return 0;
	*data = ib->rpos;
	*len = ib->rpos != NULL && ib->wpos > ib->rpos ? (size_t)(ib->wpos - ib->rpos) : 0;
	return 1;
}

void
sp_ibuf_consume(lua_State *L, int idx, size_t n)
{
	struct sp_ibuf *ib = sp_checkibuf(L, idx);
	if (ib != NULL)
		ib->rpos += n;
}

/* sp_ibuf_append copies n bytes to the ibuf's wpos; 0 when out of
 * memory or idx is no ibuf. */
int
sp_ibuf_append(lua_State *L, int idx, const char *p, size_t n)
{
	struct sp_ibuf *ib = sp_checkibuf(L, idx);
	if (ib == NULL)
		return 0;
	if ((size_t)(ib->epos - ib->wpos) < n && sp_ibuf_reserve_slow(ib, n) == NULL)
		return 0;
	memcpy(ib->wpos, p, n);
	ib->wpos += n;
	return 1;
}
