/* SPDX-License-Identifier: MIT */
/*
 * fuzz-driver.c - run a libFuzzer target over files, without libFuzzer:
 * how the default build checks the fuzzing regression corpus
 *
 * usage: fuzz-driver FILE|DIR ...  (exit 0 when every input ran; a bug
 * shows as a crash, a trap or a sanitizer report)
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return 1;
	}
	for (;;) {
		if (len == cap) {
			unsigned char *p;

			cap = cap ? cap * 2 : 65536;
			if (!(p = realloc(buf, cap))) {
				fclose(f);
				free(buf);
				return 1;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int run_path(const char *path, size_t *count)
{
	struct stat st;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	int bad = 0;
	DIR *d;

	if (stat(path, &st) < 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	if (!(d = opendir(path))) {
		perror(path);
		return 1;
	}
	while ((e = readdir(d))) {
		char **p;
		char *full;

		if (e->d_name[0] == '.')
			continue;
		if (!(p = realloc(names, (n + 1) * sizeof(*names))) ||
		    !(full = malloc(strlen(path) + strlen(e->d_name) + 2))) {
			closedir(d);
			return 1;
		}
		names = p;
		snprintf(full, strlen(path) + strlen(e->d_name) + 2, "%s/%s",
			 path, e->d_name);
		names[n++] = full;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	for (i = 0; i < n; i++) {
		bad |= run_path(names[i], count);
		free(names[i]);
	}
	free(names);
	return bad;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i, bad = 0;

	for (i = 1; i < argc; i++)
		bad |= run_path(argv[i], &count);
	printf("fuzz-driver: %zu inputs ran\n", count);
	return bad || !count;
}
