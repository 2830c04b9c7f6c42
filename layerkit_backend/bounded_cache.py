"""``BoundedCache``: a least-recently-used mapping with a maximum size, for caches keyed by what users build.

Compiled kernels are cached by what they compute, and users build without end (a model per hyper-parameter value,
each with its own constants): an unbounded cache grows for the life of the process. Evicting an entry costs only a
recompilation the next time the same key is met; whoever already holds the value keeps it.

Example:
    >>> cache = BoundedCache(2)
    >>> cache["a"], cache["b"], cache["c"] = 1, 2, 3
    >>> sorted(cache.keys())
    ['b', 'c']
"""
import collections
import threading

__all__ = ["BoundedCache"]


class BoundedCache:
    """At most ``max_size`` entries; reading an entry makes it the most recent; safe to use from several threads."""

    def __init__(self, max_size):
        if max_size < 1:
            raise ValueError(f"BoundedCache: max_size must be at least 1, received {max_size}")
        self.max_size = int(max_size)
        self._entries = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            value = self._entries.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._entries.move_to_end(key)
            return value

    def __setitem__(self, key, value):
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def __getitem__(self, key):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key):
        with self._lock:
            return key in self._entries

    def __len__(self):
        return len(self._entries)

    def keys(self):
        with self._lock:
            return list(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()


_MISSING = object()
