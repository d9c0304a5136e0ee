/* SPDX-License-Identifier: MIT */
/*
 * curl_dl.h - libcurl, loaded on first use
 *
 * libcurl brings some thirty shared libraries with it (TLS, HTTP/2, SSH,
 * LDAP, Kerberos...), and loading them costs a process about 4 ms: more
 * than `facture extract` takes in all.  Only the Chorus Pro commands talk
 * to a server, so libfacture does not link libcurl: it opens
 * libcurl.so.4 with dlopen the first time a client is made.
 *
 * Include this header instead of <curl/curl.h>: the curl_* calls used by
 * the library are renamed to forwarders (fx__curl_*) that go through the
 * loaded library, so the code reads as ordinary libcurl code.
 */
#ifndef FX_CURL_DL_H
#define FX_CURL_DL_H

#include <curl/curl.h>

#include "internal.h"

/*
 * Load libcurl once per process (thread-safe) and initialise it.  Returns
 * 0, or FX_EUNSUPPORTED with a message in CTX when the library cannot be
 * loaded or lacks a function we need.  Every forwarder below fails (NULL,
 * CURLE_FAILED_INIT) until this succeeded.
 */
int fx__curl_load(fx_ctx *ctx);

CURL *fx__curl_easy_init(void);
void fx__curl_easy_cleanup(CURL *curl);
void fx__curl_easy_reset(CURL *curl);
CURLcode fx__curl_easy_setopt(CURL *curl, CURLoption option, ...);
CURLcode fx__curl_easy_getinfo(CURL *curl, CURLINFO info, ...);
CURLcode fx__curl_easy_perform(CURL *curl);
const char *fx__curl_easy_strerror(CURLcode code);
char *fx__curl_easy_escape(CURL *curl, const char *string, int length);
void fx__curl_free(void *p);
struct curl_slist *fx__curl_slist_append(struct curl_slist *list,
					 const char *string);
void fx__curl_slist_free_all(struct curl_slist *list);

/* <curl/curl.h> defines some of these names as macros (type checks) */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_init	    fx__curl_easy_init
#define curl_easy_cleanup   fx__curl_easy_cleanup
#define curl_easy_reset	    fx__curl_easy_reset
#define curl_easy_setopt    fx__curl_easy_setopt
#define curl_easy_getinfo   fx__curl_easy_getinfo
#define curl_easy_perform   fx__curl_easy_perform
#define curl_easy_strerror  fx__curl_easy_strerror
#define curl_easy_escape    fx__curl_easy_escape
#define curl_free	    fx__curl_free
#define curl_slist_append   fx__curl_slist_append
#define curl_slist_free_all fx__curl_slist_free_all
/* fx__curl_load does these; calling them is a mistake */
#define curl_global_init(flags) fx__curl_global_init_is_done_by_load
#define curl_global_cleanup()	fx__curl_global_cleanup_is_never_needed

#endif
