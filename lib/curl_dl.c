/* SPDX-License-Identifier: MIT */
/*
 * curl_dl.c - libcurl, loaded on first use (see curl_dl.h for why)
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "curl_dl.h"

/* The soname of libcurl 7.x and 8.x; Debian's libcurl4 package. */
#define CURL_SONAME "libcurl.so.4"

static struct {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *curl);
	void (*easy_reset)(CURL *curl);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	char *(*easy_escape)(CURL *curl, const char *string, int length);
	void (*free)(void *p);
	struct curl_slist *(*slist_append)(struct curl_slist *list,
					   const char *string);
	void (*slist_free_all)(struct curl_slist *list);
} api;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[256];

/* dlsym returns an object pointer; POSIX guarantees it converts to a
 * function pointer, which memcpy says without a cast ISO C frowns on. */
static int resolve(void *handle, const char *name, void *slot, size_t size)
{
	void *sym = dlsym(handle, name);

	if (!sym) {
		snprintf(load_error, sizeof(load_error),
			 "%s has no function %s: libcurl is too old",
			 CURL_SONAME, name);
		return -1;
	}
	memcpy(slot, &sym, size);
	return 0;
}

#define RESOLVE(handle, field) \
	resolve(handle, "curl_" #field, &api.field, sizeof(api.field))

static void load(void)
{
	void *handle = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *why;

	if (!handle) {
		why = dlerror();
		snprintf(load_error, sizeof(load_error),
			 "cannot load libcurl (%s), which the Chorus Pro "
			 "commands need; install libcurl4",
			 why ? why : CURL_SONAME);
		return;
	}
	if (RESOLVE(handle, global_init) || RESOLVE(handle, easy_init) ||
	    RESOLVE(handle, easy_cleanup) || RESOLVE(handle, easy_reset) ||
	    RESOLVE(handle, easy_setopt) || RESOLVE(handle, easy_getinfo) ||
	    RESOLVE(handle, easy_perform) || RESOLVE(handle, easy_strerror) ||
	    RESOLVE(handle, easy_escape) || RESOLVE(handle, free) ||
	    RESOLVE(handle, slist_append) || RESOLVE(handle, slist_free_all))
		return;
	if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(load_error, sizeof(load_error),
			 "libcurl failed to initialise");
		return;
	}
	/* never unloaded: libcurl keeps global state until exit */
	loaded = 1;
}

int fx__curl_load(fx_ctx *ctx)
{
	pthread_once(&load_once, load);
	if (!loaded)
		return fx_ctx__error(ctx, FX_EUNSUPPORTED, "%s", load_error);
	return 0;
}

CURL *fx__curl_easy_init(void)
{
	return loaded ? api.easy_init() : NULL;
}

void fx__curl_easy_cleanup(CURL *curl)
{
	if (loaded)
		api.easy_cleanup(curl);
}

void fx__curl_easy_reset(CURL *curl)
{
	if (loaded)
		api.easy_reset(curl);
}

/*
 * The option number says the type of the argument that follows
 * (CURLOPTTYPE_*): a long, a pointer (objects and functions alike, as
 * libcurl itself takes them), or a curl_off_t.
 */
CURLcode fx__curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	CURLcode rc;
	va_list ap;

	if (!loaded)
		return CURLE_FAILED_INIT;
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = api.easy_setopt(curl, option, va_arg(ap, long));
	else if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB)
		rc = api.easy_setopt(curl, option, va_arg(ap, curl_off_t));
	else
		rc = api.easy_setopt(curl, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode fx__curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	CURLcode rc;
	va_list ap;

	if (!loaded)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	rc = api.easy_getinfo(curl, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode fx__curl_easy_perform(CURL *curl)
{
	return loaded ? api.easy_perform(curl) : CURLE_FAILED_INIT;
}

const char *fx__curl_easy_strerror(CURLcode code)
{
	return loaded ? api.easy_strerror(code) : "libcurl is not loaded";
}

char *fx__curl_easy_escape(CURL *curl, const char *string, int length)
{
	return loaded ? api.easy_escape(curl, string, length) : NULL;
}

void fx__curl_free(void *p)
{
	if (loaded)
		api.free(p);
}

struct curl_slist *fx__curl_slist_append(struct curl_slist *list,
					 const char *string)
{
	return loaded ? api.slist_append(list, string) : NULL;
}

void fx__curl_slist_free_all(struct curl_slist *list)
{
	if (loaded)
		api.slist_free_all(list);
}
