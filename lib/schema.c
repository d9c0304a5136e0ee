/* SPDX-License-Identifier: MIT */
/*
 * schema.c - the schema layer: our XSDs, compiled once, and libxml2's
 * messages turned into sentences about the invoice
 *
 * Compiled schemas are shared read-only by every worker; each validation
 * has its own validation context.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "internal.h"
#include "banned.h"

enum schema_id {
	SCHEMA_UBL_INVOICE,
	SCHEMA_UBL_CREDITNOTE,
	SCHEMA_CII,
	NSCHEMAS
};

static const char *const schema_paths[NSCHEMAS] = {
	"xsd/ubl/invoice.xsd",
	"xsd/ubl/creditnote.xsd",
	"xsd/cii/cii.xsd",
};

static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;
static xmlSchemaPtr schemas[NSCHEMAS];
/* why a schema could not be compiled, so that we say it once per file
 * without trying again for each */
static char *schema_failures[NSCHEMAS];

struct compile_state {
	struct fx_buf first;
};

static void compile_error(void *data, xmlErrorPtr err)
{
	struct compile_state *st = data;

	if (err->level >= XML_ERR_ERROR && st->first.len == 0) {
		if (err->file)
			fx_buf_printf(&st->first, "%s:%d: ", err->file,
				      err->line);
		fx_buf_puts(&st->first, err->message ? err->message : "?");
		while (st->first.len &&
		       st->first.ptr[st->first.len - 1] == '\n')
			st->first.ptr[--st->first.len] = '\0';
	}
}

static int compile(xmlSchemaPtr *out, fx_ctx *ctx, enum schema_id id)
{
	struct fx_buf uri = FX_BUF_INIT;
	struct compile_state st = { FX_BUF_INIT };
	xmlSchemaParserCtxtPtr pctxt = NULL;
	int err = 0;

	*out = NULL;
	if (fx_resource__uri(&uri, schema_paths[id]) < 0) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if (!(pctxt = xmlSchemaNewParserCtxt(uri.ptr))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	xmlSchemaSetParserStructuredErrors(pctxt, compile_error, &st);
	if (!(*out = xmlSchemaParse(pctxt)))
		err = fx_ctx__error(
			ctx, FX_EINTERNAL, "cannot compile schema '%s': %s",
			schema_paths[id],
			st.first.len ? st.first.ptr : "unknown error");
out:
	xmlSchemaFreeParserCtxt(pctxt);
	fx_buf_release(&uri);
	fx_buf_release(&st.first);
	return err;
}

static int get_schema(xmlSchemaPtr *out, fx_ctx *ctx, enum schema_id id)
{
	int err = 0;

	pthread_mutex_lock(&schema_lock);
	if (schema_failures[id]) {
		err = fx_ctx__error(ctx, FX_EINTERNAL, "%s",
				    schema_failures[id]);
	} else if (!schemas[id]) {
		err = compile(&schemas[id], ctx, id);
		if (err == FX_EINTERNAL)
			schema_failures[id] =
				fx_strdup(fx_ctx_last_error(ctx)->message);
	}
	*out = schemas[id];
	pthread_mutex_unlock(&schema_lock);
	return err;
}

int fx_schema__compiled(void)
{
	int any = 0;
	size_t i;

	pthread_mutex_lock(&schema_lock);
	for (i = 0; i < NSCHEMAS; i++)
		any |= schemas[i] != NULL || schema_failures[i] != NULL;
	pthread_mutex_unlock(&schema_lock);
	return any;
}

void fx_schema__cleanup(void)
{
	size_t i;

	pthread_mutex_lock(&schema_lock);
	for (i = 0; i < NSCHEMAS; i++) {
		xmlSchemaFree(schemas[i]);
		schemas[i] = NULL;
		free(schema_failures[i]);
		schema_failures[i] = NULL;
	}
	pthread_mutex_unlock(&schema_lock);
}

/*
 * libxml2 names elements "{namespace}local"; people know them as
 * "cbc:local".  Rewrite every such name in MSG.
 */
static int put_names(struct fx_buf *out, const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len, *close;
	int err;

	while (p < end) {
		const char *open = memchr(p, '{', (size_t) (end - p));
		const char *prefix;
		char *ns;

		if (!open ||
		    !(close = memchr(open, '}', (size_t) (end - open))))
			return fx_buf_put(out, p, (size_t) (end - p));
		if ((err = fx_buf_put(out, p, (size_t) (open - p))) < 0)
			return err;
		if (!(ns = fx_strndup(open + 1, (size_t) (close - open - 1))))
			return FX_ENOMEM;
		prefix = fx_ns__prefix(ns);
		if (prefix && *prefix)
			err = fx_buf_printf(out, "%s:", prefix);
		else if (!prefix)
			err = fx_buf_printf(out, "{%s}", ns);
		free(ns);
		if (err < 0)
			return err;
		p = close + 1;
	}
	return 0;
}

/* The display name of an element node: "cac:Party". */
static int node_name(struct fx_buf *out, const xmlNode *node)
{
	const char *prefix = NULL;

	if (!node || node->type != XML_ELEMENT_NODE)
		return fx_buf_puts(out, "the document");
	if (node->ns) {
		prefix = fx_ns__prefix((const char *) node->ns->href);
		if (!prefix)
			prefix = (const char *) node->ns->prefix;
	}
	return fx_buf_printf(out, "%s%s%s", prefix ? prefix : "",
			     prefix && *prefix ? ":" : "", node->name);
}

/* Text between "( " and " )" in an expectation list, made readable. */
static int put_expected(struct fx_buf *out, const char *list)
{
	const char *open = strstr(list, "( "), *close;

	if (!open || !(close = strstr(open, " )")))
		return 0;
	open += 2;
	return put_names(out, open, (size_t) (close - open));
}

static const char *after(const char *s, const char *needle)
{
	const char *p = strstr(s, needle);

	return p ? p + strlen(needle) : NULL;
}

/* The quoted value that follows NEEDLE: "'2020-13-01' is not..." */
static int quoted(struct fx_buf *out, const char *s, const char *needle)
{
	const char *p = needle ? after(s, needle) : s, *q;

	if (!p || !(p = strchr(p, '\'')) || !(q = strchr(p + 1, '\'')))
		return -1;
	return fx_buf_put(out, p + 1, (size_t) (q - p - 1));
}

static const char *type_words(const char *type)
{
	if (strstr(type, "date") || strstr(type, "Date"))
		return "a date as YYYY-MM-DD";
	if (strstr(type, "time") || strstr(type, "Time"))
		return "a time as hh:mm:ss";
	if (strstr(type, "decimal") || strstr(type, "Amount") ||
	    strstr(type, "Quantity") || strstr(type, "Numeric") ||
	    strstr(type, "Percent") || strstr(type, "Rate"))
		return "a decimal number such as 1234.56";
	if (strstr(type, "boolean") || strstr(type, "Indicator"))
		return "true or false";
	if (strstr(type, "base64"))
		return "base64 data";
	return NULL;
}

/*
 * Say what libxml2 said, in words about the invoice.  MSG is libxml2's
 * message without its trailing newline; NODE the element concerned.
 */
static int humanise(struct fx_buf *out, const char *msg, const xmlNode *node)
{
	struct fx_buf name = FX_BUF_INIT, tmp = FX_BUF_INIT;
	const xmlNode *parent = node ? node->parent : NULL;
	const char *rest = msg, *p;
	int err = 0;

	if ((err = node_name(&name, node)) < 0)
		goto out;
	/* drop "Element '{ns}x': " or "Element '{ns}x', attribute 'a': " */
	if (!strncmp(msg, "Element '", 9) && (p = strstr(msg, "': ")))
		rest = p + 3;

	if (strstr(rest, "This element is not expected")) {
		struct fx_buf pname = FX_BUF_INIT;

		node_name(&pname, parent);
		err = fx_buf_printf(out,
				    "element %s is not expected here in %s",
				    name.ptr, pname.ptr);
		fx_buf_release(&pname);
		if (err < 0)
			goto out;
		if (strstr(rest, "Expected is one of")) {
			if ((err = fx_buf_puts(
				     out, " (out of order, repeated "
					  "or unknown); expected one of ")) <
				    0 ||
			    (err = put_expected(out, rest)) < 0)
				goto out;
		} else if (strstr(rest, "Expected is")) {
			if ((err = fx_buf_puts(out, "; expected ")) < 0 ||
			    (err = put_expected(out, rest)) < 0)
				goto out;
		} else {
			err = fx_buf_puts(out,
					  " (nothing more may follow here)");
		}
	} else if (strstr(rest, "Missing child element(s)")) {
		if ((err = put_expected(&tmp, rest)) < 0)
			goto out;
		if (strstr(rest, "Expected is one of"))
			err = fx_buf_printf(
				out,
				"%s is incomplete: a required "
				"element is missing; expected one of %s",
				name.ptr, tmp.ptr ? tmp.ptr : "?");
		else
			err = fx_buf_printf(out, "element %s is missing in %s",
					    tmp.ptr ? tmp.ptr : "?", name.ptr);
	} else if ((p = strstr(rest, "is not a valid value of the "))) {
		const char *type = strstr(p, "type '");
		const char *words = NULL;

		if (type && quoted(&tmp, type, NULL) >= 0)
			words = type_words(tmp.ptr);
		fx_buf_clear(&tmp);
		if ((err = quoted(&tmp, rest, NULL)) < 0) {
			err = fx_buf_printf(out, "%s: %s", name.ptr, rest);
			goto out;
		}
		if (strstr(msg, "', attribute '")) {
			struct fx_buf attr = FX_BUF_INIT;

			quoted(&attr, msg, "attribute ");
			err = fx_buf_printf(out,
					    "value '%s' of attribute %s on "
					    "%s is not valid",
					    tmp.ptr, attr.ptr ? attr.ptr : "?",
					    name.ptr);
			fx_buf_release(&attr);
		} else {
			err = fx_buf_printf(out,
					    "value '%s' of %s is not valid",
					    tmp.ptr, name.ptr);
		}
		if (err >= 0 && words)
			err = fx_buf_printf(out, ": expected %s", words);
	} else if ((p = strstr(rest, "The attribute '")) &&
		   strstr(rest, "is required but missing")) {
		if ((err = quoted(&tmp, p, NULL)) >= 0)
			err = fx_buf_printf(out,
					    "attribute %s is missing on %s",
					    tmp.ptr, name.ptr);
	} else if (strstr(rest, "is not allowed") &&
		   strstr(msg, "attribute '")) {
		if ((err = quoted(&tmp, msg, "attribute ")) >= 0)
			err = fx_buf_printf(out,
					    "attribute %s is not allowed on %s",
					    tmp.ptr, name.ptr);
	} else if (strstr(rest, "No matching global declaration")) {
		err = fx_buf_printf(out,
				    "%s is not a document element the "
				    "schema knows",
				    name.ptr);
	} else if (strstr(rest, "Character content other than whitespace")) {
		err = fx_buf_printf(out, "%s may hold elements only, not text",
				    name.ptr);
	} else if (strstr(rest, "Element content is not allowed")) {
		err = fx_buf_printf(out, "%s may hold text only, not elements",
				    name.ptr);
	} else {
		/* a facet or anything rarer: keep libxml2's words */
		if ((err = fx_buf_printf(out, "%s: ", name.ptr)) < 0 ||
		    (err = put_names(out, rest, strlen(rest))) < 0)
			goto out;
		if (out->len > name.len + 2) {
			char *c = out->ptr + name.len + 2;

			if (*c >= 'A' && *c <= 'Z' &&
			    !(c[1] >= 'A' && c[1] <= 'Z'))
				*c = (char) (*c - 'A' + 'a');
		}
	}
out:
	fx_buf_release(&name);
	fx_buf_release(&tmp);
	return err < 0 ? err : 0;
}

struct validate_state {
	fx_report *report;
	const fx_doc *doc;
	int err;
	size_t count;
};

/* Enough to act on; a broken document can otherwise yield thousands. */
#define MAX_SCHEMA_FINDINGS 200

static void validity_error(void *data, xmlErrorPtr e)
{
	struct validate_state *st = data;
	struct fx_buf msg = FX_BUF_INIT, raw = FX_BUF_INIT, path = FX_BUF_INIT;
	const xmlNode *node = e->node;
	unsigned long line;
	size_t n;

	if (st->err < 0 || e->level < XML_ERR_ERROR)
		return;
	if (++st->count > MAX_SCHEMA_FINDINGS) {
		if (st->count == MAX_SCHEMA_FINDINGS + 1)
			fx_report__addf(st->report, FX_SEVERITY_INFO,
					FX_LAYER_SCHEMA, "XSD", 0, 0, NULL,
					"more than %d schema errors: the rest "
					"are not listed",
					MAX_SCHEMA_FINDINGS);
		return;
	}
	if (node && node->type != XML_ELEMENT_NODE)
		node = node->parent;
	if (fx_buf_puts(&raw, e->message ? e->message : "schema error") < 0)
		goto oom;
	n = raw.len;
	while (n && (raw.ptr[n - 1] == '\n' || raw.ptr[n - 1] == ' '))
		raw.ptr[--n] = '\0';
	raw.len = n;
	if (humanise(&msg, raw.ptr, node) < 0)
		goto oom;
	if (node && fx_doc__xpath(&path, node) < 0)
		goto oom;
	line = node ? (unsigned long) xmlGetLineNo(node)
		    : (e->line > 0 ? (unsigned long) e->line : 0);
	if (fx_report__addf(st->report, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA,
			    "XSD", line, fx_doc__column(st->doc, node),
			    path.len ? path.ptr : NULL, "%s", msg.ptr) < 0)
		goto oom;
	goto out;
oom:
	st->err = FX_ENOMEM;
out:
	fx_buf_release(&msg);
	fx_buf_release(&raw);
	fx_buf_release(&path);
}

int fx_schema__validate(fx_report *report, fx_ctx *ctx, const fx_doc *doc)
{
	struct validate_state st = { report, doc, 0, 0 };
	xmlSchemaValidCtxtPtr vctxt = NULL;
	xmlSchemaPtr schema;
	enum schema_id id;
	int err, rc;

	switch (fx_doc_syntax(doc)) {
	case FX_SYNTAX_UBL_INVOICE: id = SCHEMA_UBL_INVOICE; break;
	case FX_SYNTAX_UBL_CREDITNOTE: id = SCHEMA_UBL_CREDITNOTE; break;
	case FX_SYNTAX_CII: id = SCHEMA_CII; break;
	default:
		return fx_ctx__error(ctx, FX_EINVALID,
				     "no schema for %s documents",
				     fx_syntax_name(fx_doc_syntax(doc)));
	}
	if ((err = get_schema(&schema, ctx, id)) < 0)
		return err;
	if (!(vctxt = xmlSchemaNewValidCtxt(schema)))
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	xmlSchemaSetValidStructuredErrors(vctxt, validity_error, &st);
	rc = xmlSchemaValidateDoc(vctxt, fx_doc__xml(doc));
	xmlSchemaFreeValidCtxt(vctxt);

	if (st.err < 0)
		return fx_ctx__error(ctx, st.err, "out of memory");
	if (rc < 0)
		return fx_ctx__error(ctx, FX_EINTERNAL,
				     "the schema validator failed on '%s'",
				     fx_doc_name(doc));
	if (rc > 0 && st.count == 0)
		fx_report__addf(report, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA,
				"XSD", 0, 0, NULL,
				"the document does not match the schema");
	fx_report_set_layer(report, FX_LAYER_SCHEMA,
			    rc == 0 ? FX_LAYER_PASS : FX_LAYER_FAIL);
	return 0;
}
