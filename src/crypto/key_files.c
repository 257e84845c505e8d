/* The key store of files: DATA_DIR/keys/CREATED-KID.pem, one per key.
 *
 * The directory's modification time is the stamp, so a key written by
 * `rtstage keys rotate` is noticed by a running server at its next use of
 * the ring. A key file appears whole or not at all (written aside,
 * synced, renamed). Keys retired past their retention are deleted
 * (keys.c decides which).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include "crypto/keys.h"
#include "limits.h"

#define MAX_PEM LIMIT_KEY_PEM_BYTES

static enum err_code
files_stamp(void *ctx, char *out, size_t cap, struct err *e)
{
	struct key_files *f = ctx;
	struct stat st;

	if (stat(f->dir, &st) != 0)
		return err_set(e, ERR_INTERNAL, "keys: cannot read %s: %s", f->dir, strerror(errno));
	snprintf(out, cap, "%lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	return ERR_OK;
}

/* Reads path (at most MAX_PEM bytes) into buf; returns 0 or -1. */
static int
read_small(const char *path, char *buf)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL)
		return -1;
	n = fread(buf, 1, MAX_PEM, fp);
	fclose(fp);
	if (n == 0 || n == MAX_PEM)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* The creation time a key file's name gives, or -1 if d is not a key file. */
static long long
created_of(const char *name)
{
	size_t len = strlen(name);
	long long created;
	int used = 0;

	if (len < 5 || strcmp(name + len - 4, ".pem") != 0 ||
	    sscanf(name, "%lld-%n", &created, &used) != 1 || used == 0 || created <= 0)
		return -1;
	return created;
}

static enum err_code
files_each(void *ctx, void (*fn)(void *, long long, const char *), void *arg, struct err *e)
{
	struct key_files *f = ctx;
	char path[4400], pem[MAX_PEM + 1];
	struct dirent *d;
	long long created;
	DIR *dir;

	if ((dir = opendir(f->dir)) == NULL)
		return err_set(e, ERR_INTERNAL, "keys: cannot open %s: %s", f->dir, strerror(errno));
	while ((d = readdir(dir)) != NULL) {
		if ((created = created_of(d->d_name)) < 0)
			continue;	/* not one of ours */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", f->dir, d->d_name) >= sizeof(path))
			continue;
		if (read_small(path, pem) == 0)
			fn(arg, created, pem);
	}
	closedir(dir);
	OPENSSL_cleanse(pem, sizeof(pem));
	return ERR_OK;
}

static enum err_code
files_prune(void *ctx, long long before, struct err *e)
{
	struct key_files *f = ctx;
	char path[4400];
	struct dirent *d;
	long long created;
	enum err_code rc = ERR_OK;
	DIR *dir;

	if ((dir = opendir(f->dir)) == NULL)
		return err_set(e, ERR_INTERNAL, "keys: cannot open %s: %s", f->dir, strerror(errno));
	while ((d = readdir(dir)) != NULL) {
		if ((created = created_of(d->d_name)) < 0 || created >= before)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", f->dir, d->d_name) >= sizeof(path))
			continue;
		if (unlink(path) != 0 && errno != ENOENT && rc == ERR_OK)
			rc = err_set(e, ERR_INTERNAL, "keys: cannot delete %s: %s", path,
			    strerror(errno));
	}
	closedir(dir);
	return rc;
}

/* Has the directory a key file? */
static int
has_key(const char *dirpath)
{
	DIR *dir = opendir(dirpath);
	struct dirent *d;
	int found = 0;

	while (dir != NULL && !found && (d = readdir(dir)) != NULL) {
		size_t len = strlen(d->d_name);
		found = len >= 5 && strcmp(d->d_name + len - 4, ".pem") == 0;
	}
	if (dir != NULL)
		closedir(dir);
	return found;
}

static enum err_code
files_add(void *ctx, long long created, const char *kid, const char *pem, int first,
    struct err *e)
{
	struct key_files *f = ctx;
	char path[4200], tmp[4300];
	size_t n = strlen(pem);
	int fd, ok;

	if (first && has_key(f->dir))
		return ERR_OK;
	snprintf(path, sizeof(path), "%s/%lld-%s.pem", f->dir, created, kid);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return err_set(e, ERR_INTERNAL, "keys: cannot write %s: %s", tmp, strerror(errno));
	ok = fchmod(fd, 0600) == 0;	/* whatever the umask */
	ok = write(fd, pem, n) == (ssize_t)n && ok;
	ok = fsync(fd) == 0 && ok;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		err_set(e, ERR_INTERNAL, "keys: cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return e->code;
	}
	return ERR_OK;
}

enum err_code
key_files_open(struct key_files *files, const char *data_dir, int create, struct key_store *ks,
    struct err *e)
{
	if ((size_t)snprintf(files->dir, sizeof(files->dir), "%s/keys", data_dir) >=
	    sizeof(files->dir))
		return err_set(e, ERR_INTERNAL, "keys: data directory path too long");
	if (create && mkdir(files->dir, 0700) != 0 && errno != EEXIST)
		return err_set(e, ERR_INTERNAL, "keys: cannot create %s: %s", files->dir,
		    strerror(errno));
	if (create && chmod(files->dir, 0700) != 0)	/* private, whoever made it */
		return err_set(e, ERR_INTERNAL, "keys: cannot make %s private: %s", files->dir,
		    strerror(errno));
	ks->ctx = files;
	ks->where = files->dir;
	ks->poll_ms = 0;	/* a stat() per use */
	ks->stamp = files_stamp;
	ks->each = files_each;
	ks->add = files_add;
	ks->prune = files_prune;
	return ERR_OK;
}
