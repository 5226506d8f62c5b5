/*
 * Opening a library at run time and looking up the functions a module
 * uses (dlsyms.h).  Each user lists its functions once, in an X-macro
 * that gives its struct of pointers and the names and slots passed
 * here.
 */
#include <dlfcn.h>
#include <string.h>

#include "dlsyms.h"
#include "text.h"

int
dlsyms_load(void **lib, const char *soname, const char *need,
    const char *const names[], void **const slots[], char *err,
    size_t errsz)
{
	void	*h;
	size_t	 i;

	if (*lib != NULL)
		return 0;
	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		seterr(err, errsz, "%s: %s", need, dlerror());
		return -1;
	}
	for (i = 0; names[i] != NULL; i++)
		if ((*slots[i] = dlsym(h, names[i])) == NULL) {
			seterr(err, errsz, "%.*s: no %s",
			    (int)strcspn(soname, "."), soname, names[i]);
			dlclose(h);
			return -1;
		}
	*lib = h;
	return 0;
}
