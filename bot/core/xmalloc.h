/*
 * Allocation wrappers: out of memory is fatal here, so callers never check
 * (tmux's xmalloc.c).  Results are freed with free().
 */
#ifndef TELETRACK_XMALLOC_H
#define TELETRACK_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
/* xstrdup that maps NULL to NULL. */
char	*xstrdup_null(const char *);
/* Free the n strings of v, then v.  NULL v with n 0 is fine. */
void	 freev(char **v, size_t n);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
