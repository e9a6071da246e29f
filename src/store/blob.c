/* SPDX-License-Identifier: MIT */
/*
 * Content-addressed store of code packages. A package is kept as
 * blobs/<sha256>.zip and unpacked once into the read-only tree code/<sha256>/.
 *
 * libzip checks no paths, so every entry is validated before and while it is
 * unpacked: names must be relative paths without "", "." or ".." components;
 * nothing is created through a symlink, because the tree is walked one
 * component at a time with openat(O_NOFOLLOW|O_DIRECTORY) under a directory
 * fd; symlinks are created only when their target cannot leave the tree;
 * files are created with O_EXCL, which also refuses duplicate names. Sizes are
 * capped on the declared sizes first and then on the bytes really inflated.
 *
 * Atomicity comes from renames within one directory: a zip is written to a
 * temporary file, fsynced and renamed; a tree is unpacked into a temporary
 * directory, synced with syncfs and renamed with RENAME_NOREPLACE, so
 * concurrent unpacks of one package race harmlessly and a crash leaves only
 * ".tmp-*" names, which blob_store_new deletes. Invariant: code/<hex> exists
 * only if blobs/<hex>.zip does (put stores the zip first; remove deletes the
 * tree first). The store object is immutable, so no locks are needed.
 */
#include "store/blob.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "base/err.h"

/* Limits on a package's shape; candidates for base/limits.h. */
#define BLOB_MAX_ENTRIES 262144 /* entries per zip */
#define BLOB_MAX_DEPTH   256    /* path components per entry name */

#define COPY_CHUNK      ((size_t)128 * 1024) /* bytes inflated per zip_fread */
#define TMP_PREFIX      ".tmp-"
#define TMP_NAME_MAX    (sizeof(TMP_PREFIX) + BLOB_HEX_LEN + 1 + 16 + 1)
#define ZIP_NAME_MAX    (BLOB_HEX_LEN + sizeof(".zip"))
#define DIR_OPEN_FLAGS  (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define FILE_MODE_EXEC  0555
#define FILE_MODE_PLAIN 0444
#define DIR_MODE_SEALED 0555

struct blob_store {
    char *root;   /* data dir as an absolute path, owned */
    int blobs_fd; /* <root>/blobs */
    int code_fd;  /* <root>/code */
};

enum entry_kind { ENTRY_FILE, ENTRY_DIR, ENTRY_LINK };

/* One zip entry, as classified by entry_get. */
struct entry {
    const char *name;     /* borrowed from the archive */
    uint64_t size;        /* declared uncompressed size, bytes */
    enum entry_kind kind; /* what to create */
    bool exec;            /* any execute bit in the unix mode */
};

/* State of one unpack into a temporary tree. */
struct unpack {
    zip_t *za;             /* borrowed */
    int root_fd;           /* the temporary tree, owned */
    int parent_fd;         /* directory of the previous entry, owned, or -1 */
    size_t parent_len;     /* length of its path relative to the root */
    char parent[PATH_MAX]; /* that path, not NUL-terminated */
    char *buf;             /* COPY_CHUNK bytes, owned */
    uint64_t max;          /* cap on inflated bytes */
    uint64_t written;      /* bytes inflated so far */
};

/* ---- small helpers ---- */

static bool is_hex(const char *hex)
{
    if (hex == NULL || strnlen(hex, BLOB_HEX_LEN + 1) != BLOB_HEX_LEN)
        return false;
    for (size_t i = 0; i < BLOB_HEX_LEN; i++) {
        char c = hex[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

/* Maps a libzip error to ours: allocation failure, or a bad archive. */
static int zip_rc(zip_error_t *ze)
{
    return zip_error_code_zip(ze) == ZIP_ER_MEMORY ? -ENOMEM : ERR_INVALID_ZIP;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Returns 0 if name exists in directory fd at as a directory (want_dir) or a regular
 * file, -ENOENT if it does not exist, -EEXIST if it has another type. */
static int exists(int at, const char *name, bool want_dir)
{
    struct stat st;
    if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -errno;
    if (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))
        return 0;
    return -EEXIST;
}

/* Writes ".tmp-<hex>-<16 random hex digits>" into buf (TMP_NAME_MAX bytes). */
static int tmp_name(char *buf, size_t cap, const char *hex)
{
    unsigned char rnd[8];
    char rhex[sizeof(rnd) * 2 + 1];
    ssize_t got = getrandom(rnd, sizeof(rnd), 0);
    if (got != (ssize_t)sizeof(rnd))
        return got < 0 ? -errno : -EIO;
    for (size_t i = 0; i < sizeof(rnd); i++) {
        rhex[2 * i] = "0123456789abcdef"[rnd[i] >> 4];
        rhex[2 * i + 1] = "0123456789abcdef"[rnd[i] & 15];
    }
    rhex[sizeof(rhex) - 1] = '\0';
    int n = snprintf(buf, cap, TMP_PREFIX "%s-%s", hex, rhex);
    if (n < 0 || (size_t)n >= cap)
        return -ENAMETOOLONG;
    return 0;
}

/* Renames within directory fd at, failing with -EEXIST if to exists. Falls back to a
 * plain rename on filesystems without RENAME_NOREPLACE; that only matters for
 * an empty tree, which may then replace an identical empty tree. */
static int rename_excl(int at, const char *from, const char *to)
{
    if (renameat2(at, from, at, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return errno == ENOTEMPTY ? -EEXIST : -errno;
    if (renameat(at, from, at, to) == 0)
        return 0;
    return errno == ENOTEMPTY ? -EEXIST : -errno;
}

/* Reads the next entry of d into *out (NULL at the end), skipping "." and
 * "..". Returns 0 or -errno. */
static int next_entry(DIR *d, struct dirent **out)
{
    struct dirent *de;

    do {
        errno = 0;
        /* NOLINTNEXTLINE(concurrency-mt-unsafe): glibc's readdir is safe on distinct streams. */
        de = readdir(d);
        if (de == NULL) {
            *out = NULL;
            return -errno;
        }
    } while (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0);
    *out = de;
    return 0;
}

/* Opens directory fd (which it takes) as a stream. Returns 0 or -errno (fd is
 * closed on failure). */
static int open_stream(int fd, DIR **out)
{
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    *out = d;
    return 0;
}

/* Deletes name in directory fd at and everything under it, without following
 * symlinks; makes read-only directories writable first. A missing name is
 * not an error. Trees deeper than a valid package are refused (-ELOOP). */
static int remove_tree(int at, const char *name, unsigned depth)
{
    int fd;
    DIR *d = NULL;
    struct dirent *de;
    int rc = 0;

    if (unlinkat(at, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR)
        return -errno;
    if (depth > BLOB_MAX_DEPTH + 1)
        return -ELOOP;
    fd = openat(at, name, DIR_OPEN_FLAGS);
    if (fd < 0)
        return -errno;
    if (fchmod(fd, 0700) != 0 && errno != EPERM) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if ((rc = open_stream(fd, &d)) != 0)
        return rc;
    for (;;) {
        rc = next_entry(d, &de);
        if (rc != 0 || de == NULL)
            break;
        rc = remove_tree(dirfd(d), de->d_name, depth + 1);
        if (rc != 0)
            break;
    }
    closedir(d);
    if (rc == 0 && unlinkat(at, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = -errno;
    return rc;
}

/* Makes every directory below fd (not fd itself) DIR_MODE_SEALED. */
static int seal_tree(int fd, unsigned depth)
{
    int dfd;
    int sub;
    DIR *d = NULL;
    struct dirent *de;
    int rc = 0;

    if (depth > BLOB_MAX_DEPTH)
        return -ELOOP;
    dfd = openat(fd, ".", DIR_OPEN_FLAGS);
    if (dfd < 0)
        return -errno;
    if ((rc = open_stream(dfd, &d)) != 0)
        return rc;
    for (;;) {
        rc = next_entry(d, &de);
        if (rc != 0 || de == NULL)
            break;
        if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
            continue;
        sub = openat(dirfd(d), de->d_name, DIR_OPEN_FLAGS);
        if (sub < 0) {
            if (errno == ENOTDIR || errno == ELOOP)
                continue; /* DT_UNKNOWN that is not a directory */
            rc = -errno;
            break;
        }
        rc = seal_tree(sub, depth + 1);
        if (rc == 0 && fchmod(sub, DIR_MODE_SEALED) != 0)
            rc = -errno;
        close(sub);
        if (rc != 0)
            break;
    }
    closedir(d);
    return rc;
}

/* Deletes the ".tmp-*" leftovers of interrupted calls in directory fd at. */
static int sweep(int at)
{
    int dfd;
    DIR *d = NULL;
    struct dirent *de;
    int rc = 0;

    dfd = openat(at, ".", DIR_OPEN_FLAGS);
    if (dfd < 0)
        return -errno;
    if ((rc = open_stream(dfd, &d)) != 0)
        return rc;
    for (;;) {
        rc = next_entry(d, &de);
        if (rc != 0 || de == NULL)
            break;
        if (strncmp(de->d_name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) != 0)
            continue;
        rc = remove_tree(dirfd(d), de->d_name, 0);
        if (rc != 0)
            break;
    }
    closedir(d);
    return rc;
}

static int mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);

    if (len >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return -errno;
        buf[i] = path[i];
    }
    return 0;
}

/* Creates (if needed) and opens the directory name in directory fd at. */
static int open_subdir(int at, const char *name, mode_t mode, int *out)
{
    int fd;

    if (mkdirat(at, name, mode) != 0 && errno != EEXIST)
        return -errno;
    fd = openat(at, name, DIR_OPEN_FLAGS);
    if (fd < 0)
        return -errno;
    *out = fd;
    return 0;
}

/* ---- validation ---- */

/* Checks that name is a safe relative path (see blob.h). */
static int check_name(const char *name, size_t len)
{
    size_t end;
    size_t start = 0;
    unsigned depth = 0;

    if (len == 0 || len >= PATH_MAX || name[0] == '/')
        return ERR_INVALID_ZIP;
    end = name[len - 1] == '/' ? len - 1 : len;
    for (size_t i = 0; i <= end; i++) {
        size_t clen;
        if (i < end && name[i] != '/')
            continue;
        clen = i - start;
        if (clen == 0 || clen > NAME_MAX)
            return ERR_INVALID_ZIP;
        if (name[start] == '.' && (clen == 1 || (clen == 2 && name[start + 1] == '.')))
            return ERR_INVALID_ZIP;
        if (++depth > BLOB_MAX_DEPTH)
            return ERR_INVALID_ZIP;
        start = i + 1;
    }
    return 0;
}

/*
 * Checks that a symlink whose parent directory is parent_depth components
 * below the root cannot point outside the tree: the target is relative, its
 * ".." components all come first and climb at most parent_depth levels.
 * A ".." after a normal component is refused because that component may
 * itself be a symlink, which would make a lexical check unsound.
 */
static int check_link_target(const char *target, size_t len, unsigned parent_depth)
{
    size_t start = 0;
    unsigned ups = 0;
    bool descended = false;

    if (len == 0 || target[0] == '/' || memchr(target, '\0', len) != NULL)
        return ERR_INVALID_ZIP;
    for (size_t i = 0; i <= len; i++) {
        size_t clen;
        if (i < len && target[i] != '/')
            continue;
        clen = i - start;
        if (clen == 2 && target[start] == '.' && target[start + 1] == '.') {
            if (descended || ++ups > parent_depth)
                return ERR_INVALID_ZIP;
        } else if (clen > 0 && !(clen == 1 && target[start] == '.')) {
            descended = true;
        }
        start = i + 1;
    }
    return 0;
}

/* Reads entry idx's name, size and kind, and checks its name. */
static int entry_get(zip_t *za, zip_uint64_t idx, struct entry *out)
{
    zip_stat_t st;
    zip_uint8_t opsys = 0;
    zip_uint32_t attr = 0;
    size_t len;
    struct entry e = {.kind = ENTRY_FILE};
    int rc;

    zip_stat_init(&st);
    if (zip_stat_index(za, idx, 0, &st) != 0)
        return zip_rc(zip_get_error(za));
    if (!(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE) || st.name == NULL)
        return ERR_INVALID_ZIP;
    if (zip_file_get_external_attributes(za, idx, 0, &opsys, &attr) != 0)
        return zip_rc(zip_get_error(za));
    e.name = st.name;
    e.size = st.size;
    len = strlen(st.name);
    rc = check_name(st.name, len);
    if (rc != 0)
        return rc;
    if (st.name[len - 1] == '/')
        e.kind = ENTRY_DIR;
    if (opsys == ZIP_OPSYS_UNIX) {
        mode_t mode = (mode_t)(attr >> 16);
        switch (mode & S_IFMT) {
        case 0: /* some tools store only permission bits */
        case S_IFREG:
            break;
        case S_IFDIR:
            e.kind = ENTRY_DIR;
            break;
        case S_IFLNK:
            if (e.kind == ENTRY_DIR)
                return ERR_INVALID_ZIP;
            e.kind = ENTRY_LINK;
            break;
        default: /* devices, fifos, sockets */
            return ERR_INVALID_ZIP;
        }
        e.exec = (mode & 0111) != 0;
    } else if (opsys == ZIP_OPSYS_DOS && (attr & 0x10) != 0) {
        e.kind = ENTRY_DIR; /* FILE_ATTRIBUTE_DIRECTORY */
    }
    *out = e;
    return 0;
}

/* Checks every entry's name and kind and the sum of declared sizes. */
static int scan(zip_t *za, uint64_t max, zip_uint64_t *count)
{
    zip_int64_t n = zip_get_num_entries(za, 0);
    uint64_t total = 0;

    if (n < 0 || n > BLOB_MAX_ENTRIES)
        return ERR_INVALID_ZIP;
    for (zip_uint64_t i = 0; i < (zip_uint64_t)n; i++) {
        struct entry e;
        int rc = entry_get(za, i, &e);
        if (rc != 0)
            return rc;
        if (e.size > max || total > max - e.size)
            return ERR_CODE_TOO_LARGE;
        total += e.size;
    }
    *count = (zip_uint64_t)n;
    return 0;
}

/* ---- unpacking ---- */

/*
 * Opens entry idx and inflates it. For a file (fd >= 0) writes it to fd; for
 * a symlink (fd < 0) leaves the target NUL-terminated in u->buf. Fails with
 * ERR_INVALID_ZIP as soon as the entry inflates past its declared size.
 */
static int inflate_entry(struct unpack *u, zip_uint64_t idx, const struct entry *e, int fd)
{
    zip_file_t *zf;
    uint64_t got = 0;
    int rc = 0;

    zf = zip_fopen_index(u->za, idx, 0);
    if (zf == NULL)
        return zip_rc(zip_get_error(u->za));
    for (;;) {
        /* Ask for one byte more than remains, so that a lying entry shows at
         * once. A symlink target (< PATH_MAX bytes) accumulates in u->buf. */
        uint64_t left = e->size - got;
        char *dst = fd >= 0 ? u->buf : u->buf + got;
        uint64_t room = fd >= 0 ? COPY_CHUNK : COPY_CHUNK - got;
        uint64_t want = left < room ? left + 1 : room;
        zip_int64_t n = zip_fread(zf, dst, want);
        if (n < 0) {
            rc = zip_rc(zip_file_get_error(zf));
            break;
        }
        if (n == 0)
            break;
        got += (uint64_t)n;
        u->written += (uint64_t)n;
        if (u->written > u->max) {
            /* The declared sizes already bound this; kept as a backstop. */
            rc = ERR_CODE_TOO_LARGE;
            break;
        }
        if (got > e->size) {
            rc = ERR_INVALID_ZIP; /* inflates past its declared size */
            break;
        }
        if (fd >= 0) {
            rc = write_all(fd, u->buf, (size_t)n);
            if (rc != 0)
                break;
        }
    }
    zip_fclose(zf);
    if (rc == 0 && got != e->size)
        rc = ERR_INVALID_ZIP;
    if (rc == 0 && fd < 0)
        u->buf[got] = '\0';
    return rc;
}

/* Returns in *out the directory that will hold an entry whose parent path is
 * path[0..dirlen), creating directories as needed, never following symlinks.
 * The fd is borrowed from u (the root, or the cached parent). */
static int open_parent(struct unpack *u, const char *path, size_t dirlen, int *out)
{
    char comp[NAME_MAX + 1];
    size_t start = 0;
    int fd = u->root_fd;
    int nfd;
    int rc = 0;

    if (dirlen == 0) {
        *out = u->root_fd;
        return 0;
    }
    if (u->parent_fd >= 0 && u->parent_len == dirlen && memcmp(u->parent, path, dirlen) == 0) {
        *out = u->parent_fd;
        return 0;
    }
    if (u->parent_fd >= 0)
        close(u->parent_fd);
    u->parent_fd = -1;
    for (size_t i = 0; i <= dirlen; i++) {
        size_t clen;
        if (i < dirlen && path[i] != '/')
            continue;
        clen = i - start; /* 1..NAME_MAX, by check_name */
        memcpy(comp, path + start, clen);
        comp[clen] = '\0';
        start = i + 1;
        nfd = openat(fd, comp, DIR_OPEN_FLAGS);
        if (nfd < 0 && errno == ENOENT) {
            if (mkdirat(fd, comp, 0700) != 0 && errno != EEXIST) {
                rc = -errno;
                break;
            }
            nfd = openat(fd, comp, DIR_OPEN_FLAGS);
        }
        if (nfd < 0) {
            /* A file or symlink where a directory must go. */
            rc = errno == ENOTDIR || errno == ELOOP ? ERR_INVALID_ZIP : -errno;
            break;
        }
        if (fd != u->root_fd)
            close(fd);
        fd = nfd;
    }
    if (rc != 0) {
        if (fd != u->root_fd)
            close(fd);
        return rc;
    }
    memcpy(u->parent, path, dirlen);
    u->parent_len = dirlen;
    u->parent_fd = fd;
    *out = fd;
    return 0;
}

static int make_file(struct unpack *u, zip_uint64_t idx, const struct entry *e, int at,
                     const char *base, mode_t mode)
{
    int fd;
    int rc;

    fd = openat(at, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? ERR_INVALID_ZIP : -errno; /* duplicate name */
    rc = inflate_entry(u, idx, e, fd);
    if (rc == 0 && fchmod(fd, mode) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

static int make_link(struct unpack *u, zip_uint64_t idx, const struct entry *e, int at,
                     const char *base, unsigned parent_depth)
{
    int rc;

    if (e->size == 0 || e->size >= PATH_MAX)
        return ERR_INVALID_ZIP;
    rc = inflate_entry(u, idx, e, -1);
    if (rc != 0)
        return rc;
    rc = check_link_target(u->buf, (size_t)e->size, parent_depth);
    if (rc != 0)
        return rc;
    if (symlinkat(u->buf, at, base) != 0)
        return errno == EEXIST ? ERR_INVALID_ZIP : -errno;
    return 0;
}

static int make_dir(int at, const char *base)
{
    struct stat st;

    if (mkdirat(at, base, 0700) == 0)
        return 0;
    if (errno != EEXIST)
        return -errno;
    /* Created earlier as a parent, or listed twice: fine if a directory. */
    if (fstatat(at, base, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : ERR_INVALID_ZIP;
}

static int unpack_entry(struct unpack *u, zip_uint64_t idx)
{
    struct entry e;
    char path[PATH_MAX];
    size_t len;
    size_t dirlen = 0;
    unsigned depth = 0;
    const char *base;
    mode_t mode;
    int at;
    int rc;

    rc = entry_get(u->za, idx, &e);
    if (rc != 0)
        return rc;
    len = strlen(e.name); /* < PATH_MAX, by check_name */
    memcpy(path, e.name, len + 1);
    if (path[len - 1] == '/')
        path[--len] = '\0';
    for (size_t i = 0; i < len; i++) {
        if (path[i] == '/') {
            dirlen = i;
            depth++;
        }
    }
    base = depth > 0 ? path + dirlen + 1 : path;
    rc = open_parent(u, path, dirlen, &at);
    if (rc != 0)
        return rc;
    switch (e.kind) {
    case ENTRY_DIR:
        return make_dir(at, base);
    case ENTRY_LINK:
        return make_link(u, idx, &e, at, base, depth);
    case ENTRY_FILE:
        break;
    }
    mode = e.exec ? FILE_MODE_EXEC : FILE_MODE_PLAIN;
    if (depth == 0 && strcmp(base, "bootstrap") == 0)
        mode = FILE_MODE_EXEC; /* zips from Windows tools carry no modes */
    return make_file(u, idx, &e, at, base, mode);
}

/*
 * Unpacks all count entries of za into a new temporary directory in
 * bs->code_fd, whose name goes to tmp (TMP_NAME_MAX bytes) as soon as it
 * exists, so the caller can delete it on any outcome. On success the tree is
 * sealed read-only and synced to disk.
 */
static int unpack(struct blob_store *bs, zip_t *za, zip_uint64_t count, uint64_t max,
                  const char *hex, char *tmp)
{
    struct unpack *u;
    int rc = -ENOMEM;

    u = malloc(sizeof(*u));
    if (u == NULL)
        return -ENOMEM;
    *u = (struct unpack){.za = za, .root_fd = -1, .parent_fd = -1, .max = max};
    u->buf = calloc(1, COPY_CHUNK); /* zeroed: keeps the analyzer sure it is defined */
    if (u->buf == NULL)
        goto out;
    for (int tries = 0;; tries++) {
        rc = tmp_name(tmp, TMP_NAME_MAX, hex);
        if (rc != 0)
            goto out;
        if (mkdirat(bs->code_fd, tmp, 0700) == 0)
            break;
        rc = -errno;
        tmp[0] = '\0';
        if (rc != -EEXIST || tries >= 3)
            goto out;
    }
    u->root_fd = openat(bs->code_fd, tmp, DIR_OPEN_FLAGS);
    if (u->root_fd < 0) {
        rc = -errno;
        goto out;
    }
    for (zip_uint64_t i = 0; i < count; i++) {
        rc = unpack_entry(u, i);
        if (rc != 0)
            goto out;
    }
    rc = seal_tree(u->root_fd, 0);
    if (rc != 0)
        goto out;
    if (fchmod(u->root_fd, DIR_MODE_SEALED) != 0 || syncfs(u->root_fd) != 0) {
        rc = -errno;
        goto out;
    }
    rc = 0;
out:
    if (u->parent_fd >= 0)
        close(u->parent_fd);
    if (u->root_fd >= 0)
        close(u->root_fd);
    free(u->buf);
    free(u);
    return rc;
}

/* Stores zip as blobs/<hex>.zip unless present: tmp file, fsync, rename,
 * directory fsync. */
static int store_zip(struct blob_store *bs, const char *hex, const void *zip, size_t len)
{
    char final[ZIP_NAME_MAX];
    char tmp[TMP_NAME_MAX];
    int fd = -1;
    int rc;

    rc = snprintf(final, sizeof(final), "%s.zip", hex);
    if (rc < 0 || (size_t)rc >= sizeof(final))
        return -ENAMETOOLONG;
    rc = exists(bs->blobs_fd, final, false);
    if (rc != -ENOENT)
        return rc; /* 0: already stored */
    for (int tries = 0;; tries++) {
        rc = tmp_name(tmp, sizeof(tmp), hex);
        if (rc != 0)
            return rc;
        fd = openat(bs->blobs_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0)
            break;
        if (errno != EEXIST || tries >= 3)
            return -errno;
    }
    rc = write_all(fd, zip, len);
    if (rc == 0 && (fchmod(fd, FILE_MODE_PLAIN) != 0 || fsync(fd) != 0))
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0) {
        rc = rename_excl(bs->blobs_fd, tmp, final);
        if (rc == -EEXIST)
            rc = 0; /* a concurrent put stored the same bytes */
    }
    if (rc == 0 && fsync(bs->blobs_fd) != 0)
        rc = -errno;
    (void)unlinkat(bs->blobs_fd, tmp, 0); /* gone after a successful rename */
    return rc;
}

/* ---- public API ---- */

struct blob_store *blob_store_new(const char *data_dir, int *err)
{
    struct blob_store *bs = NULL;
    int data_fd = -1;
    int rc = -ENOMEM;

    bs = calloc(1, sizeof(*bs));
    if (bs == NULL)
        goto out;
    bs->blobs_fd = -1;
    bs->code_fd = -1;
    if (data_dir == NULL || data_dir[0] == '\0') {
        rc = -EINVAL;
        goto out;
    }
    rc = mkdir_p(data_dir, 0700);
    if (rc != 0)
        goto out;
    bs->root = realpath(data_dir, NULL);
    if (bs->root == NULL) {
        rc = -errno;
        goto out;
    }
    data_fd = open(bs->root, DIR_OPEN_FLAGS);
    if (data_fd < 0) {
        rc = -errno;
        goto out;
    }
    rc = open_subdir(data_fd, "blobs", 0755, &bs->blobs_fd);
    if (rc == 0)
        rc = open_subdir(data_fd, "code", 0755, &bs->code_fd);
    if (rc == 0)
        rc = sweep(bs->code_fd);
    if (rc == 0)
        rc = sweep(bs->blobs_fd);
out:
    if (data_fd >= 0)
        close(data_fd);
    if (rc != 0) {
        blob_store_free(bs);
        bs = NULL;
        if (err != NULL)
            *err = rc;
    }
    return bs;
}

void blob_store_free(struct blob_store *bs)
{
    if (bs == NULL)
        return;
    if (bs->blobs_fd >= 0)
        close(bs->blobs_fd);
    if (bs->code_fd >= 0)
        close(bs->code_fd);
    free(bs->root);
    free(bs);
}

void blob_digest_of(const void *data, size_t len, struct blob_digest *out)
{
    static const char digits[] = "0123456789abcdef";
    static const unsigned char none[1];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (EVP_Digest(len > 0 ? data : none, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        abort(); /* only fails when OpenSSL cannot allocate */
    for (size_t i = 0; i < mdlen; i++) {
        out->hex[2 * i] = digits[md[i] >> 4];
        out->hex[2 * i + 1] = digits[md[i] & 15];
    }
    out->hex[BLOB_HEX_LEN] = '\0';
    EVP_EncodeBlock((unsigned char *)out->b64, md, (int)mdlen);
}

int blob_put(struct blob_store *bs, const void *zip, size_t len, uint64_t max_unzipped,
             struct blob_digest *out)
{
    struct blob_digest d;
    zip_error_t ze;
    zip_source_t *src = NULL;
    zip_t *za = NULL;
    zip_uint64_t count = 0;
    char tmp[TMP_NAME_MAX] = "";
    int rc = ERR_INVALID_ZIP;

    zip_error_init(&ze);
    if (zip == NULL || len == 0)
        goto out; /* libzip would take zero bytes for an empty archive */
    blob_digest_of(zip, len, &d);
    src = zip_source_buffer_create(zip, len, 0, &ze);
    if (src == NULL) {
        rc = zip_rc(&ze);
        goto out;
    }
    za = zip_open_from_source(src, ZIP_RDONLY, &ze);
    if (za == NULL) {
        rc = zip_rc(&ze);
        goto out;
    }
    src = NULL; /* owned by za now */
    rc = scan(za, max_unzipped, &count);
    if (rc != 0)
        goto out;
    rc = exists(bs->code_fd, d.hex, true);
    if (rc == -ENOENT)
        rc = unpack(bs, za, count, max_unzipped, d.hex, tmp);
    if (rc != 0)
        goto out;
    rc = store_zip(bs, d.hex, zip, len);
    if (rc != 0)
        goto out;
    if (tmp[0] != '\0') {
        rc = rename_excl(bs->code_fd, tmp, d.hex);
        if (rc == 0)
            tmp[0] = '\0';
        else if (rc == -EEXIST)
            rc = 0; /* a concurrent put won; ours is deleted below */
        if (rc == 0 && fsync(bs->code_fd) != 0)
            rc = -errno;
        if (rc != 0)
            goto out;
    }
    *out = d;
    rc = 0;
out:
    if (tmp[0] != '\0')
        (void)remove_tree(bs->code_fd, tmp, 0);
    if (za != NULL)
        zip_discard(za);
    zip_source_free(src);
    zip_error_fini(&ze);
    return rc;
}

static int path_of(const struct blob_store *bs, int at, const char *sub, const char *hex, bool dir,
                   char *buf, size_t cap)
{
    char name[ZIP_NAME_MAX];
    int n;
    int rc;

    if (!is_hex(hex))
        return -EINVAL;
    n = snprintf(name, sizeof(name), "%s%s", hex, dir ? "" : ".zip");
    if (n < 0 || (size_t)n >= sizeof(name))
        return -ENAMETOOLONG;
    rc = exists(at, name, dir);
    if (rc != 0)
        return rc == -EEXIST ? -ENOENT : rc;
    n = snprintf(NULL, 0, "%s/%s/%s", bs->root, sub, name);
    if (n < 0 || (size_t)n >= cap || buf == NULL)
        return -ENAMETOOLONG;
    (void)snprintf(buf, cap, "%s/%s/%s", bs->root, sub, name); /* length checked above */
    return 0;
}

int blob_zip_path(const struct blob_store *bs, const char *hex, char *buf, size_t cap)
{
    return path_of(bs, bs->blobs_fd, "blobs", hex, false, buf, cap);
}

int blob_code_dir(const struct blob_store *bs, const char *hex, char *buf, size_t cap)
{
    return path_of(bs, bs->code_fd, "code", hex, true, buf, cap);
}

int blob_stat(const struct blob_store *bs, const char *hex, struct blob_info *out)
{
    char name[ZIP_NAME_MAX];
    struct stat st;
    zip_error_t ze;
    FILE *fp = NULL;
    zip_source_t *src = NULL;
    zip_t *za = NULL;
    zip_int64_t n;
    uint64_t total = 0;
    int fd = -1;
    int rc = -EINVAL;

    zip_error_init(&ze);
    if (!is_hex(hex))
        goto out;
    rc = snprintf(name, sizeof(name), "%s.zip", hex);
    if (rc < 0 || (size_t)rc >= sizeof(name)) {
        rc = -ENAMETOOLONG;
        goto out;
    }
    fd = openat(bs->blobs_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = -errno;
        goto out;
    }
    fp = fdopen(fd, "rb");
    if (fp == NULL) {
        rc = -errno;
        goto out;
    }
    fd = -1; /* owned by fp */
    src = zip_source_filep_create(fp, 0, -1, &ze);
    if (src == NULL) {
        rc = zip_rc(&ze);
        goto out;
    }
    fp = NULL; /* owned by src */
    za = zip_open_from_source(src, ZIP_RDONLY, &ze);
    if (za == NULL) {
        rc = zip_rc(&ze);
        goto out;
    }
    src = NULL; /* owned by za */
    n = zip_get_num_entries(za, 0);
    rc = ERR_INVALID_ZIP;
    if (n < 0)
        goto out;
    for (zip_uint64_t i = 0; i < (zip_uint64_t)n; i++) {
        zip_stat_t zs;
        zip_stat_init(&zs);
        if (zip_stat_index(za, i, 0, &zs) != 0 || !(zs.valid & ZIP_STAT_SIZE))
            goto out;
        total += zs.size;
    }
    out->zip_bytes = (uint64_t)st.st_size;
    out->unzipped_bytes = total;
    rc = 0;
out:
    if (za != NULL)
        zip_discard(za);
    zip_source_free(src);
    if (fp != NULL)
        (void)fclose(fp); /* read-only: nothing to lose */
    if (fd >= 0)
        close(fd);
    zip_error_fini(&ze);
    return rc;
}

int blob_remove(struct blob_store *bs, const char *hex)
{
    char name[ZIP_NAME_MAX];
    char tmp[TMP_NAME_MAX];
    bool found = false;
    int rc;

    if (!is_hex(hex))
        return -EINVAL;
    rc = exists(bs->code_fd, hex, true);
    if (rc == 0) {
        /* Rename first, so that the tree disappears at once and whole. */
        for (int tries = 0;; tries++) {
            rc = tmp_name(tmp, sizeof(tmp), hex);
            if (rc == 0)
                rc = rename_excl(bs->code_fd, hex, tmp);
            if (rc != -EEXIST || tries >= 3)
                break;
        }
        if (rc != 0)
            return rc;
        if (fsync(bs->code_fd) != 0)
            return -errno;
        rc = remove_tree(bs->code_fd, tmp, 0);
        if (rc != 0)
            return rc;
        found = true;
    } else if (rc != -ENOENT) {
        return rc;
    }
    rc = snprintf(name, sizeof(name), "%s.zip", hex);
    if (rc < 0 || (size_t)rc >= sizeof(name))
        return -ENAMETOOLONG;
    if (unlinkat(bs->blobs_fd, name, 0) == 0)
        found = true;
    else if (errno != ENOENT)
        return -errno;
    if (found && fsync(bs->blobs_fd) != 0)
        return -errno;
    return found ? 0 : -ENOENT;
}
