"""Ctrl-C during a call: a step's updates are applied all or nothing.

A compiled function computes every output and update value first, then commits: in-place writers overwrite shared
buffers and the new values replace the old ones. A KeyboardInterrupt is raised by Python's SIGINT handler between
two bytecodes of the main thread, so it could land between two writes of the commit and leave some shared variables
updated and others not. While the main thread commits, :func:`deferring_handler` (installed in place of Python's
default SIGINT handler by the first function compiled with updates) only notes the signal; the commit's end
raises the KeyboardInterrupt, after the last write. An interrupt before the commit leaves every variable as it was.

Other threads need nothing: KeyboardInterrupt is only ever raised in the main thread. A SIGINT handler the user
installed is left alone (and then commits are not protected from what it raises).

Example:
    >>> enter_commit(); exit_commit()   # what generated code does around a commit
"""
import signal
import threading

__all__ = ["enter_commit", "exit_commit", "install_deferring_handler", "deferring_handler"]


class _State:
    __slots__ = ("depth", "pending")

    def __init__(self):
        self.depth = 0          # commits of the main thread in progress
        self.pending = False    # a SIGINT arrived during one


_STATE = _State()
_MAIN = threading.main_thread().ident
_get_ident = threading.get_ident


def enter_commit():
    """Marks the start of a commit (counts only in the main thread)."""
    if _get_ident() == _MAIN:
        _STATE.depth += 1


def exit_commit():
    """Marks the end of a commit; raises the KeyboardInterrupt that arrived during it, if any."""
    if _get_ident() == _MAIN:
        _STATE.depth -= 1
        if _STATE.depth == 0 and _STATE.pending:
            _STATE.pending = False
            raise KeyboardInterrupt


def deferring_handler(signum, frame):
    """Python's SIGINT behaviour, except that during a commit the KeyboardInterrupt waits for its end."""
    if _STATE.depth > 0:
        _STATE.pending = True
        return
    signal.default_int_handler(signum, frame)


def install_deferring_handler():
    """Puts :func:`deferring_handler` in place of Python's default SIGINT handler (main thread only)."""
    if _get_ident() != _MAIN:
        return
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, deferring_handler)
    except (ValueError, OSError):   # e.g. an embedded interpreter without signal support
        pass
