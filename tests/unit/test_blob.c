/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for store/blob.c. Every test zip is built here in memory with
 * libzip's writing API (some are then patched byte-wise to make them lie);
 * every test runs on a fresh mkdtemp directory that teardown deletes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "base/err.h"
#include "fixture.h"
#include "store/blob.h"

#define MIB ((size_t)1024 * 1024)

/* ---- building test zips ---- */

enum tz_kind { TZ_FILE, TZ_DIR, TZ_LINK };

struct tz {
    const char *name;
    const char *data; /* file contents or symlink target; NUL-terminated */
    enum tz_kind kind;
    unsigned mode; /* unix permission bits; 0 keeps libzip's default (0666) */
    bool dos;      /* made on MS-DOS/Windows: no unix attributes */
    size_t zeros;  /* if > 0: the file is this many zero bytes instead of data */
};

static void add_entry(zip_t *za, const struct tz *t)
{
    zip_int64_t idx;
    zip_uint32_t attr;

    if (t->kind == TZ_DIR) {
        idx = zip_dir_add(za, t->name, 0);
        assert_true(idx >= 0);
        attr = (zip_uint32_t)(S_IFDIR | 0755) << 16;
    } else {
        size_t len = t->zeros > 0 ? t->zeros : strlen(t->data);
        void *copy = NULL; /* libzip does not free a zero-length buffer: pass none */
        zip_source_t *s;
        if (len > 0) {
            copy = t->zeros > 0 ? calloc(1, len) : malloc(len);
            assert_non_null(copy);
            if (t->zeros == 0)
                memcpy(copy, t->data, len);
        }
        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): freep=1 hands copy to libzip. */
        s = zip_source_buffer(za, copy, len, len > 0);
        assert_non_null(s);
        idx = zip_file_add(za, t->name, s, 0);
        assert_true(idx >= 0);
        if (t->kind == TZ_LINK)
            attr = (zip_uint32_t)(S_IFLNK | 0777) << 16;
        else
            attr = (zip_uint32_t)(S_IFREG | (t->mode != 0 ? t->mode : 0666)) << 16;
    }
    if (t->dos)
        assert_int_equal(
            zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_DOS, 0), 0);
    else
        assert_int_equal(
            zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX, attr), 0);
}

/* Returns a new zip (free with free) holding the n entries of e. */
static unsigned char *make_zip(const struct tz *e, size_t n, size_t *len)
{
    zip_error_t ze;
    zip_source_t *src;
    zip_t *za;
    zip_stat_t st;
    unsigned char *buf;

    zip_error_init(&ze);
    src = zip_source_buffer_create(NULL, 0, 0, &ze);
    assert_non_null(src);
    za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(za);
    zip_source_keep(src);
    for (size_t i = 0; i < n; i++)
        add_entry(za, &e[i]);
    assert_int_equal(zip_close(za), 0);
    assert_int_equal(zip_source_open(src), 0);
    assert_int_equal(zip_source_stat(src, &st), 0);
    buf = malloc(st.size > 0 ? st.size : 1);
    assert_non_null(buf);
    assert_int_equal(zip_source_read(src, buf, st.size), (zip_int64_t)st.size);
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&ze);
    *len = st.size;
    return buf;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Rewrites the declared uncompressed size of entry name in both the local
 * and the central header, as a zip bomb would. */
static void lie_about_size(unsigned char *zip, size_t len, const char *name, uint32_t size)
{
    size_t nlen = strlen(name);
    int patched = 0;

    for (size_t i = 0; i + 46 + nlen <= len; i++) {
        uint32_t sig = get32(zip + i);
        if (sig == 0x04034b50 && memcmp(zip + i + 30, name, nlen) == 0) {
            put32(zip + i + 22, size);
            patched++;
        } else if (sig == 0x02014b50 && memcmp(zip + i + 46, name, nlen) == 0) {
            put32(zip + i + 24, size);
            patched++;
        }
    }
    assert_int_equal(patched, 2);
}

/* Replaces every occurrence of from by to (same length) in the raw bytes. */
static void patch_bytes(unsigned char *zip, size_t len, const char *from, const char *to)
{
    size_t n = strlen(from);
    int patched = 0;

    assert_int_equal(n, strlen(to));
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(zip + i, from, n) == 0) {
            memcpy(zip + i, to, n);
            patched++;
        }
    }
    assert_true(patched >= 2);
}

/* ---- fixture ---- */

static void join(char *buf, size_t cap, const char *dir, const char *rel)
{
    int n = snprintf(buf, cap, "%s/%s", dir, rel);
    assert_true(n > 0 && (size_t)n < cap);
}

struct fx {
    char dir[64];   /* mkdtemp directory */
    char data[128]; /* data dir inside it (not existing before the store opens) */
    struct blob_store *bs;
};

static void rm_rf(const char *path)
{
    fixture_rmtree(path);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    int err = 0;

    assert_non_null(f);
    if (fixture_tmpdir(f->dir, sizeof(f->dir), "test_blob") != 0) {
        free(f);
        return -1;
    }
    join(f->data, sizeof(f->data), f->dir, "data/dir"); /* created by blob_store_new */
    f->bs = blob_store_new(f->data, &err);
    if (f->bs == NULL) {
        (void)fprintf(stderr, "blob_store_new: %s\n", err_str(err));
        rm_rf(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    blob_store_free(f->bs);
    rm_rf(f->dir);
    free(f);
    return 0;
}

/* ---- checks ---- */

static void path_in(const struct fx *f, const char *rel, char *buf, size_t cap)
{
    join(buf, cap, f->data, rel);
}

static unsigned mode_of(const char *dir, const char *rel)
{
    char p[PATH_MAX];
    struct stat st;
    join(p, sizeof(p), dir, rel);
    assert_int_equal(lstat(p, &st), 0);
    return st.st_mode & 07777;
}

static void assert_file(const char *dir, const char *rel, const char *want, unsigned mode)
{
    char p[PATH_MAX];
    char buf[256];
    struct stat st;
    ssize_t n;
    int fd;

    join(p, sizeof(p), dir, rel);
    assert_int_equal(stat(p, &st), 0); /* follows a symlink to its file */
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, mode);
    fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    n = read(fd, buf, sizeof(buf));
    close(fd);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, strlen(want));
}

/* Number of names in <data>/<sub>, or with only_tmp those starting ".tmp-". */
static int count_in(const struct fx *f, const char *sub, bool only_tmp)
{
    char p[PATH_MAX];
    struct dirent *de;
    DIR *d;
    int n = 0;

    path_in(f, sub, p, sizeof(p));
    d = opendir(p);
    assert_non_null(d);
    /* NOLINTNEXTLINE(concurrency-mt-unsafe): one stream per thread. */
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (!only_tmp || strncmp(de->d_name, ".tmp-", 5) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static void assert_store_empty(const struct fx *f)
{
    assert_int_equal(count_in(f, "blobs", false), 0);
    assert_int_equal(count_in(f, "code", false), 0);
}

/* Puts the n entries of e and expects rc; on an error the store stays empty. */
static void put_expect(struct fx *f, const struct tz *e, size_t n, uint64_t max, int want)
{
    struct blob_digest d = {.hex = "untouched"};
    size_t len;
    unsigned char *zip = make_zip(e, n, &len);
    int rc = blob_put(f->bs, zip, len, max, &d);

    free(zip);
    if (rc != want)
        fail_msg("blob_put: got %s, want %s", err_name(rc), err_name(want));
    if (want != 0) {
        assert_string_equal(d.hex, "untouched");
        assert_store_empty(f);
    }
}

/* ---- tests ---- */

static void test_roundtrip(void **state)
{
    struct fx *f = *state;
    const struct tz e[] = {
        {.name = "index.py", .data = "def handler(e, c):\n    return 1\n", .mode = 0644},
        {.name = "bin/tool", .data = "#!/bin/sh\necho hi\n", .mode = 0755},
        {.name = "lib/", .kind = TZ_DIR},
        {.name = "lib/a/b.txt", .data = "deep", .mode = 0600},
        {.name = "lib/a/c.txt", .data = "deeper"},
    };
    struct blob_digest d;
    struct blob_info info;
    char code[PATH_MAX];
    char zpath[PATH_MAX];
    size_t len;
    unsigned char *zip = make_zip(e, 5, &len);
    struct stat st;

    assert_int_equal(blob_put(f->bs, zip, len, BLOB_UNZIPPED_MAX_BYTES, &d), 0);
    assert_int_equal(strlen(d.hex), 64);
    assert_int_equal(blob_code_dir(f->bs, d.hex, code, sizeof(code)), 0);
    assert_int_equal(blob_zip_path(f->bs, d.hex, zpath, sizeof(zpath)), 0);
    assert_true(code[0] == '/' && zpath[0] == '/');
    assert_non_null(strstr(code, "/code/"));

    assert_file(code, "index.py", e[0].data, 0444);
    assert_file(code, "bin/tool", e[1].data, 0555);
    assert_file(code, "lib/a/b.txt", "deep", 0444);
    assert_file(code, "lib/a/c.txt", "deeper", 0444);
    assert_int_equal(mode_of(code, "."), 0555);
    assert_int_equal(mode_of(code, "bin"), 0555);
    assert_int_equal(mode_of(code, "lib"), 0555);
    assert_int_equal(mode_of(code, "lib/a"), 0555);

    /* The stored zip is the uploaded bytes, read-only. */
    assert_int_equal(stat(zpath, &st), 0);
    assert_int_equal(st.st_size, len);
    assert_int_equal(st.st_mode & 07777, 0444);
    {
        unsigned char *back = malloc(len);
        int fd = open(zpath, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(read(fd, back, len), len);
        close(fd);
        assert_memory_equal(back, zip, len);
        free(back);
    }

    assert_int_equal(blob_stat(f->bs, d.hex, &info), 0);
    assert_int_equal(info.zip_bytes, len);
    assert_int_equal(info.unzipped_bytes, strlen(e[0].data) + strlen(e[1].data) + 4 + 6);
    assert_int_equal(count_in(f, "code", true), 0);
    assert_int_equal(count_in(f, "blobs", true), 0);
    free(zip);
}

static void test_same_twice(void **state)
{
    struct fx *f = *state;
    const struct tz e[] = {{.name = "a.txt", .data = "same"}};
    struct blob_digest d1;
    struct blob_digest d2;
    char code[PATH_MAX];
    struct stat st1;
    struct stat st2;
    size_t len;
    unsigned char *zip = make_zip(e, 1, &len);

    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d1), 0);
    assert_int_equal(blob_code_dir(f->bs, d1.hex, code, sizeof(code)), 0);
    assert_int_equal(stat(code, &st1), 0);
    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d2), 0);
    assert_string_equal(d1.hex, d2.hex);
    assert_string_equal(d1.b64, d2.b64);
    assert_int_equal(stat(code, &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino); /* not unpacked again */
    assert_int_equal(count_in(f, "code", false), 1);
    assert_int_equal(count_in(f, "blobs", false), 1);

    /* The cheap checks still run: the same package over a smaller limit. */
    assert_int_equal(blob_put(f->bs, zip, len, 3, &d2), ERR_CODE_TOO_LARGE);
    free(zip);
}

static void test_digest(void **state)
{
    const struct tz e[] = {{.name = "x", .data = "payload"}};
    unsigned char md[SHA256_DIGEST_LENGTH];
    char b64[64];
    struct blob_digest d;
    size_t len;
    unsigned char *zip;
    struct fx *f = *state;

    blob_digest_of("abc", 3, &d);
    assert_string_equal(d.hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(d.b64, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    blob_digest_of(NULL, 0, &d);
    assert_string_equal(d.hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    /* CodeSha256 of a stored package is OpenSSL's SHA-256 in base64. */
    zip = make_zip(e, 1, &len);
    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d), 0);
    SHA256(zip, len, md);
    assert_int_equal(EVP_EncodeBlock((unsigned char *)b64, md, sizeof(md)), 44);
    assert_string_equal(d.b64, b64);
    free(zip);
}

static void test_not_a_zip(void **state)
{
    struct fx *f = *state;
    const struct tz e[] = {{.name = "a.txt", .data = "some text that is long enough"}};
    const char junk[] = "this is certainly not a zip archive, just some text";
    struct blob_digest d;
    size_t len;
    unsigned char *zip;

    assert_int_equal(blob_put(f->bs, junk, sizeof(junk), MIB, &d), ERR_INVALID_ZIP);
    assert_int_equal(blob_put(f->bs, junk, 0, MIB, &d), ERR_INVALID_ZIP);
    assert_int_equal(blob_put(f->bs, NULL, 0, MIB, &d), ERR_INVALID_ZIP);
    zip = make_zip(e, 1, &len);
    assert_int_equal(blob_put(f->bs, zip, len - 10, MIB, &d), ERR_INVALID_ZIP); /* truncated */
    zip[40] ^= 0xff; /* corrupt the stored data: CRC mismatch */
    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d), ERR_INVALID_ZIP);
    assert_store_empty(f);
    free(zip);
}

static void test_dotdot(void **state)
{
    struct fx *f = *state;
    const struct tz a[] = {{.name = "ok.txt", .data = "x"}, {.name = "../x", .data = "evil"}};
    const struct tz b[] = {{.name = "a/../../x", .data = "evil"}};
    const struct tz c[] = {{.name = "a/..", .data = "evil"}};
    const struct tz d[] = {{.name = "../", .kind = TZ_DIR}};

    put_expect(f, a, 2, MIB, ERR_INVALID_ZIP);
    put_expect(f, b, 1, MIB, ERR_INVALID_ZIP);
    put_expect(f, c, 1, MIB, ERR_INVALID_ZIP);
    put_expect(f, d, 1, MIB, ERR_INVALID_ZIP);
}

static void test_absolute(void **state)
{
    struct fx *f = *state;
    const struct tz a[] = {{.name = "/abs", .data = "evil"}};
    const struct tz b[] = {{.name = "/tmp/x/", .kind = TZ_DIR}};

    put_expect(f, a, 1, MIB, ERR_INVALID_ZIP);
    put_expect(f, b, 1, MIB, ERR_INVALID_ZIP);
}

static void test_bad_components(void **state)
{
    struct fx *f = *state;
    char longname[300];
    const struct tz a[] = {{.name = "a//b", .data = "x"}};
    const struct tz b[] = {{.name = "./a", .data = "x"}};
    const struct tz c[] = {{.name = longname, .data = "x"}};

    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    put_expect(f, a, 1, MIB, ERR_INVALID_ZIP);
    put_expect(f, b, 1, MIB, ERR_INVALID_ZIP);
    put_expect(f, c, 1, MIB, ERR_INVALID_ZIP); /* component > NAME_MAX */
}

static void test_symlink_escape(void **state)
{
    struct fx *f = *state;
    static const char *const targets[] = {
        "/etc/passwd", "../../etc/passwd", "..", "sub/../..", "sub/../../x", "",
    };

    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        struct tz e[] = {{.name = "sub/", .kind = TZ_DIR},
                         {.name = "lnk", .data = targets[i], .kind = TZ_LINK}};
        put_expect(f, e, 2, MIB, ERR_INVALID_ZIP);
    }
    /* One level down, one ".." is fine but two are not. */
    {
        struct tz e[] = {{.name = "d/lnk", .data = "../../x", .kind = TZ_LINK}};
        put_expect(f, e, 1, MIB, ERR_INVALID_ZIP);
    }
}

static void test_symlink_inner(void **state)
{
    struct fx *f = *state;
    const struct tz e[] = {
        {.name = "node_modules/uuid/bin/uuid", .data = "#!/usr/bin/env node\n", .mode = 0755},
        {.name = "node_modules/.bin/uuid", .data = "../uuid/bin/uuid", .kind = TZ_LINK},
        {.name = "current", .data = "node_modules/./uuid", .kind = TZ_LINK},
        {.name = "dangling", .data = "not/there", .kind = TZ_LINK},
    };
    struct blob_digest d;
    char code[PATH_MAX];
    char p[PATH_MAX];
    char target[PATH_MAX];
    ssize_t n;
    size_t len;
    unsigned char *zip = make_zip(e, 4, &len);

    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d), 0);
    assert_int_equal(blob_code_dir(f->bs, d.hex, code, sizeof(code)), 0);
    join(p, sizeof(p), code, "node_modules/.bin/uuid");
    n = readlink(p, target, sizeof(target));
    assert_int_equal(n, strlen("../uuid/bin/uuid"));
    assert_memory_equal(target, "../uuid/bin/uuid", (size_t)n);
    /* The link works and leads to the executable file. */
    assert_file(code, "node_modules/.bin/uuid", e[0].data, 0555);
    join(p, sizeof(p), code, "current/bin/uuid");
    assert_int_equal(access(p, R_OK), 0);
    free(zip);
}

static void test_no_write_through_symlink(void **state)
{
    struct fx *f = *state;
    const struct tz a[] = {
        {.name = "sub/keep", .data = "x"},
        {.name = "lnk", .data = "sub", .kind = TZ_LINK},
        {.name = "lnk/evil", .data = "through the link"},
    };
    const struct tz b[] = {
        {.name = "lnk", .data = "sub", .kind = TZ_LINK},
        {.name = "lnk/", .kind = TZ_DIR},
    };
    const struct tz c[] = {
        {.name = "file", .data = "x"},
        {.name = "file/inner", .data = "y"},
    };

    put_expect(f, a, 3, MIB, ERR_INVALID_ZIP);
    put_expect(f, b, 2, MIB, ERR_INVALID_ZIP);
    put_expect(f, c, 2, MIB, ERR_INVALID_ZIP);
}

static void test_too_large_declared(void **state)
{
    struct fx *f = *state;
    const struct tz big[] = {{.name = "zeros", .zeros = 2 * MIB}};
    const struct tz two[] = {{.name = "a", .zeros = MIB / 2}, {.name = "b", .zeros = MIB / 2 + 1}};
    const struct tz exact[] = {{.name = "a", .zeros = MIB / 2}, {.name = "b", .zeros = MIB / 2}};

    put_expect(f, big, 1, MIB, ERR_CODE_TOO_LARGE);
    put_expect(f, two, 2, MIB, ERR_CODE_TOO_LARGE);
    put_expect(f, exact, 2, MIB, 0);
}

static void test_zip_bomb_lying(void **state)
{
    struct fx *f = *state;
    const struct tz e[] = {{.name = "small.txt", .data = "ok"}, {.name = "bomb", .zeros = 2 * MIB}};
    struct blob_digest d;
    size_t len;
    unsigned char *zip = make_zip(e, 2, &len);

    assert_true(len < 65536); /* highly compressible */
    lie_about_size(zip, len, "bomb", 1000);
    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d), ERR_INVALID_ZIP);
    assert_store_empty(f);
    lie_about_size(zip, len, "bomb", 0);
    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d), ERR_INVALID_ZIP);
    assert_store_empty(f);
    free(zip);
}

static void test_bootstrap_exec(void **state)
{
    struct fx *f = *state;
    const struct tz e[] = {
        {.name = "bootstrap", .data = "#!/bin/sh\n", .dos = true},
        {.name = "sub/bootstrap", .data = "not the entry point", .dos = true},
        {.name = "handler.sh", .data = "echo", .dos = true},
        {.name = "conf/", .kind = TZ_DIR, .dos = true},
    };
    struct blob_digest d;
    char code[PATH_MAX];
    size_t len;
    unsigned char *zip = make_zip(e, 4, &len);

    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d), 0);
    assert_int_equal(blob_code_dir(f->bs, d.hex, code, sizeof(code)), 0);
    assert_file(code, "bootstrap", e[0].data, 0555);
    assert_file(code, "sub/bootstrap", e[1].data, 0444);
    assert_file(code, "handler.sh", e[2].data, 0444);
    assert_int_equal(mode_of(code, "conf"), 0555);
    free(zip);
}

static void test_remove(void **state)
{
    struct fx *f = *state;
    const struct tz e[] = {{.name = "a/b/c", .data = "x"},
                           {.name = "l", .data = "a", .kind = TZ_LINK}};
    struct blob_digest d;
    struct blob_info info = {.zip_bytes = 7};
    char p[PATH_MAX];
    size_t len;
    unsigned char *zip = make_zip(e, 2, &len);

    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d), 0);
    assert_int_equal(blob_remove(f->bs, d.hex), 0);
    assert_int_equal(blob_code_dir(f->bs, d.hex, p, sizeof(p)), -ENOENT);
    assert_int_equal(blob_zip_path(f->bs, d.hex, p, sizeof(p)), -ENOENT);
    assert_int_equal(blob_stat(f->bs, d.hex, &info), -ENOENT);
    assert_int_equal(info.zip_bytes, 7);
    assert_store_empty(f);
    assert_int_equal(blob_remove(f->bs, d.hex), -ENOENT);
    assert_int_equal(blob_remove(f->bs, "../../etc"), -EINVAL);

    /* A removed package can be stored again. */
    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d), 0);
    assert_int_equal(blob_code_dir(f->bs, d.hex, p, sizeof(p)), 0);
    free(zip);
}

static void test_empty_zip(void **state)
{
    struct fx *f = *state;
    struct blob_digest d;
    struct blob_info info;
    char code[PATH_MAX];
    /* Just an end-of-central-directory record (libzip writes no empty zips). */
    static const unsigned char zip[22] = {'P', 'K', 5, 6};
    size_t len = sizeof(zip);

    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d), 0);
    assert_int_equal(blob_code_dir(f->bs, d.hex, code, sizeof(code)), 0);
    assert_int_equal(mode_of(code, "."), 0555);
    assert_int_equal(blob_stat(f->bs, d.hex, &info), 0);
    assert_int_equal(info.unzipped_bytes, 0);
    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d), 0);
}

static void test_duplicate(void **state)
{
    struct fx *f = *state;
    const struct tz e[] = {{.name = "dupA", .data = "first"}, {.name = "dupB", .data = "second"}};
    const struct tz dirs[] = {{.name = "d/", .kind = TZ_DIR}, {.name = "d/x", .data = "1"}};
    const struct tz clash[] = {{.name = "d/x", .data = "1"}, {.name = "d", .data = "file"}};
    struct blob_digest d;
    size_t len;
    unsigned char *zip = make_zip(e, 2, &len);

    patch_bytes(zip, len, "dupB", "dupA");
    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d), ERR_INVALID_ZIP);
    assert_store_empty(f);
    free(zip);
    /* A directory listed after files inside it is fine; a file over it is not. */
    put_expect(f, clash, 2, MIB, ERR_INVALID_ZIP);
    put_expect(f, dirs, 2, MIB, 0);
}

static void test_special_file(void **state)
{
    struct fx *f = *state;
    const struct tz e[] = {{.name = "fifo", .data = "x", .mode = 0644}};
    struct blob_digest d;
    size_t len;
    unsigned char *zip;
    zip_error_t ze;
    zip_source_t *src;
    zip_t *za;

    /* Build a zip whose only entry claims to be a FIFO. */
    zip = make_zip(e, 1, &len);
    zip_error_init(&ze);
    src = zip_source_buffer_create(zip, len, 0, &ze);
    assert_non_null(src);
    zip_source_keep(src);
    za = zip_open_from_source(src, 0, &ze);
    assert_non_null(za);
    assert_int_equal(zip_file_set_external_attributes(za, 0, 0, ZIP_OPSYS_UNIX,
                                                      (zip_uint32_t)(S_IFIFO | 0644) << 16),
                     0);
    assert_int_equal(zip_close(za), 0);
    {
        zip_stat_t st;
        unsigned char *buf;
        assert_int_equal(zip_source_open(src), 0);
        assert_int_equal(zip_source_stat(src, &st), 0);
        buf = malloc(st.size);
        assert_int_equal(zip_source_read(src, buf, st.size), (zip_int64_t)st.size);
        zip_source_close(src);
        assert_int_equal(blob_put(f->bs, buf, st.size, MIB, &d), ERR_INVALID_ZIP);
        free(buf);
    }
    zip_source_free(src);
    zip_error_fini(&ze);
    free(zip);
    assert_store_empty(f);
}

static void test_paths(void **state)
{
    struct fx *f = *state;
    const struct tz e[] = {{.name = "a", .data = "x"}};
    struct blob_digest d;
    char p[PATH_MAX];
    char tiny[8] = "keep";
    size_t len;
    unsigned char *zip = make_zip(e, 1, &len);
    const char *absent = "0000000000000000000000000000000000000000000000000000000000000000";

    assert_int_equal(blob_put(f->bs, zip, len, MIB, &d), 0);
    assert_int_equal(blob_zip_path(f->bs, d.hex, tiny, sizeof(tiny)), -ENAMETOOLONG);
    assert_int_equal(blob_code_dir(f->bs, d.hex, tiny, sizeof(tiny)), -ENAMETOOLONG);
    assert_string_equal(tiny, "keep");
    assert_int_equal(blob_zip_path(f->bs, absent, p, sizeof(p)), -ENOENT);
    assert_int_equal(blob_code_dir(f->bs, "ABCDEF", p, sizeof(p)), -EINVAL);
    assert_int_equal(blob_code_dir(f->bs, "../code", p, sizeof(p)), -EINVAL);
    d.hex[0] = (char)(d.hex[0] == 'a' ? 'A' : 'G'); /* uppercase or non-hex */
    assert_int_equal(blob_zip_path(f->bs, d.hex, p, sizeof(p)), -EINVAL);
    free(zip);
}

static void test_sweep_leftovers(void **state)
{
    struct fx *f = *state;
    char p[PATH_MAX];
    int fd;
    int err = 0;

    /* Simulate a crash mid-unpack (a read-only half tree) and mid-store. */
    path_in(f, "code/.tmp-dead-0001", p, sizeof(p));
    assert_int_equal(mkdir(p, 0700), 0);
    path_in(f, "code/.tmp-dead-0001/sub", p, sizeof(p));
    assert_int_equal(mkdir(p, 0700), 0);
    path_in(f, "code/.tmp-dead-0001/sub/file", p, sizeof(p));
    fd = open(p, O_WRONLY | O_CREAT, 0444);
    assert_true(fd >= 0);
    close(fd);
    path_in(f, "code/.tmp-dead-0001/sub", p, sizeof(p));
    assert_int_equal(chmod(p, 0555), 0);
    path_in(f, "code/.tmp-dead-0001", p, sizeof(p));
    assert_int_equal(chmod(p, 0555), 0);
    path_in(f, "blobs/.tmp-dead-0002", p, sizeof(p));
    fd = open(p, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);

    blob_store_free(f->bs);
    f->bs = blob_store_new(f->data, &err);
    assert_non_null(f->bs);
    assert_store_empty(f);

    /* A data dir that is a file cannot be opened. */
    path_in(f, "blobs/plain", p, sizeof(p));
    fd = open(p, O_WRONLY | O_CREAT, 0600);
    close(fd);
    assert_null(blob_store_new(p, &err));
    assert_int_equal(err, -ENOTDIR);
}

struct race {
    struct blob_store *bs;
    const unsigned char *zip;
    size_t len;
    int rc;
    struct blob_digest d;
};

static void *race_put(void *arg)
{
    struct race *r = arg;
    r->rc = blob_put(r->bs, r->zip, r->len, MIB, &r->d);
    return NULL;
}

static void test_concurrent(void **state)
{
    struct fx *f = *state;
    enum { SAME = 4, OTHER = 4 };
    pthread_t th[SAME + OTHER];
    struct race r[SAME + OTHER];
    unsigned char *zips[OTHER + 1];
    size_t lens[OTHER + 1];
    char names[OTHER + 1][16];

    for (int i = 0; i <= OTHER; i++) {
        struct tz e[] = {{.name = names[i], .data = "shared body"},
                         {.name = "dir/bootstrap", .data = "x", .mode = 0755}};
        assert_true(snprintf(names[i], sizeof(names[i]), "file%d", i) > 0);
        zips[i] = make_zip(e, 2, &lens[i]);
    }
    for (int i = 0; i < SAME + OTHER; i++) {
        int z = i < SAME ? 0 : i - SAME + 1;
        r[i] = (struct race){.bs = f->bs, .zip = zips[z], .len = lens[z], .rc = 1};
        assert_int_equal(pthread_create(&th[i], NULL, race_put, &r[i]), 0);
    }
    for (int i = 0; i < SAME + OTHER; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(r[i].rc, 0);
        if (i < SAME)
            assert_string_equal(r[i].d.hex, r[0].d.hex);
    }
    assert_int_equal(count_in(f, "code", false), OTHER + 1);
    assert_int_equal(count_in(f, "blobs", false), OTHER + 1);
    for (int i = 0; i <= OTHER; i++)
        free(zips[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_zip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dotdot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absolute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_components, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_inner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_write_through_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large_declared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zip_bomb_lying, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_zip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_special_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_leftovers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
