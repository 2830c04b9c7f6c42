"""``images2neibs`` and ``neibs2images`` (Theano's ``nnet.neighbours``): patches of images as rows, and back.

``images2neibs(ten4, neib_shape, neib_step, mode)`` turns a (batch, channels, rows, cols) tensor into a matrix with
one row per patch (patches of each image in row-major order, images in order), each row the patch's pixels in
row-major order. Modes: 'valid' (patches must tile the image exactly), 'ignore_borders' (patches that do not fit
are dropped), 'wrap_centered' (a patch centred on each step, wrapping around the borders; odd patch sizes),
'half' and 'full' (zero padding of half or all of the patch). ``neibs2images`` adds each row back to its pixels:
the inverse of ``images2neibs`` when patches do not overlap, and its gradient in every mode.
"""
import numpy as np

from ...graph.basic import Apply, Op
from ..basic import as_index_scalar, cast
from ..type import FLOAT_DTYPES, TensorType
from ..variable import as_tensor_variable

__all__ = ["Images2Neibs", "Neibs2Images", "images2neibs", "neibs2images"]

MODES = ("valid", "ignore_borders", "wrap_centered", "half", "full")


def _grid(size, patch, step, mode, where):
    """(number of patches, offset of the first one) along one image dimension, as Theano checks them."""
    if mode == "wrap_centered":
        if patch % 2 != 1:
            raise TypeError(f"{where}: mode 'wrap_centered' needs odd patch sizes, received {patch}")
        if size < patch:
            raise TypeError(f"{where}: in 'wrap_centered' mode the image ({size}) must not be smaller than the patch "
                            f"({patch})")
        return -(-size // step), -(patch // 2)
    span = {"valid": size - patch, "ignore_borders": size - patch, "half": size - patch % 2,
            "full": size + patch - 2}[mode]
    if mode != "ignore_borders" and (size < patch or span % step):
        raise TypeError(f"{where}: patch size {patch}, step {step} and image size {size} are not consistent for "
                        f"mode {mode!r}")
    offset = {"valid": 0, "ignore_borders": 0, "half": -(patch // 2), "full": -(patch - 1)}[mode]
    return max(0, 1 + span // step), offset


def _indices(shape, neib_shape, neib_step, mode, where):
    """Row and column indices ``(gc, c)``/``(gd, d)`` of every patch pixel, and which of them are in the image."""
    out = []
    for size, patch, step in zip(shape[2:], neib_shape, neib_step):
        count, offset = _grid(size, patch, step, mode, where)
        idx = np.arange(count)[:, None] * step + np.arange(patch)[None, :] + offset
        if mode == "wrap_centered":
            idx %= size
        out.append((idx, (idx >= 0) & (idx < size)))
    return out


def _check_params(neib_shape, neib_step, mode, where):
    neib_shape = tuple(int(v) for v in neib_shape)
    neib_step = neib_shape if neib_step is None else tuple(int(v) for v in neib_step)
    if len(neib_shape) != 2 or len(neib_step) != 2 or min(neib_shape) <= 0 or min(neib_step) <= 0:
        raise ValueError(f"{where}: neib_shape and neib_step must be pairs of positive ints, received {neib_shape} "
                         f"and {neib_step}")
    if mode not in MODES:
        raise ValueError(f"{where}: mode must be one of {MODES}, received {mode!r}")
    return neib_shape, neib_step


class Images2Neibs(Op):
    """The patches of a 4-d tensor as the rows of a matrix (see the module docstring)."""

    __props__ = ("neib_shape", "neib_step", "mode")

    def __init__(self, neib_shape, neib_step=None, mode="valid"):
        self.neib_shape, self.neib_step = _check_params(neib_shape, neib_step, mode, "images2neibs")
        self.mode = mode

    def make_node(self, ten4):
        ten4 = as_tensor_variable(ten4)
        if ten4.ndim != 4:
            raise TypeError(f"images2neibs: expected a 4-d tensor (batch, channels, rows, cols), received {ten4.type}")
        return Apply(self, [ten4], [TensorType(ten4.dtype, (None, self.neib_shape[0] * self.neib_shape[1]))()])

    def perform(self, xp, node, inputs):
        (x,) = inputs
        (rows, rmask), (cols, cmask) = _indices(x.shape, self.neib_shape, self.neib_step, self.mode, "images2neibs")
        r = np.clip(rows, 0, max(x.shape[2] - 1, 0))[:, None, :, None]
        c = np.clip(cols, 0, max(x.shape[3] - 1, 0))[None, :, None, :]
        patches = x[:, :, r, c] if x.size else xp.zeros(x.shape[:2] + r.shape[:1] + c.shape[1:2] + (
            r.shape[2], c.shape[3]), dtype=x.dtype)
        mask = xp.asarray(rmask[:, None, :, None] & cmask[None, :, None, :])
        patches = xp.where(mask, patches, 0).astype(x.dtype, copy=False)
        return [patches.reshape(-1, self.neib_shape[0] * self.neib_shape[1])]

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        if x.dtype not in FLOAT_DTYPES:
            return [None]
        return [Neibs2Images(self.neib_shape, self.neib_step, self.mode)(g, x.shape)]


class Neibs2Images(Op):
    """Each row of ``neibs`` added back onto the pixels of its patch, in an image of ``original_shape``."""

    __props__ = ("neib_shape", "neib_step", "mode")

    def __init__(self, neib_shape, neib_step=None, mode="valid"):
        self.neib_shape, self.neib_step = _check_params(neib_shape, neib_step, mode, "neibs2images")
        self.mode = mode

    def make_node(self, neibs, original_shape):
        neibs = as_tensor_variable(neibs)
        if isinstance(original_shape, (tuple, list)):
            from ..basic import stack

            original_shape = stack([cast(as_index_scalar(s, "neibs2images shape"), "int64") for s in original_shape])
        shape = as_tensor_variable(original_shape)
        if neibs.ndim != 2 or shape.ndim != 1:
            raise TypeError(f"neibs2images: expected a matrix and a shape vector, received {neibs.type} and "
                            f"{shape.type}")
        return Apply(self, [neibs, cast(shape, "int64")], [TensorType(neibs.dtype, (None,) * 4)()])

    def perform(self, xp, node, inputs):
        neibs, shape = inputs
        shape = tuple(int(s) for s in xp.to_host(shape))
        (rows, rmask), (cols, cmask) = _indices(shape, self.neib_shape, self.neib_step, self.mode, "neibs2images")
        g = neibs.reshape(shape[:2] + (rows.shape[0], cols.shape[0]) + self.neib_shape)
        mask = xp.asarray(rmask[:, None, :, None] & cmask[None, :, None, :])
        g = xp.where(mask, g, 0)
        out = xp.zeros(shape, dtype=neibs.dtype)
        r = np.clip(rows, 0, max(shape[2] - 1, 0))[:, None, :, None]
        c = np.clip(cols, 0, max(shape[3] - 1, 0))[None, :, None, :]
        r, c = np.broadcast_arrays(r, c)
        xp.scatter_add(out, (slice(None), slice(None), xp.asarray(r), xp.asarray(c)), g)
        return [out]

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        return [Images2Neibs(self.neib_shape, self.neib_step, self.mode)(g), None]

    def connection_pattern(self, node):
        return [[True], [False]]


def images2neibs(ten4, neib_shape, neib_step=None, mode="valid"):
    """The patches of the 4-d ``ten4`` as rows (see the module docstring).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dtensor4('x')
        >>> images2neibs(x, (2, 2)).eval({x: [[[[1.0, 2.0], [3.0, 4.0]]]]}).tolist()
        [[1.0, 2.0, 3.0, 4.0]]
    """
    return Images2Neibs(neib_shape, neib_step, mode)(ten4)


def neibs2images(neibs, neib_shape, original_shape, mode="valid"):
    """Patches (rows of ``neibs``) back into images of ``original_shape``, overlapping pixels summed (Theano's)."""
    return Neibs2Images(neib_shape, None, mode)(neibs, original_shape)
