"""``keras.ops.image``, the cheap part: grayscale conversion, resizing (bilinear, nearest), padding, cropping.

Resizing multiplies by two interpolation matrices built from the static sizes (half-pixel centres, weights of
taps outside the image dropped and the rest renormalised, as ``jax.image.resize`` without antialiasing), so it is
two matrix products and differentiable.

Example:
    >>> import numpy as np
    >>> resize(np.ones((1, 2, 2, 1), "float32"), (4, 4)).shape
    (1, 4, 4, 1)
"""
import numpy as np

import layerkit_backend.tensor as T

from .. import backend_conv
from ..eager import eager_function
from .core import tensor

__all__ = ["rgb_to_grayscale", "resize", "pad_images", "crop_images"]


def _spatial_axes(images, data_format, owner):
    if images.ndim not in (3, 4):
        raise ValueError(f"{owner}: expected a 3-d image or a 4-d batch of images, received shape "
                         f"{images.type.shape}")
    first = images.ndim - 3
    data_format = backend_conv.check_data_format(data_format, owner)
    return (first, first + 1) if data_format == "channels_last" else (first + 1, first + 2), data_format


@eager_function
def rgb_to_grayscale(images, data_format=None):
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B``, keeping a channel axis of 1."""
    images = tensor(images)
    _, data_format = _spatial_axes(images, data_format, "rgb_to_grayscale")
    channels = -1 if data_format == "channels_last" else images.ndim - 3
    if images.type.shape[channels] == 1:
        return images
    floats = images if images.dtype.startswith("float") else T.cast(images, "float32")
    weights = T.constant(np.asarray([0.2989, 0.5870, 0.1140], dtype=floats.dtype))
    gray = T.tensordot(floats, weights, axes=[[channels % images.ndim], [0]])
    return T.cast(T.expand_dims(gray, channels % images.ndim), images.dtype)


def _interpolation_matrix(size_in, size_out, method):
    """(size_out, size_in) weights taking a line of pixels to its resized line."""
    matrix = np.zeros((size_out, size_in))
    centres = (np.arange(size_out) + 0.5) * size_in / size_out - 0.5
    if method == "nearest":
        index = np.clip(np.floor(centres + 0.5).astype(int), 0, size_in - 1)
        matrix[np.arange(size_out), index] = 1.0
        return matrix
    lower = np.floor(centres).astype(int)
    fraction = centres - lower
    for row, (low, frac) in enumerate(zip(lower, fraction)):
        for index, weight in ((low, 1.0 - frac), (low + 1, frac)):
            if 0 <= index < size_in:
                matrix[row, index] += weight
    return matrix / matrix.sum(axis=1, keepdims=True)


@eager_function
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """``images`` resized to ``size`` = (height, width) by 'bilinear' or 'nearest' interpolation (no
    antialiasing, no aspect-ratio cropping or padding)."""
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"resize: interpolation {interpolation!r} is not available; use 'bilinear' or 'nearest'")
    if antialias or crop_to_aspect_ratio or pad_to_aspect_ratio:
        raise ValueError("resize: antialias, crop_to_aspect_ratio and pad_to_aspect_ratio are not available")
    images = tensor(images)
    (rows, cols), _ = _spatial_axes(images, data_format, "resize")
    height, width = images.type.shape[rows], images.type.shape[cols]
    if height is None or width is None:
        raise ValueError(f"resize: the images need static height and width, received shape {images.type.shape}")
    floats = images if images.dtype.startswith("float") else T.cast(images, "float32")
    along_rows = T.constant(_interpolation_matrix(height, size[0], interpolation).astype(floats.dtype))
    along_cols = T.constant(_interpolation_matrix(width, size[1], interpolation).astype(floats.dtype))
    out = T.tensordot(floats, along_rows, axes=[[rows], [1]])          # rows axis moves to the end
    out = T.tensordot(out, along_cols, axes=[[cols - 1], [1]])          # then the columns axis
    order = [a for a in range(images.ndim) if a not in (rows, cols)]   # the remaining axes, in order
    position = {a: k for k, a in enumerate(order)}
    pattern = [images.ndim - 2 if a == rows else images.ndim - 1 if a == cols else position[a]
               for a in range(images.ndim)]
    return out.dimshuffle(*pattern)


def _sides(start, end, target, size, owner, what):
    if start is not None and end is not None and target is not None:
        raise ValueError(f"{owner}: give only two of the {what} arguments")
    if target is not None:
        if start is None and end is None:
            raise ValueError(f"{owner}: a target size needs one of the {what} offsets")
        start = target - size - end if start is None else start
        end = target - size - start if end is None else end
    start, end = start or 0, end or 0
    if start < 0 or end < 0:
        raise ValueError(f"{owner}: the {what} amounts are negative ({start}, {end}) for size {size}")
    return start, end


@eager_function
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
               target_height=None, target_width=None, data_format=None):
    """``images`` with zero rows and columns added (give two of top/bottom/target_height, and of
    left/right/target_width)."""
    images = tensor(images)
    (rows, cols), _ = _spatial_axes(images, data_format, "pad_images")
    top, bottom = _sides(top_padding, bottom_padding, target_height, images.type.shape[rows], "pad_images",
                         "top_padding, bottom_padding, target_height")
    left, right = _sides(left_padding, right_padding, target_width, images.type.shape[cols], "pad_images",
                         "left_padding, right_padding, target_width")
    widths = [(0, 0)] * images.ndim
    widths[rows], widths[cols] = (top, bottom), (left, right)
    return backend_conv.pad_trailing(images, widths)


@eager_function
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None, right_cropping=None,
                target_height=None, target_width=None, data_format=None):
    """``images`` with rows and columns removed (give two of top/bottom/target_height, and of
    left/right/target_width)."""
    images = tensor(images)
    (rows, cols), _ = _spatial_axes(images, data_format, "crop_images")
    height, width = images.type.shape[rows], images.type.shape[cols]
    if height is None or width is None:
        raise ValueError(f"crop_images: the images need static height and width, received {images.type.shape}")
    # cropping to a target is padding's rule read backwards: crops add up to size - target
    top, bottom = _sides(top_cropping, bottom_cropping, None if target_height is None else
                         2 * height - target_height, height, "crop_images",
                         "top_cropping, bottom_cropping, target_height")
    left, right = _sides(left_cropping, right_cropping, None if target_width is None else 2 * width - target_width,
                         width, "crop_images", "left_cropping, right_cropping, target_width")
    index = [slice(None)] * images.ndim
    index[rows], index[cols] = slice(top, height - bottom), slice(left, width - right)
    return images[tuple(index)]
