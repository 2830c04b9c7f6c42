"""Theano's named constructors: ``dmatrix``, ``ivector``, ``fscalars``..., generated from the dtype prefixes."""
from .type import DTYPE_PREFIXES, TensorType

_SHAPES = {"scalar": (), "vector": (None,), "row": (1, None), "col": (None, 1), "matrix": (None, None),
           "tensor3": (None,) * 3, "tensor4": (None,) * 4, "tensor5": (None,) * 5}
_PLURALS = {"scalar": "scalars", "vector": "vectors", "row": "rows", "col": "cols", "matrix": "matrices",
            "tensor3": "tensor3s", "tensor4": "tensor4s", "tensor5": "tensor5s"}

CONSTRUCTORS = {}


def _single(kind, dtype):
    shape = _SHAPES[kind]

    def make(name=None):
        return TensorType(dtype, shape).make_variable(name)

    make.__name__ = make.__qualname__ = f"{'' if dtype is None else _prefix_of(dtype)}{kind}"
    make.__doc__ = f"A symbolic {kind} of dtype {dtype or 'floatX'}: ``{make.__name__}('x')``."
    return make


def _plural(single):
    def make(*names):
        if len(names) == 1 and isinstance(names[0], int):
            return [single() for _ in range(names[0])]
        if len(names) == 1 and isinstance(names[0], str) and "," in names[0]:
            names = [n.strip() for n in names[0].split(",")]
        return [single(n) for n in names]

    make.__doc__ = f"Several {single.__name__}s at once: ``a, b = {single.__name__}s('a', 'b')``."
    return make


def _prefix_of(dtype):
    return next(p for p, d in DTYPE_PREFIXES.items() if d == dtype)


for _kind in _SHAPES:
    for _prefix, _dtype in DTYPE_PREFIXES.items():
        _fn = _single(_kind, _dtype)
        CONSTRUCTORS[_prefix + _kind] = _fn
        CONSTRUCTORS[_prefix + _PLURALS[_kind]] = _plural(_fn)
    _fn = _single(_kind, None)
    _fn.__name__ = _kind
    CONSTRUCTORS[_PLURALS[_kind]] = _plural(_fn)

globals().update(CONSTRUCTORS)
__all__ = sorted(CONSTRUCTORS)
