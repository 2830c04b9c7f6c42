"""Theano's named constructors: ``dmatrix``, ``ivector``, ``fscalars``..., generated from the dtype prefixes.

A prefixed singular name is a ``TensorType`` (``T.dmatrix('x')`` makes a variable, ``x.type == T.dmatrix``); a
plural makes several variables: ``T.dscalars('x', 'y')``, ``T.scalars('xyz')`` (one variable per character, as in
Theano), ``T.fvectors(3)`` (three unnamed ones).
"""
from .type import DTYPE_PREFIXES, TensorType, tensor

_SHAPES = {"scalar": (), "vector": (None,), "row": (1, None), "col": (None, 1), "matrix": (None, None),
           "tensor3": (None,) * 3, "tensor4": (None,) * 4, "tensor5": (None,) * 5, "tensor6": (None,) * 6,
           "tensor7": (None,) * 7}
_PLURALS = {"scalar": "scalars", "vector": "vectors", "row": "rows", "col": "cols", "matrix": "matrices",
            "tensor3": "tensor3s", "tensor4": "tensor4s", "tensor5": "tensor5s", "tensor6": "tensor6s",
            "tensor7": "tensor7s"}

CONSTRUCTORS = {}


def _plural(make, plural):
    def make_several(*names):
        if names and isinstance(names[0], int):  # fvectors(3): three unnamed variables
            return [make() for _ in range(names[0])]
        if len(names) == 1:
            names = names[0]  # one string: a single name, or one name per character ('xyz')
        if len(names) == 1:
            return make(names)
        return [make(name) for name in names]

    make_several.__doc__ = (f"Several variables at once: ``a, b = {plural}('a', 'b')``, or one per character of "
                            f"a single string (``{plural}('ab')``).")
    return make_several


def _generic(kind):
    shape = _SHAPES[kind]

    def make(name=None, dtype=None):
        return tensor(dtype, shape=shape, name=name)

    make.__name__ = make.__qualname__ = kind
    make.__doc__ = f"A symbolic {kind} of ``dtype`` (default floatX): ``{kind}('x', dtype='int32')``."
    return make


for _kind, _shape in _SHAPES.items():
    for _prefix, _dtype in DTYPE_PREFIXES.items():
        _type = TensorType(_dtype, _shape)
        CONSTRUCTORS[_prefix + _kind] = _type
        CONSTRUCTORS[_prefix + _PLURALS[_kind]] = _plural(_type, _prefix + _PLURALS[_kind])
    if _kind in ("tensor6", "tensor7"):  # scalar ... tensor5 live in type.py
        CONSTRUCTORS[_kind] = _generic(_kind)
    CONSTRUCTORS[_PLURALS[_kind]] = _plural(_generic(_kind), _PLURALS[_kind])

globals().update(CONSTRUCTORS)
__all__ = sorted(CONSTRUCTORS)
