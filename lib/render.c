/* SPDX-License-Identifier: MIT */
/*
 * render.c - reports as text, JSON, JUnit XML and SARIF 2.1.0
 *
 * Each renderer streams: begin, one report at a time, end.  Only JUnit
 * keeps its test cases until the end, because the suite's counts come
 * first in the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

#define FX_REPORT_FORMAT_VERSION 1

struct fx_renderer {
	fx_format format;
	fx_render_opts opts;
	struct fx_buf out;   /* what is waiting to be written */
	struct fx_buf cases; /* JUnit test cases */
	struct fx_buf rules; /* SARIF: rule ids seen, "\n"-separated */
	size_t files;
	size_t results; /* SARIF results written so far */
	int failed;
};

int fx_format_parse(fx_format *out, const char *name)
{
	static const struct {
		const char *name;
		fx_format format;
	} formats[] = {
		{ "text", FX_FORMAT_TEXT },   { "json", FX_FORMAT_JSON },
		{ "junit", FX_FORMAT_JUNIT }, { "sarif", FX_FORMAT_SARIF },
		{ "svrl", FX_FORMAT_SVRL },
	};
	size_t i;

	for (i = 0; name && i < FX_ARRAY_SIZE(formats); i++) {
		if (!strcmp(name, formats[i].name)) {
			*out = formats[i].format;
			return 0;
		}
	}
	return FX_EINVALID;
}

void fx_summary_add(fx_summary *s, const fx_report *r)
{
	s->files++;
	switch (fx_report_outcome(r)) {
	case FX_OUTCOME_VALID: s->valid++; break;
	case FX_OUTCOME_INVALID: s->invalid++; break;
	default: s->errors++; break;
	}
	s->fatal += fx_report_count_severity(r, FX_SEVERITY_FATAL);
	s->warning += fx_report_count_severity(r, FX_SEVERITY_WARNING);
	s->info += fx_report_count_severity(r, FX_SEVERITY_INFO);
}

static int flush(fx_renderer *r)
{
	if (r->failed)
		return FX_EIO;
	if (r->out.len &&
	    r->opts.write(r->out.ptr, r->out.len, r->opts.payload) < 0)
		r->failed = 1;
	fx_buf_clear(&r->out);
	return r->failed ? FX_EIO : 0;
}

/*
 * Length of the well-formed UTF-8 sequence at P (1 to 4), or 0.  File
 * names can hold any bytes; what we write must stay UTF-8.
 */
static size_t utf8_seq(const unsigned char *p)
{
	size_t n, i;
	unsigned c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		n = 2;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		n = 3;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	c = p[0] & (0xFFu >> (n + 1));
	for (i = 1; i < n; i++)
		c = (c << 6) | (p[i] & 0x3F);
	if ((n == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10FFFF)))
		return 0;
	return n;
}

/* Copy the UTF-8 sequence at *P, or U+FFFD for a byte that is not one. */
static int put_utf8(struct fx_buf *b, const unsigned char **p)
{
	size_t n = utf8_seq(*p);

	if (!n) {
		(*p)++;
		return fx_buf_puts(b, "\xEF\xBF\xBD");
	}
	*p += n;
	return fx_buf_put(b, *p - n, n);
}

/* Seconds with three decimals and a dot, whatever the locale. */
static void format_seconds(char out[32], double seconds)
{
	unsigned long ms =
		seconds > 0 ? (unsigned long) (seconds * 1000 + 0.5) : 0;

	snprintf(out, 32, "%lu.%03lu", ms / 1000, ms % 1000);
}

static int json_string(struct fx_buf *b, const char *s)
{
	const unsigned char *p;
	int err;

	if (!s)
		return fx_buf_puts(b, "null");
	if ((err = fx_buf_put(b, "\"", 1)) < 0)
		return err;
	for (p = (const unsigned char *) s; *p && err >= 0;) {
		switch (*p) {
		case '"': err = fx_buf_puts(b, "\\\""); break;
		case '\\': err = fx_buf_puts(b, "\\\\"); break;
		case '\n': err = fx_buf_puts(b, "\\n"); break;
		case '\r': err = fx_buf_puts(b, "\\r"); break;
		case '\t': err = fx_buf_puts(b, "\\t"); break;
		default:
			if (*p >= 0x80) {
				err = put_utf8(b, &p);
				continue;
			}
			err = *p < 0x20 ? fx_buf_printf(b, "\\u%04x", *p)
					: fx_buf_put(b, p, 1);
		}
		p++;
	}
	return err < 0 ? err : fx_buf_put(b, "\"", 1);
}

static int xml_text(struct fx_buf *b, const char *s)
{
	const unsigned char *p;
	int err = 0;

	for (p = (const unsigned char *) (s ? s : ""); *p && err >= 0;) {
		switch (*p) {
		case '<': err = fx_buf_puts(b, "&lt;"); break;
		case '>': err = fx_buf_puts(b, "&gt;"); break;
		case '&': err = fx_buf_puts(b, "&amp;"); break;
		case '"': err = fx_buf_puts(b, "&quot;"); break;
		case '\n':
		case '\t':
		case '\r': err = fx_buf_put(b, p, 1); break;
		default:
			if (*p >= 0x80) {
				err = put_utf8(b, &p);
				continue;
			}
			/* control characters are not allowed in XML 1.0 */
			err = *p < 0x20 ? fx_buf_puts(b, "?")
					: fx_buf_put(b, p, 1);
		}
		p++;
	}
	return err;
}

/* A path as a URI for SARIF: relative paths stay relative references,
 * absolute ones become file: URIs; unsafe bytes are escaped. */
static int uri_ref(struct fx_buf *b, const char *path)
{
	const unsigned char *p;
	int err = 0;

	if (path[0] == '/' && (err = fx_buf_puts(b, "file://")) < 0)
		return err;

	for (p = (const unsigned char *) path; *p && err >= 0; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			err = fx_buf_put(b, p, 1);
		else
			err = fx_buf_printf(b, "%%%02X", *p);
	}
	return err;
}

static const char *outcome_key(fx_outcome o)
{
	switch (o) {
	case FX_OUTCOME_VALID: return "valid";
	case FX_OUTCOME_INVALID: return "invalid";
	default: return "error";
	}
}

static const char *layer_state_key(fx_layer_state s)
{
	switch (s) {
	case FX_LAYER_PASS: return "pass";
	case FX_LAYER_FAIL: return "fail";
	default: return "not-run";
	}
}

/* ---- text ---------------------------------------------------------- */

#define C_BOLD	  "\033[1m"
#define C_RED	  "\033[1;31m"
#define C_MAGENTA "\033[1;35m"
#define C_CYAN	  "\033[1;36m"
#define C_GREEN	  "\033[1;32m"
#define C_RESET	  "\033[m"

static int text_location(struct fx_buf *b, const fx_finding *f)
{
	if (f->line && f->column)
		return fx_buf_printf(b, "%s:%lu:%lu:", f->file, f->line,
				     f->column);
	if (f->line)
		return fx_buf_printf(b, "%s:%lu:", f->file, f->line);
	return fx_buf_printf(b, "%s:", f->file);
}

/* One finding in compiler style: "file:line:col: error[RULE]: message". */
static int finding_line(struct fx_buf *b, const fx_finding *f, int color)
{
	static const char *const words[] = { "error", "warning", "note" };
	static const char *const colors[] = { C_RED, C_MAGENTA, C_CYAN };
	int err = 0;

	if (color)
		err = fx_buf_puts(b, C_BOLD);
	if (err >= 0)
		err = text_location(b, f);
	if (err >= 0)
		err = fx_buf_printf(b, "%s %s%s%s[%s]: %s\n",
				    color ? C_RESET : "",
				    color ? colors[f->severity] : "",
				    words[f->severity], color ? C_RESET : "",
				    f->rule ? f->rule : "?", f->message);
	return err;
}

static int text_add(fx_renderer *r, const fx_report *report)
{
	struct fx_buf *b = &r->out;
	int color = r->opts.color, err = 0;
	size_t i;

	for (i = 0; i < fx_report_count(report) && err >= 0; i++) {
		const fx_finding *f = fx_report_get(report, i);

		if (f->severity != FX_SEVERITY_INFO || r->opts.verbose)
			err = finding_line(b, f, color);
	}
	if (err >= 0 && r->opts.verbose &&
	    fx_report_outcome(report) == FX_OUTCOME_VALID) {
		const char *id = fx_report_profile_id(report);
		fx_profile p = fx_report_profile(report);

		err = fx_buf_printf(b, "%s%s:%s %svalid%s (%s",
				    color ? C_BOLD : "", fx_report_file(report),
				    color ? C_RESET : "", color ? C_GREEN : "",
				    color ? C_RESET : "",
				    fx_syntax_name(fx_report_syntax(report)));
		if (err >= 0 && p == FX_PROFILE_UNKNOWN)
			err = fx_buf_printf(b, ", unknown profile '%s'", id);
		else if (err >= 0 && p != FX_PROFILE_NONE)
			err = fx_buf_printf(b, ", %s", fx_profile_name(p));
		if (err >= 0)
			err = fx_buf_puts(b, ")\n");
	}
	return err;
}

/* ---- JSON ---------------------------------------------------------- */

static int json_begin(fx_renderer *r)
{
	struct fx_buf *b = &r->out;
	int err;

	if ((err = fx_buf_printf(b,
				 "{\n  \"version\": %d,\n  \"tool\": "
				 "{\"name\": \"facture\", \"version\": ",
				 FX_REPORT_FORMAT_VERSION)) < 0 ||
	    (err = json_string(b, fx_version())) < 0 ||
	    (err = fx_buf_puts(b, "},\n  \"schemas\": ")) < 0 ||
	    (err = json_string(b, fx_schema_version())) < 0)
		return err;
	if ((err = fx_buf_puts(b, ",\n  \"rules\": {\"en16931\": ")) < 0 ||
	    (err = json_string(b, FX_RULES_EN16931_VERSION)) < 0)
		return err;
	return fx_buf_puts(b, "},\n  \"files\": [");
}

static int json_finding(struct fx_buf *b, const fx_finding *f,
			const char *report_file)
{
	int err;

	if ((err = fx_buf_printf(b,
				 "\n        {\"severity\": \"%s\", \"rule\": ",
				 fx_severity_name(f->severity))) < 0 ||
	    (err = json_string(b, f->rule)) < 0 ||
	    (err = fx_buf_printf(b, ", \"layer\": \"%s\", \"message\": ",
				 fx_layer_name(f->layer))) < 0 ||
	    (err = json_string(b, f->message)) < 0 ||
	    (err = fx_buf_puts(b, ", \"terms\": ")) < 0 ||
	    (err = json_string(b, f->terms)) < 0)
		return err;
	if (f->line)
		err = fx_buf_printf(b, ", \"line\": %lu", f->line);
	else
		err = fx_buf_puts(b, ", \"line\": null");
	if (err >= 0 && f->column)
		err = fx_buf_printf(b, ", \"column\": %lu", f->column);
	else if (err >= 0)
		err = fx_buf_puts(b, ", \"column\": null");
	if (err >= 0)
		err = fx_buf_puts(b, ", \"xpath\": ");
	if (err >= 0)
		err = json_string(b, f->xpath);
	/* a finding in a document embedded in the input (the invoice of a
	 * PDF) says which */
	if (err >= 0 && f->file && report_file && strcmp(f->file, report_file))
		if ((err = fx_buf_puts(b, ", \"file\": ")) >= 0)
			err = json_string(b, f->file);
	if (err >= 0)
		err = fx_buf_puts(b, "}");
	return err;
}

static int json_add(fx_renderer *r, const fx_report *report)
{
	struct fx_buf *b = &r->out;
	fx_profile p = fx_report_profile(report);
	size_t i;
	int err, l;

	if ((err = fx_buf_puts(b, r->files ? ",\n    {" : "\n    {")) < 0 ||
	    (err = fx_buf_puts(b, "\n      \"path\": ")) < 0 ||
	    (err = json_string(b, fx_report_file(report))) < 0 ||
	    (err = fx_buf_printf(
		     b, ",\n      \"syntax\": \"%s\",\n      \"profile\": ",
		     fx_syntax_key(fx_report_syntax(report)))) < 0)
		return err;
	if (p == FX_PROFILE_NONE) {
		err = fx_buf_puts(b, "null");
	} else {
		if ((err = fx_buf_puts(b, "{\"id\": ")) < 0 ||
		    (err = json_string(b, fx_report_profile_id(report))) < 0 ||
		    (err = fx_buf_puts(b, ", \"name\": ")) < 0 ||
		    (err = json_string(b, p == FX_PROFILE_UNKNOWN
						  ? NULL
						  : fx_profile_name(p))) < 0)
			return err;
		err = fx_buf_puts(b, "}");
	}
	if (err < 0 ||
	    (err = fx_buf_printf(
		     b, ",\n      \"status\": \"%s\",\n      \"layers\": {",
		     outcome_key(fx_report_outcome(report)))) < 0)
		return err;
	for (l = 0; l <= FX_LAYER_RULES; l++)
		if ((err = fx_buf_printf(b, "%s\"%s\": \"%s\"", l ? ", " : "",
					 fx_layer_name((fx_layer) l),
					 layer_state_key(fx_report_layer(
						 report, (fx_layer) l)))) < 0)
			return err;
	/* the container layer exists for PDFs only */
	if (fx_report_syntax(report) == FX_SYNTAX_PDF &&
	    (err = fx_buf_printf(b, ", \"pdf\": \"%s\"",
				 layer_state_key(fx_report_layer(
					 report, FX_LAYER_PDF)))) < 0)
		return err;
	/* and the Chorus Pro layer when submit ran it */
	if (fx_report_layer(report, FX_LAYER_CHORUS) != FX_LAYER_NOT_RUN &&
	    (err = fx_buf_printf(b, ", \"chorus\": \"%s\"",
				 layer_state_key(fx_report_layer(
					 report, FX_LAYER_CHORUS)))) < 0)
		return err;
	if ((err = fx_buf_puts(b, "},\n      \"findings\": [")) < 0)
		return err;
	for (i = 0; i < fx_report_count(report); i++) {
		if ((i && (err = fx_buf_puts(b, ",")) < 0) ||
		    (err = json_finding(b, fx_report_get(report, i),
					fx_report_file(report))) < 0)
			return err;
	}
	return fx_buf_puts(b, fx_report_count(report) ? "\n      ]\n    }"
						      : "]\n    }");
}

static int json_end(fx_renderer *r, const fx_summary *s)
{
	char seconds[32];

	format_seconds(seconds, s->seconds);
	return fx_buf_printf(
		&r->out,
		"%s],\n  \"summary\": {\"files\": %zu, \"valid\": %zu, "
		"\"invalid\": %zu, \"error\": %zu, \"fatal\": %zu, "
		"\"warning\": %zu, \"info\": %zu, \"seconds\": %s}\n}\n",
		r->files ? "\n  " : "", s->files, s->valid, s->invalid,
		s->errors, s->fatal, s->warning, s->info, seconds);
}

/* ---- JUnit --------------------------------------------------------- */

static int junit_add(fx_renderer *r, const fx_report *report)
{
	struct fx_buf *b = &r->cases;
	fx_outcome o = fx_report_outcome(report);
	size_t i, nfatal = fx_report_count_severity(report, FX_SEVERITY_FATAL);
	int err;

	if ((err = fx_buf_puts(
		     b,
		     "    <testcase classname=\"facture.validate\" name=\"")) <
		    0 ||
	    (err = xml_text(b, fx_report_file(report))) < 0 ||
	    (err = fx_buf_puts(b, "\">\n")) < 0)
		return err;
	if (o != FX_OUTCOME_VALID) {
		const char *tag = o == FX_OUTCOME_ERROR ? "error" : "failure";

		if ((err = fx_buf_printf(
			     b, "      <%s type=\"%s\" message=\"%zu %s\">",
			     tag, o == FX_OUTCOME_ERROR ? "error" : "invalid",
			     nfatal, nfatal == 1 ? "error" : "errors")) < 0)
			return err;
		for (i = 0; i < fx_report_count(report); i++) {
			const fx_finding *f = fx_report_get(report, i);
			struct fx_buf line = FX_BUF_INIT;

			if ((err = finding_line(&line, f, 0)) >= 0)
				err = xml_text(b, line.ptr);
			fx_buf_release(&line);
			if (err < 0)
				return err;
		}
		if ((err = fx_buf_printf(b, "</%s>\n", tag)) < 0)
			return err;
	}
	return fx_buf_puts(b, "    </testcase>\n");
}

static int junit_end(fx_renderer *r, const fx_summary *s)
{
	struct fx_buf *b = &r->out;
	char seconds[32];
	int err;

	format_seconds(seconds, s->seconds);
	if ((err = fx_buf_printf(
		     b,
		     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<testsuites name=\"facture\" tests=\"%zu\" "
		     "failures=\"%zu\" errors=\"%zu\" time=\"%s\">\n"
		     "  <testsuite name=\"facture validate\" tests=\"%zu\" "
		     "failures=\"%zu\" errors=\"%zu\" skipped=\"0\" "
		     "time=\"%s\">\n",
		     s->files, s->invalid, s->errors, seconds, s->files,
		     s->invalid, s->errors, seconds)) < 0)
		return err;
	if (r->cases.len &&
	    (err = fx_buf_put(b, r->cases.ptr, r->cases.len)) < 0)
		return err;
	return fx_buf_puts(b, "  </testsuite>\n</testsuites>\n");
}

/* ---- SARIF --------------------------------------------------------- */

static int sarif_begin(fx_renderer *r)
{
	return fx_buf_puts(
		&r->out, "{\n  \"$schema\": "
			 "\"https://json.schemastore.org/sarif-2.1.0.json\",\n"
			 "  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n"
			 "      \"results\": [");
}

static int sarif_note_rule(fx_renderer *r, const char *rule)
{
	const char *p = r->rules.ptr;
	size_t n = strlen(rule);

	while (p && *p) {
		const char *nl = strchr(p, '\n');

		if ((size_t) (nl - p) == n && !memcmp(p, rule, n))
			return 0;
		p = nl + 1;
	}
	return fx_buf_printf(&r->rules, "%s\n", rule);
}

static int sarif_add(fx_renderer *r, const fx_report *report)
{
	static const char *const levels[] = { "error", "warning", "note" };
	struct fx_buf *b = &r->out;
	size_t i;
	int err = 0;

	for (i = 0; i < fx_report_count(report) && err >= 0; i++) {
		const fx_finding *f = fx_report_get(report, i);
		const char *rule = f->rule ? f->rule : "FX";

		if ((err = sarif_note_rule(r, rule)) < 0 ||
		    (err = fx_buf_puts(b, r->results++ ? ",\n" : "\n")) < 0 ||
		    (err = fx_buf_puts(b, "        {\"ruleId\": ")) < 0 ||
		    (err = json_string(b, rule)) < 0 ||
		    (err = fx_buf_printf(
			     b, ", \"level\": \"%s\", \"message\": {\"text\": ",
			     levels[f->severity])) < 0 ||
		    (err = json_string(b, f->message)) < 0 ||
		    (err = fx_buf_puts(
			     b, "},\n         \"locations\": "
				"[{\"physicalLocation\": "
				"{\"artifactLocation\": {\"uri\": \"")) < 0 ||
		    (err = uri_ref(b, f->file ? f->file : "")) < 0 ||
		    (err = fx_buf_puts(b, "\"}")) < 0)
			break;
		if (f->line) {
			err = fx_buf_printf(b,
					    ", \"region\": {\"startLine\": %lu",
					    f->line);
			if (err >= 0 && f->column)
				err = fx_buf_printf(b, ", \"startColumn\": %lu",
						    f->column);
			if (err >= 0)
				err = fx_buf_puts(b, "}");
		}
		if (err >= 0)
			err = fx_buf_puts(b, "}");
		if (err >= 0 && f->xpath) {
			if ((err = fx_buf_puts(
				     b, ", \"logicalLocations\": "
					"[{\"fullyQualifiedName\": ")) >= 0 &&
			    (err = json_string(b, f->xpath)) >= 0)
				err = fx_buf_puts(b,
						  ", \"kind\": \"element\"}]");
		}
		if (err >= 0)
			err = fx_buf_puts(b, "}]}");
	}
	return err;
}

static int sarif_end(fx_renderer *r, const fx_summary *s)
{
	struct fx_buf *b = &r->out;
	const char *p = r->rules.ptr;
	int err, first = 1;

	(void) s;
	if ((err = fx_buf_puts(b, "\n      ],\n      \"tool\": {\"driver\": {"
				  "\"name\": \"facture\", \"version\": ")) <
		    0 ||
	    (err = json_string(b, fx_version())) < 0 ||
	    (err = fx_buf_puts(b, ", \"rules\": [")) < 0)
		return err;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		char *id = fx_strndup(p, (size_t) (nl - p));

		if (!id)
			return FX_ENOMEM;
		err = fx_buf_puts(b, first ? "\n        {\"id\": "
					   : ",\n        {\"id\": ");
		if (err >= 0)
			err = json_string(b, id);
		if (err >= 0)
			err = fx_buf_puts(b, "}");
		free(id);
		if (err < 0)
			return err;
		first = 0;
		p = nl + 1;
	}
	return fx_buf_puts(b, first ? "]}}\n    }\n  ]\n}\n"
				    : "\n      ]}}\n    }\n  ]\n}\n");
}

/* ---- SVRL ---------------------------------------------------------- */

/*
 * One SVRL document per run, as the official artefacts write one per
 * invoice: each input opens an active-pattern naming it, and its findings
 * of the rules layer follow as failed asserts.  Only the rules layer is
 * Schematron; schema findings are in the other formats.
 */
static int svrl_begin(fx_renderer *r)
{
	struct fx_buf *b = &r->out;
	int err;

	if ((err = fx_buf_puts(b,
			       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			       "<svrl:schematron-output "
			       "xmlns:svrl=\"http://purl.oclc.org/dsdl/svrl\" "
			       "title=\"facture ")) < 0 ||
	    (err = xml_text(b, fx_rules_version())) < 0)
		return err;
	return fx_buf_puts(b, "\" schemaVersion=\"" FX_RULES_EN16931_VERSION
			      "\">\n");
}

static int svrl_add(fx_renderer *r, const fx_report *report)
{
	struct fx_buf *b = &r->out;
	size_t i;
	int err;

	if ((err = fx_buf_puts(b, "  <svrl:active-pattern document=\"")) < 0 ||
	    (err = xml_text(b, fx_report_file(report))) < 0 ||
	    (err = fx_buf_puts(b, "\"/>\n")) < 0)
		return err;
	for (i = 0; i < fx_report_count(report); i++) {
		const fx_finding *f = fx_report_get(report, i);

		if (f->layer != FX_LAYER_RULES)
			continue;
		if ((err = fx_buf_puts(b, "  <svrl:failed-assert id=\"")) < 0 ||
		    (err = xml_text(b, f->rule)) < 0 ||
		    (err = fx_buf_printf(
			     b, "\" flag=\"%s\" location=\"",
			     f->severity == FX_SEVERITY_INFO
				     ? "information"
				     : fx_severity_name(f->severity))) < 0 ||
		    (err = xml_text(b, f->xpath ? f->xpath : "/")) < 0 ||
		    (err = fx_buf_puts(b, "\">\n    <svrl:text>")) < 0 ||
		    (err = xml_text(b, f->message)) < 0 ||
		    (err = fx_buf_puts(
			     b, "</svrl:text>\n  </svrl:failed-assert>\n")) < 0)
			return err;
	}
	return 0;
}

/* ---- the renderer object ------------------------------------------- */

int fx_renderer_new(fx_renderer **out, fx_format format,
		    const fx_render_opts *opts)
{
	fx_renderer *r;

	*out = NULL;
	if (!opts || opts->version != FX_RENDER_OPTS_VERSION || !opts->write ||
	    (unsigned) format > FX_FORMAT_SVRL)
		return FX_EINVALID;
	if (!(r = calloc(1, sizeof(*r))))
		return FX_ENOMEM;
	r->format = format;
	r->opts = *opts;
	*out = r;
	return 0;
}

void fx_renderer_free(fx_renderer *r)
{
	if (!r)
		return;
	fx_buf_release(&r->out);
	fx_buf_release(&r->cases);
	fx_buf_release(&r->rules);
	free(r);
}

int fx_renderer_begin(fx_renderer *r)
{
	int err = 0;

	if (r->format == FX_FORMAT_JSON)
		err = json_begin(r);
	else if (r->format == FX_FORMAT_SVRL)
		err = svrl_begin(r);
	else if (r->format == FX_FORMAT_SARIF)
		err = sarif_begin(r);
	return err < 0 ? err : flush(r);
}

int fx_renderer_add(fx_renderer *r, const fx_report *report)
{
	int err = 0;

	switch (r->format) {
	case FX_FORMAT_TEXT: err = text_add(r, report); break;
	case FX_FORMAT_JSON: err = json_add(r, report); break;
	case FX_FORMAT_JUNIT: err = junit_add(r, report); break;
	case FX_FORMAT_SARIF: err = sarif_add(r, report); break;
	case FX_FORMAT_SVRL: err = svrl_add(r, report); break;
	}
	if (err < 0)
		return err;
	r->files++;
	return flush(r);
}

int fx_renderer_end(fx_renderer *r, const fx_summary *summary)
{
	static const fx_summary zero = FX_SUMMARY_INIT;
	int err = 0;

	if (!summary)
		summary = &zero;
	switch (r->format) {
	case FX_FORMAT_TEXT: break;
	case FX_FORMAT_JSON: err = json_end(r, summary); break;
	case FX_FORMAT_JUNIT: err = junit_end(r, summary); break;
	case FX_FORMAT_SARIF: err = sarif_end(r, summary); break;
	case FX_FORMAT_SVRL:
		err = fx_buf_puts(&r->out, "</svrl:schematron-output>\n");
		break;
	}
	return err < 0 ? err : flush(r);
}
