"""The compile cache: built libraries kept between processes, keyed by a hash of what determines them.

Safety rules (a shared library is code; loading one runs it):

- The cache lives in a per-user directory (``config.native_cache``, default ``~/.cache/layerkit/native``), created
  with mode 0700. Before use it must be a real directory (not a symlink) owned by this user with no group or other
  permissions; otherwise it is not used at all (the process compiles into a private temporary directory instead).
- A library is loaded only if the cache wrote it: next to each ``<key>.so`` is ``<key>.tag``, an HMAC-SHA256 of
  the key and the library's bytes under a secret (``hmac.key``, 32 random bytes, mode 0600) that only this user can
  read. A library that is not a regular file owned by the user, is writable by others, or whose bytes do not match
  its tag is ignored (and rebuilt). Files are written under temporary names in the directory and renamed into
  place, so a reader never sees half a file.
- The cache is bounded (``config.native_cache_mb``): after each store the least recently used libraries are
  removed until it is back under 80% of the bound.
"""
import atexit
import hashlib
import hmac
import logging
import os
import shutil
import stat
import tempfile

__all__ = ["CompileCache", "UnsafeCacheError", "cache_key"]

log = logging.getLogger("layerkit_backend.native")
_SECRET_NAME = "hmac.key"


class UnsafeCacheError(RuntimeError):
    """The cache directory is not private to this user."""


def cache_key(source, toolchain_identity):
    """The key of a library: SHA-256 of its source and the toolchain identity (compiler, flags, CPU)."""
    return hashlib.sha256((toolchain_identity + "\n" + source).encode()).hexdigest()


def _private_dir(path):
    """Create ``path`` (mode 0700) if needed and check that it is a private directory of this user."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeCacheError(f"native cache {path!r} is not a directory (a symlink or a file)")
    if st.st_uid != os.getuid():
        raise UnsafeCacheError(f"native cache {path!r} is owned by uid {st.st_uid}, not by this user "
                               f"(uid {os.getuid()})")
    if st.st_mode & 0o077:
        raise UnsafeCacheError(f"native cache {path!r} has mode {oct(st.st_mode & 0o777)}; expected 0700 "
                               f"(no access for group or others)")
    return path


def _read_private(path):
    """The bytes of ``path`` if it is a regular file owned by this user and not writable by others, else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
            return None
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class CompileCache:
    """Libraries by key in ``directory`` (persistent when it passes the safety rules), at most ``max_bytes``."""

    def __init__(self, directory, max_bytes):
        self.max_bytes = int(max_bytes)
        self.persistent = False
        if directory:
            try:
                self.directory = _private_dir(directory)
                self.secret = self._secret()
                self.persistent = True
            except (OSError, UnsafeCacheError) as err:
                log.debug("native tier: not using the compile cache: %s", err)
        if not self.persistent:
            self.directory = tempfile.mkdtemp(prefix="layerkit-native-")  # 0700, ours, removed at exit
            atexit.register(shutil.rmtree, self.directory, True)
            self.secret = os.urandom(32)

    def _secret(self):
        path = os.path.join(self.directory, _SECRET_NAME)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            secret = _read_private(path)
            if secret is None or len(secret) != 32 or os.stat(path).st_mode & 0o077:
                raise UnsafeCacheError(f"native cache key {path!r} is not a private 32-byte file of this user")
            return secret
        secret = os.urandom(32)
        try:
            os.write(fd, secret)
        finally:
            os.close(fd)
        return secret

    def _tag(self, key, data):
        return hmac.new(self.secret, key.encode() + b"\0" + data, hashlib.sha256).hexdigest().encode()

    def path_of(self, key):
        return os.path.join(self.directory, key + ".so")

    def lookup(self, key):
        """The path of the verified library for ``key``, or None (missing, foreign or altered)."""
        path = self.path_of(key)
        data = _read_private(path)
        if data is None:
            return None
        tag = _read_private(os.path.join(self.directory, key + ".tag"))
        if tag is None or not hmac.compare_digest(tag, self._tag(key, data)):
            log.debug("native tier: ignoring cache entry %s (its tag does not match)", key[:16])
            return None
        try:
            os.utime(path)  # recently used: pruned last
        except OSError:
            pass
        return path

    def store(self, key, build):
        """Run ``build(source_dir, library_path)`` in a private temporary directory, tag the library and move it
        into the cache; returns its path."""
        work = tempfile.mkdtemp(prefix="build-", dir=self.directory)
        try:
            lib = os.path.join(work, "lib.so")
            build(work, lib)
            os.chmod(lib, 0o700)
            data = _read_private(lib)
            if data is None:
                raise OSError(f"the compiler's output {lib!r} cannot be read back as a private file")
            tag_tmp = os.path.join(work, "lib.tag")
            fd = os.open(tag_tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, self._tag(key, data))
            finally:
                os.close(fd)
            os.replace(lib, self.path_of(key))
            os.replace(tag_tmp, os.path.join(self.directory, key + ".tag"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self.prune()
        return self.path_of(key)

    def entries(self):
        """(mtime, size, key) of each library in the cache."""
        found = []
        try:
            names = os.listdir(self.directory)
        except OSError:
            return found
        for name in names:
            if name.endswith(".so"):
                try:
                    st = os.lstat(os.path.join(self.directory, name))
                except OSError:
                    continue
                found.append((st.st_mtime, st.st_size, name[:-3]))
        return found

    def prune(self):
        """Remove least recently used libraries while the cache is over its bound."""
        entries = sorted(self.entries())
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return
        target = 0.8 * self.max_bytes
        for _, size, key in entries:
            if total <= target:
                break
            for suffix in (".so", ".tag"):
                try:
                    os.unlink(os.path.join(self.directory, key + suffix))
                except OSError:
                    pass
            total -= size
