/*
 * fuzz_flow's harness without libFuzzer: each file named is one input,
 * run as libFuzzer runs a file it is given.  make unit runs the seeds
 * (tests/fuzz/flow) and the reproducers of fixed findings
 * (tests/fuzz/findings) with the build's compiler and sanitizers, so a
 * regression breaks the suite without clang.  A broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

int
main(int argc, char **argv)
{
	FILE	*fp;
	char	*buf;
	long	 len;
	int	 i;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if ((fp = fopen(argv[i], "rb")) == NULL ||
		    fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
		    fseek(fp, 0, SEEK_SET) != 0) {
			perror(argv[i]);
			return 1;
		}
		if ((buf = malloc((size_t)len + 1)) == NULL ||
		    fread(buf, 1, (size_t)len, fp) != (size_t)len) {
			perror(argv[i]);
			return 1;
		}
		fclose(fp);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, (size_t)len);
		free(buf);
		fprintf(stdout, "fuzz_replay: %s ok\n", argv[i]);
	}
	return 0;
}
