/* SPDX-License-Identifier: MIT */
/*
 * fx-schc.c - our Schematron compiler: rules/NAME.sch to XSLT 1.0, at build
 * time
 *
 * usage: fx-schc IN.sch OUT.xsl OUT.idx
 *
 * The Schematron we write (rules/README.md) is ISO Schematron with XPath 1.0
 * and our fx: extension functions, plus three attributes of ours on assert
 * and report: fx:terms (the business terms concerned), and the standard
 * id and flag ("fatal" or "warning", the default being fatal).
 *
 * The stylesheet walks the document once per pattern.  In a pattern, a
 * node is handled by the first rule whose context matches it (template
 * priorities fall with the rule's position), as Schematron requires.  A
 * failed assert (or a successful report) calls fx:fail(), which the
 * library implements in C and which adds the finding to the report
 * directly: no result tree, no SVRL to read back.
 *
 * OUT.idx lists the checks, one per line: id, flag, terms, pattern,
 * message, separated by tabs, for `facture rules`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>

#define SCH_NS "http://purl.oclc.org/dsdl/schematron"
#define XSL_NS "http://www.w3.org/1999/XSL/Transform"
#define FX_NS  "urn:facture:functions"

struct compiler {
	const char *path;
	xmlDocPtr out;
	xmlNodePtr sheet;
	xmlNsPtr xsl;
	FILE *index;
	int npatterns;
	int nchecks;
	int errors;
};

static void fail(struct compiler *c, xmlNodePtr at, const char *what,
		 const char *detail)
{
	fprintf(stderr, "%s:%ld: %s%s%s\n",
		at && at->doc && at->doc->URL ? (const char *) at->doc->URL
					      : c->path,
		at ? xmlGetLineNo(at) : 0L, what, detail ? ": " : "",
		detail ? detail : "");
	c->errors++;
}

static int is(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns &&
	       !strcmp((const char *) n->ns->href, ns) &&
	       !strcmp((const char *) n->name, name);
}

/* An attribute's value, or NULL; the caller frees it with xmlFree. */
static char *attr(xmlNodePtr n, const char *name)
{
	return (char *) xmlGetProp(n, (const xmlChar *) name);
}

static char *fx_attr(xmlNodePtr n, const char *name)
{
	return (char *) xmlGetNsProp(n, (const xmlChar *) name,
				     (const xmlChar *) FX_NS);
}

static xmlNodePtr xsl_el(struct compiler *c, xmlNodePtr parent,
			 const char *name)
{
	return xmlNewChild(parent, c->xsl, (const xmlChar *) name, NULL);
}

static void set(xmlNodePtr n, const char *name, const char *value)
{
	xmlSetProp(n, (const xmlChar *) name, (const xmlChar *) value);
}

/* Words that go into an XPath string literal must not close it. */
static int literal_ok(const char *s)
{
	return s && !strchr(s, '\'') && !strchr(s, '\t') && !strchr(s, '\n');
}

/* <let name= value=/> becomes an xsl:variable. */
static void compile_let(struct compiler *c, xmlNodePtr let, xmlNodePtr into)
{
	char *name = attr(let, "name"), *value = attr(let, "value");
	xmlNodePtr v;

	if (!name || !value) {
		fail(c, let, "let needs name and value", NULL);
	} else {
		v = xsl_el(c, into, "variable");
		set(v, "name", name);
		set(v, "select", value);
	}
	xmlFree(name);
	xmlFree(value);
}

/* Message content: text, value-of and name, into xsl instructions;
 * the index gets the message with {expression} where values go. */
static void compile_message(struct compiler *c, xmlNodePtr check,
			    xmlNodePtr into, char *plain, size_t cap)
{
	xmlNodePtr n, v;
	size_t len = 0;

	plain[0] = '\0';
	for (n = check->children; n; n = n->next) {
		char *select = NULL;
		const char *piece = NULL;

		if (n->type == XML_TEXT_NODE ||
		    n->type == XML_CDATA_SECTION_NODE) {
			v = xsl_el(c, into, "text");
			xmlNodeSetContent(v, n->content);
			piece = (const char *) n->content;
		} else if (is(n, SCH_NS, "value-of")) {
			select = attr(n, "select");
			if (!select) {
				fail(c, n, "value-of needs select", NULL);
				continue;
			}
			v = xsl_el(c, into, "value-of");
			set(v, "select", select);
		} else if (is(n, SCH_NS, "name")) {
			char *path = attr(n, "path");
			char buf[1024];

			snprintf(buf, sizeof(buf), "name(%s)",
				 path ? path : ".");
			xmlFree(path);
			v = xsl_el(c, into, "value-of");
			set(v, "select", buf);
			select = (char *) xmlStrdup((const xmlChar *) buf);
		} else if (n->type == XML_ELEMENT_NODE) {
			fail(c, n, "unexpected element in a message",
			     (const char *) n->name);
			continue;
		} else {
			continue;
		}
		if (select) {
			len += (size_t) snprintf(plain + len,
						 len < cap ? cap - len : 0,
						 "{%s}", select);
			xmlFree(select);
		} else if (piece) {
			len += (size_t) snprintf(plain + len,
						 len < cap ? cap - len : 0,
						 "%s", piece);
		}
	}
	if (len >= cap)
		plain[cap - 1] = '\0';
}

/* Collapse white space, for the index. */
static void squeeze(char *s)
{
	char *r = s, *w = s;
	int space = 1;

	for (; *r; r++) {
		int ws = *r == ' ' || *r == '\t' || *r == '\n' || *r == '\r';

		if (ws && space)
			continue;
		*w++ = ws ? ' ' : *r;
		space = ws;
	}
	while (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

static void compile_check(struct compiler *c, xmlNodePtr check, xmlNodePtr into,
			  const char *pattern, int report)
{
	char *id = attr(check, "id"), *test = attr(check, "test");
	char *flag = attr(check, "flag"), *terms = fx_attr(check, "terms");
	char call[1024], plain[4096], cond[8192];
	xmlNodePtr test_el, msg;

	if (!flag)
		flag = attr(check, "role");
	if (!id || !test || !literal_ok(id)) {
		fail(c, check,
		     report ? "report needs a plain id and test"
			    : "assert needs a plain id and test",
		     id);
		goto out;
	}
	if (flag && strcmp(flag, "fatal") && strcmp(flag, "warning") &&
	    strcmp(flag, "information")) {
		fail(c, check, "flag must be fatal, warning or information",
		     flag);
		goto out;
	}
	if (terms && !literal_ok(terms)) {
		fail(c, check, "fx:terms may not hold quotes", terms);
		goto out;
	}

	test_el = xsl_el(c, into, "if");
	if (report) {
		set(test_el, "test", test);
	} else {
		snprintf(cond, sizeof(cond), "not(%s)", test);
		set(test_el, "test", cond);
	}
	msg = xsl_el(c, test_el, "variable");
	set(msg, "name", "fx-message");
	compile_message(c, check, msg, plain, sizeof(plain));
	snprintf(call, sizeof(call),
		 "fx:fail('%s', '%s', normalize-space($fx-message), ., '%s')",
		 id, flag ? flag : "fatal", terms ? terms : "");
	set(xsl_el(c, test_el, "value-of"), "select", call);

	squeeze(plain);
	fprintf(c->index, "%s\t%s\t%s\t%s\t%s\n", id, flag ? flag : "fatal",
		terms ? terms : "", pattern, plain);
	c->nchecks++;
out:
	xmlFree(id);
	xmlFree(test);
	xmlFree(flag);
	xmlFree(terms);
}

static void compile_pattern(struct compiler *c, xmlNodePtr pattern,
			    xmlNodePtr start)
{
	char mode[32], prio[32];
	char *pid = attr(pattern, "id");
	xmlNodePtr r, n, t, lets = NULL;
	int nrules = 0, i = 0;

	snprintf(mode, sizeof(mode), "p%d", ++c->npatterns);
	t = xsl_el(c, start, "apply-templates");
	set(t, "select", "/");
	set(t, "mode", mode);

	for (r = pattern->children; r; r = r->next)
		if (is(r, SCH_NS, "rule"))
			nrules++;
	for (r = pattern->children; r; r = r->next) {
		char *context;

		if (is(r, SCH_NS, "let")) {
			lets = r; /* pattern lets: repeated in each rule */
			continue;
		}
		if (!is(r, SCH_NS, "rule"))
			continue;
		if (!(context = attr(r, "context"))) {
			fail(c, r, "rule needs a context", NULL);
			continue;
		}
		t = xsl_el(c, c->sheet, "template");
		set(t, "match", context);
		set(t, "mode", mode);
		snprintf(prio, sizeof(prio), "%d", 10 + nrules - i++);
		set(t, "priority", prio);
		xmlFree(context);
		for (n = pattern->children; lets && n; n = n->next)
			if (is(n, SCH_NS, "let"))
				compile_let(c, n, t);
		for (n = r->children; n; n = n->next) {
			if (is(n, SCH_NS, "let"))
				compile_let(c, n, t);
			else if (is(n, SCH_NS, "assert"))
				compile_check(c, n, t, pid ? pid : mode, 0);
			else if (is(n, SCH_NS, "report"))
				compile_check(c, n, t, pid ? pid : mode, 1);
			else if (n->type == XML_ELEMENT_NODE)
				fail(c, n, "unexpected element in a rule",
				     (const char *) n->name);
		}
		n = xsl_el(c, t, "apply-templates");
		set(n, "select", "*|@*");
		set(n, "mode", mode);
	}

	/* nodes no rule takes: walk on, and say nothing */
	t = xsl_el(c, c->sheet, "template");
	set(t, "match", "*");
	set(t, "mode", mode);
	set(t, "priority", "-10");
	n = xsl_el(c, t, "apply-templates");
	set(n, "select", "*|@*");
	set(n, "mode", mode);
	t = xsl_el(c, c->sheet, "template");
	set(t, "match", "@*|text()");
	set(t, "mode", mode);
	set(t, "priority", "-10");
	xmlFree(pid);
}

/* Children of a schema, with includes replaced by what they include. */
static void compile_children(struct compiler *c, xmlNodePtr parent,
			     xmlNodePtr start, int depth);

static void compile_include(struct compiler *c, xmlNodePtr inc,
			    xmlNodePtr start, int depth)
{
	char *href = attr(inc, "href");
	xmlChar *uri = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root;

	if (!href || depth > 8) {
		fail(c, inc, "include needs an href (and no loop)", NULL);
		goto out;
	}
	uri = xmlBuildURI((const xmlChar *) href, inc->doc->URL);
	doc = xmlReadFile((const char *) uri, NULL, XML_PARSE_NONET);
	if (!doc || !(root = xmlDocGetRootElement(doc))) {
		fail(c, inc, "cannot read included file", (const char *) uri);
		goto out;
	}
	if (is(root, SCH_NS, "pattern"))
		compile_pattern(c, root, start);
	else if (is(root, SCH_NS, "schema"))
		compile_children(c, root, start, depth + 1);
	else
		fail(c, root, "an included file holds a pattern or a schema",
		     NULL);
out:
	xmlFreeDoc(doc);
	xmlFree(uri);
	xmlFree(href);
}

static void compile_children(struct compiler *c, xmlNodePtr parent,
			     xmlNodePtr start, int depth)
{
	xmlNodePtr n;

	for (n = parent->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, SCH_NS, "ns")) {
			char *prefix = attr(n, "prefix"), *uri = attr(n, "uri");

			if (prefix && uri)
				xmlNewNs(c->sheet, (const xmlChar *) uri,
					 (const xmlChar *) prefix);
			else
				fail(c, n, "ns needs prefix and uri", NULL);
			xmlFree(prefix);
			xmlFree(uri);
		} else if (is(n, SCH_NS, "let")) {
			compile_let(c, n, c->sheet);
		} else if (is(n, SCH_NS, "pattern")) {
			compile_pattern(c, n, start);
		} else if (is(n, SCH_NS, "include")) {
			compile_include(c, n, start, depth);
		} else if (is(n, XSL_NS, "key")) {
			/* keys are how rules look things up without quadratic
			 * scans: copied as they are */
			xmlAddChild(c->sheet, xmlDocCopyNode(n, c->out, 1));
		} else if (is(n, SCH_NS, "title") || is(n, SCH_NS, "p")) {
			continue;
		} else {
			fail(c, n, "unexpected element in a schema",
			     (const char *) n->name);
		}
	}
}

int main(int argc, char **argv)
{
	struct compiler c;
	xmlDocPtr in = NULL;
	xmlNodePtr root, start, n;

	if (argc != 4) {
		fprintf(stderr, "usage: fx-schc IN.sch OUT.xsl OUT.idx\n");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.path = argv[1];
	in = xmlReadFile(argv[1], NULL, XML_PARSE_NONET);
	if (!in || !(root = xmlDocGetRootElement(in)) ||
	    !is(root, SCH_NS, "schema")) {
		fprintf(stderr, "%s: not a Schematron schema\n", argv[1]);
		return 1;
	}
	if (!(c.index = fopen(argv[3], "w"))) {
		perror(argv[3]);
		return 1;
	}

	c.out = xmlNewDoc((const xmlChar *) "1.0");
	c.sheet = xmlNewNode(NULL, (const xmlChar *) "stylesheet");
	xmlDocSetRootElement(c.out, c.sheet);
	c.xsl = xmlNewNs(c.sheet, (const xmlChar *) XSL_NS,
			 (const xmlChar *) "xsl");
	xmlSetNs(c.sheet, c.xsl);
	xmlNewNs(c.sheet, (const xmlChar *) FX_NS, (const xmlChar *) "fx");
	set(c.sheet, "version", "1.0");
	set(c.sheet, "exclude-result-prefixes", "fx");
	n = xsl_el(&c, c.sheet, "output");
	set(n, "method", "text");

	/* the entry template comes first; patterns add to it in order */
	start = xmlNewNode(c.xsl, (const xmlChar *) "template");
	set(start, "match", "/");
	compile_children(&c, root, start, 0);
	xmlAddChild(c.sheet, start);

	if (c.errors) {
		fprintf(stderr, "%s: %d errors\n", argv[1], c.errors);
		fclose(c.index);
		remove(argv[3]);
		return 1;
	}
	if (fclose(c.index) != 0 ||
	    xmlSaveFormatFileEnc(argv[2], c.out, "UTF-8", 1) < 0) {
		fprintf(stderr, "cannot write %s\n", argv[2]);
		return 1;
	}
	xmlFreeDoc(c.out);
	xmlFreeDoc(in);
	return 0;
}
