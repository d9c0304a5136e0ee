/* SPDX-License-Identifier: MIT */
/*
 * rules.c - the rules layer: business rules compiled from rules/NAME.sch to
 * XSLT 1.0 at build time, run by libxslt, with the fx: functions that
 * XPath 1.0 lacks written here in C
 *
 * Stylesheets are compiled once per process and shared read-only; each
 * run has its own transform context, whose _private points at the report
 * being filled.
 */
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xpathInternals.h>
#include <libxslt/extensions.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#include "internal.h"
#include "decimal.h"
#include "banned.h"

#define FX_FUNCTIONS_NS "urn:facture:functions"

enum rule_set { RULES_UBL, RULES_CII, NSETS };

static const char *const set_names[NSETS] = { "en16931-ubl", "en16931-cii" };

static pthread_mutex_t rules_lock = PTHREAD_MUTEX_INITIALIZER;
static xsltStylesheetPtr sheets[NSETS];
static char *sheet_failures[NSETS];
static xsltSecurityPrefsPtr security;

/* What one run fills in. */
struct run {
	fx_report *report;
	const fx_doc *doc;
	int err;
	struct fx_buf first_error;
};

/* ---- fx:fail ------------------------------------------------------- */

static fx_severity severity_of(const char *flag)
{
	if (!strcmp(flag, "warning"))
		return FX_SEVERITY_WARNING;
	if (!strcmp(flag, "information"))
		return FX_SEVERITY_INFO;
	return FX_SEVERITY_FATAL;
}

/* fx:fail(id, flag, message, node, terms): one finding for the report. */
static void fn_fail(xmlXPathParserContextPtr ctxt, int nargs)
{
	xsltTransformContextPtr tctxt = xsltXPathGetTransformContext(ctxt);
	struct run *run = tctxt ? tctxt->_private : NULL;
	xmlChar *id = NULL, *flag = NULL, *msg = NULL, *terms = NULL;
	xmlNodeSetPtr nodes = NULL;
	struct fx_buf path = FX_BUF_INIT;
	xmlNodePtr node = NULL, element;
	fx_finding f;
	long line;

	if (nargs != 5 || !run) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	terms = xmlXPathPopString(ctxt);
	nodes = xmlXPathPopNodeSet(ctxt);
	msg = xmlXPathPopString(ctxt);
	flag = xmlXPathPopString(ctxt);
	id = xmlXPathPopString(ctxt);
	if (nodes && nodes->nodeNr > 0)
		node = nodes->nodeTab[0];
	element =
		node && node->type == XML_ATTRIBUTE_NODE ? node->parent : node;

	if (element && element->type == XML_ELEMENT_NODE &&
	    fx_doc__xpath(&path, element) < 0)
		run->err = FX_ENOMEM;
	if (node && node->type == XML_ATTRIBUTE_NODE &&
	    fx_buf_printf(&path, "/@%s", (const char *) node->name) < 0)
		run->err = FX_ENOMEM;
	line = element ? xmlGetLineNo(element) : 0;

	memset(&f, 0, sizeof(f));
	f.severity = severity_of((const char *) flag);
	f.layer = FX_LAYER_RULES;
	f.rule = (const char *) id;
	f.message = (const char *) msg;
	f.terms = terms && *terms ? (const char *) terms : NULL;
	f.line = line > 0 ? (unsigned long) line : 0;
	f.column = element ? fx_doc__column(run->doc, element) : 0;
	f.xpath = path.len ? path.ptr : NULL;
	if (run->err == 0 && fx_report_add(run->report, &f) < 0)
		run->err = FX_ENOMEM;

	fx_buf_release(&path);
	xmlXPathFreeNodeSet(nodes);
	xmlFree(id);
	xmlFree(flag);
	xmlFree(msg);
	xmlFree(terms);
	xmlXPathReturnEmptyString(ctxt);
}

/* ---- decimals ------------------------------------------------------ */

/* Pop a string argument and read it as a decimal; 0 or -1. */
static int pop_decimal(xmlXPathParserContextPtr ctxt, struct fx_decimal *d)
{
	xmlChar *s = xmlXPathPopString(ctxt);
	int ok = s ? fx_decimal_parse(d, (const char *) s) : -1;

	xmlFree(s);
	return ok;
}

static void return_decimal(xmlXPathParserContextPtr ctxt, int ok,
			   const struct fx_decimal *d)
{
	char buf[64];

	if (ok < 0 || fx_decimal_format(buf, sizeof(buf), d) < 0)
		xmlXPathReturnString(ctxt, xmlStrdup((const xmlChar *) "NaN"));
	else
		xmlXPathReturnString(ctxt, xmlStrdup((const xmlChar *) buf));
}

/* fx:sum(nodes): the exact sum of their values; "NaN" if one is not a
 * number, "0" for none. */
static void fn_sum(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct fx_decimal total = { 0, 0 }, d;
	xmlNodeSetPtr nodes;
	int i, ok = 0;

	if (nargs != 1) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	/* an empty node-set may come as NULL */
	nodes = xmlXPathPopNodeSet(ctxt);
	if (xmlXPathCheckError(ctxt))
		return;
	for (i = 0; nodes && i < nodes->nodeNr && ok == 0; i++) {
		xmlChar *s = xmlNodeGetContent(nodes->nodeTab[i]);

		ok = s ? fx_decimal_parse(&d, (const char *) s) : -1;
		if (ok == 0)
			ok = fx_decimal_add(&total, &total, &d);
		xmlFree(s);
	}
	xmlXPathFreeNodeSet(nodes);
	return_decimal(ctxt, ok, &total);
}

/* Pop the two decimal arguments of an operation: 0, or -1 when either is
 * not a number. */
static int pop_two(xmlXPathParserContextPtr ctxt, struct fx_decimal *a,
		   struct fx_decimal *b)
{
	int ok = pop_decimal(ctxt, b);

	if (pop_decimal(ctxt, a) < 0)
		ok = -1;
	return ok;
}

typedef int (*decimal_op)(struct fx_decimal *, const struct fx_decimal *,
			  const struct fx_decimal *);

static void binary(xmlXPathParserContextPtr ctxt, int nargs, decimal_op op)
{
	struct fx_decimal a, b, r;
	int ok;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	ok = pop_two(ctxt, &a, &b);
	if (ok == 0)
		ok = op(&r, &a, &b);
	return_decimal(ctxt, ok, &r);
}

static void fn_add(xmlXPathParserContextPtr ctxt, int nargs)
{
	binary(ctxt, nargs, fx_decimal_add);
}

static void fn_sub(xmlXPathParserContextPtr ctxt, int nargs)
{
	binary(ctxt, nargs, fx_decimal_sub);
}

static void fn_mul(xmlXPathParserContextPtr ctxt, int nargs)
{
	binary(ctxt, nargs, fx_decimal_mul);
}

/* fx:round(value, digits): halves towards positive infinity. */
static void fn_round(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct fx_decimal a, r;
	double digits;
	int ok;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	digits = xmlXPathPopNumber(ctxt);
	ok = pop_decimal(ctxt, &a);
	if (ok == 0 && (digits != digits || digits < 0 || digits > 30))
		ok = -1;
	if (ok == 0)
		ok = fx_decimal_round(&r, &a, (int) digits);
	return_decimal(ctxt, ok, &r);
}

/* fx:cmp(a, b): -1, 0 or 1; NaN when either is not a number. */
static void fn_cmp(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct fx_decimal a, b;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	if (pop_two(ctxt, &a, &b) < 0)
		xmlXPathReturnNumber(ctxt, xmlXPathNAN);
	else
		xmlXPathReturnNumber(ctxt, (double) fx_decimal_cmp(&a, &b));
}

/* fx:eq(a, b): both numbers and equal. */
static void fn_eq(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct fx_decimal a, b;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	xmlXPathReturnBoolean(ctxt, pop_two(ctxt, &a, &b) == 0 &&
					    fx_decimal_cmp(&a, &b) == 0);
}

/* fx:decimal(s): s is a decimal number. */
static void fn_decimal(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct fx_decimal d;

	if (nargs != 1) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	xmlXPathReturnBoolean(ctxt, pop_decimal(ctxt, &d) == 0);
}

/* fx:decimals(s): how many digits follow the decimal point; NaN if s is
 * not a number. */
static void fn_decimals(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct fx_decimal d;

	if (nargs != 1) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	if (pop_decimal(ctxt, &d) < 0)
		xmlXPathReturnNumber(ctxt, xmlXPathNAN);
	else
		xmlXPathReturnNumber(ctxt, (double) d.scale);
}

/* ---- regular expressions, dates, check digits --------------------- */

#define REGEX_CACHE 64

static pthread_mutex_t regex_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *pattern;
	regex_t re;
} regex_cache[REGEX_CACHE];
static size_t regex_count;

/* A compiled pattern from the cache (compiled on first use), or NULL. */
static regex_t *regex_get(const char *pattern)
{
	regex_t *re = NULL;
	size_t i;

	pthread_mutex_lock(&regex_lock);
	for (i = 0; i < regex_count; i++) {
		if (!strcmp(regex_cache[i].pattern, pattern)) {
			re = &regex_cache[i].re;
			goto out;
		}
	}
	if (regex_count == REGEX_CACHE)
		goto out;
	if (regcomp(&regex_cache[regex_count].re, pattern,
		    REG_EXTENDED | REG_NOSUB) != 0)
		goto out;
	if (!(regex_cache[regex_count].pattern = fx_strdup(pattern))) {
		regfree(&regex_cache[regex_count].re);
		goto out;
	}
	re = &regex_cache[regex_count++].re;
out:
	pthread_mutex_unlock(&regex_lock);
	return re;
}

/* fx:matches(s, pattern): POSIX extended regular expression. */
static void fn_matches(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar *pattern, *s;
	regex_t *re;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	pattern = xmlXPathPopString(ctxt);
	s = xmlXPathPopString(ctxt);
	re = pattern ? regex_get((const char *) pattern) : NULL;
	if (!re) {
		/* a pattern POSIX cannot compile is a bug in the rules */
		xmlXPathSetError(ctxt, XPATH_INVALID_ARITY);
	} else {
		xmlXPathReturnBoolean(
			ctxt, regexec(re, (const char *) s, 0, NULL, 0) == 0);
	}
	xmlFree(pattern);
	xmlFree(s);
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Digits of S at [from, from + n) as a number, or -1. */
static int number_at(const char *s, int from, int n)
{
	int v = 0, i;

	for (i = from; i < from + n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int real_date(int y, int m, int d)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };

	if (y < 0 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= days[m - 1] + (m == 2 && leap(y));
}

/* fx:date(s): a calendar date written YYYY-MM-DD (format "" or "102"
 * for CII's YYYYMMDD as second argument). */
static void fn_date(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar *format = NULL, *s;
	const char *p;
	int ok = 0;

	if (nargs != 1 && nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	if (nargs == 2)
		format = xmlXPathPopString(ctxt);
	s = xmlXPathPopString(ctxt);
	p = (const char *) s;
	if (p && format && !strcmp((const char *) format, "102"))
		ok = strlen(p) == 8 &&
		     real_date(number_at(p, 0, 4), number_at(p, 4, 2),
			       number_at(p, 6, 2));
	else if (p)
		ok = strlen(p) == 10 && p[4] == '-' && p[7] == '-' &&
		     real_date(number_at(p, 0, 4), number_at(p, 5, 2),
			       number_at(p, 8, 2));
	xmlFree(format);
	xmlFree(s);
	xmlXPathReturnBoolean(ctxt, ok);
}

/* fx:luhn(s): digits only, and the Luhn key holds (SIREN, SIRET). */
static void fn_luhn(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar *s;
	size_t n, i;
	int sum = 0, ok;

	if (nargs != 1) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	s = xmlXPathPopString(ctxt);
	n = s ? strlen((const char *) s) : 0;
	ok = n > 0;
	for (i = 0; ok && i < n; i++) {
		int d = s[n - 1 - i] - '0';

		if (d < 0 || d > 9) {
			ok = 0;
			break;
		}
		if (i % 2 == 1 && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	xmlFree(s);
	xmlXPathReturnBoolean(ctxt, ok && sum % 10 == 0);
}

/* fx:iban(s): the ISO 13616 mod-97 check of an IBAN (spaces ignored).
 */
static void fn_iban(xmlXPathParserContextPtr ctxt, int nargs)
{
	char buf[64];
	xmlChar *s;
	size_t n = 0, i;
	int rem = 0, ok = 1;

	if (nargs != 1) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	s = xmlXPathPopString(ctxt);
	for (i = 0; s && s[i]; i++) {
		if (s[i] == ' ')
			continue;
		if (n == sizeof(buf) - 1) {
			ok = 0;
			break;
		}
		buf[n++] = (char) s[i];
	}
	buf[n] = '\0';
	ok = ok && n >= 5 && n <= 34;
	/* the first four characters go to the end; letters count 10..35
	 */
	for (i = 0; ok && i < n; i++) {
		char c = buf[(i + 4) % n];

		if (c >= '0' && c <= '9')
			rem = (rem * 10 + (c - '0')) % 97;
		else if (c >= 'A' && c <= 'Z')
			rem = (rem * 100 + (c - 'A' + 10)) % 97;
		else
			ok = 0;
	}
	xmlFree(s);
	xmlXPathReturnBoolean(ctxt, ok && rem == 1);
}

/* fx:gln(s): a GS1 number (GLN, GTIN) whose last digit is its mod-10
 * check digit. */
static void fn_gln(xmlXPathParserContextPtr ctxt, int nargs)
{
	xmlChar *s;
	size_t n, i;
	int sum = 0, ok;

	if (nargs != 1) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	s = xmlXPathPopString(ctxt);
	n = s ? strlen((const char *) s) : 0;
	ok = n >= 2;
	for (i = 0; ok && i < n; i++) {
		int d = s[n - 1 - i] - '0';

		if (d < 0 || d > 9)
			ok = 0;
		else
			sum += i % 2 == 1 ? 3 * d : d;
	}
	xmlFree(s);
	xmlXPathReturnBoolean(ctxt, ok && sum % 10 == 0);
}

/* ---- code lists ----------------------------------------------------
 */

struct code_list {
	char *name;
	char *text;   /* the file, with each line ended by '\0' */
	char **codes; /* sorted */
	size_t count;
};

#define MAX_LISTS 64

static pthread_mutex_t lists_lock = PTHREAD_MUTEX_INITIALIZER;
static struct code_list lists[MAX_LISTS];
static size_t nlists;

static int cmp_codes(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Lines of rules/codelists/NAME.txt; '#' starts a comment. */
static int list_load(struct code_list *l, const char *name)
{
	struct fx_buf path = FX_BUF_INIT;
	const unsigned char *data;
	size_t len, i, n = 0;
	char *p, *line;
	int err = FX_ENOMEM;

	memset(l, 0, sizeof(*l));
	if (fx_buf_printf(&path, "rules/codelists/%s.txt", name) < 0)
		goto out;
	if (fx_resource__find(path.ptr, &data, &len) < 0) {
		err = FX_EIO;
		goto out;
	}
	if (!(l->name = fx_strdup(name)) ||
	    !(l->text = fx_strndup((const char *) data, len)))
		goto out;
	for (i = 0; i < len; i++)
		n += data[i] == '\n';
	if (!(l->codes = calloc(n + 1, sizeof(*l->codes))))
		goto out;
	for (p = l->text; p && *p; p = line) {
		char *end, *hash;

		line = strchr(p, '\n');
		if (line)
			*line++ = '\0';
		if ((hash = strchr(p, '#')))
			*hash = '\0';
		end = p + strlen(p);
		while (end > p &&
		       (end[-1] == ' ' || end[-1] == '\r' || end[-1] == '\t'))
			*--end = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			l->codes[l->count++] = p;
	}
	qsort(l->codes, l->count, sizeof(*l->codes), cmp_codes);
	err = 0;
out:
	fx_buf_release(&path);
	if (err < 0) {
		free(l->name);
		free(l->text);
		free(l->codes);
		memset(l, 0, sizeof(*l));
	}
	return err;
}

static const struct code_list *list_get(const char *name)
{
	const struct code_list *found = NULL;
	size_t i;

	pthread_mutex_lock(&lists_lock);
	for (i = 0; i < nlists && !found; i++)
		if (!strcmp(lists[i].name, name))
			found = &lists[i];
	if (!found && nlists < MAX_LISTS &&
	    list_load(&lists[nlists], name) == 0)
		found = &lists[nlists++];
	pthread_mutex_unlock(&lists_lock);
	return found;
}

/* fx:in(list, code): CODE is in the code list LIST. */
static void fn_in(xmlXPathParserContextPtr ctxt, int nargs)
{
	const struct code_list *l;
	xmlChar *name, *code;
	const char *key;
	int found = 0;

	if (nargs != 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	code = xmlXPathPopString(ctxt);
	name = xmlXPathPopString(ctxt);
	l = name ? list_get((const char *) name) : NULL;
	key = (const char *) code;
	if (!l) {
		/* no such list: a bug in the rules */
		xmlXPathSetError(ctxt, XPATH_UNDEF_VARIABLE_ERROR);
	} else {
		found = key && bsearch(&key, l->codes, l->count,
				       sizeof(*l->codes), cmp_codes) != NULL;
	}
	xmlFree(name);
	xmlFree(code);
	if (l)
		xmlXPathReturnBoolean(ctxt, found);
}

/* ---- the layer -----------------------------------------------------
 */

static const struct {
	const char *name;
	xmlXPathFunction fn;
} functions[] = {
	{ "fail", fn_fail },	   { "sum", fn_sum },
	{ "add", fn_add },	   { "sub", fn_sub },
	{ "mul", fn_mul },	   { "round", fn_round },
	{ "cmp", fn_cmp },	   { "eq", fn_eq },
	{ "decimal", fn_decimal }, { "decimals", fn_decimals },
	{ "matches", fn_matches }, { "date", fn_date },
	{ "luhn", fn_luhn },	   { "iban", fn_iban },
	{ "gln", fn_gln },	   { "in", fn_in },
};

int fx_rules__init(void)
{
	size_t i;

	for (i = 0; i < FX_ARRAY_SIZE(functions); i++)
		if (xsltRegisterExtModuleFunction(
			    (const xmlChar *) functions[i].name,
			    (const xmlChar *) FX_FUNCTIONS_NS,
			    functions[i].fn) < 0)
			return FX_EINTERNAL;
	/* rules read nothing but the invoice: no files, no network */
	if (!(security = xsltNewSecurityPrefs()))
		return FX_ENOMEM;
	if (xsltSetSecurityPrefs(security, XSLT_SECPREF_READ_FILE,
				 xsltSecurityForbid) < 0 ||
	    xsltSetSecurityPrefs(security, XSLT_SECPREF_WRITE_FILE,
				 xsltSecurityForbid) < 0 ||
	    xsltSetSecurityPrefs(security, XSLT_SECPREF_CREATE_DIRECTORY,
				 xsltSecurityForbid) < 0 ||
	    xsltSetSecurityPrefs(security, XSLT_SECPREF_READ_NETWORK,
				 xsltSecurityForbid) < 0 ||
	    xsltSetSecurityPrefs(security, XSLT_SECPREF_WRITE_NETWORK,
				 xsltSecurityForbid) < 0)
		return FX_EINTERNAL;
	return 0;
}

void fx_rules__cleanup(void)
{
	size_t i;

	pthread_mutex_lock(&rules_lock);
	for (i = 0; i < NSETS; i++) {
		xsltFreeStylesheet(sheets[i]);
		sheets[i] = NULL;
		free(sheet_failures[i]);
		sheet_failures[i] = NULL;
	}
	pthread_mutex_unlock(&rules_lock);
	pthread_mutex_lock(&lists_lock);
	for (i = 0; i < nlists; i++) {
		free(lists[i].name);
		free(lists[i].text);
		free(lists[i].codes);
	}
	nlists = 0;
	pthread_mutex_unlock(&lists_lock);
	pthread_mutex_lock(&regex_lock);
	for (i = 0; i < regex_count; i++) {
		regfree(&regex_cache[i].re);
		free(regex_cache[i].pattern);
	}
	regex_count = 0;
	pthread_mutex_unlock(&regex_lock);
	xsltFreeSecurityPrefs(security);
	security = NULL;
}

static int compile_sheet(xsltStylesheetPtr *out, fx_ctx *ctx, enum rule_set id)
{
	struct fx_buf path = FX_BUF_INIT, uri = FX_BUF_INIT;
	xmlDocPtr doc = NULL;
	int err = 0;

	*out = NULL;
	/* the compiled set is embedded as rules/NAME.xsl */
	if (fx_buf_printf(&path, "rules/%s.xsl", set_names[id]) < 0 ||
	    fx_resource__uri(&uri, path.ptr) < 0) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if (!(doc = xmlReadFile(uri.ptr, NULL, XML_PARSE_NONET)))
		err = fx_ctx__error(ctx, FX_EINTERNAL,
				    "cannot read the rule set '%s'", path.ptr);
	else if (!(*out = xsltParseStylesheetDoc(doc)))
		err = fx_ctx__error(ctx, FX_EINTERNAL,
				    "cannot compile the rule set '%s'",
				    path.ptr);
	if (doc && !*out)
		xmlFreeDoc(doc);
out:
	fx_buf_release(&path);
	fx_buf_release(&uri);
	return err;
}

static int get_sheet(xsltStylesheetPtr *out, fx_ctx *ctx, enum rule_set id)
{
	int err = 0;

	pthread_mutex_lock(&rules_lock);
	if (sheet_failures[id]) {
		err = fx_ctx__error(ctx, FX_EINTERNAL, "%s",
				    sheet_failures[id]);
	} else if (!sheets[id]) {
		err = compile_sheet(&sheets[id], ctx, id);
		if (err == FX_EINTERNAL)
			sheet_failures[id] =
				fx_strdup(fx_ctx_last_error(ctx)->message);
	}
	*out = sheets[id];
	pthread_mutex_unlock(&rules_lock);
	return err;
}

/* XPath errors come through the structured channel of the XPath context. */
static void xpath_error(void *data, xmlErrorPtr e)
{
	struct run *run = data;

	if (run->first_error.len || !e->message)
		return;
	fx_buf_puts(&run->first_error, e->message);
	while (run->first_error.len &&
	       run->first_error.ptr[run->first_error.len - 1] == '\n')
		run->first_error.ptr[--run->first_error.len] = '\0';
}

static void transform_error(void *data, const char *fmt, ...)
{
	struct run *run = data;
	va_list ap;

	if (run->first_error.len)
		return;
	va_start(ap, fmt);
	fx_buf_vprintf(&run->first_error, fmt, ap);
	va_end(ap);
	while (run->first_error.len &&
	       run->first_error.ptr[run->first_error.len - 1] == '\n')
		run->first_error.ptr[--run->first_error.len] = '\0';
}

int fx_rules__validate(fx_report *report, fx_ctx *ctx, const fx_doc *doc)
{
	struct run run = { report, doc, 0, FX_BUF_INIT };
	xsltTransformContextPtr tctxt = NULL;
	xsltStylesheetPtr sheet;
	xmlDocPtr xml = fx_doc__xml(doc), result = NULL;
	enum rule_set id;
	int err;

	switch (fx_doc_syntax(doc)) {
	case FX_SYNTAX_UBL_INVOICE:
	case FX_SYNTAX_UBL_CREDITNOTE: id = RULES_UBL; break;
	case FX_SYNTAX_CII: id = RULES_CII; break;
	default:
		return fx_ctx__error(ctx, FX_EINVALID,
				     "no business rules for %s documents",
				     fx_syntax_name(fx_doc_syntax(doc)));
	}
	if ((err = get_sheet(&sheet, ctx, id)) < 0)
		return err;
	if (!(tctxt = xsltNewTransformContext(sheet, xml))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	tctxt->_private = &run;
	xsltSetTransformErrorFunc(tctxt, &run, transform_error);
	if (tctxt->xpathCtxt) {
		tctxt->xpathCtxt->error = xpath_error;
		tctxt->xpathCtxt->userData = &run;
	}
	xsltSetCtxtSecurityPrefs(security, tctxt);
	result = xsltApplyStylesheetUser(sheet, xml, NULL, NULL, NULL, tctxt);
	if (run.err < 0) {
		err = fx_ctx__error(ctx, run.err, "out of memory");
	} else if (!result || tctxt->state != XSLT_STATE_OK) {
		err = fx_ctx__error(
			ctx, FX_EINTERNAL,
			"the business rules could not run on '%s': %s",
			fx_doc_name(doc),
			run.first_error.len ? run.first_error.ptr
					    : "unknown error");
	} else {
		/* a fatal finding has already marked the layer failed
		 */
		if (fx_report_layer(report, FX_LAYER_RULES) != FX_LAYER_FAIL)
			fx_report_set_layer(report, FX_LAYER_RULES,
					    FX_LAYER_PASS);
	}
out:
	xmlFreeDoc(result);
	xsltFreeTransformContext(tctxt);
	fx_buf_release(&run.first_error);
	return err;
}

/* ---- the index of checks --------------------------------------------- */

/* One line of an index: id, flag, terms, pattern, message, tab-separated. */
static int index_line(fx_rule *rule, char *line)
{
	char *field[5];
	int i;

	for (i = 0; i < 5; i++) {
		field[i] = line;
		if (i < 4) {
			if (!(line = strchr(line, '\t')))
				return -1;
			*line++ = '\0';
		}
	}
	rule->id = field[0];
	rule->severity = severity_of(field[1]);
	rule->terms = field[2];
	rule->pattern = field[3];
	rule->message = field[4];
	return 0;
}

int fx_rules_foreach(fx_ctx *ctx, fx_rule_fn fn, void *payload)
{
	struct fx_buf path = FX_BUF_INIT;
	const unsigned char *data;
	char *text = NULL, *line, *next;
	size_t len, i;
	int err = 0;

	for (i = 0; i < NSETS && err == 0; i++) {
		fx_buf_clear(&path);
		if (fx_buf_printf(&path, "rules/%s.idx", set_names[i]) < 0) {
			err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
			break;
		}
		if (fx_resource__find(path.ptr, &data, &len) < 0) {
			err = fx_ctx__error(ctx, FX_EINTERNAL,
					    "the rule index '%s' is missing",
					    path.ptr);
			break;
		}
		free(text);
		if (!(text = fx_strndup((const char *) data, len))) {
			err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
			break;
		}
		for (line = text; line && *line && err == 0; line = next) {
			fx_rule rule;

			if ((next = strchr(line, '\n')))
				*next++ = '\0';
			if (index_line(&rule, line) < 0) {
				err = fx_ctx__error(ctx, FX_EINTERNAL,
						    "the rule index '%s' is "
						    "damaged",
						    path.ptr);
				break;
			}
			rule.set = set_names[i];
			err = fn(&rule, payload);
		}
	}
	free(text);
	fx_buf_release(&path);
	return err;
}

/* ---- explanations --------------------------------------------------- */

/* The end of the entry starting at P: a blank line or the end. */
static const char *entry_end(const char *p, const char *end)
{
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		const char *next = nl ? nl + 1 : end;

		if (p[0] == '\n' ||
		    (p[0] == '\r' && p + 1 < end && p[1] == '\n'))
			return p;
		if (p[0] != ' ' && p[0] != '#')
			return p; /* the next key */
		p = next;
	}
	return end;
}

int fx_rules_explain(const char **out, size_t *len, int *family, fx_ctx *ctx,
		     const char *id)
{
	const unsigned char *data;
	const char *p, *end, *best = NULL, *best_end = NULL;
	size_t idlen = strlen(id), datalen, best_prefix = 0;

	*out = NULL;
	*len = 0;
	*family = 0;
	if (fx_resource__find("rules/explain.txt", &data, &datalen) < 0)
		return fx_ctx__error(ctx, FX_EINTERNAL,
				     "the rule explanations are missing");
	p = (const char *) data;
	end = p + datalen;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		const char *next = nl ? nl + 1 : end;
		size_t keylen = (size_t) ((nl ? nl : end) - p);

		while (keylen &&
		       (p[keylen - 1] == '\r' || p[keylen - 1] == ' '))
			keylen--;
		if (keylen == 0 || p[0] == ' ' || p[0] == '#') {
			p = next;
			continue;
		}
		if (keylen == idlen && !memcmp(p, id, idlen)) {
			*out = next;
			*len = (size_t) (entry_end(next, end) - next);
			return 0;
		}
		/* a family: "UBL-CR-*" covers "UBL-CR-123"; the longest wins */
		if (keylen >= 2 && p[keylen - 1] == '*' &&
		    keylen - 1 <= idlen && !memcmp(p, id, keylen - 1) &&
		    keylen - 1 > best_prefix) {
			best_prefix = keylen - 1;
			best = next;
			best_end = entry_end(next, end);
		}
		p = next;
	}
	if (best) {
		*out = best;
		*len = (size_t) (best_end - best);
		*family = 1;
	}
	return 0;
}
