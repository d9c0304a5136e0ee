/* SPDX-License-Identifier: MIT */
/*
 * banned.h - functions we do not call, made into compile errors
 *
 * Included last by every file of the library.  Each has a bounded or
 * reentrant replacement: snprintf (checked), strtok_r, gmtime_r...
 */
#ifndef FX_BANNED_H
#define FX_BANNED_H

#define FX_BANNED(func) sorry_##func##_is_banned

#undef strcpy
#define strcpy(x, y) FX_BANNED(strcpy)
#undef strcat
#define strcat(x, y) FX_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) FX_BANNED(strncpy)
#undef sprintf
#define sprintf(...) FX_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) FX_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) FX_BANNED(strtok)
#undef gmtime
#define gmtime(t) FX_BANNED(gmtime)
#undef localtime
#define localtime(t) FX_BANNED(localtime)

#endif
