/*
 * tsearch(3) trees of items whose first member is their key, a string:
 * the room's occupants (by nick) and participants (by key), the
 * observer's rooms (by JID), appointments (by uid) and pending disco
 * queries (by IQ id).  One comparison, one lookup and one insertion for
 * all of them; tdelete(3) takes keytree_cmp.  The tree holds pointers
 * to the items and owns none of them.
 */
#ifndef TELETRACK_KEYTREE_H
#define TELETRACK_KEYTREE_H

/* strcmp() of two items' keys (their first members). */
int	 keytree_cmp(const void *a, const void *b);

/* The item of root whose key is key, or NULL (also for a NULL key). */
void	*keytree_find(void *const *root, const char *key);

/* Add item (not in root yet) to root; out of memory is fatal. */
void	 keytree_add(void **root, void *item);

#endif
