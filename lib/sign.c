/* SPDX-License-Identifier: MIT */
/*
 * sign.c - XAdES-BES signatures: keys, signing and verifying
 *
 * xmlsec1 (with its OpenSSL engine) does the XML-DSig work: references,
 * canonicalization, digests and the signature value.  We build the
 * template, the XAdES signed properties and the UBL extension around it,
 * and check what XML-DSig leaves to the application: that the signature
 * covers the whole invoice, that the signed properties name the
 * certificate that signed, and that this certificate chains to a trust
 * anchor.  We pick the signer's key ourselves (from ds:KeyInfo) and give
 * it to xmlsec, so that xmlsec never looks keys up on its own.
 *
 * xmlsec 1.2 has no RSASSA-PSS: it is a transform of ours, registered
 * with xmlsec under the URIs of RFC 6931 (MGF1 with the same digest, salt
 * as long as the digest).  Its XPath filter takes time in the square of
 * the document: ours replaces it for the filters enveloped signatures use
 * (see "The XPath filter of enveloped signatures" below).
 *
 * xmlsec's process-wide state is set up once and kept: an error callback
 * that files messages with the calling thread's operation, and I/O
 * callbacks that serve nothing but the invoice of a detached signature,
 * so that no reference ever reaches the file system or the network.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>
#include <libxml/valid.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlsave.h>
#include <libxml/xpathInternals.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <xmlsec/xmlsec.h>
#include <xmlsec/base64.h>
#include <xmlsec/errors.h>
#include <xmlsec/io.h>
#include <xmlsec/keys.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>

#include "internal.h"
#include "banned.h"

#define NS_DSIG	 "http://www.w3.org/2000/09/xmldsig#"
#define NS_XADES "http://uri.etsi.org/01903/v1.3.2#"
#define NS_EXT                                          \
	"urn:oasis:names:specification:ubl:schema:xsd:" \
	"CommonExtensionComponents-2"
#define NS_SIG                                          \
	"urn:oasis:names:specification:ubl:schema:xsd:" \
	"CommonSignatureComponents-2"
#define NS_SAC                                          \
	"urn:oasis:names:specification:ubl:schema:xsd:" \
	"SignatureAggregateComponents-2"
#define NS_CBC                                          \
	"urn:oasis:names:specification:ubl:schema:xsd:" \
	"CommonBasicComponents-2"

#define XADES_SIGNED_PROPERTIES "http://uri.etsi.org/01903#SignedProperties"
#define UBL_SIG_EXTENSION_URI \
	"urn:oasis:names:specification:ubl:dsig:enveloped:xades"
#define UBL_SIG_ID_PREFIX "urn:oasis:names:specification:ubl:signature:"
/* The UBL 2.1 signature profile: everything but UBLDocumentSignatures,
 * so that signatures do not depend on one another. */
#define UBL_XPATH_FMT                                         \
	"count(ancestor-or-self::%s:UBLDocumentSignatures | " \
	"here()/ancestor::%s:UBLDocumentSignatures[1]) > "    \
	"count(ancestor-or-self::%s:UBLDocumentSignatures)"
#define DSIG_XPATH_FMT "not(ancestor-or-self::%s:Signature)"

#define HREF_SHA1   "http://www.w3.org/2000/09/xmldsig#sha1"
#define HREF_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define HREF_SHA384 "http://www.w3.org/2001/04/xmldsig-more#sha384"
#define HREF_SHA512 "http://www.w3.org/2001/04/xmlenc#sha512"

#define HREF_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define HREF_XPATH     "http://www.w3.org/TR/1999/REC-xpath-19991116"

/* Largest key, certificate or PKCS#12 file we read. */
#define MAX_CREDENTIAL_SIZE ((size_t) 1024 * 1024)

/* ------------------------------------------------------------------ */
/* Errors of xmlsec, filed with the operation of the calling thread    */

struct capture {
	struct fx_buf first; /* the first message: the most precise one */
	int reason;	     /* its xmlsec reason code */
	int key_not_found;   /* xmlsec found no key fit for the method */
};

static _Thread_local struct capture *tl_capture;

static const char *xmlsec_reason(int reason)
{
	const char *msg;
	xmlSecSize i;

	for (i = 0; (msg = xmlSecErrorsGetMsg(i)) != NULL; i++)
		if (xmlSecErrorsGetCode(i) == reason)
			return msg;
	return "error";
}

static void xmlsec_error(const char *file, int line, const char *func,
			 const char *object, const char *subject, int reason,
			 const char *msg)
{
	struct capture *cap = tl_capture;

	(void) file;
	(void) line;
	(void) func;
	if (!cap)
		return;
	if (reason == XMLSEC_ERRORS_R_KEY_NOT_FOUND)
		cap->key_not_found = 1;
	if (cap->first.len)
		return;
	cap->reason = reason;
	if (fx_buf_puts(&cap->first, xmlsec_reason(reason)) < 0)
		return;
	if (object && *object &&
	    fx_buf_printf(&cap->first, " in %s", object) < 0)
		return;
	if (subject && *subject &&
	    fx_buf_printf(&cap->first, " (%s)", subject) < 0)
		return;
	if (msg && *msg && strcmp(msg, "NULL") &&
	    fx_buf_printf(&cap->first, ": %s", msg) < 0)
		return;
}

static void capture_begin(struct capture *cap)
{
	memset(cap, 0, sizeof(*cap));
	tl_capture = cap;
	ERR_clear_error();
}

static void capture_end(struct capture *cap)
{
	tl_capture = NULL;
	fx_buf_release(&cap->first);
	ERR_clear_error();
}

static const char *captured(const struct capture *cap)
{
	return cap->first.len ? cap->first.ptr : "no reason given";
}

/* The reason of OpenSSL's latest error, for messages. */
static const char *openssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unknown error";
}

/* ------------------------------------------------------------------ */
/* Detached data: the only thing xmlsec's I/O may open                 */

struct detached {
	const char *data;
	size_t len;
	const char *uri; /* NULL: any URI that is not a same-document one */
};

struct detached_cursor {
	const struct detached *src;
	size_t pos;
};

static _Thread_local const struct detached *tl_detached;

static int io_match(const char *uri)
{
	const struct detached *d = tl_detached;

	if (!d || !uri || !*uri || *uri == '#')
		return 0;
	return d->uri ? !strcmp(uri, d->uri) : 1;
}

static void *io_open(const char *uri)
{
	struct detached_cursor *c;

	if (!io_match(uri) || !(c = calloc(1, sizeof(*c))))
		return NULL;
	c->src = tl_detached;
	return c;
}

static int io_read(void *context, char *buffer, int len)
{
	struct detached_cursor *c = context;
	size_t n;

	if (len <= 0)
		return 0;
	n = c->src->len - c->pos;
	if (n > (size_t) len)
		n = (size_t) len;
	memcpy(buffer, c->src->data + c->pos, n);
	c->pos += n;
	return (int) n;
}

static int io_close(void *context)
{
	free(context);
	return 0;
}

/* ------------------------------------------------------------------ */
/* RSASSA-PSS as an xmlsec signature transform                         */

struct pss {
	const EVP_MD *md;
	EVP_PKEY *key;
	EVP_MD_CTX *mdctx;
};

#define PSS_SIZE (sizeof(xmlSecTransform) + sizeof(struct pss))

static struct pss *pss_of(xmlSecTransformPtr t)
{
	return (struct pss *) (void *) ((unsigned char *) t +
					sizeof(xmlSecTransform));
}

static int pss_initialize(xmlSecTransformPtr t);
static void pss_finalize(xmlSecTransformPtr t);
static int pss_set_key_req(xmlSecTransformPtr t, xmlSecKeyReqPtr req);
static int pss_set_key(xmlSecTransformPtr t, xmlSecKeyPtr key);
static int pss_verify(xmlSecTransformPtr t, const xmlSecByte *data,
		      xmlSecSize size, xmlSecTransformCtxPtr tctx);
static int pss_execute(xmlSecTransformPtr t, int last,
		       xmlSecTransformCtxPtr tctx);

#define PSS_KLASS(var, name)                                             \
	static xmlSecTransformKlass var = {                              \
		sizeof(xmlSecTransformKlass),                            \
		PSS_SIZE,                                                \
		BAD_CAST name,                                           \
		BAD_CAST "http://www.w3.org/2007/05/xmldsig-more#" name, \
		xmlSecTransformUsageSignatureMethod,                     \
		pss_initialize,                                          \
		pss_finalize,                                            \
		NULL,                                                    \
		NULL,                                                    \
		pss_set_key_req,                                         \
		pss_set_key,                                             \
		pss_verify,                                              \
		xmlSecTransformDefaultGetDataType,                       \
		xmlSecTransformDefaultPushBin,                           \
		xmlSecTransformDefaultPopBin,                            \
		NULL,                                                    \
		NULL,                                                    \
		pss_execute,                                             \
		NULL,                                                    \
		NULL                                                     \
	}

PSS_KLASS(pss_sha256_klass, "sha256-rsa-MGF1");
PSS_KLASS(pss_sha384_klass, "sha384-rsa-MGF1");
PSS_KLASS(pss_sha512_klass, "sha512-rsa-MGF1");

static int is_pss(xmlSecTransformPtr t)
{
	return t && (t->id == &pss_sha256_klass || t->id == &pss_sha384_klass ||
		     t->id == &pss_sha512_klass);
}

static int pss_initialize(xmlSecTransformPtr t)
{
	struct pss *p;

	if (!is_pss(t))
		return -1;
	p = pss_of(t);
	memset(p, 0, sizeof(*p));
	if (t->id == &pss_sha256_klass)
		p->md = EVP_sha256();
	else if (t->id == &pss_sha384_klass)
		p->md = EVP_sha384();
	else
		p->md = EVP_sha512();
	if (!(p->mdctx = EVP_MD_CTX_new()))
		return -1;
	return 0;
}

static void pss_finalize(xmlSecTransformPtr t)
{
	struct pss *p;

	if (!is_pss(t))
		return;
	p = pss_of(t);
	EVP_MD_CTX_free(p->mdctx);
	EVP_PKEY_free(p->key);
	memset(p, 0, sizeof(*p));
}

static int pss_set_key_req(xmlSecTransformPtr t, xmlSecKeyReqPtr req)
{
	if (!is_pss(t) || !req)
		return -1;
	req->keyId = xmlSecOpenSSLKeyDataRsaId;
	if (t->operation == xmlSecTransformOperationSign) {
		req->keyType = xmlSecKeyDataTypePrivate;
		req->keyUsage = xmlSecKeyUsageSign;
	} else {
		req->keyType = xmlSecKeyDataTypePublic;
		req->keyUsage = xmlSecKeyUsageVerify;
	}
	return 0;
}

static int pss_set_key(xmlSecTransformPtr t, xmlSecKeyPtr key)
{
	struct pss *p;
	xmlSecKeyDataPtr value;
	EVP_PKEY *pkey;

	if (!is_pss(t) || !key || !(value = xmlSecKeyGetValue(key)))
		return -1;
	p = pss_of(t);
	if (!(pkey = xmlSecOpenSSLKeyDataRsaGetEvp(value)) ||
	    EVP_PKEY_up_ref(pkey) != 1)
		return -1;
	EVP_PKEY_free(p->key);
	p->key = pkey;
	return 0;
}

static int pss_start(xmlSecTransformPtr t, struct pss *p)
{
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	if (!p->key)
		return -1;
	if (t->operation == xmlSecTransformOperationSign)
		ok = EVP_DigestSignInit(p->mdctx, &pctx, p->md, NULL, p->key);
	else
		ok = EVP_DigestVerifyInit(p->mdctx, &pctx, p->md, NULL, p->key);
	if (ok != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) !=
		    1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, p->md) != 1) {
		xmlSecError(XMLSEC_ERRORS_HERE, (const char *) t->id->name,
			    "EVP_DigestSignInit", XMLSEC_ERRORS_R_CRYPTO_FAILED,
			    "%s", openssl_reason());
		return -1;
	}
	return 0;
}

static int pss_execute(xmlSecTransformPtr t, int last,
		       xmlSecTransformCtxPtr tctx)
{
	struct pss *p;
	xmlSecBufferPtr in, out;
	xmlSecSize n;
	size_t siglen = 0;

	(void) tctx;
	if (!is_pss(t))
		return -1;
	p = pss_of(t);
	in = &t->inBuf;
	out = &t->outBuf;
	if (t->status == xmlSecTransformStatusNone) {
		if (pss_start(t, p) < 0)
			return -1;
		t->status = xmlSecTransformStatusWorking;
	}
	if (t->status == xmlSecTransformStatusWorking) {
		n = xmlSecBufferGetSize(in);
		if (n > 0) {
			if (EVP_DigestUpdate(p->mdctx, xmlSecBufferGetData(in),
					     n) != 1)
				return -1;
			if (xmlSecBufferRemoveHead(in, n) < 0)
				return -1;
		}
		if (last) {
			if (t->operation == xmlSecTransformOperationSign) {
				if (EVP_DigestSignFinal(p->mdctx, NULL,
							&siglen) != 1 ||
				    siglen > UINT_MAX ||
				    xmlSecBufferSetMaxSize(
					    out, (xmlSecSize) siglen) < 0 ||
				    EVP_DigestSignFinal(
					    p->mdctx, xmlSecBufferGetData(out),
					    &siglen) != 1 ||
				    xmlSecBufferSetSize(
					    out, (xmlSecSize) siglen) < 0) {
					xmlSecError(
						XMLSEC_ERRORS_HERE,
						(const char *) t->id->name,
						"EVP_DigestSignFinal",
						XMLSEC_ERRORS_R_CRYPTO_FAILED,
						"%s", openssl_reason());
					return -1;
				}
			}
			t->status = xmlSecTransformStatusFinished;
		}
	}
	return 0;
}

static int pss_verify(xmlSecTransformPtr t, const xmlSecByte *data,
		      xmlSecSize size, xmlSecTransformCtxPtr tctx)
{
	struct pss *p;

	(void) tctx;
	if (!is_pss(t) || t->operation != xmlSecTransformOperationVerify ||
	    t->status != xmlSecTransformStatusFinished)
		return -1;
	p = pss_of(t);
	if (EVP_DigestVerifyFinal(p->mdctx, data, size) == 1) {
		t->status = xmlSecTransformStatusOk;
	} else {
		xmlSecError(XMLSEC_ERRORS_HERE, (const char *) t->id->name,
			    "EVP_DigestVerifyFinal",
			    XMLSEC_ERRORS_R_DATA_NOT_MATCH,
			    "signature does not verify");
		t->status = xmlSecTransformStatusFail;
	}
	ERR_clear_error();
	return 0;
}

/* ------------------------------------------------------------------ */
/* The XPath filter of enveloped signatures, in linear time            */

/*
 * xmlsec evaluates an XPath filter as (//. | //@* | //namespace::*)[expr]
 * and keeps the result as a plain list of nodes, which libxml2 merges and
 * searches node by node: the time grows with the square of the document
 * or worse, minutes for an invoice of a few megabytes.  The filters that
 * enveloped signatures use in practice only cut subtrees out of the
 * document: the one of the UBL 2.1 signature profile cuts the
 * sig:UBLDocumentSignatures that holds the signature, and
 * not(ancestor-or-self::ds:Signature) cuts the signatures.  This
 * transform takes the place of xmlsec's XPath filter (under the same
 * URI), recognises those two expressions and cuts the subtrees as XPath
 * Filter 2.0 does, in linear time.  Any other expression is refused.
 */
enum xpath_form { XPATH_OTHER = 0, XPATH_UBL, XPATH_DSIG };

struct fast_xpath {
	enum xpath_form form;
};

#define FAST_XPATH_SIZE (sizeof(xmlSecTransform) + sizeof(struct fast_xpath))

static enum xpath_form xpath_form_of(xmlNodePtr xpath);
static int is_element(const xmlNode *n, const char *ns, const char *name);

static struct fast_xpath *fast_xpath_of(xmlSecTransformPtr t)
{
	return (struct fast_xpath *) (void *) ((unsigned char *) t +
					       sizeof(xmlSecTransform));
}

static int fast_xpath_initialize(xmlSecTransformPtr t)
{
	memset(fast_xpath_of(t), 0, sizeof(struct fast_xpath));
	return 0;
}

static void fast_xpath_finalize(xmlSecTransformPtr t)
{
	memset(fast_xpath_of(t), 0, sizeof(struct fast_xpath));
}

static int fast_xpath_read(xmlSecTransformPtr t, xmlNodePtr node,
			   xmlSecTransformCtxPtr tctx)
{
	xmlNodePtr xpath = NULL, n;

	(void) tctx;
	for (n = node ? node->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xpath || !is_element(n, NS_DSIG, "XPath"))
			goto bad;
		xpath = n;
	}
	if (!xpath || !(fast_xpath_of(t)->form = xpath_form_of(xpath)))
		goto bad;
	return 0;
bad:
	xmlSecError(XMLSEC_ERRORS_HERE, "xpath", "XPath filter",
		    XMLSEC_ERRORS_R_NOT_IMPLEMENTED,
		    "only the XPath filters of the UBL signature profile and "
		    "not(ancestor-or-self::ds:Signature) are supported");
	return -1;
}

/* Every ds:Signature element from NODE on, into SET. */
static int add_signatures(xmlNodeSetPtr set, xmlNodePtr node)
{
	xmlNodePtr n;

	for (n = node; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is_element(n, NS_DSIG, "Signature")) {
			if (xmlXPathNodeSetAdd(set, n) < 0)
				return -1;
		} else if (add_signatures(set, n->children) < 0) {
			return -1;
		}
	}
	return 0;
}

static int fast_xpath_execute(xmlSecTransformPtr t, int last,
			      xmlSecTransformCtxPtr tctx)
{
	struct fast_xpath *fx = fast_xpath_of(t);
	xmlSecNodeSetPtr base = t->inNodes, sub;
	xmlNodeSetPtr cut;
	xmlNodePtr n;
	xmlDocPtr doc;

	(void) last;
	(void) tctx;
	if (t->outNodes || !t->hereNode)
		return -1;
	doc = base ? base->doc : t->hereNode->doc;
	if (!doc || !(cut = xmlXPathNodeSetCreate(NULL)))
		return -1;
	if (fx->form == XPATH_UBL) {
		n = t->hereNode;
		while (n && !is_element(n, NS_SIG, "UBLDocumentSignatures"))
			n = n->parent;
		/* no such ancestor: the expression keeps nothing */
		if (xmlXPathNodeSetAdd(cut, n ? n : (xmlNodePtr) doc) < 0)
			goto fail;
	} else if (add_signatures(cut, xmlDocGetRootElement(doc)) < 0) {
		goto fail;
	}
	if (!(sub = xmlSecNodeSetCreate(doc, cut, xmlSecNodeSetTree)))
		goto fail;
	if (!base && !(base = xmlSecNodeSetGetChildren(doc, NULL, 0, 0))) {
		xmlSecNodeSetDestroy(sub);
		return -1;
	}
	t->outNodes = xmlSecNodeSetAdd(base, sub, xmlSecNodeSetSubtraction);
	return t->outNodes ? 0 : -1;
fail:
	xmlXPathFreeNodeSet(cut);
	return -1;
}

static xmlSecTransformKlass fast_xpath_klass = {
	sizeof(xmlSecTransformKlass),
	FAST_XPATH_SIZE,
	BAD_CAST "xpath",
	BAD_CAST HREF_XPATH,
	xmlSecTransformUsageDSigTransform,
	fast_xpath_initialize,
	fast_xpath_finalize,
	fast_xpath_read,
	NULL,
	NULL,
	NULL,
	NULL,
	xmlSecTransformDefaultGetDataType,
	NULL,
	NULL,
	xmlSecTransformDefaultPushXml,
	xmlSecTransformDefaultPopXml,
	fast_xpath_execute,
	NULL,
	NULL
};

/* Put our XPath filter where xmlsec's was, so that references find it. */
static int replace_xpath_transform(void)
{
	xmlSecPtrListPtr ids = xmlSecTransformIdsGet();
	xmlSecSize i, n = ids ? xmlSecPtrListGetSize(ids) : 0;

	for (i = 0; i < n; i++)
		if (xmlSecPtrListGetItem(ids, i) ==
		    (xmlSecPtr) xmlSecTransformXPathId)
			return xmlSecPtrListSet(
				ids, (xmlSecPtr) &fast_xpath_klass, i);
	return xmlSecTransformIdsRegister(&fast_xpath_klass);
}

/* ------------------------------------------------------------------ */
/* Setting xmlsec up, once per process                                 */

static pthread_once_t xmlsec_once = PTHREAD_ONCE_INIT;
static int xmlsec_state; /* 1 ready, -1 failed */

static void xmlsec_setup(void)
{
	xmlSecErrorsSetCallback(xmlsec_error);
	if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1 ||
	    xmlSecOpenSSLAppInit(NULL) < 0 || xmlSecOpenSSLInit() < 0)
		goto fail;
	/* no file:, http: or ftp: for references: only our detached data */
	xmlSecIOCleanupCallbacks();
	if (xmlSecIORegisterCallbacks(io_match, io_open, io_read, io_close) <
		    0 ||
	    xmlSecTransformIdsRegister(&pss_sha256_klass) < 0 ||
	    xmlSecTransformIdsRegister(&pss_sha384_klass) < 0 ||
	    xmlSecTransformIdsRegister(&pss_sha512_klass) < 0 ||
	    replace_xpath_transform() < 0)
		goto fail;
	/* xmlSecInit put the default callback back */
	xmlSecErrorsSetCallback(xmlsec_error);
	xmlsec_state = 1;
	return;
fail:
	xmlsec_state = -1;
}

static int sign_init(fx_ctx *ctx)
{
	int err;

	if ((err = fx_global__ensure_init()) < 0)
		return fx_ctx__error(ctx, err, "cannot initialise the library");
	pthread_once(&xmlsec_once, xmlsec_setup);
	if (xmlsec_state != 1)
		return fx_ctx__error(ctx, FX_EINTERNAL,
				     "cannot initialise xmlsec with OpenSSL");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static const struct {
	const char *name;
	const char *href;
} digests[] = {
	[FX_DIGEST_SHA256] = { "sha256", HREF_SHA256 },
	[FX_DIGEST_SHA384] = { "sha384", HREF_SHA384 },
	[FX_DIGEST_SHA512] = { "sha512", HREF_SHA512 },
};

int fx_digest_parse(fx_digest *out, const char *name)
{
	size_t i;

	for (i = 0; name && i < FX_ARRAY_SIZE(digests); i++) {
		if (!strcmp(name, digests[i].name)) {
			*out = (fx_digest) i;
			return 0;
		}
	}
	return FX_EINVALID;
}

const char *fx_digest_name(fx_digest digest)
{
	return (unsigned) digest < FX_ARRAY_SIZE(digests) ? digests[digest].name
							  : "unknown";
}

static const EVP_MD *md_of(fx_digest d)
{
	switch (d) {
	case FX_DIGEST_SHA384: return EVP_sha384();
	case FX_DIGEST_SHA512: return EVP_sha512();
	default: return EVP_sha256();
	}
}

/* The digest named by an XML-DSig URI; NULL for one we do not take. */
static const EVP_MD *md_of_href(const char *href, int allow_sha1)
{
	if (!href)
		return NULL;
	if (!strcmp(href, HREF_SHA256))
		return EVP_sha256();
	if (!strcmp(href, HREF_SHA384))
		return EVP_sha384();
	if (!strcmp(href, HREF_SHA512))
		return EVP_sha512();
	if (allow_sha1 && !strcmp(href, HREF_SHA1))
		return EVP_sha1();
	return NULL;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n--) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

int fx_time_parse(long long *out, const char *text)
{
	struct tm tm;
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0, zh = 0, zm = 0, sign = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };
	time_t t;

	if (!p || digits(&p, 4, &y) < 0 || *p++ != '-' ||
	    digits(&p, 2, &mo) < 0 || *p++ != '-' || digits(&p, 2, &d) < 0)
		return FX_EINVALID;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) < 0 || *p++ != ':' ||
		    digits(&p, 2, &mi) < 0 || *p++ != ':' ||
		    digits(&p, 2, &s) < 0)
			return FX_EINVALID;
		if (*p == '.' || *p == ',') {
			p++;
			if (*p < '0' || *p > '9')
				return FX_EINVALID;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &zh) < 0 || *p++ != ':' ||
			    digits(&p, 2, &zm) < 0 || zh > 14 || zm > 59)
				return FX_EINVALID;
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || s > 60 || y < 1)
		return FX_EINVALID;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 || y % 400 == 0)))
		return FX_EINVALID;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	if (t == (time_t) -1 && !(y == 1969 && mo == 12 && d == 31))
		return FX_EINVALID;
	*out = (long long) t - sign * (zh * 3600LL + zm * 60LL);
	return 0;
}

static int format_time(char *buf, size_t size, long long when)
{
	struct tm tm;
	time_t t = (time_t) when;

	if (!gmtime_r(&t, &tm) ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return FX_EINVALID;
	return 0;
}

static char *asn1_time_string(const ASN1_TIME *at)
{
	struct tm tm;
	char buf[32];

	if (!at || ASN1_TIME_to_tm(at, &tm) != 1 ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return fx_strdup(buf);
}

/* A name as RFC 2253 has it, but with UTF-8 left readable. */
static char *name_string(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *s = NULL;
	long n;

	if (!bio)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0,
			       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_get_mem_data(bio, &data)) >= 0)
		s = fx_strndup(data, (size_t) n);
	BIO_free(bio);
	return s;
}

/* The certificate's serial number, written by CONV (BN_bn2hex or
 * BN_bn2dec); the caller frees it. */
static char *serial_text(const X509 *cert, char *(*conv)(const BIGNUM *) )
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *text, *s = NULL;

	if (!bn)
		return NULL;
	if ((text = conv(bn))) {
		s = fx_strdup(text);
		OPENSSL_free(text);
	}
	BN_free(bn);
	return s;
}

static char *serial_hex(const X509 *cert)
{
	return serial_text(cert, BN_bn2hex);
}

static char *serial_decimal(const X509 *cert)
{
	return serial_text(cert, BN_bn2dec);
}

/* DER tag and length before LEN bytes of content. */
static int der_header(struct fx_buf *out, unsigned char tag, size_t len)
{
	unsigned char h[6];
	size_t n = 0;

	h[n++] = tag;
	if (len < 0x80) {
		h[n++] = (unsigned char) len;
	} else if (len <= 0xFF) {
		h[n++] = 0x81;
		h[n++] = (unsigned char) len;
	} else if (len <= 0xFFFF) {
		h[n++] = 0x82;
		h[n++] = (unsigned char) (len >> 8);
		h[n++] = (unsigned char) len;
	} else if (len <= 0xFFFFFF) {
		h[n++] = 0x83;
		h[n++] = (unsigned char) (len >> 16);
		h[n++] = (unsigned char) (len >> 8);
		h[n++] = (unsigned char) len;
	} else {
		return FX_EINVALID;
	}
	return fx_buf_put(out, h, n);
}

/*
 * The DER of IssuerSerial (RFC 5035), which XAdES puts in base64 in
 * IssuerSerialV2: SEQUENCE { GeneralNames { directoryName [4] issuer },
 * serialNumber }.
 */
static int issuer_serial_der(struct fx_buf *out, const X509 *cert)
{
	unsigned char *name = NULL, *serial = NULL;
	int nlen, slen, err = FX_ENOMEM;
	size_t gn, gns, total;
	struct fx_buf tmp = FX_BUF_INIT;

	nlen = i2d_X509_NAME(X509_get_issuer_name(cert), &name);
	slen = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &serial);
	if (nlen <= 0 || slen <= 0)
		goto out;
	/* sizes from the inside out, to write the headers */
	if ((err = der_header(&tmp, 0xA4, (size_t) nlen)) < 0)
		goto out;
	gn = tmp.len + (size_t) nlen;
	fx_buf_clear(&tmp);
	if ((err = der_header(&tmp, 0x30, gn)) < 0)
		goto out;
	gns = tmp.len + gn;
	total = gns + (size_t) slen;
	if ((err = der_header(out, 0x30, total)) < 0 ||
	    (err = der_header(out, 0x30, gn)) < 0 ||
	    (err = der_header(out, 0xA4, (size_t) nlen)) < 0 ||
	    (err = fx_buf_put(out, name, (size_t) nlen)) < 0 ||
	    (err = fx_buf_put(out, serial, (size_t) slen)) < 0)
		goto out;
	err = 0;
out:
	OPENSSL_free(name);
	OPENSSL_free(serial);
	fx_buf_release(&tmp);
	return err;
}

static int cert_digest(unsigned char *md, unsigned int *mdlen,
		       const EVP_MD *type, X509 *cert)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der), ok;

	if (len <= 0)
		return FX_ENOMEM;
	ok = EVP_Digest(der, (size_t) len, md, mdlen, type, NULL);
	OPENSSL_free(der);
	return ok == 1 ? 0 : FX_EINTERNAL;
}

/* Base64 without line breaks in the hands of xmlsec: a fresh string. */
static xmlChar *base64(const void *data, size_t len, int columns)
{
	if (len > UINT_MAX)
		return NULL;
	return xmlSecBase64Encode(data, (xmlSecSize) len, columns);
}

/* Decode base64 (whitespace allowed) into a fresh buffer. */
static int unbase64(struct fx_buf *out, const xmlChar *text)
{
	xmlSecSize written = 0;
	size_t len = text ? strlen((const char *) text) : 0;
	int err;

	if (!len || len > UINT_MAX)
		return FX_EINVALID;
	if ((err = fx_buf_grow(out, len)) < 0)
		return err;
	if (xmlSecBase64Decode_ex(text, (xmlSecByte *) out->ptr,
				  (xmlSecSize) len, &written) < 0)
		return FX_EINVALID;
	out->len = written;
	out->ptr[out->len] = '\0';
	return 0;
}

static int is_element(const xmlNode *n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns &&
	       !strcmp((const char *) n->ns->href, ns) &&
	       !strcmp((const char *) n->name, name);
}

static xmlNodePtr first_child(const xmlNode *parent, const char *ns,
			      const char *name)
{
	xmlNodePtr n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (is_element(n, ns, name))
			return n;
	return NULL;
}

static xmlNodePtr next_sibling(const xmlNode *node, const char *ns,
			       const char *name)
{
	xmlNodePtr n;

	for (n = node ? node->next : NULL; n; n = n->next)
		if (is_element(n, ns, name))
			return n;
	return NULL;
}

static xmlNodePtr first_element(const xmlNode *parent)
{
	xmlNodePtr n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

/* The text of NODE with surrounding white space cut (caller frees). */
static char *node_text(const xmlNode *node)
{
	xmlChar *raw;
	const char *s, *e;
	char *t;

	if (!node || !(raw = xmlNodeGetContent(node)))
		return NULL;
	for (s = (const char *) raw;
	     *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'; s++)
		;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		e--;
	t = fx_strndup(s, (size_t) (e - s));
	xmlFree(raw);
	return t;
}

static char *attr(const xmlNode *node, const char *name)
{
	xmlChar *v = node ? xmlGetNoNsProp(node, BAD_CAST name) : NULL;
	char *s;

	if (!v)
		return NULL;
	s = fx_strdup((const char *) v);
	xmlFree(v);
	return s;
}

/* ------------------------------------------------------------------ */
/* Signers                                                             */

struct fx_signer {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) * chain;
	char *subject;
};

struct secret {
	unsigned char *ptr;
	size_t len;
};

static void secret_release(struct secret *s)
{
	if (s->ptr) {
		explicit_bzero(s->ptr, s->len);
		free(s->ptr);
	}
	s->ptr = NULL;
	s->len = 0;
}

/*
 * Read a whole credential file into memory of its own, which is wiped
 * before it is freed: no growing buffer leaves copies behind.
 */
static int read_secret(struct secret *out, fx_ctx *ctx, const char *what,
		       const char *path)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, err = 0;

	out->ptr = NULL;
	out->len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fx_ctx__error(ctx, FX_EKEY, "cannot open %s '%s': %s",
				     what, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = fx_ctx__error(ctx, FX_EKEY,
				    "cannot read %s '%s': not a regular file",
				    what, path);
		goto out;
	}
	if ((size_t) st.st_size > MAX_CREDENTIAL_SIZE) {
		err = fx_ctx__error(ctx, FX_EKEY,
				    "%s '%s' is too large (over %zu bytes)",
				    what, path, MAX_CREDENTIAL_SIZE);
		goto out;
	}
	if (!(out->ptr = malloc((size_t) st.st_size + 1))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	while (got < (size_t) st.st_size) {
		n = read(fd, out->ptr + got, (size_t) st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = fx_ctx__error(ctx, FX_EKEY,
					    "cannot read %s '%s': %s", what,
					    path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t) n;
	}
	out->len = got;
	out->ptr[got] = '\0';
	if (!got)
		err = fx_ctx__error(ctx, FX_EKEY, "%s '%s' is empty", what,
				    path);
out:
	close(fd);
	if (err < 0) {
		if (out->ptr)
			out->len = (size_t) st.st_size;
		secret_release(out);
	}
	return err;
}

void fx_signer_free(fx_signer *signer)
{
	if (!signer)
		return;
	EVP_PKEY_free(signer->key); /* OpenSSL clears private keys */
	X509_free(signer->cert);
	sk_X509_pop_free(signer->chain, X509_free);
	free(signer->subject);
	explicit_bzero(signer, sizeof(*signer));
	free(signer);
}

const char *fx_signer_subject(const fx_signer *signer)
{
	return signer->subject;
}

struct pw {
	const char *password;
	int asked;
};

/* OpenSSL asks here for the password of an encrypted key. */
static int pem_password(char *buf, int size, int rwflag, void *data)
{
	struct pw *pw = data;
	size_t len;

	(void) rwflag;
	pw->asked = 1;
	if (!pw->password || size <= 0)
		return -1;
	len = strlen(pw->password);
	if (len > (size_t) size)
		return -1;
	memcpy(buf, pw->password, len);
	return (int) len;
}

static int looks_pem(const struct secret *s)
{
	return s->len && memmem(s->ptr, s->len, "-----BEGIN ", 11) != NULL;
}

static int load_key(EVP_PKEY **out, fx_ctx *ctx, const char *path,
		    const char *password)
{
	struct secret raw = { NULL, 0 };
	struct pw pw = { password, 0 };
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	int err, encrypted;

	*out = NULL;
	if ((err = read_secret(&raw, ctx, "key", path)) < 0)
		return err;
	encrypted = memmem(raw.ptr, raw.len, "ENCRYPTED", 9) != NULL;
	if (!(bio = BIO_new_mem_buf(raw.ptr, (int) raw.len))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if (looks_pem(&raw)) {
		key = PEM_read_bio_PrivateKey(bio, NULL, pem_password, &pw);
	} else {
		key = d2i_PrivateKey_bio(bio, NULL);
		if (!key) {
			(void) BIO_reset(bio);
			key = d2i_PKCS8PrivateKey_bio(bio, NULL, pem_password,
						      &pw);
			encrypted = encrypted || pw.asked;
		}
	}
	if (!key) {
		if ((encrypted || pw.asked) && !password)
			err = fx_ctx__error(ctx, FX_EKEY,
					    "the private key in '%s' is "
					    "encrypted and no password was "
					    "given",
					    path);
		else if (encrypted || pw.asked)
			err = fx_ctx__error(ctx, FX_EKEY,
					    "cannot decrypt the private key in "
					    "'%s': wrong password",
					    path);
		else
			err = fx_ctx__error(ctx, FX_EKEY,
					    "no private key in '%s' (PEM or "
					    "DER expected): %s",
					    path, openssl_reason());
		goto out;
	}
	*out = key;
	err = 0;
out:
	BIO_free(bio);
	secret_release(&raw);
	ERR_clear_error();
	return err;
}

/* Every certificate of a PEM file (or the one of a DER file). */
static int load_certs(STACK_OF(X509) * *out, fx_ctx *ctx, const char *what,
		      const char *path)
{
	struct secret raw = { NULL, 0 };
	STACK_OF(X509) *certs = NULL;
	BIO *bio = NULL;
	X509 *cert;
	int err;

	*out = NULL;
	if ((err = read_secret(&raw, ctx, what, path)) < 0)
		return err;
	if (!(certs = sk_X509_new_null()) ||
	    !(bio = BIO_new_mem_buf(raw.ptr, (int) raw.len))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if (looks_pem(&raw)) {
		while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
			if (!sk_X509_push(certs, cert)) {
				X509_free(cert);
				err = fx_ctx__error(ctx, FX_ENOMEM,
						    "out of memory");
				goto out;
			}
		}
	} else if ((cert = d2i_X509_bio(bio, NULL))) {
		if (!sk_X509_push(certs, cert)) {
			X509_free(cert);
			err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (sk_X509_num(certs) == 0) {
		err = fx_ctx__error(ctx, FX_EKEY,
				    "no certificate in %s '%s' (PEM or DER "
				    "expected)",
				    what, path);
		goto out;
	}
	*out = certs;
	certs = NULL;
	err = 0;
out:
	sk_X509_pop_free(certs, X509_free);
	BIO_free(bio);
	secret_release(&raw);
	ERR_clear_error();
	return err;
}

/* Check that KEY is one we can sign with and that it belongs to CERT. */
static int signer_finish(fx_signer *s, fx_ctx *ctx, const char *key_name,
			 const char *cert_name)
{
	int id = EVP_PKEY_get_base_id(s->key);
	char group[64];
	size_t glen = 0;

	if (id == EVP_PKEY_EC) {
		if (EVP_PKEY_get_utf8_string_param(s->key, "group", group,
						   sizeof(group), &glen) != 1 ||
		    (strcmp(group, "prime256v1") && strcmp(group, "P-256") &&
		     strcmp(group, "secp384r1") && strcmp(group, "P-384") &&
		     strcmp(group, "secp521r1") && strcmp(group, "P-521")))
			return fx_ctx__error(ctx, FX_EKEY,
					     "the ECDSA key in '%s' is not on "
					     "P-256, P-384 or P-521",
					     key_name);
	} else if (id != EVP_PKEY_RSA) {
		return fx_ctx__error(ctx, FX_EKEY,
				     "the key in '%s' is of an unsupported "
				     "type (%s): RSA or ECDSA keys are needed",
				     key_name, OBJ_nid2sn(id));
	}
	if (X509_check_private_key(s->cert, s->key) != 1) {
		ERR_clear_error();
		return fx_ctx__error(ctx, FX_EKEY,
				     "the private key in '%s' does not match "
				     "the certificate in '%s'",
				     key_name, cert_name);
	}
	if (!(s->subject = name_string(X509_get_subject_name(s->cert))))
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	return 0;
}

int fx_signer_load_pem(fx_signer **out, fx_ctx *ctx, const char *key_path,
		       const char *cert_path, const char *chain_path,
		       const char *password)
{
	fx_signer *s = NULL;
	STACK_OF(X509) *certs = NULL, *more = NULL;
	int err;

	*out = NULL;
	fx_ctx__clear_error(ctx);
	if (!key_path || !cert_path)
		return fx_ctx__error(ctx, FX_EINVALID,
				     "a key and a certificate are needed");
	if ((err = sign_init(ctx)) < 0)
		return err;
	if (!(s = calloc(1, sizeof(*s)))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = load_key(&s->key, ctx, key_path, password)) < 0 ||
	    (err = load_certs(&certs, ctx, "certificate", cert_path)) < 0)
		goto out;
	if (chain_path &&
	    (err = load_certs(&more, ctx, "chain", chain_path)) < 0)
		goto out;
	s->cert = sk_X509_shift(certs);
	s->chain = certs;
	certs = NULL;
	while (more && sk_X509_num(more) > 0) {
		X509 *c = sk_X509_shift(more);

		if (!sk_X509_push(s->chain, c)) {
			X509_free(c);
			err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((err = signer_finish(s, ctx, key_path, cert_path)) < 0)
		goto out;
	*out = s;
	s = NULL;
out:
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(more, X509_free);
	fx_signer_free(s);
	return err;
}

int fx_signer_load_pkcs12(fx_signer **out, fx_ctx *ctx, const char *path,
			  const char *password)
{
	struct secret raw = { NULL, 0 };
	fx_signer *s = NULL;
	PKCS12 *p12 = NULL;
	BIO *bio = NULL;
	const char *pass = password ? password : "";
	int err;

	*out = NULL;
	fx_ctx__clear_error(ctx);
	if (!path)
		return fx_ctx__error(ctx, FX_EINVALID, "no PKCS#12 file");
	if ((err = sign_init(ctx)) < 0)
		return err;
	if ((err = read_secret(&raw, ctx, "PKCS#12 file", path)) < 0)
		return err;
	if (!(s = calloc(1, sizeof(*s))) ||
	    !(bio = BIO_new_mem_buf(raw.ptr, (int) raw.len))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if (!(p12 = d2i_PKCS12_bio(bio, NULL))) {
		err = fx_ctx__error(ctx, FX_EKEY,
				    "'%s' is not a PKCS#12 file: %s", path,
				    openssl_reason());
		goto out;
	}
	/* an empty password may be stored as none at all */
	if (!PKCS12_mac_present(p12)) {
		/* nothing to check the password against: parse tells */
	} else if (PKCS12_verify_mac(p12, pass, -1) != 1 &&
		   !(!*pass && PKCS12_verify_mac(p12, NULL, 0) == 1)) {
		err = fx_ctx__error(ctx, FX_EKEY,
				    password && *password
					    ? "cannot open the PKCS#12 file "
					      "'%s': wrong password"
					    : "the PKCS#12 file '%s' needs a "
					      "password",
				    path);
		goto out;
	}
	if (PKCS12_parse(p12, pass, &s->key, &s->cert, &s->chain) != 1) {
		err = fx_ctx__error(ctx, FX_EKEY,
				    "cannot read the key and certificate of "
				    "'%s': %s",
				    path, openssl_reason());
		goto out;
	}
	if (!s->key || !s->cert) {
		err = fx_ctx__error(ctx, FX_EKEY,
				    "the PKCS#12 file '%s' does not hold both "
				    "a private key and its certificate",
				    path);
		goto out;
	}
	if (!s->chain && !(s->chain = sk_X509_new_null())) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = signer_finish(s, ctx, path, path)) < 0)
		goto out;
	*out = s;
	s = NULL;
	err = 0;
out:
	PKCS12_free(p12);
	BIO_free(bio);
	secret_release(&raw);
	fx_signer_free(s);
	ERR_clear_error();
	return err;
}

/* ------------------------------------------------------------------ */
/* Signing                                                             */

/* A namespace for NODE: one in scope with a prefix, or a new one. */
static xmlNsPtr ns_on(xmlNodePtr node, const char *href, const char *prefix)
{
	xmlNsPtr ns = xmlSearchNsByHref(node->doc, node, BAD_CAST href);

	if (ns && ns->prefix)
		return ns;
	return xmlNewNs(node, BAD_CAST href, BAD_CAST prefix);
}

static xmlNodePtr add_element(xmlNodePtr parent, const char *href,
			      const char *prefix, const char *name,
			      const char *text)
{
	xmlNodePtr n = xmlNewDocNode(parent->doc, NULL, BAD_CAST name, NULL);
	xmlNsPtr ns;

	if (!n)
		return NULL;
	if (!xmlAddChild(parent, n)) {
		xmlFreeNode(n);
		return NULL;
	}
	if (!(ns = ns_on(n, href, prefix)))
		return NULL;
	xmlSetNs(n, ns);
	if (text)
		xmlNodeAddContent(n, BAD_CAST text);
	return n;
}

static int add_text(xmlNodePtr parent, const char *text)
{
	xmlNodePtr t = xmlNewDocText(parent->doc, BAD_CAST text);

	if (!t)
		return -1;
	if (!xmlAddChild(parent, t)) {
		xmlFreeNode(t);
		return -1;
	}
	return 0;
}

/* Whether some element of the tree has an Id attribute of VALUE. */
static int id_used(const xmlNode *node, const char *value)
{
	const xmlNode *n;
	xmlChar *v;
	int used;

	for (n = node; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if ((v = xmlGetNoNsProp(n, BAD_CAST "Id"))) {
			used = !strcmp((const char *) v, value);
			xmlFree(v);
			if (used)
				return 1;
		}
		if (id_used(n->children, value))
			return 1;
	}
	return 0;
}

static int count_signatures(const xmlNode *node)
{
	const xmlNode *n;
	int count = 0;

	for (n = node; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		count += is_element(n, NS_DSIG, "Signature");
		count += count_signatures(n->children);
	}
	return count;
}

/* A relative URI for a file name: its last component, escaped. */
static int uri_of_name(struct fx_buf *out, const char *name)
{
	static const char keep[] = "-._~!$&'()*+,;=:@";
	const char *base = strrchr(name, '/');
	const unsigned char *p;

	base = base ? base + 1 : name;
	if (!*base)
		return FX_EINVALID;
	for (p = (const unsigned char *) base; *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			 (*p >= '0' && *p <= '9') || (*p && strchr(keep, *p));

		if (ok ? fx_buf_put(out, p, 1) < 0
		       : fx_buf_printf(out, "%%%02X", *p) < 0)
			return FX_ENOMEM;
	}
	return 0;
}

struct algs {
	xmlSecTransformId sign;
	xmlSecTransformId digest;
	const EVP_MD *md;
	const char *digest_href;
};

static int choose_algs(struct algs *a, fx_ctx *ctx, const fx_signer *signer,
		       const fx_sign_opts *opts)
{
	int rsa = EVP_PKEY_get_base_id(signer->key) == EVP_PKEY_RSA;

	a->md = md_of(opts->digest);
	a->digest_href = digests[opts->digest].href;
	if (opts->pss && !rsa)
		return fx_ctx__error(ctx, FX_EKEY,
				     "RSASSA-PSS needs an RSA key, and the "
				     "signer's key is an ECDSA key");
	switch (opts->digest) {
	case FX_DIGEST_SHA384:
		a->digest = xmlSecOpenSSLTransformSha384Id;
		a->sign = !rsa	      ? xmlSecOpenSSLTransformEcdsaSha384Id
			  : opts->pss ? &pss_sha384_klass
				      : xmlSecOpenSSLTransformRsaSha384Id;
		break;
	case FX_DIGEST_SHA512:
		a->digest = xmlSecOpenSSLTransformSha512Id;
		a->sign = !rsa	      ? xmlSecOpenSSLTransformEcdsaSha512Id
			  : opts->pss ? &pss_sha512_klass
				      : xmlSecOpenSSLTransformRsaSha512Id;
		break;
	default:
		a->digest = xmlSecOpenSSLTransformSha256Id;
		a->sign = !rsa	      ? xmlSecOpenSSLTransformEcdsaSha256Id
			  : opts->pss ? &pss_sha256_klass
				      : xmlSecOpenSSLTransformRsaSha256Id;
		break;
	}
	return 0;
}

const char *fx_sign_method(const fx_signer *signer, const fx_sign_opts *opts)
{
	fx_sign_opts o = FX_SIGN_OPTS_INIT;
	int rsa;

	if (!signer)
		return NULL;
	if (opts)
		o = *opts;
	rsa = EVP_PKEY_get_base_id(signer->key) == EVP_PKEY_RSA;
	if (o.pss && !rsa)
		return NULL;
	switch (o.digest) {
	case FX_DIGEST_SHA384:
		return !rsa    ? "http://www.w3.org/2001/04/xmldsig-more#"
				 "ecdsa-sha384"
		       : o.pss ? (const char *) pss_sha384_klass.href
			       : "http://www.w3.org/2001/04/xmldsig-more#"
				 "rsa-sha384";
	case FX_DIGEST_SHA512:
		return !rsa    ? "http://www.w3.org/2001/04/xmldsig-more#"
				 "ecdsa-sha512"
		       : o.pss ? (const char *) pss_sha512_klass.href
			       : "http://www.w3.org/2001/04/xmldsig-more#"
				 "rsa-sha512";
	case FX_DIGEST_SHA256:
		return !rsa    ? "http://www.w3.org/2001/04/xmldsig-more#"
				 "ecdsa-sha256"
		       : o.pss ? (const char *) pss_sha256_klass.href
			       : "http://www.w3.org/2001/04/xmldsig-more#"
				 "rsa-sha256";
	default: return NULL;
	}
}

/* The certificate may sign at time WHEN, and is meant to. */
static int check_signing_cert(fx_ctx *ctx, const fx_signer *signer,
			      long long when)
{
	time_t t = (time_t) when;
	char *limit = NULL;
	char at[32];
	int err = 0;

	if (format_time(at, sizeof(at), when) < 0)
		return fx_ctx__error(ctx, FX_EINVALID, "bad signing time");
	if (X509_cmp_time(X509_get0_notAfter(signer->cert), &t) < 0) {
		limit = asn1_time_string(X509_get0_notAfter(signer->cert));
		err = fx_ctx__error(ctx, FX_EKEY,
				    "the certificate of '%s' expired on %s: it "
				    "cannot sign at %s",
				    signer->subject, limit ? limit : "?", at);
	} else if (X509_cmp_time(X509_get0_notBefore(signer->cert), &t) > 0) {
		limit = asn1_time_string(X509_get0_notBefore(signer->cert));
		err = fx_ctx__error(ctx, FX_EKEY,
				    "the certificate of '%s' is not valid "
				    "before %s: it cannot sign at %s",
				    signer->subject, limit ? limit : "?", at);
	} else if ((X509_get_extension_flags(signer->cert) & EXFLAG_KUSAGE) &&
		   !(X509_get_key_usage(signer->cert) &
		     (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
		err = fx_ctx__error(ctx, FX_EKEY,
				    "the certificate of '%s' is not meant for "
				    "signatures (its key usage has neither "
				    "digitalSignature nor nonRepudiation)",
				    signer->subject);
	}
	free(limit);
	return err;
}

/* xades:QualifyingProperties in OBJ, for the signature SIG_ID. */
static int add_qualifying_properties(xmlNodePtr obj, const char *sig_id,
				     const char *props_id, const char *ref_id,
				     const char *signing_time,
				     const fx_signer *signer,
				     const struct algs *a, const char *mime,
				     int v1)
{
	xmlNodePtr qp, sp, ssp, scv, cert, cd, dm, is, sdop, dof;
	char *issuer = NULL, *serial = NULL;
	struct fx_buf target = FX_BUF_INIT, isv2 = FX_BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	xmlChar *b64 = NULL;
	int err = FX_ENOMEM;

	if (fx_buf_printf(&target, "#%s", sig_id) < 0)
		goto out;
	if (!(qp = add_element(obj, NS_XADES, "xades", "QualifyingProperties",
			       NULL)) ||
	    !xmlSetProp(qp, BAD_CAST "Target", BAD_CAST target.ptr) ||
	    !(sp = add_element(qp, NS_XADES, "xades", "SignedProperties",
			       NULL)) ||
	    !xmlSetProp(sp, BAD_CAST "Id", BAD_CAST props_id) ||
	    !(ssp = add_element(sp, NS_XADES, "xades",
				"SignedSignatureProperties", NULL)) ||
	    !add_element(ssp, NS_XADES, "xades", "SigningTime", signing_time) ||
	    !(scv = add_element(ssp, NS_XADES, "xades",
				v1 ? "SigningCertificate"
				   : "SigningCertificateV2",
				NULL)) ||
	    !(cert = add_element(scv, NS_XADES, "xades", "Cert", NULL)) ||
	    !(cd = add_element(cert, NS_XADES, "xades", "CertDigest", NULL)) ||
	    !(dm = add_element(cd, NS_DSIG, "ds", "DigestMethod", NULL)) ||
	    !xmlSetProp(dm, BAD_CAST "Algorithm", BAD_CAST a->digest_href))
		goto out;
	if ((err = cert_digest(md, &mdlen, a->md, signer->cert)) < 0)
		goto out;
	err = FX_ENOMEM;
	if (!(b64 = base64(md, mdlen, 0)) ||
	    !add_element(cd, NS_DSIG, "ds", "DigestValue", (char *) b64))
		goto out;
	xmlFree(b64);
	b64 = NULL;
	if (v1) {
		if (!(issuer = name_string(
			      X509_get_issuer_name(signer->cert))) ||
		    !(serial = serial_decimal(signer->cert)) ||
		    !(is = add_element(cert, NS_XADES, "xades", "IssuerSerial",
				       NULL)) ||
		    !add_element(is, NS_DSIG, "ds", "X509IssuerName", issuer) ||
		    !add_element(is, NS_DSIG, "ds", "X509SerialNumber", serial))
			goto out;
	} else {
		if ((err = issuer_serial_der(&isv2, signer->cert)) < 0)
			goto out;
		err = FX_ENOMEM;
		if (!(b64 = base64(isv2.ptr, isv2.len, 0)) ||
		    !add_element(cert, NS_XADES, "xades", "IssuerSerialV2",
				 (char *) b64))
			goto out;
	}
	/* what was signed, as XAdES baseline signatures say */
	fx_buf_clear(&target);
	if (fx_buf_printf(&target, "#%s", ref_id) < 0 ||
	    !(sdop = add_element(sp, NS_XADES, "xades",
				 "SignedDataObjectProperties", NULL)) ||
	    !(dof = add_element(sdop, NS_XADES, "xades", "DataObjectFormat",
				NULL)) ||
	    !xmlSetProp(dof, BAD_CAST "ObjectReference", BAD_CAST target.ptr) ||
	    !add_element(dof, NS_XADES, "xades", "MimeType", mime))
		goto out;
	err = 0;
out:
	xmlFree(b64);
	free(issuer);
	free(serial);
	fx_buf_release(&target);
	fx_buf_release(&isv2);
	return err;
}

/* ext:UBLExtensions/ext:UBLExtension/.../sac:SignatureInformation. */
static xmlNodePtr add_ubl_extension(xmlDocPtr xdoc, int number)
{
	xmlNodePtr root = xmlDocGetRootElement(xdoc), exts, first, ext, c, n;
	xmlNsPtr ns;
	char id[96];
	int len;

	len = snprintf(id, sizeof(id), "%s%d", UBL_SIG_ID_PREFIX, number);
	if (!root || len < 0 || (size_t) len >= sizeof(id))
		return NULL;
	first = first_element(root);
	/* a further signature joins the others, outside what they sign */
	if (is_element(first, NS_EXT, "UBLExtensions")) {
		for (ext = first_child(first, NS_EXT, "UBLExtension"); ext;
		     ext = next_sibling(ext, NS_EXT, "UBLExtension")) {
			n = first_child(
				first_child(ext, NS_EXT, "ExtensionContent"),
				NS_SIG, "UBLDocumentSignatures");
			if (!n)
				continue;
			if (add_text(n, "  ") < 0 ||
			    !(c = add_element(n, NS_SAC, "sac",
					      "SignatureInformation", NULL)) ||
			    add_text(n, "\n        ") < 0 ||
			    add_text(c, "\n            ") < 0 ||
			    !add_element(c, NS_CBC, "cbc", "ID", id) ||
			    add_text(c, "\n            ") < 0)
				return NULL;
			return c;
		}
		exts = first;
	} else {
		if (!(exts = xmlNewDocNode(xdoc, NULL, BAD_CAST "UBLExtensions",
					   NULL)))
			return NULL;
		if (first ? !xmlAddPrevSibling(first, exts)
			  : !xmlAddChild(root, exts)) {
			xmlFreeNode(exts);
			return NULL;
		}
		if (!(ns = ns_on(exts, NS_EXT, "ext")))
			return NULL;
		xmlSetNs(exts, ns);
		if (first) {
			n = xmlNewDocText(xdoc, BAD_CAST "\n  ");
			if (!n || !xmlAddNextSibling(exts, n))
				return NULL;
		}
	}
	if (add_text(exts, "\n    ") < 0 ||
	    !(ext = add_element(exts, NS_EXT, "ext", "UBLExtension", NULL)) ||
	    add_text(exts, "\n  ") < 0 || add_text(ext, "\n      ") < 0 ||
	    !add_element(ext, NS_EXT, "ext", "ExtensionURI",
			 UBL_SIG_EXTENSION_URI) ||
	    add_text(ext, "\n      ") < 0 ||
	    !(c = add_element(ext, NS_EXT, "ext", "ExtensionContent", NULL)) ||
	    add_text(ext, "\n    ") < 0 || add_text(c, "\n        ") < 0 ||
	    !(n = add_element(c, NS_SIG, "sig", "UBLDocumentSignatures",
			      NULL)) ||
	    add_text(c, "\n      ") < 0 || add_text(n, "\n          ") < 0 ||
	    !(c = add_element(n, NS_SAC, "sac", "SignatureInformation",
			      NULL)) ||
	    add_text(n, "\n        ") < 0 ||
	    add_text(c, "\n            ") < 0 ||
	    !add_element(c, NS_CBC, "cbc", "ID", id) ||
	    add_text(c, "\n            ") < 0)
		return NULL;
	return c;
}

static int write_all(fx_ctx *ctx, fx_write_fn write, void *payload,
		     const void *data, size_t len)
{
	if (write((const char *) data, len, payload) < 0)
		return fx_ctx__error(ctx, FX_EIO,
				     "cannot write the signed output");
	return 0;
}

int fx_sign(fx_ctx *ctx, const fx_doc *doc, const fx_signer *signer,
	    const fx_sign_opts *opts_in, fx_write_fn write, void *payload)
{
	fx_sign_opts opts = FX_SIGN_OPTS_INIT;
	fx_doc *copy = NULL;
	xmlDocPtr xdoc = NULL, own = NULL;
	xmlNodePtr root, sig, ref, tr, obj, place, ki, x509, props, value;
	xmlSecDSigCtxPtr dsig = NULL;
	xmlSecKeyPtr key = NULL;
	xmlSecKeyDataPtr data;
	xmlChar *mem = NULL, *b64 = NULL;
	xmlAttrPtr id_attr;
	struct capture cap;
	struct detached src = { NULL, 0, NULL };
	struct fx_buf uri = FX_BUF_INIT, sig_id = FX_BUF_INIT,
		      props_id = FX_BUF_INIT, ref_id = FX_BUF_INIT,
		      props_uri = FX_BUF_INIT;
	struct algs a = { NULL, NULL, NULL, NULL };
	const char *bytes, *nsl[3] = { "sig", NS_SIG, NULL };
	const xmlChar *xnsl[3];
	char when[32], xpath[320];
	long long now;
	size_t len;
	int err, memlen = 0, detached, n, i;
	fx_syntax syntax;

	capture_begin(&cap);
	fx_ctx__clear_error(ctx);
	if (!doc || !signer || !write) {
		err = fx_ctx__error(ctx, FX_EINVALID,
				    "fx_sign needs a document, a signer and a "
				    "write function");
		goto out;
	}
	if (opts_in)
		opts = *opts_in;
	if ((unsigned) opts.digest >= FX_ARRAY_SIZE(digests)) {
		err = fx_ctx__error(ctx, FX_EINVALID, "unknown digest");
		goto out;
	}
	if ((err = sign_init(ctx)) < 0)
		goto out;
	syntax = fx_doc_syntax(doc);
	if (syntax == FX_SYNTAX_CII) {
		detached = 1;
	} else if (syntax == FX_SYNTAX_UBL_INVOICE ||
		   syntax == FX_SYNTAX_UBL_CREDITNOTE) {
		detached = opts.detached;
	} else {
		err = fx_ctx__error(
			ctx,
			syntax == FX_SYNTAX_OTHER_XML ||
					syntax == FX_SYNTAX_UNKNOWN
				? FX_ENOTINVOICE
				: FX_EUNSUPPORTED,
			"cannot sign '%s': it is %s, and only UBL and CII "
			"invoices are signed",
			fx_doc_name(doc),
			syntax == FX_SYNTAX_OTHER_XML ? "not an invoice"
						      : fx_syntax_name(syntax));
		goto out;
	}
	now = opts.fixed_time ? opts.signing_time : (long long) time(NULL);
	if (format_time(when, sizeof(when), now) < 0) {
		err = fx_ctx__error(ctx, FX_EINVALID,
				    "the signing time is out of range");
		goto out;
	}
	if ((err = check_signing_cert(ctx, signer, now)) < 0 ||
	    (err = choose_algs(&a, ctx, signer, &opts)) < 0)
		goto out;

	bytes = fx_doc__bytes(doc, &len);
	if (detached) {
		if (opts.uri) {
			err = fx_buf_puts(&uri, opts.uri);
		} else if (!strcmp(fx_doc_name(doc), "<stdin>") ||
			   !strcmp(fx_doc_name(doc), "<memory>")) {
			err = fx_ctx__error(ctx, FX_EINVALID,
					    "a detached signature names the "
					    "invoice it signs, and '%s' has "
					    "no file name",
					    fx_doc_name(doc));
			goto out;
		} else {
			err = uri_of_name(&uri, fx_doc_name(doc));
		}
		if (err < 0 || !uri.len || uri.ptr[0] == '#') {
			err = fx_ctx__error(ctx, FX_EINVALID,
					    "cannot make a URI for '%s'",
					    fx_doc_name(doc));
			goto out;
		}
		if (!(own = xdoc = xmlNewDoc(BAD_CAST "1.0")))
			goto nomem;
	} else {
		/* our own tree to change, from the very same bytes */
		if ((err = fx_doc_load_memory(&copy, ctx, fx_doc_name(doc),
					      bytes, len)) < 0)
			goto out;
		xdoc = fx_doc__xml(copy);
		if (fx_buf_puts(&uri, "") < 0)
			goto nomem;
	}

	root = xmlDocGetRootElement(xdoc);
	n = 1 + (root ? count_signatures(root) : 0);
	for (i = n;; i++) {
		fx_buf_clear(&sig_id);
		if (fx_buf_printf(&sig_id, "xades-%d", i) < 0)
			goto nomem;
		if (!root || !id_used(root, sig_id.ptr))
			break;
	}
	if (fx_buf_printf(&props_id, "%s-signedprops", sig_id.ptr) < 0 ||
	    fx_buf_printf(&props_uri, "#%s", props_id.ptr) < 0 ||
	    fx_buf_printf(&ref_id, "%s-ref0", sig_id.ptr) < 0)
		goto nomem;

	if (!(sig = xmlSecTmplSignatureCreateNsPref(
		      xdoc, xmlSecTransformExclC14NId, a.sign,
		      BAD_CAST sig_id.ptr, BAD_CAST "ds")))
		goto nomem;
	if (detached) {
		xmlDocSetRootElement(xdoc, sig);
	} else if (!(place = add_ubl_extension(xdoc, n)) ||
		   !xmlAddChild(place, sig)) {
		xmlFreeNode(sig);
		goto nomem;
	} else if (add_text(place, "\n          ") < 0) {
		goto nomem;
	}

	if (!(ref = xmlSecTmplSignatureAddReference(sig, a.digest,
						    BAD_CAST ref_id.ptr,
						    BAD_CAST uri.ptr, NULL)))
		goto nomem;
	if (!detached) {
		n = snprintf(xpath, sizeof(xpath), UBL_XPATH_FMT, "sig", "sig",
			     "sig");
		if (n < 0 || (size_t) n >= sizeof(xpath))
			goto nomem;
		for (i = 0; i < 3; i++)
			xnsl[i] = BAD_CAST nsl[i];
		if (!(tr = xmlSecTmplReferenceAddTransform(
			      ref, &fast_xpath_klass)) ||
		    xmlSecTmplTransformAddXPath(tr, BAD_CAST xpath, xnsl) < 0 ||
		    !xmlSecTmplReferenceAddTransform(ref,
						     xmlSecTransformInclC14NId))
			goto nomem;
	}
	if (!(ref = xmlSecTmplSignatureAddReference(
		      sig, a.digest, NULL, BAD_CAST props_uri.ptr,
		      BAD_CAST XADES_SIGNED_PROPERTIES)) ||
	    !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId))
		goto nomem;
	if (!(obj = xmlSecTmplSignatureAddObject(sig, NULL, NULL, NULL)))
		goto nomem;
	if ((err = add_qualifying_properties(
		     obj, sig_id.ptr, props_id.ptr, ref_id.ptr, when, signer,
		     &a, "text/xml", opts.signing_certificate_v1)) < 0)
		goto fail_err;
	/* "#id" references find their element through the ID table */
	props = first_child(first_child(obj, NS_XADES, "QualifyingProperties"),
			    NS_XADES, "SignedProperties");
	if (!props || !(id_attr = xmlHasProp(props, BAD_CAST "Id")) ||
	    !xmlAddID(NULL, xdoc, BAD_CAST props_id.ptr, id_attr))
		goto nomem;

	if (!(key = xmlSecKeyCreate()))
		goto nomem;
	if (EVP_PKEY_up_ref(signer->key) != 1)
		goto nomem;
	if (!(data = xmlSecOpenSSLEvpKeyAdopt(signer->key))) {
		EVP_PKEY_free(signer->key);
		goto nomem;
	}
	if (xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		goto nomem;
	}
	if (!(dsig = xmlSecDSigCtxCreate(NULL)))
		goto nomem;
	dsig->signKey = key;
	key = NULL;
	dsig->enabledReferenceUris =
		xmlSecTransformUriTypeEmpty |
		xmlSecTransformUriTypeSameDocument |
		(detached ? xmlSecTransformUriTypeLocal |
				    xmlSecTransformUriTypeRemote
			  : 0);
	src.data = bytes;
	src.len = len;
	src.uri = uri.ptr;
	tl_detached = detached ? &src : NULL;
	i = xmlSecDSigCtxSign(dsig, sig);
	tl_detached = NULL;
	if (i < 0) {
		err = fx_ctx__error(ctx,
				    cap.key_not_found ? FX_EKEY : FX_EINTERNAL,
				    "cannot sign '%s': %s", fx_doc_name(doc),
				    captured(&cap));
		goto out;
	}

	/* the certificates, after the signature value: not signed over,
	 * but named by the signed properties */
	value = first_child(sig, NS_DSIG, "SignatureValue");
	if (!value ||
	    !(ki = xmlNewDocNode(xdoc, NULL, BAD_CAST "KeyInfo", NULL)))
		goto nomem;
	if (!xmlAddNextSibling(value, ki)) {
		xmlFreeNode(ki);
		goto nomem;
	}
	xmlSetNs(ki, value->ns);
	if (!xmlAddPrevSibling(ki, xmlNewDocText(xdoc, BAD_CAST "\n")) ||
	    add_text(ki, "\n") < 0 ||
	    !(x509 = xmlNewChild(ki, value->ns, BAD_CAST "X509Data", NULL)) ||
	    add_text(ki, "\n") < 0 || add_text(x509, "\n") < 0)
		goto nomem;
	for (i = -1; i < sk_X509_num(signer->chain); i++) {
		X509 *c =
			i < 0 ? signer->cert : sk_X509_value(signer->chain, i);
		unsigned char *der = NULL;
		int dlen = i2d_X509(c, &der);

		if (dlen <= 0)
			goto nomem;
		b64 = base64(der, (size_t) dlen, 64);
		OPENSSL_free(der);
		if (!b64 ||
		    !xmlNewTextChild(x509, value->ns,
				     BAD_CAST "X509Certificate", b64) ||
		    add_text(x509, "\n") < 0)
			goto nomem;
		xmlFree(b64);
		b64 = NULL;
	}

	xmlDocDumpMemoryEnc(xdoc, &mem, &memlen,
			    detached || !xdoc->encoding
				    ? "UTF-8"
				    : (const char *) xdoc->encoding);
	if (!mem || memlen <= 0)
		goto nomem;
	err = write_all(ctx, write, payload, mem, (size_t) memlen);
	goto out;

nomem:
	err = FX_ENOMEM;
fail_err:
	fx_ctx__error(ctx, err,
		      err == FX_ENOMEM ? "out of memory signing '%s'"
				       : "cannot sign '%s'",
		      doc ? fx_doc_name(doc) : "?");
out:
	tl_detached = NULL;
	xmlFree(mem);
	xmlFree(b64);
	xmlSecDSigCtxDestroy(dsig);
	xmlSecKeyDestroy(key);
	xmlFreeDoc(own);
	fx_doc_free(copy);
	fx_buf_release(&uri);
	fx_buf_release(&sig_id);
	fx_buf_release(&props_id);
	fx_buf_release(&props_uri);
	fx_buf_release(&ref_id);
	capture_end(&cap);
	return err;
}

/* ------------------------------------------------------------------ */
/* Verifying                                                           */

struct sig_entry {
	fx_signature_info info;
	char *id, *subject, *issuer, *serial, *not_before, *not_after;
	char *signing_time, *signature_method, *digest_method, *c14n_method;
	char **problems;
	size_t nproblems;
};

struct fx_verification {
	struct sig_entry *sigs;
	size_t count;
};

static void entry_release(struct sig_entry *e)
{
	size_t i;

	free(e->id);
	free(e->subject);
	free(e->issuer);
	free(e->serial);
	free(e->not_before);
	free(e->not_after);
	free(e->signing_time);
	free(e->signature_method);
	free(e->digest_method);
	free(e->c14n_method);
	for (i = 0; i < e->nproblems; i++)
		free(e->problems[i]);
	free(e->problems);
}

void fx_verification_free(fx_verification *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->count; i++)
		entry_release(&v->sigs[i]);
	free(v->sigs);
	free(v);
}

size_t fx_verification_count(const fx_verification *v)
{
	return v ? v->count : 0;
}

const fx_signature_info *fx_verification_get(const fx_verification *v, size_t i)
{
	return v && i < v->count ? &v->sigs[i].info : NULL;
}

int fx_verification_valid(const fx_verification *v)
{
	size_t i;

	if (!v || !v->count)
		return 0;
	for (i = 0; i < v->count; i++)
		if (!v->sigs[i].info.valid)
			return 0;
	return 1;
}

static int add_problem(struct sig_entry *e, const char *fmt, ...)
	FX_PRINTF(2, 3);

static int add_problem(struct sig_entry *e, const char *fmt, ...)
{
	struct fx_buf b = FX_BUF_INIT;
	char **p;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = fx_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (err < 0 ||
	    !(p = realloc(e->problems, (e->nproblems + 1) * sizeof(*p)))) {
		fx_buf_release(&b);
		return FX_ENOMEM;
	}
	e->problems = p;
	e->problems[e->nproblems++] = fx_buf_detach(&b);
	return 0;
}

/* Point the public view at the strings the entry owns. */
static void entry_publish(struct sig_entry *e)
{
	fx_signature_info *i = &e->info;

	i->id = e->id;
	i->subject = e->subject;
	i->issuer = e->issuer;
	i->serial = e->serial;
	i->not_before = e->not_before;
	i->not_after = e->not_after;
	i->signing_time = e->signing_time;
	i->signature_method = e->signature_method;
	i->digest_method = e->digest_method;
	i->c14n_method = e->c14n_method;
	i->nproblems = e->nproblems;
	i->problems = (const char *const *) e->problems;
	i->valid = i->references == FX_SIG_CHECK_PASS &&
		   i->value == FX_SIG_CHECK_PASS &&
		   i->properties == FX_SIG_CHECK_PASS &&
		   i->chain == FX_SIG_CHECK_PASS && !e->nproblems;
}

struct vrun {
	fx_ctx *ctx;
	X509_STORE *store;
	const fx_verify_opts *opts;
	int detached;
	struct detached src;
	char *duplicate_id; /* an Id used twice in the signed document */
};

/* Register every Id attribute, so that "#id" references resolve; an Id
 * used twice could make a reference point elsewhere than meant. */
static int register_ids(struct vrun *run, xmlDocPtr xdoc, xmlNodePtr node)
{
	xmlNodePtr n;
	xmlAttrPtr a;
	xmlChar *v;
	int err;

	for (n = node; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if ((a = xmlHasProp(n, BAD_CAST "Id")) && !a->ns &&
		    (v = xmlNodeGetContent((xmlNodePtr) a))) {
			if (!xmlGetID(xdoc, v)) {
				if (!xmlAddID(NULL, xdoc, v, a)) {
					xmlFree(v);
					return FX_ENOMEM;
				}
			} else if (!run->duplicate_id &&
				   !(run->duplicate_id =
					     fx_strdup((const char *) v))) {
				xmlFree(v);
				return FX_ENOMEM;
			}
			xmlFree(v);
		}
		if ((err = register_ids(run, xdoc, n->children)) < 0)
			return err;
	}
	return 0;
}

static const char *const c14n_hrefs[] = {
	"http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
	"http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
	"http://www.w3.org/2006/12/xml-c14n11",
	"http://www.w3.org/2006/12/xml-c14n11#WithComments",
	"http://www.w3.org/2001/10/xml-exc-c14n#",
	"http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
};

static int is_c14n(const char *href)
{
	size_t i;

	for (i = 0; href && i < FX_ARRAY_SIZE(c14n_hrefs); i++)
		if (!strcmp(href, c14n_hrefs[i]))
			return 1;
	return 0;
}

static void strip_spaces(char *s)
{
	char *w = s;

	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			*w++ = *s;
	*w = '\0';
}

/* Which of the XPath filters that keep the whole document but its
 * signatures XPATH holds, with its prefix bound to the right namespace. */
static enum xpath_form xpath_form_of(xmlNodePtr xpath)
{
	xmlNsPtr *nss = xpath ? xmlGetNsList(xpath->doc, xpath) : NULL;
	char *expr = xpath ? node_text(xpath) : NULL;
	enum xpath_form form = XPATH_OTHER, f;
	char want[400];
	int n;
	size_t i;

	if (!expr || !nss)
		goto out;
	strip_spaces(expr);
	for (i = 0; nss[i] && form == XPATH_OTHER; i++) {
		const char *p = (const char *) nss[i]->prefix;
		const char *href = (const char *) nss[i]->href;

		if (!p)
			continue;
		if (!strcmp(href, NS_SIG)) {
			f = XPATH_UBL;
			n = snprintf(want, sizeof(want), UBL_XPATH_FMT, p, p,
				     p);
		} else if (!strcmp(href, NS_DSIG)) {
			f = XPATH_DSIG;
			n = snprintf(want, sizeof(want), DSIG_XPATH_FMT, p);
		} else {
			continue;
		}
		if (n < 0 || (size_t) n >= sizeof(want))
			continue;
		strip_spaces(want);
		if (!strcmp(want, expr))
			form = f;
	}
out:
	free(expr);
	xmlFree(nss);
	return form;
}

/* Whether REF covers the invoice: the whole document for an enveloped
 * signature, the external data for a detached one. */
static int covers_invoice(const struct vrun *run, xmlNodePtr ref)
{
	xmlNodePtr trs, t;
	char *uri = attr(ref, "URI"), *alg;
	int ok;

	if (!uri)
		return 0;
	ok = run->detached ? *uri && *uri != '#' : !*uri;
	free(uri);
	trs = first_child(ref, NS_DSIG, "Transforms");
	for (t = first_child(trs, NS_DSIG, "Transform"); ok && t;
	     t = next_sibling(t, NS_DSIG, "Transform")) {
		alg = attr(t, "Algorithm");
		if (!alg)
			ok = 0;
		else if (is_c14n(alg))
			ok = 1;
		else if (run->detached)
			ok = 0;
		else if (!strcmp(alg, HREF_ENVELOPED))
			ok = 1;
		else if (!strcmp(alg, HREF_XPATH))
			ok = xpath_form_of(first_child(t, NS_DSIG, "XPath")) !=
			     XPATH_OTHER;
		else
			ok = 0;
		free(alg);
	}
	return ok;
}

static int collect_certs(STACK_OF(X509) * certs, xmlNodePtr sig)
{
	xmlNodePtr ki = first_child(sig, NS_DSIG, "KeyInfo"), xd, c;
	struct fx_buf der = FX_BUF_INIT;
	const unsigned char *p;
	xmlChar *text;
	X509 *x;
	int err = 0;

	for (xd = first_child(ki, NS_DSIG, "X509Data"); xd;
	     xd = next_sibling(xd, NS_DSIG, "X509Data")) {
		for (c = first_child(xd, NS_DSIG, "X509Certificate"); c;
		     c = next_sibling(c, NS_DSIG, "X509Certificate")) {
			if (!(text = xmlNodeGetContent(c)))
				continue;
			fx_buf_clear(&der);
			err = unbase64(&der, text);
			xmlFree(text);
			if (err == FX_ENOMEM)
				goto out;
			if (err < 0 || der.len > LONG_MAX)
				continue;
			p = (const unsigned char *) der.ptr;
			if (!(x = d2i_X509(NULL, &p, (long) der.len)))
				continue;
			if (!sk_X509_push(certs, x)) {
				X509_free(x);
				err = FX_ENOMEM;
				goto out;
			}
		}
	}
	err = 0;
out:
	fx_buf_release(&der);
	ERR_clear_error();
	return err;
}

/* The CertDigest of a xades:Cert matches CERT. */
static int cert_matches_digest(xmlNodePtr xcert, X509 *cert, int allow_sha1)
{
	xmlNodePtr cd = first_child(xcert, NS_XADES, "CertDigest");
	char *alg = attr(first_child(cd, NS_DSIG, "DigestMethod"), "Algorithm");
	char *text = node_text(first_child(cd, NS_DSIG, "DigestValue"));
	const EVP_MD *md = md_of_href(alg, allow_sha1);
	struct fx_buf want = FX_BUF_INIT;
	unsigned char got[EVP_MAX_MD_SIZE];
	unsigned int glen = 0;
	int ok = 0;

	if (md && text && unbase64(&want, BAD_CAST text) == 0 &&
	    cert_digest(got, &glen, md, cert) == 0 && want.len == glen &&
	    !memcmp(want.ptr, got, glen))
		ok = 1;
	free(alg);
	free(text);
	fx_buf_release(&want);
	return ok;
}

/* The first xades:Cert (the signing certificate) names CERT by issuer and
 * serial number; 1 when it does, or when it gives neither. */
static int cert_matches_issuer_serial(xmlNodePtr xcert, X509 *cert)
{
	xmlNodePtr v2 = first_child(xcert, NS_XADES, "IssuerSerialV2");
	xmlNodePtr v1 = first_child(xcert, NS_XADES, "IssuerSerial");
	struct fx_buf want = FX_BUF_INIT, got = FX_BUF_INIT;
	char *text = NULL, *dec = NULL;
	int ok = 0;

	if (v2) {
		text = node_text(v2);
		ok = text && unbase64(&want, BAD_CAST text) == 0 &&
		     issuer_serial_der(&got, cert) == 0 &&
		     want.len == got.len && !memcmp(want.ptr, got.ptr, got.len);
	} else if (v1) {
		text = node_text(first_child(v1, NS_DSIG, "X509SerialNumber"));
		dec = serial_decimal(cert);
		ok = text && dec && !strcmp(text, dec);
	} else {
		ok = 1;
	}
	free(text);
	free(dec);
	fx_buf_release(&want);
	fx_buf_release(&got);
	return ok;
}

/* The xades:Cert elements naming the signing certificate, V2 first. */
static xmlNodePtr signing_cert_list(xmlNodePtr ssp, int *v1)
{
	xmlNodePtr l = first_child(ssp, NS_XADES, "SigningCertificateV2");

	*v1 = 0;
	if (!l && (l = first_child(ssp, NS_XADES, "SigningCertificate")))
		*v1 = 1;
	return l;
}

/* Which of CERTS signed: the one the signed properties name, or else the
 * one that issued none of the others. */
static X509 *pick_signer(STACK_OF(X509) * certs, xmlNodePtr scert, int v1)
{
	xmlNodePtr first = first_child(scert, NS_XADES, "Cert");
	int i, j, n = sk_X509_num(certs), issuer;

	for (i = 0; first && i < n; i++)
		if (cert_matches_digest(first, sk_X509_value(certs, i), v1))
			return sk_X509_value(certs, i);
	for (i = 0; i < n; i++) {
		issuer = 0;
		for (j = 0; j < n && !issuer; j++)
			issuer = i != j &&
				 X509_check_issued(sk_X509_value(certs, i),
						   sk_X509_value(certs, j)) ==
					 X509_V_OK;
		if (!issuer)
			return sk_X509_value(certs, i);
	}
	return n ? sk_X509_value(certs, 0) : NULL;
}

static int describe_signer(struct sig_entry *e, X509 *cert)
{
	if (!(e->subject = name_string(X509_get_subject_name(cert))) ||
	    !(e->issuer = name_string(X509_get_issuer_name(cert))) ||
	    !(e->serial = serial_hex(cert)) ||
	    !(e->not_before = asn1_time_string(X509_get0_notBefore(cert))) ||
	    !(e->not_after = asn1_time_string(X509_get0_notAfter(cert))))
		return FX_ENOMEM;
	return 0;
}

static int check_chain(struct vrun *run, struct sig_entry *e, X509 *signer,
		       STACK_OF(X509) * certs)
{
	X509_STORE_CTX *sctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	long long at =
		run->opts->at_set ? run->opts->at : (long long) time(NULL);
	char when[32], *limit = NULL, *name = NULL;
	X509 *bad;
	int i, code, depth, err = FX_ENOMEM;

	if (!sctx || !untrusted)
		goto out;
	for (i = 0; i < sk_X509_num(certs); i++)
		if (sk_X509_value(certs, i) != signer &&
		    !sk_X509_push(untrusted, sk_X509_value(certs, i)))
			goto out;
	if (X509_STORE_CTX_init(sctx, run->store, signer, untrusted) != 1)
		goto out;
	if (run->opts->at_set)
		X509_STORE_CTX_set_time(sctx, 0, (time_t) at);
	if (format_time(when, sizeof(when), at) < 0)
		snprintf(when, sizeof(when), "?");
	err = 0;
	if (X509_verify_cert(sctx) == 1) {
		if ((X509_get_extension_flags(signer) & EXFLAG_KUSAGE) &&
		    !(X509_get_key_usage(signer) &
		      (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
			e->info.chain = FX_SIG_CHECK_FAIL;
			err = add_problem(e,
					  "the signer's certificate is not "
					  "meant for signatures (key usage)");
		} else {
			e->info.chain = FX_SIG_CHECK_PASS;
		}
		goto out;
	}
	e->info.chain = FX_SIG_CHECK_FAIL;
	code = X509_STORE_CTX_get_error(sctx);
	depth = X509_STORE_CTX_get_error_depth(sctx);
	bad = X509_STORE_CTX_get_current_cert(sctx);
	if (!bad)
		bad = signer;
	name = name_string(X509_get_subject_name(bad));
	switch (code) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		limit = asn1_time_string(X509_get0_notAfter(bad));
		err = depth == 0 ? add_problem(e,
					       "the signer's certificate "
					       "expired on %s (checked at %s)",
					       limit ? limit : "?", when)
				 : add_problem(e,
					       "the certificate '%s' of the "
					       "chain expired on %s (checked "
					       "at %s)",
					       name ? name : "?",
					       limit ? limit : "?", when);
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		limit = asn1_time_string(X509_get0_notBefore(bad));
		err = depth == 0 ? add_problem(e,
					       "the signer's certificate is "
					       "not valid before %s (checked "
					       "at %s)",
					       limit ? limit : "?", when)
				 : add_problem(e,
					       "the certificate '%s' of the "
					       "chain is not valid before %s "
					       "(checked at %s)",
					       name ? name : "?",
					       limit ? limit : "?", when);
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		err = add_problem(e,
				  "the signer's certificate is not trusted: "
				  "%s ('%s' does not lead to a trust anchor)",
				  X509_verify_cert_error_string(code),
				  name ? name : "?");
		break;
	default:
		err = add_problem(e,
				  "the signer's certificate chain is not "
				  "valid: %s (at '%s')",
				  X509_verify_cert_error_string(code),
				  name ? name : "?");
		break;
	}
out:
	free(limit);
	free(name);
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(sctx);
	ERR_clear_error();
	return err;
}

static int enable_transforms(xmlSecDSigCtxPtr dsig)
{
	const xmlSecTransformId c14n[] = {
		xmlSecTransformInclC14NId,
		xmlSecTransformInclC14NWithCommentsId,
		xmlSecTransformInclC14N11Id,
		xmlSecTransformInclC14N11WithCommentsId,
		xmlSecTransformExclC14NId,
		xmlSecTransformExclC14NWithCommentsId,
	};
	const xmlSecTransformId refs[] = {
		xmlSecTransformEnvelopedId,	&fast_xpath_klass,
		xmlSecOpenSSLTransformSha256Id, xmlSecOpenSSLTransformSha384Id,
		xmlSecOpenSSLTransformSha512Id,
	};
	const xmlSecTransformId methods[] = {
		xmlSecOpenSSLTransformRsaSha256Id,
		xmlSecOpenSSLTransformRsaSha384Id,
		xmlSecOpenSSLTransformRsaSha512Id,
		xmlSecOpenSSLTransformEcdsaSha256Id,
		xmlSecOpenSSLTransformEcdsaSha384Id,
		xmlSecOpenSSLTransformEcdsaSha512Id,
		&pss_sha256_klass,
		&pss_sha384_klass,
		&pss_sha512_klass,
	};
	size_t i;

	for (i = 0; i < FX_ARRAY_SIZE(c14n); i++)
		if (xmlSecDSigCtxEnableReferenceTransform(dsig, c14n[i]) < 0 ||
		    xmlSecDSigCtxEnableSignatureTransform(dsig, c14n[i]) < 0)
			return FX_ENOMEM;
	for (i = 0; i < FX_ARRAY_SIZE(refs); i++)
		if (xmlSecDSigCtxEnableReferenceTransform(dsig, refs[i]) < 0)
			return FX_ENOMEM;
	for (i = 0; i < FX_ARRAY_SIZE(methods); i++)
		if (xmlSecDSigCtxEnableSignatureTransform(dsig, methods[i]) < 0)
			return FX_ENOMEM;
	return 0;
}

/* What became of the reference to the signed properties. */
enum props_state {
	PROPS_UNREFERENCED = 0, /* no reference of SignedInfo points there */
	PROPS_UNCHECKED,	/* xmlsec stopped at a reference before it */
	PROPS_SIGNED,		/* its digest matches */
	PROPS_CHANGED		/* its digest does not match */
};

static const char *short_alg(const char *href)
{
	const char *h = href ? strrchr(href, '#') : NULL;

	return h && h[1] ? h + 1 : href ? href : "?";
}

/* Run xmlsec over SIG with the key of SIGNER; record what it found. */
static int check_xmldsig(struct vrun *run, struct sig_entry *e, xmlNodePtr sig,
			 X509 *signer, const char *props_uri,
			 enum props_state *props)
{
	xmlSecDSigCtxPtr dsig = NULL;
	xmlSecKeyPtr key = NULL;
	xmlSecKeyDataPtr data;
	xmlNodePtr si = first_child(sig, NS_DSIG, "SignedInfo"), ref;
	xmlSecDSigReferenceCtxPtr rctx;
	struct capture cap;
	EVP_PKEY *pub = NULL;
	xmlSecSize k, nstored;
	char *uri = NULL;
	int ret, err = FX_ENOMEM, failed_ref = 0, covered = 0;

	*props = PROPS_UNREFERENCED;
	for (ref = first_child(si, NS_DSIG, "Reference"); ref && props_uri;
	     ref = next_sibling(ref, NS_DSIG, "Reference")) {
		if ((uri = attr(ref, "URI")) && !strcmp(uri, props_uri))
			*props = PROPS_UNCHECKED;
		free(uri);
		uri = NULL;
	}
	capture_begin(&cap);
	if (!(dsig = xmlSecDSigCtxCreate(NULL)) ||
	    enable_transforms(dsig) < 0 || !(key = xmlSecKeyCreate()) ||
	    !(pub = X509_get_pubkey(signer)))
		goto out;
	if (!(data = xmlSecOpenSSLEvpKeyAdopt(pub))) {
		EVP_PKEY_free(pub);
		e->info.value = FX_SIG_CHECK_FAIL;
		err = add_problem(e,
				  "the signer's certificate holds a key of a "
				  "kind that cannot be checked");
		goto out;
	}
	if (xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		goto out;
	}
	dsig->flags |= XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES;
	dsig->enabledReferenceUris =
		xmlSecTransformUriTypeEmpty |
		xmlSecTransformUriTypeSameDocument |
		(run->detached ? xmlSecTransformUriTypeLocal |
					 xmlSecTransformUriTypeRemote
			       : 0);
	dsig->signKey = key;
	key = NULL;

	tl_detached = run->detached ? &run->src : NULL;
	ret = xmlSecDSigCtxVerify(dsig, sig);
	tl_detached = NULL;

	/* which reference failed, if one did: they are stored in order */
	nstored = xmlSecPtrListGetSize(&dsig->signedInfoReferences);
	for (k = 0, ref = first_child(si, NS_DSIG, "Reference");
	     k < nstored && ref;
	     k++, ref = next_sibling(ref, NS_DSIG, "Reference")) {
		rctx = xmlSecPtrListGetItem(&dsig->signedInfoReferences, k);
		free(uri);
		uri = attr(ref, "URI");
		if (!rctx || rctx->status == xmlSecDSigStatusSucceeded) {
			if (rctx && uri && props_uri && !strcmp(uri, props_uri))
				*props = PROPS_SIGNED;
			continue;
		}
		failed_ref = 1;
		/* not a digest that differs: xmlsec could not compute it, and
		 * its error tells why (below) */
		if (rctx->status != xmlSecDSigStatusInvalid)
			break;
		if (uri && props_uri && !strcmp(uri, props_uri)) {
			*props = PROPS_CHANGED;
			err = add_problem(e,
					  "the signed properties were changed "
					  "after signing (their digest does "
					  "not match)");
		} else if (covers_invoice(run, ref)) {
			err = add_problem(
				e, run->detached
					   ? "the invoice does not match the "
					     "signature: it was changed after "
					     "signing, or is another file "
					     "(digest mismatch)"
					   : "the invoice was changed after "
					     "signing (the digest of the "
					     "document does not match)");
		} else {
			err = add_problem(e,
					  "the digest of reference '%s' does "
					  "not match",
					  uri ? uri : "");
		}
		if (err < 0)
			goto out;
		break;
	}

	if (ret < 0) {
		e->info.references =
			failed_ref ? FX_SIG_CHECK_FAIL : FX_SIG_CHECK_NOT_RUN;
		e->info.value = FX_SIG_CHECK_FAIL;
		if (cap.key_not_found)
			err = add_problem(e,
					  "the key of the signer's certificate "
					  "does not fit the signature method "
					  "'%s'",
					  short_alg(e->signature_method));
		else
			err = add_problem(e,
					  "the signature cannot be checked: %s",
					  captured(&cap));
		if (err < 0)
			goto out;
	} else if (dsig->status == xmlSecDSigStatusSucceeded) {
		e->info.references = FX_SIG_CHECK_PASS;
		e->info.value = FX_SIG_CHECK_PASS;
	} else if (failed_ref) {
		e->info.references = FX_SIG_CHECK_FAIL;
		e->info.value = FX_SIG_CHECK_NOT_RUN;
	} else {
		e->info.references = FX_SIG_CHECK_PASS;
		e->info.value = FX_SIG_CHECK_FAIL;
		if ((err = add_problem(e, "the signature value does not match: "
					  "the signed information was changed, "
					  "or another key signed")) < 0)
			goto out;
	}

	/* a good signature over the wrong things is no good either */
	for (ref = first_child(si, NS_DSIG, "Reference"); ref;
	     ref = next_sibling(ref, NS_DSIG, "Reference")) {
		if (covers_invoice(run, ref)) {
			covered = 1;
			if (!e->digest_method)
				e->digest_method =
					attr(first_child(ref, NS_DSIG,
							 "DigestMethod"),
					     "Algorithm");
		}
	}
	if (!covered) {
		e->info.references = FX_SIG_CHECK_FAIL;
		if ((err = add_problem(
			     e, run->detached
					? "the signature has no reference to "
					  "an external document: it does not "
					  "sign the invoice"
					: "the signature does not cover the "
					  "whole invoice (it needs a reference "
					  "with URI=\"\" that leaves out only "
					  "signatures)")) < 0)
			goto out;
	}
	err = 0;
out:
	tl_detached = NULL;
	free(uri);
	xmlSecKeyDestroy(key);
	xmlSecDSigCtxDestroy(dsig);
	capture_end(&cap);
	return err;
}

static int check_properties(struct sig_entry *e, xmlNodePtr sig, xmlNodePtr qp,
			    xmlNodePtr sp, X509 *signer, enum props_state props)
{
	xmlNodePtr ssp = first_child(sp, NS_XADES, "SignedSignatureProperties");
	xmlNodePtr scert, first;
	char *target = attr(qp, "Target"), *sid = attr(sig, "Id");
	int v1 = 0, err = 0;

	e->info.properties = FX_SIG_CHECK_FAIL;
	if (!qp) {
		err = add_problem(e, "no XAdES signed properties "
				     "(ds:Object/xades:QualifyingProperties): "
				     "this is a plain XML signature");
		goto out;
	}
	if (!sid || !target || target[0] != '#' || strcmp(target + 1, sid)) {
		err = add_problem(e,
				  "xades:QualifyingProperties is for another "
				  "signature (Target '%s', signature Id '%s')",
				  target ? target : "", sid ? sid : "");
		goto out;
	}
	if (!sp) {
		err = add_problem(e, "no xades:SignedProperties");
		goto out;
	}
	if (props == PROPS_UNREFERENCED) {
		err = add_problem(e, "xades:SignedProperties is not signed: no "
				     "reference of the signature points to "
				     "it");
		goto out;
	}
	if (props == PROPS_CHANGED)
		goto out; /* told with the references */
	if (!first_child(ssp, NS_XADES, "SigningTime")) {
		err = add_problem(e, "no xades:SigningTime");
		goto out;
	}
	scert = signing_cert_list(ssp, &v1);
	first = first_child(scert, NS_XADES, "Cert");
	if (!first) {
		err = add_problem(e, "no xades:SigningCertificateV2: the "
				     "signed properties do not name the "
				     "signing certificate");
		goto out;
	}
	if (!cert_matches_digest(first, signer, v1)) {
		err = add_problem(e,
				  "the signed properties name another "
				  "certificate than the one that signed (the "
				  "certificate digest differs)");
		goto out;
	}
	if (!cert_matches_issuer_serial(first, signer)) {
		err = add_problem(e,
				  "the signed properties give another issuer "
				  "or serial number than the signer's "
				  "certificate has");
		goto out;
	}
	/* what they say is right, but are they what was signed? */
	e->info.properties = props == PROPS_SIGNED ? FX_SIG_CHECK_PASS
						   : FX_SIG_CHECK_NOT_RUN;
out:
	free(target);
	free(sid);
	return err;
}

static int verify_one(struct vrun *run, struct sig_entry *e, xmlNodePtr sig)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	xmlNodePtr si, obj, qp = NULL, sp = NULL, ssp, scert;
	X509 *signer;
	char *props_id = NULL;
	struct fx_buf props_uri = FX_BUF_INIT;
	enum props_state props = PROPS_UNREFERENCED;
	int err = FX_ENOMEM, v1 = 0;
	long line = xmlGetLineNo(sig);

	if (!certs)
		goto out;
	e->info.line = line > 0 ? (unsigned long) line : 0;
	e->id = attr(sig, "Id");
	si = first_child(sig, NS_DSIG, "SignedInfo");
	e->c14n_method =
		attr(first_child(si, NS_DSIG, "CanonicalizationMethod"),
		     "Algorithm");
	e->signature_method =
		attr(first_child(si, NS_DSIG, "SignatureMethod"), "Algorithm");
	for (obj = first_child(sig, NS_DSIG, "Object"); obj && !qp;
	     obj = next_sibling(obj, NS_DSIG, "Object"))
		qp = first_child(obj, NS_XADES, "QualifyingProperties");
	sp = first_child(qp, NS_XADES, "SignedProperties");
	ssp = first_child(sp, NS_XADES, "SignedSignatureProperties");
	e->signing_time = node_text(first_child(ssp, NS_XADES, "SigningTime"));
	props_id = attr(sp, "Id");
	if (props_id && fx_buf_printf(&props_uri, "#%s", props_id) < 0)
		goto out;

	if (run->duplicate_id &&
	    (err = add_problem(e,
			       "the Id '%s' is given to two elements, so "
			       "a reference may not mean what it seems",
			       run->duplicate_id)) < 0)
		goto out;
	if ((err = collect_certs(certs, sig)) < 0)
		goto out;
	scert = signing_cert_list(ssp, &v1);
	if (!(signer = pick_signer(certs, scert, v1))) {
		err = add_problem(e,
				  "no certificate in ds:KeyInfo/ds:X509Data: "
				  "the signer cannot be known");
		goto out;
	}
	if ((err = describe_signer(e, signer)) < 0 ||
	    (err = check_xmldsig(run, e, sig, signer,
				 props_uri.len ? props_uri.ptr : NULL,
				 &props)) < 0 ||
	    (err = check_properties(e, sig, qp, sp, signer, props)) < 0 ||
	    (err = check_chain(run, e, signer, certs)) < 0)
		goto out;
	err = 0;
out:
	free(props_id);
	fx_buf_release(&props_uri);
	sk_X509_pop_free(certs, X509_free);
	return err;
}

static int add_entry(fx_verification *v, struct sig_entry **out)
{
	struct sig_entry *p = realloc(v->sigs, (v->count + 1) * sizeof(*p));

	if (!p)
		return FX_ENOMEM;
	v->sigs = p;
	*out = &p[v->count++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

/* The enveloped signatures of a UBL document, where UBL 2.1 puts them. */
static int find_ubl_signatures(xmlNodePtr root, xmlNodePtr **out, size_t *n)
{
	xmlNodePtr exts = first_child(root, NS_EXT, "UBLExtensions");
	xmlNodePtr ext, docsigs, info, sig, *list = NULL, *p;
	size_t count = 0;

	for (ext = first_child(exts, NS_EXT, "UBLExtension"); ext;
	     ext = next_sibling(ext, NS_EXT, "UBLExtension")) {
		docsigs = first_child(
			first_child(ext, NS_EXT, "ExtensionContent"), NS_SIG,
			"UBLDocumentSignatures");
		for (info = first_child(docsigs, NS_SAC,
					"SignatureInformation");
		     info; info = next_sibling(info, NS_SAC,
					       "SignatureInformation")) {
			if (!(sig = first_child(info, NS_DSIG, "Signature")))
				continue;
			if (!(p = realloc(list, (count + 1) * sizeof(*p)))) {
				free(list);
				return FX_ENOMEM;
			}
			list = p;
			list[count++] = sig;
		}
	}
	*out = list;
	*n = count;
	return 0;
}

static int load_trust(X509_STORE **out, fx_ctx *ctx, const char *ca_file)
{
	X509_STORE *store = X509_STORE_new();
	FILE *fp;
	int err = 0;

	*out = NULL;
	if (!store)
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	if (ca_file) {
		if (!(fp = fopen(ca_file, "r"))) {
			err = fx_ctx__error(ctx, FX_EKEY,
					    "cannot open the trust anchors "
					    "'%s': %s",
					    ca_file, strerror(errno));
			goto out;
		}
		fclose(fp);
		if (X509_STORE_load_file(store, ca_file) != 1) {
			err = fx_ctx__error(ctx, FX_EKEY,
					    "no certificate in the trust "
					    "anchors '%s' (PEM expected)",
					    ca_file);
			goto out;
		}
	} else if (X509_STORE_set_default_paths(store) != 1) {
		err = fx_ctx__error(ctx, FX_EKEY,
				    "cannot load the system's trust anchors: "
				    "%s",
				    openssl_reason());
		goto out;
	}
	*out = store;
	store = NULL;
out:
	X509_STORE_free(store);
	ERR_clear_error();
	return err;
}

int fx_verify(fx_verification **out, fx_ctx *ctx, const fx_doc *doc,
	      const fx_verify_opts *opts_in)
{
	fx_verify_opts opts = FX_VERIFY_OPTS_INIT;
	fx_verification *v = NULL;
	fx_doc *copy = NULL;
	struct vrun run;
	struct sig_entry *e;
	xmlDocPtr xdoc;
	xmlNodePtr root, *sigs = NULL;
	const fx_doc *sigdoc;
	const char *bytes;
	size_t len, nsigs = 0, i;
	fx_syntax syntax;
	int err;

	*out = NULL;
	memset(&run, 0, sizeof(run));
	fx_ctx__clear_error(ctx);
	if (!doc)
		return fx_ctx__error(ctx, FX_EINVALID, "no document to verify");
	if (opts_in)
		opts = *opts_in;
	if ((err = sign_init(ctx)) < 0)
		return err;
	run.ctx = ctx;
	run.opts = &opts;
	run.detached = opts.signature != NULL;
	sigdoc = run.detached ? opts.signature : doc;
	syntax = fx_doc_syntax(sigdoc);
	if (run.detached) {
		if (syntax != FX_SYNTAX_OTHER_XML ||
		    strcmp(fx_doc_root_name(sigdoc), "Signature") ||
		    strcmp(fx_doc_root_namespace(sigdoc), NS_DSIG))
			return fx_ctx__error(ctx, FX_EUNSUPPORTED,
					     "'%s' is not a detached signature "
					     "(its root is not ds:Signature)",
					     fx_doc_name(sigdoc));
		run.src.data = fx_doc__bytes(doc, &run.src.len);
	} else if (syntax != FX_SYNTAX_UBL_INVOICE &&
		   syntax != FX_SYNTAX_UBL_CREDITNOTE &&
		   syntax != FX_SYNTAX_CII) {
		return fx_ctx__error(
			ctx,
			syntax == FX_SYNTAX_OTHER_XML ||
					syntax == FX_SYNTAX_UNKNOWN
				? FX_ENOTINVOICE
				: FX_EUNSUPPORTED,
			"cannot verify '%s': it is %s", fx_doc_name(doc),
			syntax == FX_SYNTAX_OTHER_XML ? "not an invoice"
						      : fx_syntax_name(syntax));
	}
	if ((err = load_trust(&run.store, ctx, opts.ca_file)) < 0)
		goto out;
	if (!(v = calloc(1, sizeof(*v))))
		goto nomem;

	/* a tree of our own: Ids get registered in it */
	bytes = fx_doc__bytes(sigdoc, &len);
	if ((err = fx_doc_load_memory(&copy, ctx, fx_doc_name(sigdoc), bytes,
				      len)) < 0)
		goto out;
	xdoc = fx_doc__xml(copy);
	root = xmlDocGetRootElement(xdoc);
	if ((err = register_ids(&run, xdoc, root)) < 0)
		goto nomem;
	if (run.detached) {
		if (!(sigs = malloc(sizeof(*sigs))))
			goto nomem;
		sigs[0] = root;
		nsigs = 1;
	} else if (syntax != FX_SYNTAX_CII &&
		   (err = find_ubl_signatures(root, &sigs, &nsigs)) < 0) {
		goto nomem;
	}
	for (i = 0; i < nsigs; i++) {
		if ((err = add_entry(v, &e)) < 0 ||
		    (err = verify_one(&run, e, sigs[i])) < 0)
			goto nomem;
	}
	for (i = 0; i < v->count; i++)
		entry_publish(&v->sigs[i]);
	*out = v;
	v = NULL;
	err = 0;
	goto out;
nomem:
	err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory verifying '%s'",
			    fx_doc_name(doc));
out:
	free(sigs);
	free(run.duplicate_id);
	X509_STORE_free(run.store);
	fx_doc_free(copy);
	fx_verification_free(v);
	return err;
}
