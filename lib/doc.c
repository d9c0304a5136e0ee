/* SPDX-License-Identifier: MIT */
/*
 * doc.c - loading documents safely and recognising what they are
 *
 * Every XML parse goes through parse_xml(): no network, no DTD loading, no
 * entity substitution, and a document that declares entities is refused
 * outright, which is what stops billion-laughs and external-entity tricks
 * before they start.  Invoices never need a DTD.
 */
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>

#include "internal.h"
#include "banned.h"

#define NS_UBL_INVOICE "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
#define NS_UBL_CREDITNOTE \
	"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
#define NS_UBL_CBC \
	"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
#define NS_CII_RSM \
	"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
#define NS_CII_RAM                             \
	"urn:un:unece:uncefact:data:standard:" \
	"ReusableAggregateBusinessInformationEntity:100"
#define NS_ZF1_RSM "urn:ferd:CrossIndustryDocument:invoice:1p0"
#define NS_ZF1_RAM                             \
	"urn:un:unece:uncefact:data:standard:" \
	"ReusableAggregateBusinessInformationEntity:12"

struct fx_doc {
	char *name;
	fx_syntax syntax;
	fx_profile profile;
	char *profile_id;
	char *root_name;
	char *root_ns;
	xmlDocPtr xml;
	struct fx_buf bytes;
	/* start offsets of lines in bytes, built the first time a column
	 * is asked for */
	size_t *lines;
	size_t nlines;
};

static const struct {
	const char *ns;
	const char *prefix;
} known_namespaces[] = {
	{ NS_UBL_CBC, "cbc" },
	{ "urn:oasis:names:specification:ubl:schema:xsd:"
	  "CommonAggregateComponents-2",
	  "cac" },
	{ "urn:oasis:names:specification:ubl:schema:xsd:"
	  "CommonExtensionComponents-2",
	  "ext" },
	{ "urn:oasis:names:specification:ubl:schema:xsd:"
	  "CommonSignatureComponents-2",
	  "sig" },
	{ "urn:oasis:names:specification:ubl:schema:xsd:"
	  "SignatureAggregateComponents-2",
	  "sac" },
	{ "urn:oasis:names:specification:ubl:schema:xsd:"
	  "SignatureBasicComponents-2",
	  "sbc" },
	{ "http://www.w3.org/2000/09/xmldsig#", "ds" },
	{ "http://uri.etsi.org/01903/v1.3.2#", "xades" },
	{ NS_CII_RSM, "rsm" },
	{ NS_CII_RAM, "ram" },
	{ "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
	  "udt" },
	{ "urn:un:unece:uncefact:data:standard:QualifiedDataType:100", "qdt" },
	{ NS_ZF1_RSM, "rsm" },
	{ NS_ZF1_RAM, "ram" },
	{ "http://www.w3.org/2001/XMLSchema-instance", "xsi" },
};

const char *fx_ns__prefix(const char *ns)
{
	size_t i;

	if (!ns)
		return NULL;
	/* UBL document elements are written unprefixed */
	if (!strcmp(ns, NS_UBL_INVOICE) || !strcmp(ns, NS_UBL_CREDITNOTE))
		return "";
	for (i = 0; i < FX_ARRAY_SIZE(known_namespaces); i++)
		if (!strcmp(ns, known_namespaces[i].ns))
			return known_namespaces[i].prefix;
	return NULL;
}

/* Names for people and keys for machines, indexed by the enums. */
static const struct {
	const char *key;
	const char *name;
} syntaxes[] = {
	[FX_SYNTAX_UNKNOWN] = { "unknown", "not XML" },
	[FX_SYNTAX_UBL_INVOICE] = { "ubl-invoice", "UBL Invoice" },
	[FX_SYNTAX_UBL_CREDITNOTE] = { "ubl-creditnote", "UBL CreditNote" },
	[FX_SYNTAX_CII] = { "cii", "CII CrossIndustryInvoice" },
	[FX_SYNTAX_ZUGFERD1] = { "zugferd1",
				 "ZUGFeRD 1.0 CrossIndustryDocument" },
	[FX_SYNTAX_PDF] = { "pdf", "PDF" },
	[FX_SYNTAX_ZIP] = { "zip", "zip archive" },
	[FX_SYNTAX_OTHER_XML] = { "xml", "other XML" },
};

static const struct {
	const char *key;
	const char *name;
} profiles[] = {
	[FX_PROFILE_NONE] = { "none", "no profile" },
	[FX_PROFILE_UNKNOWN] = { "unknown", "unknown profile" },
	[FX_PROFILE_EN16931] = { "en16931", "EN 16931" },
	[FX_PROFILE_FACTURX_MINIMUM] = { "facturx-minimum",
					 "Factur-X MINIMUM" },
	[FX_PROFILE_FACTURX_BASICWL] = { "facturx-basicwl",
					 "Factur-X BASIC WL" },
	[FX_PROFILE_FACTURX_BASIC] = { "facturx-basic", "Factur-X BASIC" },
	[FX_PROFILE_FACTURX_EN16931] = { "facturx-en16931",
					 "Factur-X EN 16931" },
	[FX_PROFILE_FACTURX_EXTENDED] = { "facturx-extended",
					  "Factur-X EXTENDED" },
	[FX_PROFILE_XRECHNUNG] = { "xrechnung", "XRechnung" },
	[FX_PROFILE_PEPPOL_BIS3] = { "peppol-bis3", "Peppol BIS Billing 3.0" },
	[FX_PROFILE_EXTENDED_CTC_FR] = { "extended-ctc-fr", "EXTENDED-CTC-FR" },
};

const char *fx_syntax_name(fx_syntax syntax)
{
	return (unsigned) syntax < FX_ARRAY_SIZE(syntaxes)
		       ? syntaxes[syntax].name
		       : "unknown";
}

const char *fx_syntax_key(fx_syntax syntax)
{
	return (unsigned) syntax < FX_ARRAY_SIZE(syntaxes)
		       ? syntaxes[syntax].key
		       : "unknown";
}

const char *fx_profile_name(fx_profile profile)
{
	return (unsigned) profile < FX_ARRAY_SIZE(profiles)
		       ? profiles[profile].name
		       : "unknown profile";
}

const char *fx_profile_key(fx_profile profile)
{
	return (unsigned) profile < FX_ARRAY_SIZE(profiles)
		       ? profiles[profile].key
		       : "unknown";
}

/*
 * BT-24 values are URNs built by appending "#compliant#..." or
 * "#conformant#..." to the core one; the most specific marker wins, so the
 * order of this table matters.  Older Factur-X files join the parts with
 * ':' instead of '#', which the substrings below also catch.
 */
static const struct {
	const char *marker;
	fx_profile profile;
} profile_markers[] = {
	{ "extended-ctc-fr", FX_PROFILE_EXTENDED_CTC_FR },
	{ "xrechnung", FX_PROFILE_XRECHNUNG },
	{ "peppol.eu:2017:poacc:billing:3.0", FX_PROFILE_PEPPOL_BIS3 },
	{ "factur-x.eu:1p0:minimum", FX_PROFILE_FACTURX_MINIMUM },
	{ "zugferd.de:2p0:minimum", FX_PROFILE_FACTURX_MINIMUM },
	{ "factur-x.eu:1p0:basicwl", FX_PROFILE_FACTURX_BASICWL },
	{ "zugferd.de:2p0:basicwl", FX_PROFILE_FACTURX_BASICWL },
	{ "factur-x.eu:1p0:basic", FX_PROFILE_FACTURX_BASIC },
	{ "zugferd.de:2p0:basic", FX_PROFILE_FACTURX_BASIC },
	{ "factur-x.eu:1p0:en16931", FX_PROFILE_FACTURX_EN16931 },
	{ "zugferd.de:2p0:en16931", FX_PROFILE_FACTURX_EN16931 },
	{ "factur-x.eu:1p0:extended", FX_PROFILE_FACTURX_EXTENDED },
	{ "zugferd.de:2p0:extended", FX_PROFILE_FACTURX_EXTENDED },
};

fx_profile fx_profile_from_id(const char *id)
{
	size_t i;

	if (!id)
		return FX_PROFILE_NONE;
	for (i = 0; i < FX_ARRAY_SIZE(profile_markers); i++)
		if (strstr(id, profile_markers[i].marker))
			return profile_markers[i].profile;
	if (!strcmp(id, "urn:cen.eu:en16931:2017"))
		return FX_PROFILE_EN16931;
	return FX_PROFILE_UNKNOWN;
}

void fx_doc_free(fx_doc *doc)
{
	if (!doc)
		return;
	free(doc->name);
	free(doc->profile_id);
	free(doc->root_name);
	free(doc->root_ns);
	xmlFreeDoc(doc->xml);
	fx_buf_release(&doc->bytes);
	free(doc->lines);
	free(doc);
}

const char *fx_doc_name(const fx_doc *doc)
{
	return doc->name;
}
fx_syntax fx_doc_syntax(const fx_doc *doc)
{
	return doc->syntax;
}
const char *fx_doc_root_name(const fx_doc *doc)
{
	return doc->root_name;
}
const char *fx_doc_root_namespace(const fx_doc *doc)
{
	return doc->root_ns;
}
fx_profile fx_doc_profile(const fx_doc *doc)
{
	return doc->profile;
}
const char *fx_doc_profile_id(const fx_doc *doc)
{
	return doc->profile_id;
}
void *fx_doc__xml(const fx_doc *doc)
{
	return doc->xml;
}

const char *fx_doc__bytes(const fx_doc *doc, size_t *len)
{
	*len = doc->bytes.len;
	return doc->bytes.ptr;
}

/* What the bytes look like before any parsing. */
static fx_syntax sniff(const unsigned char *p, size_t len)
{
	size_t i = 0, limit;

	/* UTF-16 and UTF-32, with or without a byte-order mark */
	if (len >= 2 &&
	    ((p[0] == 0xFE && p[1] == 0xFF) || (p[0] == 0xFF && p[1] == 0xFE) ||
	     (p[0] == '<' && p[1] == 0) || (p[0] == 0 && p[1] == '<') ||
	     (p[0] == 0 && p[1] == 0)))
		return FX_SYNTAX_OTHER_XML;
	/* a document that starts like XML is XML, whatever it mentions */
	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		i = 3;
	while (i < len &&
	       (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i < len && p[i] == '<')
		return FX_SYNTAX_OTHER_XML; /* XML of some kind: parse it */

	if (len >= 4 && (!memcmp(p, "PK\3\4", 4) || !memcmp(p, "PK\5\6", 4)))
		return FX_SYNTAX_ZIP;
	/* PDF readers accept the header anywhere in the first kilobyte */
	limit = len < 1024 ? len : 1024;
	for (i = 0; i + 5 <= limit; i++)
		if (!memcmp(p + i, "%PDF-", 5))
			return FX_SYNTAX_PDF;
	return FX_SYNTAX_UNKNOWN;
}

struct parse_state {
	fx_ctx *ctx;
	const char *name;
	int failed;
	int entity_refused;
	int root_whole; /* the root's start tag ends with '>' or "/>" */
};

static void lower_first(char *s)
{
	if (s && s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
		s[0] = (char) (s[0] - 'A' + 'a');
}

/* Keep the first fatal error of a parse, with its position. */
static void parse_error(void *data, xmlErrorPtr err)
{
	xmlParserCtxtPtr pctxt = data;
	struct parse_state *st = pctxt->_private;
	char *msg;
	size_t n;

	if (!st || st->failed || err->level < XML_ERR_ERROR)
		return;
	st->failed = 1;
	msg = fx_strdup(err->message ? err->message : "unknown error");
	if (!msg) {
		fx_ctx__error(st->ctx, FX_ENOMEM, "out of memory");
		return;
	}
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	lower_first(msg);
	fx_ctx__error_at(st->ctx, FX_EPARSE, st->name,
			 err->line > 0 ? (unsigned long) err->line : 0,
			 err->int2 > 0 ? (unsigned long) err->int2 : 0,
			 "not well-formed: %s", msg);
	free(msg);
}

static void refuse_entity(void *data, const xmlChar *name, int type,
			  const xmlChar *public_id, const xmlChar *system_id,
			  xmlChar *content)
{
	xmlParserCtxtPtr pctxt = data;
	struct parse_state *st = pctxt->_private;

	(void) type;
	(void) public_id;
	(void) system_id;
	(void) content;
	if (st && !st->failed) {
		st->failed = 1;
		st->entity_refused = 1;
		fx_ctx__error_at(
			st->ctx, FX_EPARSE, st->name,
			(unsigned long) xmlSAX2GetLineNumber(pctxt), 0,
			"entity declarations are refused: the document "
			"declares entity '%s' (invoices need no DTD)",
			(const char *) name);
	}
	xmlStopParser(pctxt);
}

/* The syntax a root element names, from its local name and namespace. */
static int name_root(fx_doc *doc, xmlNodePtr root)
{
	const char *name = (const char *) root->name;
	const char *ns =
		root->ns && root->ns->href ? (const char *) root->ns->href : "";

	free(doc->root_name);
	free(doc->root_ns);
	doc->root_name = fx_strdup(name);
	doc->root_ns = fx_strdup(ns);
	if (!doc->root_name || !doc->root_ns)
		return FX_ENOMEM;

	if (!strcmp(ns, NS_UBL_INVOICE) && !strcmp(name, "Invoice"))
		doc->syntax = FX_SYNTAX_UBL_INVOICE;
	else if (!strcmp(ns, NS_UBL_CREDITNOTE) && !strcmp(name, "CreditNote"))
		doc->syntax = FX_SYNTAX_UBL_CREDITNOTE;
	else if (!strcmp(ns, NS_CII_RSM) &&
		 !strcmp(name, "CrossIndustryInvoice"))
		doc->syntax = FX_SYNTAX_CII;
	else if (!strcmp(ns, NS_ZF1_RSM) &&
		 !strcmp(name, "CrossIndustryDocument"))
		doc->syntax = FX_SYNTAX_ZUGFERD1;
	else
		doc->syntax = FX_SYNTAX_OTHER_XML;
	return 0;
}

/*
 * The tree builder's own handler, which libxml2 calls once it has read an
 * element's name and attributes but before it checks that the start tag
 * ends: for the root, look at what comes next, as libxml2 is about to.
 */
static void start_element(void *data, const xmlChar *localname,
			  const xmlChar *prefix, const xmlChar *uri,
			  int nb_namespaces, const xmlChar **namespaces,
			  int nb_attributes, int nb_defaulted,
			  const xmlChar **attributes)
{
	xmlParserCtxtPtr pctxt = data;
	struct parse_state *st = pctxt->_private;
	const xmlChar *cur = pctxt->input ? pctxt->input->cur : NULL;

	if (st && !pctxt->node && cur)
		st->root_whole =
			cur[0] == '>' || (cur[0] == '/' && cur[1] == '>');
	xmlSAX2StartElementNs(data, localname, prefix, uri, nb_namespaces,
			      namespaces, nb_attributes, nb_defaulted,
			      attributes);
}

/*
 * A parse that failed still leaves the tree libxml2 built up to the first
 * error, under the same limits as any parse of ours: no DTD, no entity,
 * the depth limit.  When the root's start tag was read whole (WHOLE), with
 * its prefix bound, the document says what it meant to be.  Otherwise the
 * syntax stays unknown: so when the parse stopped at a refused entity
 * declaration, which always comes before the root.
 */
static int name_broken_root(fx_doc *doc, xmlDocPtr partial, int whole)
{
	xmlNodePtr root = partial ? xmlDocGetRootElement(partial) : NULL;

	doc->syntax = FX_SYNTAX_UNKNOWN;
	if (!whole || !root || !root->name)
		return 0;
	/* an unbound prefix leaves "prefix:name" with no namespace */
	if (strchr((const char *) root->name, ':'))
		return 0;
	return name_root(doc, root);
}

static int parse_xml(fx_doc *doc, fx_ctx *ctx)
{
	xmlParserCtxtPtr pctxt = NULL;
	struct parse_state st = { ctx, doc->name, 0, 0, 0 };
	int err = 0;

	if (doc->bytes.len > INT32_MAX)
		return fx_ctx__error(ctx, FX_ETOOBIG,
				     "'%s' is too large to parse", doc->name);
	pctxt = xmlCreateMemoryParserCtxt(doc->bytes.ptr, (int) doc->bytes.len);
	if (!pctxt)
		return fx_ctx__error(ctx, FX_ENOMEM,
				     "cannot create an XML parser");
	pctxt->_private = &st;
	pctxt->sax->serror = parse_error;
	pctxt->sax->entityDecl = refuse_entity;
	pctxt->sax->startElementNs = start_element;
	pctxt->vctxt.error = NULL;
	pctxt->vctxt.warning = NULL;
	xmlCtxtUseOptions(pctxt, XML_PARSE_NONET | XML_PARSE_BIG_LINES |
					 XML_PARSE_NOWARNING);
	/* the name shows in libxml2 messages and becomes the base URI */
	xmlFree((char *) pctxt->input->filename);
	pctxt->input->filename =
		(char *) xmlStrdup((const xmlChar *) doc->name);

	xmlParseDocument(pctxt);
	if (st.failed || !pctxt->wellFormed || !pctxt->myDoc) {
		if (!st.failed)
			fx_ctx__error_at(ctx, FX_EPARSE, doc->name, 0, 0,
					 "not well-formed");
		err = fx_ctx_last_error(ctx)->code;
		if (err >= 0)
			err = FX_EPARSE;
		if (err == FX_EPARSE &&
		    name_broken_root(doc, pctxt->myDoc, st.root_whole) ==
			    FX_ENOMEM)
			err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		xmlFreeDoc(pctxt->myDoc);
		pctxt->myDoc = NULL;
		goto out;
	}
	doc->xml = pctxt->myDoc;
	pctxt->myDoc = NULL;
out:
	pctxt->_private = NULL;
	xmlFreeParserCtxt(pctxt);
	return err;
}

static xmlNodePtr child_element(xmlNodePtr parent, const char *ns,
				const char *name)
{
	xmlNodePtr n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && n->ns &&
		    !strcmp((const char *) n->ns->href, ns) &&
		    !strcmp((const char *) n->name, name))
			return n;
	return NULL;
}

static int set_profile(fx_doc *doc, xmlNodePtr id)
{
	xmlChar *text;
	const char *s, *e;

	if (!id)
		return 0;
	if (!(text = xmlNodeGetContent(id)))
		return FX_ENOMEM;
	for (s = (const char *) text;
	     *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
		;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		e--;
	doc->profile_id = fx_strndup(s, (size_t) (e - s));
	xmlFree(text);
	if (!doc->profile_id)
		return FX_ENOMEM;
	doc->profile = fx_profile_from_id(doc->profile_id);
	return 0;
}

static int recognise(fx_doc *doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc->xml);
	xmlNodePtr ctx;
	int err;

	if (!root)
		return FX_EPARSE;
	if ((err = name_root(doc, root)) < 0)
		return err;

	switch (doc->syntax) {
	case FX_SYNTAX_UBL_INVOICE:
	case FX_SYNTAX_UBL_CREDITNOTE:
		return set_profile(doc, child_element(root, NS_UBL_CBC,
						      "CustomizationID"));
	case FX_SYNTAX_CII:
		ctx = child_element(root, NS_CII_RSM,
				    "ExchangedDocumentContext");
		ctx = child_element(
			ctx, NS_CII_RAM,
			"GuidelineSpecifiedDocumentContextParameter");
		return set_profile(doc, child_element(ctx, NS_CII_RAM, "ID"));
	case FX_SYNTAX_ZUGFERD1:
		ctx = child_element(root, NS_ZF1_RSM,
				    "SpecifiedExchangedDocumentContext");
		ctx = child_element(
			ctx, NS_ZF1_RAM,
			"GuidelineSpecifiedDocumentContextParameter");
		return set_profile(doc, child_element(ctx, NS_ZF1_RAM, "ID"));
	default: return 0;
	}
}

/*
 * Takes BYTES over whatever the call ends with.  XML that is not
 * well-formed fails with FX_EPARSE and, when BROKEN is given, leaves there
 * a document with neither tree nor bytes that tells what its root start
 * tag said.
 */
static int doc_from_bytes(fx_doc **out, fx_doc **broken, fx_ctx *ctx,
			  const char *name, struct fx_buf *bytes)
{
	fx_doc *doc = NULL;
	int err;

	*out = NULL;
	if (!(doc = calloc(1, sizeof(*doc))) ||
	    !(doc->name = fx_strdup(name))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	doc->bytes = *bytes;
	*bytes = (struct fx_buf) FX_BUF_INIT;
	if (!doc->bytes.ptr && (err = fx_buf_grow(&doc->bytes, 0)) < 0)
		goto out;

	doc->syntax =
		sniff((const unsigned char *) doc->bytes.ptr, doc->bytes.len);
	if (doc->syntax == FX_SYNTAX_OTHER_XML) {
		if ((err = parse_xml(doc, ctx)) < 0) {
			if (err == FX_EPARSE && broken) {
				fx_buf_release(&doc->bytes);
				*broken = doc;
				doc = NULL;
			}
			goto out;
		}
		if ((err = recognise(doc)) < 0) {
			fx_ctx__error(ctx, err, "cannot read the root of '%s'",
				      name);
			goto out;
		}
	}
	*out = doc;
	doc = NULL;
	err = 0;
out:
	fx_doc_free(doc);
	return err;
}

int fx_doc__load_file(fx_doc **out, fx_doc **broken, fx_ctx *ctx,
		      const char *path)
{
	struct fx_buf bytes = FX_BUF_INIT;
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	int err;

	*out = NULL;
	if (broken)
		*broken = NULL;
	fx_global__ensure_init();
	fx_ctx__clear_error(ctx);
	if ((err = fx_buf_read_file(&bytes, ctx, path, fx_ctx_max_size(ctx))) <
	    0)
		goto out;
	err = doc_from_bytes(out, broken, ctx, name, &bytes);
out:
	fx_buf_release(&bytes);
	return err;
}

int fx_doc_load_file(fx_doc **out, fx_ctx *ctx, const char *path)
{
	return fx_doc__load_file(out, NULL, ctx, path);
}

int fx_doc__load_memory(fx_doc **out, fx_doc **broken, fx_ctx *ctx,
			const char *name, const void *data, size_t len)
{
	struct fx_buf bytes = FX_BUF_INIT;
	int err;

	*out = NULL;
	if (broken)
		*broken = NULL;
	fx_global__ensure_init();
	fx_ctx__clear_error(ctx);
	if (!name)
		name = "<memory>";
	if (!data && len)
		return fx_ctx__error(ctx, FX_EINVALID, "no data for '%s'",
				     name);
	if (len > fx_ctx_max_size(ctx))
		return fx_ctx__error(
			ctx, FX_ETOOBIG,
			"'%s' is larger than the limit of %zu bytes", name,
			fx_ctx_max_size(ctx));
	if ((err = fx_buf_put(&bytes, data, len)) < 0) {
		fx_ctx__error(ctx, err, "out of memory");
		goto out;
	}
	err = doc_from_bytes(out, broken, ctx, name, &bytes);
out:
	fx_buf_release(&bytes);
	return err;
}

int fx_doc_load_memory(fx_doc **out, fx_ctx *ctx, const char *name,
		       const void *data, size_t len)
{
	return fx_doc__load_memory(out, NULL, ctx, name, data, len);
}

static int index_lines(fx_doc *doc)
{
	size_t i, n = 1, k = 0;

	for (i = 0; i < doc->bytes.len; i++)
		if (doc->bytes.ptr[i] == '\n')
			n++;
	if (!(doc->lines = malloc(n * sizeof(*doc->lines))))
		return FX_ENOMEM;
	doc->lines[k++] = 0;
	for (i = 0; i < doc->bytes.len; i++)
		if (doc->bytes.ptr[i] == '\n')
			doc->lines[k++] = i + 1;
	doc->nlines = n;
	return 0;
}

/*
 * libxml2 keeps the line of an element but not its column.  The start tag
 * is on that line, or (for a tag spread over several lines) a little
 * above it: look for "<qname" followed by a delimiter.
 */
unsigned long fx_doc__column(const fx_doc *cdoc, const void *vnode)
{
	fx_doc *doc = (fx_doc *) cdoc; /* the index is a cache */
	const xmlNode *node = vnode;
	char tag[256];
	long line, l;
	size_t taglen, from, to, i;
	int n;

	if (!node || node->type != XML_ELEMENT_NODE || !doc->bytes.ptr)
		return 0;
	line = xmlGetLineNo(node);
	if (line <= 0)
		return 0;
	if (!doc->lines && index_lines(doc) < 0)
		return 0;
	if (node->ns && node->ns->prefix)
		n = snprintf(tag, sizeof(tag), "<%s:%s", node->ns->prefix,
			     node->name);
	else
		n = snprintf(tag, sizeof(tag), "<%s", node->name);
	if (n < 0 || (size_t) n >= sizeof(tag))
		return 0;
	taglen = (size_t) n;

	for (l = line; l > 0 && l > line - 8; l--) {
		if ((size_t) l > doc->nlines)
			continue;
		from = doc->lines[l - 1];
		to = (size_t) l < doc->nlines ? doc->lines[l] : doc->bytes.len;
		for (i = from; i + taglen < to; i++) {
			char c = doc->bytes.ptr[i + taglen];

			if (!memcmp(doc->bytes.ptr + i, tag, taglen) &&
			    (c == ' ' || c == '>' || c == '/' || c == '\t' ||
			     c == '\r' || c == '\n'))
				return (unsigned long) (i - from + 1);
		}
	}
	return 0;
}

void fx_doc__root_position(const fx_doc *doc, unsigned long *line,
			   unsigned long *column)
{
	xmlNodePtr root = doc->xml ? xmlDocGetRootElement(doc->xml) : NULL;
	long l = root ? xmlGetLineNo(root) : 0;

	*line = l > 0 ? (unsigned long) l : 0;
	*column = root ? fx_doc__column(doc, root) : 0;
}

static int put_step(struct fx_buf *out, const xmlNode *node)
{
	const char *prefix = NULL;
	const xmlNode *s;
	size_t pos = 0, count = 0;

	if (node->ns) {
		prefix = fx_ns__prefix((const char *) node->ns->href);
		if (!prefix)
			prefix = (const char *) node->ns->prefix;
	}
	for (s = node->parent ? node->parent->children : node; s; s = s->next) {
		if (s->type != XML_ELEMENT_NODE ||
		    strcmp((const char *) s->name, (const char *) node->name) ||
		    (s->ns == NULL) != (node->ns == NULL) ||
		    (s->ns && strcmp((const char *) s->ns->href,
				     (const char *) node->ns->href)))
			continue;
		count++;
		if (s == node)
			pos = count;
	}
	if (fx_buf_printf(out, "/%s%s%s", prefix ? prefix : "",
			  prefix && *prefix ? ":" : "",
			  (const char *) node->name) < 0)
		return FX_ENOMEM;
	if (count > 1 && fx_buf_printf(out, "[%zu]", pos) < 0)
		return FX_ENOMEM;
	return 0;
}

int fx_doc__xpath(struct fx_buf *out, const void *vnode)
{
	const xmlNode *node = vnode, *n;
	const xmlNode *chain[256];
	size_t depth = 0;
	int err;

	for (n = node; n && n->type == XML_ELEMENT_NODE; n = n->parent) {
		if (depth == FX_ARRAY_SIZE(chain))
			break;
		chain[depth++] = n;
	}
	while (depth--)
		if ((err = put_step(out, chain[depth])) < 0)
			return err;
	return 0;
}
