/* SPDX-License-Identifier: MIT */
/*
 * chorus_check.c - what Chorus Pro asks of an invoice before it takes it
 *
 * Chorus Pro routes an invoice on the buyer's SIRET and, depending on how
 * the public buyer set itself up in the directory, wants a service code
 * (BT-10) and/or a commitment number (BT-13).  The facts are read from
 * the invoice here; the directory entry comes from the API client (or its
 * cache), and the checks compare the two.  Every problem is a finding of
 * the "chorus" layer, so that submit can show it like any other before a
 * deposit the platform would reject.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "internal.h"
#include "banned.h"

#define NS_UBL_INVOICE "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
#define NS_UBL_CREDITNOTE \
	"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
#define NS_CAC                                          \
	"urn:oasis:names:specification:ubl:schema:xsd:" \
	"CommonAggregateComponents-2"
#define NS_CBC \
	"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
#define NS_RSM "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
#define NS_RAM                                 \
	"urn:un:unece:uncefact:data:standard:" \
	"ReusableAggregateBusinessInformationEntity:100"
#define NS_UDT "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"

#define SIRET_SCHEME "0009"

/* Where the facts are in each syntax, relative to the root element. */
struct fact_paths {
	const char *number, *issue_date, *service, *commitment;
	const char *bt46; /* buyer identifiers, in document order */
	const char *bt47; /* buyer legal registration identifiers */
};

static const struct fact_paths ubl_paths = {
	"cbc:ID",
	"cbc:IssueDate",
	"cbc:BuyerReference",
	"cac:OrderReference/cbc:ID",
	"cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID",
	"cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/"
	"cbc:CompanyID",
};

#define CII_AGREEMENT \
	"rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
#define CII_BUYER CII_AGREEMENT "ram:BuyerTradeParty/"

static const struct fact_paths cii_paths = {
	"rsm:ExchangedDocument/ram:ID",
	"rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
	CII_AGREEMENT "ram:BuyerReference",
	CII_AGREEMENT "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
	CII_BUYER "ram:ID | " CII_BUYER "ram:GlobalID",
	CII_BUYER "ram:SpecifiedLegalOrganization/ram:ID",
};

void fx_chorus_facts_clear(fx_chorus_facts *f)
{
	if (!f)
		return;
	free(f->number);
	free(f->issue_date);
	free(f->buyer_id);
	free(f->buyer_scheme);
	free(f->buyer_term);
	free(f->service_code);
	free(f->commitment);
	memset(f, 0, sizeof(*f));
}

static int is_xml_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* S trimmed, as a new string; NULL in *out when nothing is left. */
static int dup_trimmed(char **out, const char *s)
{
	const char *end;

	*out = NULL;
	if (!s)
		return 0;
	while (is_xml_space((unsigned char) *s))
		s++;
	end = s + strlen(s);
	while (end > s && is_xml_space((unsigned char) end[-1]))
		end--;
	if (end == s)
		return 0;
	return (*out = fx_strndup(s, (size_t) (end - s))) ? 0 : FX_ENOMEM;
}

static int node_text(char **out, xmlNodePtr node)
{
	xmlChar *content = xmlNodeGetContent(node);
	int err;

	err = dup_trimmed(out, (const char *) content);
	xmlFree(content);
	return err;
}

static int node_attr(char **out, xmlNodePtr node, const char *name)
{
	xmlChar *value = xmlGetProp(node, (const xmlChar *) name);
	int err;

	err = dup_trimmed(out, (const char *) value);
	xmlFree(value);
	return err;
}

static xmlXPathObjectPtr eval(xmlXPathContextPtr xpc, const char *expr)
{
	xmlXPathObjectPtr obj =
		xmlXPathEvalExpression((const xmlChar *) expr, xpc);

	if (obj && (obj->type != XPATH_NODESET || !obj->nodesetval)) {
		xmlXPathFreeObject(obj);
		return NULL;
	}
	return obj;
}

/* The text of the first node at EXPR that has some; NULL if none. */
static int first_text(char **out, xmlXPathContextPtr xpc, const char *expr)
{
	xmlXPathObjectPtr obj = eval(xpc, expr);
	int i, err = 0;

	*out = NULL;
	if (!obj)
		return 0;
	for (i = 0; i < obj->nodesetval->nodeNr && !*out; i++)
		if ((err = node_text(out, obj->nodesetval->nodeTab[i])) < 0)
			break;
	xmlXPathFreeObject(obj);
	return err;
}

/* A buyer identifier seen in the invoice. */
struct buyer_id {
	char *value, *scheme;
	const char *term;
};

static void buyer_id_release(struct buyer_id *b)
{
	free(b->value);
	free(b->scheme);
	b->value = b->scheme = NULL;
}

/*
 * Look through the identifiers at EXPR: the first with scheme 0009 goes
 * to *siret (unless one was found already); the first of any kind to
 * *first, so that a message can say what the invoice gives instead.
 */
static int scan_ids(struct buyer_id *siret, struct buyer_id *first,
		    xmlXPathContextPtr xpc, const char *expr, const char *term)
{
	xmlXPathObjectPtr obj = eval(xpc, expr);
	struct buyer_id b = { NULL, NULL, term };
	int i, err = 0;

	if (!obj)
		return 0;
	for (i = 0; i < obj->nodesetval->nodeNr; i++) {
		xmlNodePtr node = obj->nodesetval->nodeTab[i];

		if ((err = node_text(&b.value, node)) < 0 ||
		    (err = node_attr(&b.scheme, node, "schemeID")) < 0)
			break;
		if (!b.value) {
			buyer_id_release(&b);
			continue;
		}
		if (!siret->value && b.scheme &&
		    !strcmp(b.scheme, SIRET_SCHEME)) {
			*siret = b;
		} else if (!first->value) {
			*first = b;
		} else {
			buyer_id_release(&b);
		}
		b.value = b.scheme = NULL;
	}
	buyer_id_release(&b);
	xmlXPathFreeObject(obj);
	return err;
}

/* CII dates in format 102 (YYYYMMDD) become YYYY-MM-DD like UBL's. */
static int cii_date(char **date)
{
	char *s = *date, *iso;
	int i;

	if (!s || strlen(s) != 8)
		return 0;
	for (i = 0; i < 8; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (!(iso = malloc(11)))
		return FX_ENOMEM;
	memcpy(iso, s, 4);
	iso[4] = '-';
	memcpy(iso + 5, s + 4, 2);
	iso[7] = '-';
	memcpy(iso + 8, s + 6, 2);
	iso[10] = '\0';
	free(s);
	*date = iso;
	return 0;
}

int fx_chorus_facts_read(fx_chorus_facts *out, fx_ctx *ctx, const fx_doc *doc)
{
	const struct fact_paths *paths;
	xmlDocPtr xml;
	xmlXPathContextPtr xpc = NULL;
	struct buyer_id siret = { NULL, NULL, NULL },
			bt46 = { NULL, NULL, NULL },
			bt47 = { NULL, NULL, NULL };
	struct buyer_id *chosen;
	fx_chorus_facts f;
	int err = 0;

	memset(out, 0, sizeof(*out));
	memset(&f, 0, sizeof(f));
	if (!doc)
		return fx_ctx__error(ctx, FX_EINVALID, "no document given");
	switch (fx_doc_syntax(doc)) {
	case FX_SYNTAX_UBL_INVOICE:
	case FX_SYNTAX_UBL_CREDITNOTE: paths = &ubl_paths; break;
	case FX_SYNTAX_CII: paths = &cii_paths; break;
	default:
		return fx_ctx__error(ctx, FX_EINVALID,
				     "'%s' is a %s, not a UBL or CII invoice: "
				     "no Chorus Pro facts to read",
				     fx_doc_name(doc) ? fx_doc_name(doc) : "-",
				     fx_syntax_name(fx_doc_syntax(doc)));
	}
	if (!(xml = fx_doc__xml(doc)) || !xmlDocGetRootElement(xml))
		return fx_ctx__error(ctx, FX_EINVALID,
				     "'%s' has no XML tree to read",
				     fx_doc_name(doc) ? fx_doc_name(doc) : "-");

	if (!(xpc = xmlXPathNewContext(xml)) ||
	    xmlXPathRegisterNs(xpc, (const xmlChar *) "cac",
			       (const xmlChar *) NS_CAC) ||
	    xmlXPathRegisterNs(xpc, (const xmlChar *) "cbc",
			       (const xmlChar *) NS_CBC) ||
	    xmlXPathRegisterNs(xpc, (const xmlChar *) "rsm",
			       (const xmlChar *) NS_RSM) ||
	    xmlXPathRegisterNs(xpc, (const xmlChar *) "ram",
			       (const xmlChar *) NS_RAM) ||
	    xmlXPathRegisterNs(xpc, (const xmlChar *) "udt",
			       (const xmlChar *) NS_UDT)) {
		err = FX_ENOMEM;
		goto out;
	}
	xpc->node = xmlDocGetRootElement(xml);

	if ((err = first_text(&f.number, xpc, paths->number)) < 0 ||
	    (err = first_text(&f.issue_date, xpc, paths->issue_date)) < 0 ||
	    (err = first_text(&f.service_code, xpc, paths->service)) < 0 ||
	    (err = first_text(&f.commitment, xpc, paths->commitment)) < 0)
		goto out;
	if (paths == &cii_paths && (err = cii_date(&f.issue_date)) < 0)
		goto out;

	/* a SIRET wherever it is, BT-46 first; else what there is */
	if ((err = scan_ids(&siret, &bt46, xpc, paths->bt46, "BT-46")) < 0 ||
	    (err = scan_ids(&siret, &bt47, xpc, paths->bt47, "BT-47")) < 0)
		goto out;
	chosen = siret.value ? &siret : bt47.value ? &bt47 : &bt46;
	if (chosen->value) {
		f.buyer_id = chosen->value;
		f.buyer_scheme = chosen->scheme;
		chosen->value = chosen->scheme = NULL;
		if (!(f.buyer_term = fx_strdup(chosen->term))) {
			err = FX_ENOMEM;
			goto out;
		}
	}
	*out = f;
	memset(&f, 0, sizeof(f));
out:
	if (err == FX_ENOMEM)
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	buyer_id_release(&siret);
	buyer_id_release(&bt46);
	buyer_id_release(&bt47);
	xmlXPathFreeContext(xpc);
	fx_chorus_facts_clear(&f);
	return err;
}

/* ---- SIRET ------------------------------------------------------------- */

#define LA_POSTE_SIREN "356000000"

/*
 * Why TEXT is not a SIRET, or NULL when it is one.  The Luhn key holds for
 * a SIRET; the establishments of La Poste (SIREN 356000000) are numbered
 * outside it, and for them the sum of the digits is a multiple of 5.
 */
static const char *siret_problem(const char *text)
{
	unsigned sum = 0, luhn = 0, d;
	size_t i, len;

	if (!text)
		return "it is missing";
	len = strlen(text);
	for (i = 0; i < len; i++)
		if (text[i] < '0' || text[i] > '9')
			return "it holds characters other than digits, and a "
			       "SIRET is 14 digits";
	if (len != 14)
		return "it does not have 14 digits, as a SIRET does";
	for (i = 0; i < 14; i++) {
		d = (unsigned) (text[13 - i] - '0');
		sum += d;
		if (i % 2) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		luhn += d;
	}
	if (luhn % 10 == 0)
		return NULL;
	if (!memcmp(text, LA_POSTE_SIREN, 9))
		return sum % 5 == 0 ? NULL
				    : "its digits do not add up to a multiple "
				      "of 5, as those of La Poste's SIRETs do";
	return "its check digit is wrong";
}

int fx_siret_valid(const char *text)
{
	return siret_problem(text) == NULL;
}

/* ---- The checks -------------------------------------------------------- */

struct checker {
	fx_report *report;
	size_t fatal;
	int err;
	struct fx_buf buyer; /* "11000201100044 (COMMUNE DE TESTVILLE)" */
};

static void add(struct checker *c, fx_severity severity, const char *rule,
		const char *terms, const char *fmt, ...) FX_PRINTF(5, 6);

static void add(struct checker *c, fx_severity severity, const char *rule,
		const char *terms, const char *fmt, ...)
{
	struct fx_buf msg = FX_BUF_INIT;
	fx_finding f;
	va_list ap;
	int err;

	if (c->err < 0)
		return;
	va_start(ap, fmt);
	err = fx_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (err >= 0) {
		memset(&f, 0, sizeof(f));
		f.severity = severity;
		f.layer = FX_LAYER_CHORUS;
		f.rule = rule;
		f.message = msg.ptr;
		f.terms = terms;
		err = fx_report_add(c->report, &f);
	}
	fx_buf_release(&msg);
	if (err < 0)
		c->err = err;
	else if (severity == FX_SEVERITY_FATAL)
		c->fatal++;
}

static const char *or_none(const char *s, const char *none)
{
	return s ? s : none;
}

static void check_siret(struct checker *c, const fx_chorus_facts *f)
{
	const char *terms = or_none(f->buyer_term, "BT-46, BT-47");
	const char *why;

	if (!f->buyer_id) {
		add(c, FX_SEVERITY_FATAL, "CPRO-01", "BT-46, BT-47",
		    "the invoice gives no buyer identifier (BT-46 or BT-47), "
		    "but Chorus Pro finds the public buyer by its SIRET, an "
		    "identifier with scheme 0009");
		return;
	}
	if (!f->buyer_scheme || strcmp(f->buyer_scheme, SIRET_SCHEME)) {
		if (f->buyer_scheme)
			add(c, FX_SEVERITY_FATAL, "CPRO-01", terms,
			    "the buyer identifier (%s, scheme %s) is '%s', but "
			    "Chorus Pro finds the public buyer by its SIRET, "
			    "an identifier with scheme 0009 in BT-46 or BT-47",
			    terms, f->buyer_scheme, f->buyer_id);
		else
			add(c, FX_SEVERITY_FATAL, "CPRO-01", terms,
			    "the buyer identifier (%s, without a scheme) is "
			    "'%s', but Chorus Pro finds the public buyer by "
			    "its SIRET, an identifier with scheme 0009 in "
			    "BT-46 or BT-47",
			    terms, f->buyer_id);
		return;
	}
	if ((why = siret_problem(f->buyer_id)))
		add(c, FX_SEVERITY_FATAL, "CPRO-02", terms,
		    "the buyer identifier (%s, scheme 0009) is '%s', which is "
		    "not a SIRET: %s",
		    terms, f->buyer_id, why);
}

/*
 * The directory lists it among a public buyer's services, but it receives
 * the invoices of other public bodies only: a supplier's flow naming it
 * is rejected (chorus-api.md 3.6).
 */
#define PUBLIC_TO_PUBLIC_SERVICE "FACTURES_PUBLIQUES"

/* Can a supplier name this service in BT-10? */
static int service_usable(const fx_chorus_service *service)
{
	return service->code &&
	       strcmp(service->code, PUBLIC_TO_PUBLIC_SERVICE) != 0;
}

static const fx_chorus_service *find_service(const fx_chorus_structure *s,
					     const char *code)
{
	size_t i;

	for (i = 0; i < s->nservices; i++)
		if (service_usable(&s->services[i]) &&
		    !strcmp(s->services[i].code, code))
			return &s->services[i];
	return NULL;
}

/* "A, B, C" (at most a dozen, then how many more). */
static int list_services(struct fx_buf *out, const fx_chorus_structure *s)
{
	size_t i, shown = 0, more = 0;
	int err = 0;

	for (i = 0; i < s->nservices && err >= 0; i++) {
		if (!service_usable(&s->services[i]))
			continue;
		if (shown == 12) {
			more++;
			continue;
		}
		err = fx_buf_printf(out, "%s%s", shown ? ", " : "",
				    s->services[i].code);
		shown++;
	}
	if (err >= 0 && more)
		err = fx_buf_printf(out, " and %zu more", more);
	else if (err >= 0 && !shown)
		err = fx_buf_puts(out, "none a supplier may name");
	return err;
}

static void check_structure(struct checker *c, const fx_chorus_facts *f,
			    const fx_chorus_structure *s)
{
	const fx_chorus_service *service = NULL;
	const char *who = c->buyer.ptr;
	struct fx_buf list = FX_BUF_INIT;
	int commitment_reported = 0;

	if (s->status && !strcmp(s->status, "INACTIVE"))
		add(c, FX_SEVERITY_WARNING, "CPRO-08",
		    or_none(f->buyer_term, "BT-46, BT-47"),
		    "buyer %s is inactive in the Chorus Pro directory: it may "
		    "no longer accept invoices",
		    who);

	/*
	 * As the platform applies them: "service code or commitment" rules
	 * out the two others; else each flag asks for its own reference.
	 */
	if (s->service_or_commitment) {
		if (!f->service_code && !f->commitment)
			add(c, FX_SEVERITY_FATAL, "CPRO-05", "BT-10, BT-13",
			    "buyer %s requires a service code or a commitment "
			    "number, but the invoice has neither a buyer "
			    "reference (BT-10) nor a purchase order reference "
			    "(BT-13)",
			    who);
	} else {
		if (s->service_required && !f->service_code)
			add(c, FX_SEVERITY_FATAL, "CPRO-03", "BT-10",
			    "buyer %s requires a service code, but the "
			    "invoice has no buyer reference (BT-10)",
			    who);
		if (s->commitment_required && !f->commitment) {
			add(c, FX_SEVERITY_FATAL, "CPRO-04", "BT-13",
			    "buyer %s requires a commitment number, but the "
			    "invoice has no purchase order reference (BT-13)",
			    who);
			commitment_reported = 1;
		}
	}

	if (f->service_code && s->nservices) {
		if (!(service = find_service(s, f->service_code))) {
			if (list_services(&list, s) < 0) {
				c->err = FX_ENOMEM;
				goto out;
			}
			if (!strcmp(f->service_code, PUBLIC_TO_PUBLIC_SERVICE))
				add(c, FX_SEVERITY_FATAL, "CPRO-06", "BT-10",
				    "the buyer reference (BT-10) is '%s', a "
				    "service of buyer %s that takes invoices "
				    "between public bodies only, and Chorus "
				    "Pro rejects a supplier's invoice sent to "
				    "it; its other services are %s",
				    f->service_code, who, list.ptr);
			else
				add(c, FX_SEVERITY_FATAL, "CPRO-06", "BT-10",
				    "the buyer reference (BT-10) is '%s', "
				    "which is not an active service of buyer "
				    "%s; its services are %s",
				    f->service_code, who, list.ptr);
		} else if (service->commitment_required && !f->commitment &&
			   !commitment_reported) {
			add(c, FX_SEVERITY_FATAL, "CPRO-04", "BT-10, BT-13",
			    "service %s%s%s%s of buyer %s requires a "
			    "commitment "
			    "number, but the invoice has no purchase order "
			    "reference (BT-13)",
			    service->code, service->label ? " (" : "",
			    or_none(service->label, ""),
			    service->label ? ")" : "", who);
		}
	}
out:
	fx_buf_release(&list);
}

int fx_chorus_check_invoice(fx_report *report, const fx_chorus_facts *facts,
			    const fx_chorus_structure *structure, int found)
{
	struct checker c = { report, 0, 0, FX_BUF_INIT };
	const char *siret;

	if (!report || !facts)
		return FX_EINVALID;

	check_siret(&c, facts);

	/* offline: what the directory says is not known */
	if (structure) {
		siret = structure->siret && *structure->siret
				? structure->siret
				: or_none(facts->buyer_id, "(none)");
		if (structure->name && *structure->name && found)
			c.err = fx_buf_printf(&c.buyer, "%s (%s)", siret,
					      structure->name);
		else
			c.err = fx_buf_puts(&c.buyer, siret);
		if (c.err < 0)
			goto out;
		if (!found)
			add(&c, FX_SEVERITY_FATAL, "CPRO-07",
			    or_none(facts->buyer_term, "BT-46, BT-47"),
			    "buyer %s is not in the Chorus Pro directory: no "
			    "public structure has that SIRET",
			    c.buyer.ptr);
		else
			check_structure(&c, facts, structure);
	}
out:
	fx_buf_release(&c.buyer);
	if (c.err < 0)
		return c.err;
	if (!c.fatal &&
	    fx_report_layer(report, FX_LAYER_CHORUS) != FX_LAYER_FAIL)
		fx_report_set_layer(report, FX_LAYER_CHORUS, FX_LAYER_PASS);
	else if (c.fatal)
		fx_report_set_layer(report, FX_LAYER_CHORUS, FX_LAYER_FAIL);
	return 0;
}
