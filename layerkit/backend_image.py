"""Image geometry over layerkit_backend: resizing and affine transforms of channels-last (or channels-first)
batches, as Keras 3's ``ops.image.resize`` and ``ops.image.affine_transform`` compute them on JAX.

Resizing with static sizes is two matrix products with interpolation matrices built once in NumPy (half-pixel
centres; at the borders the weights of the pixels that exist are renormalised, which for bilinear interpolation
is clamping), so its gradient needs no op of its own. An affine transform gathers the four neighbours of every
source point (bilinear) or the nearest one, with Keras's fill modes for points outside the image.

Example:
    >>> import layerkit_backend.tensor as T
    >>> resize_images(T.tensor("float32", shape=(None, 4, 6, 3)), (2, 3), "bilinear").type.shape
    (None, 2, 3, 3)
"""
import numpy as np

import layerkit_backend.tensor as T

__all__ = ["interpolation_matrix", "resize_images", "affine_transform", "rotation_transform", "zoom_transform",
           "translation_transform", "FILL_MODES"]

FILL_MODES = ("constant", "reflect", "wrap", "nearest", "mirror")


def interpolation_matrix(size_in, size_out, interpolation):
    """(size_out, size_in) weights: output pixel ``o`` samples the input at ``(o + 0.5) * in / out - 0.5``.

    Example:
        >>> interpolation_matrix(2, 4, "bilinear").round(2).tolist()[1]
        [0.75, 0.25]
    """
    scale = size_in / size_out
    matrix = np.zeros((size_out, size_in), dtype=np.float64)
    centres = (np.arange(size_out) + 0.5) * scale
    if interpolation == "nearest":
        matrix[np.arange(size_out), np.clip(np.floor(centres).astype(int), 0, size_in - 1)] = 1.0
        return matrix
    if interpolation != "bilinear":
        raise ValueError(f"resize: expected interpolation 'bilinear' or 'nearest', received {interpolation!r}")
    source = centres - 0.5
    low = np.floor(source).astype(int)
    frac = source - low
    for o in range(size_out):
        for index, weight in ((low[o], 1.0 - frac[o]), (low[o] + 1, frac[o])):
            if 0 <= index < size_in:
                matrix[o, index] += weight
    return matrix / matrix.sum(axis=1, keepdims=True)


def _apply_on_axis(x, matrix, axis):
    """``matrix`` (out, in) applied along ``axis`` of ``x``."""
    order = [i for i in range(x.ndim) if i != axis] + [axis]
    moved = x.dimshuffle(*order)
    shape = T.shape_tuple(moved)
    flat = T.reshape(moved, (-1, x.type.shape[axis]), ndim=2)
    out = T.dot(flat, T.constant(matrix.T.astype(x.dtype)))
    out = T.reshape(out, tuple(shape[:-1]) + (matrix.shape[0],), ndim=x.ndim)
    back = [order.index(i) for i in range(x.ndim)]
    return out.dimshuffle(*back)


def resize_images(images, size, interpolation="bilinear", data_format="channels_last"):
    """``images`` (batch, rows, cols, channels) resized to ``size`` = (rows, cols); static input sizes."""
    first = 1 if data_format == "channels_last" else 2
    x = images
    for axis, target in zip((first, first + 1), size):
        n = x.type.shape[axis]
        if n is None:
            raise ValueError(f"resize: needs static rows and columns, received shape {images.type.shape}")
        if n != target:
            x = _apply_on_axis(x, interpolation_matrix(n, int(target), interpolation), axis)
    return x


# ------------------------------------------------------------------------------------------- affine transforms
def rotation_transform(angles, rows, cols):
    """(batch, 8) transforms rotating by ``angles`` (radians, counter-clockwise) about the image centre."""
    cos, sin = T.cos(angles), T.sin(angles)
    x_offset = ((cols - 1) - (cos * (cols - 1) - sin * (rows - 1))) / 2.0
    y_offset = ((rows - 1) - (sin * (cols - 1) + cos * (rows - 1))) / 2.0
    zeros = T.zeros_like(angles)
    return T.stack([cos, -sin, x_offset, sin, cos, y_offset, zeros, zeros], axis=1)


def zoom_transform(height_zoom, width_zoom, rows, cols):
    """(batch, 8) transforms scaling by the zoom factors about the image centre (factor > 1 shows more)."""
    x_offset = ((cols - 1.0) / 2.0) * (1.0 - width_zoom)
    y_offset = ((rows - 1.0) / 2.0) * (1.0 - height_zoom)
    zeros = T.zeros_like(height_zoom)
    return T.stack([width_zoom, zeros, x_offset, zeros, height_zoom, y_offset, zeros, zeros], axis=1)


def translation_transform(dx, dy):
    """(batch, 8) transforms moving the image content by (dx, dy) pixels (right, down)."""
    ones, zeros = T.ones_like(dx), T.zeros_like(dx)
    return T.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)


def _fix_index(index, size, fill_mode):
    """Integer source coordinates mapped into [0, size) by the fill mode; and whether they were inside."""
    inside = T.and_(T.ge(index, 0), T.le(index, size - 1))
    if fill_mode == "constant":
        return T.clip(index, 0, size - 1), inside
    if fill_mode == "nearest":
        return T.clip(index, 0, size - 1), None
    if fill_mode == "wrap":
        return T.mod(index, size), None
    if fill_mode == "reflect":   # (d c b a | a b c d | d c b a)
        period = 2 * size
        folded = T.mod(index, period)
        return T.switch(T.lt(folded, size), folded, period - 1 - folded), None
    if fill_mode == "mirror":   # (d c b | a b c d | c b a)
        if size == 1:
            return T.zeros_like(index), None
        period = 2 * size - 2
        folded = T.mod(index, period)
        return T.switch(T.lt(folded, size), folded, period - folded), None
    raise ValueError(f"affine_transform: expected fill_mode in {FILL_MODES}, received {fill_mode!r}")


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """``images`` (batch, rows, cols, channels) sampled at the points each (batch, 8) transform
    ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps output pixel (x, y) to: ``((a0 x + a1 y + a2) / k,
    (b0 x + b1 y + b2) / k)`` with ``k = c0 x + c1 y + 1``; static rows and columns."""
    rows, cols = images.type.shape[1:3]
    if rows is None or cols is None:
        raise ValueError(f"affine_transform: needs static rows and columns, received shape {images.type.shape}")
    dtype = images.dtype
    ys, xs = np.meshgrid(np.arange(rows, dtype=dtype), np.arange(cols, dtype=dtype), indexing="ij")
    xs, ys = T.constant(xs.ravel()), T.constant(ys.ravel())                       # (points,)
    t = T.cast(transforms, dtype)
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, i:i + 1] for i in range(8))           # (batch, 1)
    k = c0 * xs + c1 * ys + 1.0
    src_x = (a0 * xs + a1 * ys + a2) / k                                         # (batch, points)
    src_y = (b0 * xs + b1 * ys + b2) / k
    channels = images.type.shape[3] if images.type.shape[3] is not None else T.shape(images)[3]
    batch = T.shape(images)[0]
    flat = T.reshape(images, (-1, channels), ndim=2)
    base = T.shape_padright(T.arange(batch, dtype="int64") * (rows * cols))       # (batch, 1)

    def gather(iy, ix):
        fy, inside_y = _fix_index(iy, rows, fill_mode)
        fx, inside_x = _fix_index(ix, cols, fill_mode)
        values = flat[T.flatten(base + fy * cols + fx)]                           # (batch * points, channels)
        values = T.reshape(values, (batch, rows * cols, channels), ndim=3)
        if inside_y is None:
            return values
        inside = T.shape_padright(T.cast(T.and_(inside_y, inside_x), dtype))
        return values * inside + (1.0 - inside) * np.asarray(fill_value, dtype)

    if interpolation == "nearest":
        out = gather(T.cast(T.round(src_y), "int64"), T.cast(T.round(src_x), "int64"))
    elif interpolation == "bilinear":
        y0, x0 = T.floor(src_y), T.floor(src_x)
        wy, wx = T.shape_padright(src_y - y0), T.shape_padright(src_x - x0)
        y0, x0 = T.cast(y0, "int64"), T.cast(x0, "int64")
        out = ((1 - wy) * ((1 - wx) * gather(y0, x0) + wx * gather(y0, x0 + 1))
               + wy * ((1 - wx) * gather(y0 + 1, x0) + wx * gather(y0 + 1, x0 + 1)))
    else:
        raise ValueError(f"affine_transform: expected interpolation 'bilinear' or 'nearest', received "
                         f"{interpolation!r}")
    return T.reshape(out, (batch, rows, cols, channels), ndim=4)
