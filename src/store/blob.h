/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_STORE_BLOB_H
#define LAMBDAD_STORE_BLOB_H

/*
 * Content-addressed storage of code packages (function zips, later layers).
 *
 * A package is stored once by the SHA-256 of its zip bytes as
 * <data-dir>/blobs/<hex>.zip, and unpacked once into the read-only cache
 * <data-dir>/code/<hex>/ that instances use as their code directory.
 * Both appear atomically: a reader sees a complete zip and a complete tree,
 * or nothing. Whenever the code directory exists, the zip exists too.
 *
 * Threads: every function may be called from any thread (blob_put is meant
 * for worker threads; it blocks on disk I/O and fsync). The store object is
 * immutable after blob_store_new, so concurrent calls need no locking, and
 * concurrent blob_put calls for the same package are safe as well (one
 * unpack wins, the others discard theirs). The caller must not run
 * blob_remove for a digest concurrently with blob_put for the same digest,
 * and must not remove a package that an instance still uses.
 *
 * Processes: one process opens a given data directory at a time, because
 * blob_store_new deletes the temporary files that a crashed run left behind.
 */

#include <stddef.h>
#include <stdint.h>

/* AWS's limit on the unzipped size of a function and its layers, in bytes
 * (the text of ERR_CODE_TOO_LARGE quotes it). Belongs in base/limits.h. */
#define BLOB_UNZIPPED_MAX_BYTES 262144000u

/* Length of a digest in lowercase hex, excluding the NUL. */
#define BLOB_HEX_LEN 64

struct blob_store;

/* SHA-256 of a package's zip bytes. */
struct blob_digest {
    char hex[BLOB_HEX_LEN + 1]; /* lowercase hex, NUL-terminated: the store key */
    char b64[45];               /* standard base64 with padding, as AWS's CodeSha256 */
};

/* Sizes of a stored package. */
struct blob_info {
    uint64_t zip_bytes;      /* size of the stored zip (AWS's CodeSize) */
    uint64_t unzipped_bytes; /* sum of the entries' uncompressed sizes */
};

/*
 * Opens the store rooted at data_dir, creating data_dir (mode 0700, with
 * missing parents), data_dir/blobs and data_dir/code (0755) as needed, and
 * deletes leftovers of interrupted blob_put/blob_remove calls (".tmp-*").
 * Borrows data_dir; the store keeps data_dir resolved to an absolute path.
 * Returns new (free with blob_store_free), or NULL with *err set to -errno
 * (-ENOMEM, -EACCES, -ENOTDIR, ...). err may be NULL.
 */
struct blob_store *blob_store_new(const char *data_dir, int *err);

/* Closes the store; stored packages stay on disk. NULL is a no-op. Takes bs. */
void blob_store_free(struct blob_store *bs);

/*
 * Computes the SHA-256 of len bytes at data (which may be NULL if len is 0)
 * into *out. Borrows data. Aborts only if OpenSSL cannot allocate.
 */
void blob_digest_of(const void *data, size_t len, struct blob_digest *out);

/*
 * Validates, stores and unpacks one package.
 *
 * zip must be a zip archive that libzip can read, whose entries are all safe:
 *  - names are relative paths of non-empty components, none "." or "..",
 *    each at most NAME_MAX bytes, the whole shorter than PATH_MAX, and at
 *    most 256 components deep ("\" is an ordinary character, as on AWS);
 *  - a name that ends in "/" (or has a unix directory mode) is a directory;
 *    a unix symlink entry (S_IFLNK in the external attributes) becomes a
 *    symlink only if its target is relative, has ".." components only at its
 *    start, and does not climb above the package root (so it stays inside
 *    the tree, like node_modules/.bin links); other special files are
 *    refused, and nothing is ever written through a symlink;
 *  - no name occurs twice, and no file or symlink has the name of a
 *    directory: duplicates are refused rather than resolved, because
 *    "which one wins" differs between unzip tools;
 *  - at most 262144 entries.
 * The uncompressed size is capped twice: the sum of the declared sizes must
 * not exceed max_unzipped, and an entry that inflates to more bytes than it
 * declares is refused as soon as it does (zip bombs lie about sizes).
 * An empty archive (no entries) is accepted; zero bytes are not an archive.
 *
 * Unpacked files are 0555 if any execute bit is set in their unix mode, and
 * 0444 otherwise (also when the zip carries no unix modes, as with zips made
 * by Windows tools); a regular file named "bootstrap" at the root is always
 * 0555. Directories end up 0555. Symlinks keep their target.
 *
 * The zip is stored as blobs/<hex>.zip (written to a temporary file, fsynced,
 * renamed, directory fsynced) unless present, and unpacked into
 * code/.tmp-<hex>-<random>, synced, and renamed to code/<hex> unless that
 * exists, so interrupted or concurrent calls never leave a partial tree.
 * If the package is already unpacked, only the cheap checks of the central
 * directory (names, declared sizes) run again.
 *
 * Borrows zip. Writes *out only on success. Returns 0; ERR_INVALID_ZIP for
 * bytes that are not a readable zip or contain an unsafe entry;
 * ERR_CODE_TOO_LARGE if the unzipped size exceeds max_unzipped; -ENOMEM;
 * -errno for I/O failures (-ENOSPC, -EDQUOT, -EIO, ...). On failure no
 * temporary file or partial tree is left behind; the zip alone may remain
 * stored if only the final rename or fsync of the code directory failed (a
 * later blob_put of the same bytes completes it).
 */
int blob_put(struct blob_store *bs, const void *zip, size_t len, uint64_t max_unzipped,
             struct blob_digest *out);

/*
 * Writes the absolute path of the stored zip for hex into buf (cap bytes,
 * including the NUL). Borrows hex, which must be 64 lowercase hex digits.
 * Writes buf only on success. Returns 0, -EINVAL for a malformed hex,
 * -ENOENT if the package is not stored, -ENAMETOOLONG if cap is too small.
 */
int blob_zip_path(const struct blob_store *bs, const char *hex, char *buf, size_t cap);

/*
 * Writes the absolute path of the unpacked, read-only code directory for hex
 * into buf. Same arguments, ownership and errors as blob_zip_path.
 */
int blob_code_dir(const struct blob_store *bs, const char *hex, char *buf, size_t cap);

/*
 * Reports the zipped and unzipped size of a stored package into *out (read
 * from the stored zip's central directory, whose sizes blob_put verified).
 * Borrows hex. Writes *out only on success. Returns 0, -EINVAL for a
 * malformed hex, -ENOENT if not stored, ERR_INVALID_ZIP if the stored file
 * is damaged, -ENOMEM, or -errno.
 */
int blob_stat(const struct blob_store *bs, const char *hex, struct blob_info *out);

/*
 * Deletes a package: its code directory first (renamed away atomically, then
 * deleted), then its zip. Call it only when no function or layer refers to
 * the package and no instance uses its code directory. Borrows hex.
 * Returns 0, -EINVAL for a malformed hex, -ENOENT if neither the zip nor the
 * code directory exists, or -errno.
 */
int blob_remove(struct blob_store *bs, const char *hex);

#endif
