/*
 * The secret key of the IP pseudonyms ([tracking] ip_mode = hash): random
 * bytes made at the first run and kept beside the database, mode 0600.
 */
#ifndef TELETRACK_IPKEY_H
#define TELETRACK_IPKEY_H

#include <stddef.h>

/*
 * The key file that belongs to the database at dbpath:
 * "<directory of dbpath>/teletrack-ip.key".  The caller frees it.
 */
char	*ipkey_path(const char *dbpath);

/*
 * Read len bytes of key from path, or, when the file does not exist,
 * create it (mode 0600) with len random bytes.  Returns 0, or -1 with a
 * message in err (errsz bytes).
 */
int	 ipkey_load(const char *path, unsigned char *key, size_t len,
	    char *err, size_t errsz);

#endif
