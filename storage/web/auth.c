/*
 * Authentication for `teletrack serve` off loopback.  Passwords are
 * checked with libcrypt's crypt_r() against salted hashes an admin makes
 * with `mkpasswd -m yescrypt` or `openssl passwd -6`; the bearer token is
 * compared as a SHA-256 digest (OpenSSL) with CRYPTO_memcmp(), so neither
 * its length nor a prefix leaks through timing.  Unknown users still pay
 * for one crypt_r() against a dummy hash, for the same reason.
 *
 * The server is single-threaded (libmicrohttpd's internal polling
 * thread), so one struct crypt_data and the small cache of verified
 * credentials need no lock.
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "auth.h"
#include "readfile.h"
#include "text.h"
#include "xmalloc.h"

#define AUTH_CACHE	16	/* remembered (user, password) digests */
#define TOKEN_MIN	32
#define FILE_MAX	(1024 * 1024)

struct auth_user {
	char	*name;
	char	*hash;
};

struct auth {
	struct auth_user	*users;
	size_t			 nusers;
	int			 has_token;
	unsigned char		 token[SHA256_DIGEST_LENGTH];
	unsigned char		 cache[AUTH_CACHE][SHA256_DIGEST_LENGTH];
	size_t			 ncache;
	size_t			 next;		/* round robin */
	struct crypt_data	*cd;
	char			*dummy;		/* hash for unknown users */
};

/* A line without its trailing CR/LF and blanks. */
static void
trim(char *s)
{
	size_t	 n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
	    s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/*
 * 1 when hash is a modern crypt(3) hash ("$id$...") that crypt_r()
 * knows (it answers "*..." otherwise).  Traditional DES ("ab..." with no
 * '$') is refused: it reads 8 characters of a password.
 */
static int
hash_ok(struct auth *a, const char *hash)
{
	const char	*out;

	if (hash[0] != '$')
		return 0;
	out = crypt_r("probe", hash, a->cd);
	return out != NULL && out[0] != '*';
}

static int
parse_users(struct auth *a, const char *text, const char *name, char *err,
    size_t errsz)
{
	char	*copy = xstrdup(text), *line, *next, *colon;
	int	 lineno = 0, rc = -1;

	for (line = copy; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		trim(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if ((colon = strchr(line, ':')) == NULL || colon == line) {
			seterr(err, errsz, "%s:%d: not user:hash", name,
			    lineno);
			goto out;
		}
		*colon = '\0';
		if (!hash_ok(a, colon + 1)) {
			seterr(err, errsz, "%s:%d: not a crypt(3) hash "
			    "(make one with mkpasswd -m yescrypt)", name,
			    lineno);
			goto out;
		}
		a->users = xreallocarray(a->users, a->nusers + 1,
		    sizeof(*a->users));
		a->users[a->nusers].name = xstrdup(line);
		a->users[a->nusers].hash = xstrdup(colon + 1);
		a->nusers++;
	}
	if (a->nusers == 0) {
		seterr(err, errsz, "%s: no user", name);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

static void
sha256(const void *p, size_t n, unsigned char *out)
{
	unsigned int	 len = SHA256_DIGEST_LENGTH;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
		abort();	/* SHA-256 is always there */
}

static int
parse_token(struct auth *a, const char *text, const char *name, char *err,
    size_t errsz)
{
	char	*t = xstrdup(text), *nl;

	if ((nl = strchr(t, '\n')) != NULL)
		*nl = '\0';
	trim(t);
	if (strlen(t) < TOKEN_MIN) {
		seterr(err, errsz, "%s: the token needs at least %d "
		    "characters (openssl rand -hex 32)", name, TOKEN_MIN);
		free(t);
		return -1;
	}
	sha256(t, strlen(t), a->token);
	a->has_token = 1;
	OPENSSL_cleanse(t, strlen(t));
	free(t);
	return 0;
}

static struct auth *
auth_new(void)
{
	struct auth	*a = xcalloc(1, sizeof(*a));
	const char	*h;

	a->cd = xcalloc(1, sizeof(*a->cd));
	/* A real hash to spend the same time on unknown users. */
	h = crypt_r("teletrack-dummy", "$6$teletrackdummy$", a->cd);
	a->dummy = xstrdup(h != NULL && h[0] != '*' ? h : "*");
	return a;
}

struct auth *
auth_load_text(const char *users, const char *token, char *err,
    size_t errsz)
{
	struct auth	*a;

	if (users == NULL && token == NULL) {
		seterr(err, errsz, "no password file and no token file");
		return NULL;
	}
	a = auth_new();
	if ((users != NULL && parse_users(a, users, "password file", err,
	    errsz) == -1) || (token != NULL && parse_token(a, token,
	    "token file", err, errsz) == -1)) {
		auth_free(a);
		return NULL;
	}
	return a;
}

/* The whole file (at most FILE_MAX bytes), or NULL with err set. */
static char *
slurp(const char *path, char *err, size_t errsz)
{
	char	*buf;

	if ((buf = read_file(path, FILE_MAX, 0, NULL)) == NULL)
		seterr(err, errsz, "%s: %s", path, errno == EFBIG ?
		    "too big" : strerror(errno));
	return buf;
}

struct auth *
auth_load(const char *passwd_file, const char *token_file, char *err,
    size_t errsz)
{
	struct auth	*a = NULL;
	char		*users = NULL, *token = NULL;

	if (passwd_file != NULL && (users = slurp(passwd_file, err,
	    errsz)) == NULL)
		goto out;
	if (token_file != NULL && (token = slurp(token_file, err,
	    errsz)) == NULL)
		goto out;
	if (users == NULL && token == NULL) {
		seterr(err, errsz, "no password file and no token file");
		goto out;
	}
	a = auth_new();
	if ((users != NULL && parse_users(a, users, passwd_file, err,
	    errsz) == -1) || (token != NULL && parse_token(a, token,
	    token_file, err, errsz) == -1)) {
		auth_free(a);
		a = NULL;
	}
out:
	if (token != NULL) {
		OPENSSL_cleanse(token, strlen(token));
		free(token);
	}
	free(users);
	return a;
}

void
auth_free(struct auth *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nusers; i++) {
		free(a->users[i].name);
		free(a->users[i].hash);
	}
	free(a->users);
	OPENSSL_cleanse(a->cache, sizeof(a->cache));
	free(a->cd);
	free(a->dummy);
	free(a);
}

/* Case-insensitive prefix: "Basic ", "Bearer ". */
static const char *
scheme(const char *h, const char *name)
{
	size_t	 n = strlen(name);

	if (strncasecmp(h, name, n) != 0 || h[n] != ' ')
		return NULL;
	h += n;
	while (*h == ' ')
		h++;
	return h;
}

static int
check_basic(struct auth *a, const char *b64)
{
	unsigned char	 digest[SHA256_DIGEST_LENGTH];
	unsigned char	*raw;
	const char	*hash, *res;
	char		*colon;
	size_t		 n = strlen(b64), i, pad = 0;
	int		 len, ok = 0, found = 0;

	if (n == 0 || n % 4 != 0 || n > 4096)
		return 0;
	raw = xmalloc(n / 4 * 3 + 1);
	if ((len = EVP_DecodeBlock(raw, (const unsigned char *)b64,
	    (int)n)) < 0)
		goto out;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
	len -= (int)pad;
	raw[len] = '\0';
	if (memchr(raw, '\0', (size_t)len) != NULL ||
	    (colon = strchr((char *)raw, ':')) == NULL)
		goto out;
	sha256(raw, (size_t)len, digest);
	for (i = 0; i < a->ncache; i++)
		ok |= CRYPTO_memcmp(digest, a->cache[i], sizeof(digest)) == 0;
	if (ok)
		goto out;
	*colon = '\0';
	hash = a->dummy;
	for (i = 0; i < a->nusers; i++)
		if (strcmp(a->users[i].name, (char *)raw) == 0) {
			hash = a->users[i].hash;
			found = 1;
		}
	res = crypt_r(colon + 1, hash, a->cd);
	ok = found && res != NULL && strlen(res) == strlen(hash) &&
	    CRYPTO_memcmp(res, hash, strlen(hash)) == 0;
	if (ok) {
		memcpy(a->cache[a->next], digest, sizeof(digest));
		a->next = (a->next + 1) % AUTH_CACHE;
		if (a->ncache < AUTH_CACHE)
			a->ncache++;
	}
out:
	OPENSSL_cleanse(raw, n / 4 * 3 + 1);
	OPENSSL_cleanse(digest, sizeof(digest));
	free(raw);
	return ok;
}

int
auth_check(struct auth *a, const char *h)
{
	unsigned char	 digest[SHA256_DIGEST_LENGTH];
	const char	*v;
	int		 ok;

	if (a == NULL || h == NULL)
		return 0;
	if ((v = scheme(h, "Bearer")) != NULL) {
		if (!a->has_token)
			return 0;
		sha256(v, strlen(v), digest);
		ok = CRYPTO_memcmp(digest, a->token, sizeof(digest)) == 0;
		OPENSSL_cleanse(digest, sizeof(digest));
		return ok;
	}
	if ((v = scheme(h, "Basic")) != NULL && a->nusers > 0)
		return check_basic(a, v);
	return 0;
}
