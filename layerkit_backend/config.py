"""The one place that reads layerkit_backend's flags.

Flags come from the ``LAYERKIT_FLAGS`` environment variable (``"floatX=float64,device=cpu"``) and can be changed
later by assignment (``config.floatX = 'float64'``).

``floatX`` defaults to ``float32``: neural-network code wants single precision, and a model never becomes float64
by accident (see docs/architecture.md, "dtype rules").
"""
import os
import re

__all__ = ["config", "Config", "WarnFlags"]


def _default_native_cache():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "layerkit", "native")


_DEFAULTS = {
    "floatX": "float32",        # dtype of T.matrix() & co, and of Python floats mixed with integer tensors
    "device": "cpu",            # 'cpu' (NumPy), 'cuda' / 'cuda<index>' (CuPy), or 'auto' (a GPU when one works)
    "mode": "FAST_RUN",         # default compile mode: 'FAST_RUN' or 'FAST_COMPILE' (no rewrites)
    "compute_test_value": "off",  # 'warn'/'raise'/'ignore': ops compute tag.test_value as the graph is built
    "print_test_value": False,
    "on_unused_input": "raise",
    "cast_policy": "custom",
    "print_global_stats": "False",
    "blas_threads": "auto",     # 'auto' leaves NumPy's BLAS alone; an int sets its thread count at import
    "allocator": "tuned",       # 'tuned': large temporaries reuse heap memory (backends/allocator.py); 'system'
    # the native tier (docs/architecture.md, "Two tiers"): 'auto' builds a function's C (or loads it from the
    # compile cache) before its first call is computed, so every call of a program runs on one tier and gives the
    # same bits run after run; 'tiered' answers the first call on NumPy and switches to C in the background
    # (fastest first result; results may differ in the last bits depending on when the switch happens);
    # 'native' compiles before function() returns; 'numpy' never compiles
    "linker": "auto",
    "cc": os.environ.get("CC") or "gcc",  # the C compiler command of the native tier
    "native_cache": _default_native_cache(),  # per-user compile cache directory ('' = none kept between runs)
    "native_cache_mb": "256",   # bound on the cache's size
    "native_threads": "auto",   # threads for large native loops: 'auto' (the CPUs this process may use) or an int
    "native_cflags": "",        # extra compiler flags (e.g. '-fsanitize=address' for the sanitizer test)
}
_CHOICES = {
    "floatX": ("float64", "float32", "float16"),
    "mode": ("FAST_RUN", "FAST_COMPILE", "DebugMode", "NanGuardMode"),
    "on_unused_input": ("raise", "warn", "ignore"),
    "compute_test_value": ("off", "ignore", "warn", "raise", "pdb"),
    "allocator": ("tuned", "system"),
    "linker": ("auto", "tiered", "native", "numpy"),
}


class WarnFlags:
    """Theano's ``config.warn.*`` switches (warnings about old bugs of Theano's): accepted and remembered, and
    otherwise ignored (layerkit has none of those bugs to warn about). An unset one reads False."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return False


class Config:
    """Attribute-style access to flags; unknown names raise AttributeError naming the known ones."""

    def __init__(self, env_value):
        object.__setattr__(self, "_values", dict(_DEFAULTS))
        object.__setattr__(self, "warn", WarnFlags())
        for item in filter(None, (s.strip() for s in env_value.split(","))):
            if "=" not in item:
                raise ValueError(f"LAYERKIT_FLAGS: expected 'name=value', received {item!r}")
            name, value = (s.strip() for s in item.split("=", 1))
            if name.startswith("warn."):
                setattr(self.warn, name[5:], value)
                continue
            setattr(self, name, value)

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"config has no flag {name!r}; known flags: {sorted(self._values)}") from None

    def __setattr__(self, name, value):
        if name not in self._values:
            raise AttributeError(f"config has no flag {name!r}; known flags: {sorted(self._values)}")
        if name in ("blas_threads", "native_threads") and value != "auto" and not str(value).isdigit():
            raise ValueError(f"config.{name}: expected 'auto' or a positive integer, received {value!r}")
        if name == "native_cache_mb":
            try:
                if float(value) <= 0:
                    raise ValueError
            except ValueError:
                raise ValueError(f"config.native_cache_mb: expected a positive number, received {value!r}") from None
        if name == "device" and not re.fullmatch(r"cpu|auto|cuda\d*", str(value)):
            raise ValueError(f"config.device: expected one of 'cpu', 'cuda', 'cuda<index>' (e.g. 'cuda1') or 'auto', "
                             f"received {value!r}")
        choices = _CHOICES.get(name)
        if choices is not None and value not in choices:
            raise ValueError(f"config.{name}: expected one of {choices}, received {value!r}")
        self._values[name] = value

    def __repr__(self):
        return "Config(" + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"


config = Config(os.environ.get("LAYERKIT_FLAGS", ""))
