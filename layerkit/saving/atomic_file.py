"""Atomic file replacement: a save either completes or leaves the previous file as it was.

Every save writes a temporary file beside the target and renames it over the target once complete. Around that:

- a symlink is followed: the file it points to is replaced and the link stays a link;
- the new file keeps the replaced file's permission bits, and a new file gets the usual ``0o666 & ~umask`` (not
  the private ``0o600`` of a raw temporary file);
- a temporary file left by a save that was killed (its process is gone) or that failed is removed by the next save
  of the same target. Temporary names carry the writer's process id, so a save still running in another process
  is never disturbed.

Example:
    >>> # with atomic_path("model.h5", suffix=".h5") as temporary: write(temporary)
"""
import contextlib
import os
import secrets
import threading

__all__ = ["atomic_path"]

_IN_PROGRESS = set()          # temporary paths this process is writing now
_UMASK_LOCK = threading.Lock()


@contextlib.contextmanager
def atomic_path(filepath, overwrite=True, suffix=""):
    """Yields a temporary path to write; on success it replaces ``filepath`` (through a symlink), else vanishes."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.lexists(filepath):
        raise FileExistsError(f"{filepath!r} already exists and overwrite=False; pass overwrite=True to replace it")
    target = os.path.realpath(filepath) if os.path.islink(filepath) else os.path.abspath(filepath)
    directory, name = os.path.split(target)
    os.makedirs(directory, exist_ok=True)
    _remove_stale(directory, name, suffix)
    mode = os.stat(target).st_mode & 0o7777 if os.path.exists(target) else 0o666 & ~_umask()
    temporary = os.path.join(directory, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp{suffix}")
    _IN_PROGRESS.add(temporary)
    try:
        yield temporary
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    finally:
        _IN_PROGRESS.discard(temporary)
        if os.path.exists(temporary):
            os.remove(temporary)


def _remove_stale(directory, name, suffix):
    prefix = f".{name}."
    for entry in os.listdir(directory):
        if not (entry.startswith(prefix) and entry.endswith(f".tmp{suffix}")):
            continue
        pid = entry[len(prefix):].split(".")[0]
        path = os.path.join(directory, entry)
        if pid.isdigit() and path not in _IN_PROGRESS and not _running_elsewhere(int(pid)):
            with contextlib.suppress(OSError):
                os.remove(path)


def _running_elsewhere(pid):
    """True if another live process has this id (its save may still be in progress)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:     # alive, owned by someone else
        return True
    return True


def _umask():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    with _UMASK_LOCK:           # elsewhere the only way to read it is to set it
        mask = os.umask(0o22)
        os.umask(mask)
    return mask
