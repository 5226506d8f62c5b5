/*
 * String-keyed tsearch(3) trees (keytree.h): the items start with their
 * key, so the tree's comparison reads the first member of each.
 */
#include <search.h>
#include <string.h>

#include "keytree.h"
#include "log.h"

int
keytree_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void *
keytree_find(void *const *root, const char *key)
{
	void	*n;

	if (key == NULL)
		return NULL;
	/* A node is a pointer to what was added: the item. */
	n = tfind(&key, root, keytree_cmp);
	return n != NULL ? *(void **)n : NULL;
}

void
keytree_add(void **root, void *item)
{
	if (tsearch(item, root, keytree_cmp) == NULL)
		fatal("tsearch");
}
