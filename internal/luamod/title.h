#ifndef SPINDLE_LUAMOD_TITLE_H
#define SPINDLE_LUAMOD_TITLE_H

#include <stddef.h>

/* sp_title_max is the size of the title area, 0 when there is none
 * (the title can hold one byte less). */
size_t sp_title_max(void);
/* sp_title_write shows title (len bytes, no zero byte among them) as
 * the process title. */
void sp_title_write(const char *title, size_t len);

#endif
