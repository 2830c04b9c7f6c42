"""Safe mode: whether names read from a model file may be imported.

A model file (``.h5``, JSON, a config dict) can name Python functions, e.g. a ``Lambda`` layer's
``'module:qualname'``. In safe mode (the default) such a name is resolved only from what the user supplied:
``custom_objects``, ``custom_object_scope`` or ``register_keras_serializable``. Importing a module named by a file
happens only after the user opts in, with ``safe_mode=False`` on ``load_model`` / ``model_from_json`` /
``model_from_config`` or :func:`enable_unsafe_deserialization` (Keras 3's names). Python bytecode stored in a file
(Keras's ``lambda`` format) is refused in both modes: layerkit never executes code from a file.

Example:
    >>> in_safe_mode()
    True
    >>> with safe_mode_scope(False):
    ...     in_safe_mode()
    False
"""
import contextlib
import contextvars

__all__ = ["in_safe_mode", "safe_mode_scope", "enable_unsafe_deserialization"]

_SCOPE = contextvars.ContextVar("layerkit_safe_mode", default=None)
_GLOBAL = {"safe": True}


def in_safe_mode():
    """True unless the current ``safe_mode_scope`` or :func:`enable_unsafe_deserialization` said otherwise."""
    scoped = _SCOPE.get()
    return _GLOBAL["safe"] if scoped is None else scoped


@contextlib.contextmanager
def safe_mode_scope(safe_mode):
    """Sets safe mode for the block; ``None`` keeps the enclosing setting (the global one by default)."""
    token = _SCOPE.set(_SCOPE.get() if safe_mode is None else bool(safe_mode))
    try:
        yield
    finally:
        _SCOPE.reset(token)


def enable_unsafe_deserialization():
    """Lets every later load import the ``'module:qualname'`` functions a file names (Keras 3's switch).

    Only for files you trust: a hostile file can name any importable function (``os.system``...). Bytecode is
    still refused.
    """
    _GLOBAL["safe"] = False
