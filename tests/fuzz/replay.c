/* Replays fuzz inputs through a fuzz target without libFuzzer, so the
 * committed corpus runs in every `make test` with any compiler.
 *   replay DIR...   runs every file of each DIR; exit 0 if none crashed. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		if (f)
			fclose(f);
		return -1;
	}
	rewind(f);
	if ((data = malloc((size_t)n + 1)) == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, (size_t)n);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	char path[4096];
	struct dirent *d;
	DIR *dir;
	int i, files = 0;

	if (LLVMFuzzerInitialize && LLVMFuzzerInitialize(&argc, &argv) != 0)
		return 2;
	for (i = 1; i < argc; i++) {
		if ((dir = opendir(argv[i])) == NULL) {
			fprintf(stderr, "replay: cannot open %s\n", argv[i]);
			return 2;
		}
		while ((d = readdir(dir)) != NULL) {
			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], d->d_name);
			if (run_file(path) != 0) {
				fprintf(stderr, "replay: cannot read %s\n", path);
				closedir(dir);
				return 2;
			}
			files++;
		}
		closedir(dir);
	}
	printf("replayed %d inputs\n", files);
	return files > 0 ? 0 : 2;
}
