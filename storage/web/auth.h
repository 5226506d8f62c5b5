/*
 * Who may read the dashboard when it listens beyond loopback: users of a
 * password file (one "user:crypt-hash" per line, the hashes of
 * crypt(3): yescrypt "$y$", SHA-512 "$6$", bcrypt "$2b$" ...) over HTTP
 * Basic, and/or the holder of a bearer token (a file with one line of at
 * least 32 characters).  Put TLS in front: Basic sends the password in
 * every request.
 */
#ifndef TELETRACK_AUTH_H
#define TELETRACK_AUTH_H

#include <stddef.h>

struct auth;

/*
 * Read the password file and/or the token file (either may be NULL, not
 * both).  Returns a handle auth_free() frees, or NULL with a message in
 * err: unreadable file, malformed line (FILE:LINE), a hash crypt(3) does
 * not know, a short token.
 */
struct auth	*auth_load(const char *passwd_file, const char *token_file,
		    char *err, size_t errsz);

/* Parse the same from strings (tests); NULL for none. */
struct auth	*auth_load_text(const char *passwd_text, const char *token_text,
		    char *err, size_t errsz);

/*
 * 1 when the Authorization header value grants access ("Basic b64" with
 * a listed user and the right password, or "Bearer TOKEN"), else 0 (also
 * for NULL).  Successful Basic credentials are remembered (as a SHA-256
 * digest) so a page's polling does not pay for crypt(3) each time.
 * Comparisons take the same time whatever matched.
 */
int		 auth_check(struct auth *, const char *authorization);

void		 auth_free(struct auth *);

#endif
