"""Lock groups: the locks that make every call on shared state atomic with respect to other threads.

Each shared variable's container belongs to a lock group. Compiling a function joins the groups of every shared
variable it reads or writes into one group, so a call takes exactly one lock (a re-entrant one, for a compiled
function called from inside another's op), whatever the number of variables. Two calls that touch a common shared
variable therefore never interleave: concurrent calls give the results of some sequential order, no update is
lost, and no call reads a half-applied step. Calls on disjoint sets of shared variables (two models) run in
parallel. ``get_value``/``set_value`` take the same lock.

Groups are a union-find forest. A merge holds the locks of the groups it merges, and a caller that took a group's
lock checks afterwards that the group is still a root (a merge may have happened while it waited), retrying if not.

Example:
    >>> a, b = LockGroup(), LockGroup()
    >>> root = join([a, b])
    >>> find(a) is find(b) is root
    True
"""
import itertools
import threading

__all__ = ["LockGroup", "find", "join", "call_locked", "locked"]

_ORDER = itertools.count()
_MERGE = threading.Lock()   # one merge at a time keeps the forest's shape consistent


class LockGroup:
    """A node of the forest; the root's ``lock`` guards every container of the group."""

    __slots__ = ("lock", "parent", "order")

    def __init__(self):
        self.lock = threading.RLock()
        self.parent = None
        self.order = next(_ORDER)


def find(group):
    """The root of ``group``'s tree (with path halving)."""
    while group.parent is not None:
        parent = group.parent
        if parent.parent is not None:
            group.parent = parent.parent
        group = parent
    return group


def join(groups):
    """Merges ``groups`` into one and returns its root; waits for calls running on any of them to finish."""
    with _MERGE:
        roots = sorted({id(r): r for r in map(find, groups)}.values(), key=lambda r: r.order)
        for root in roots[1:]:
            with roots[0].lock:     # the lower order first: no deadlock with a call or another merge
                with root.lock:
                    root.parent = roots[0]
        return roots[0] if roots else None


def call_locked(group, fn, *args):
    """``fn(*args)`` under the lock of ``group``'s root.

    ``with`` (never acquire/try) so that a KeyboardInterrupt cannot land between taking the lock and the block
    that releases it. A caller that got the lock of a group merged meanwhile retries with the new root.
    """
    while True:
        root = find(group)
        with root.lock:
            if root.parent is None:
                return fn(*args)


def locked(fn, group):
    """``fn`` called under ``group``'s lock."""
    def call(*args):
        while True:
            root = find(group)
            with root.lock:
                if root.parent is None:
                    return fn(*args)

    call.__wrapped__ = fn
    return call
