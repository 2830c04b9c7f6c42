"""Image preprocessing and augmentation layers: ``Resizing``, ``CenterCrop`` and the random augmentations of the
tutorials (``RandomFlip``, ``RandomRotation``, ``RandomZoom``, ``RandomTranslation``, ``RandomContrast``).

The random layers transform while ``training`` is True (one draw per image, from the layer's own stream) and
are the identity otherwise, as in Keras. Geometry (Keras's affine matrices, bilinear sampling with its fill
modes) comes from ``layerkit.backend_image``.

Example:
    >>> import layerkit_backend.tensor as T
    >>> x = T.tensor("float32", shape=(None, 8, 8, 3))
    >>> RandomRotation(0.1, seed=1)(Resizing(6, 6)(x), training=True).type.shape
    (None, 6, 6, 3)
"""
import math

import numpy as np

import layerkit_backend.tensor as T
from layerkit_backend.tensor.shared_randomstreams import RandomStreams

from ..backend_conv import check_data_format
from ..backend_image import (FILL_MODES, affine_transform, resize_images, rotation_transform, translation_transform,
                             zoom_transform)
from .base import InputSpec, Layer
from .core import drop_keras3_keys, layer_config, seed_or_fresh

__all__ = ["Resizing", "CenterCrop", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
           "RandomContrast"]


class _ImageLayer(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, type(self).__name__))
        self._owner = f"{type(self).__name__} '{self.name}'"
        self.data_format = check_data_format(data_format, self._owner)
        self.input_spec = InputSpec(min_ndim=3, max_ndim=4)

    def _rows_cols_axes(self, ndim):
        first = ndim - 3 if self.data_format == "channels_last" else ndim - 2
        return first, first + 1

    def _sizes(self, inputs):
        rows, cols = (inputs.type.shape[a] for a in self._rows_cols_axes(inputs.ndim))
        if rows is None or cols is None:
            raise ValueError(f"{self._owner}: needs images of static rows and columns, received shape "
                             f"{inputs.type.shape}")
        return rows, cols

    def _as_batch_last(self, inputs):
        """(batch, rows, cols, channels) view of a batch or a single image, and the function undoing it."""
        x = inputs if inputs.ndim == 4 else T.shape_padleft(inputs)
        if self.data_format == "channels_first":
            x = x.dimshuffle(0, 2, 3, 1)

        def back(y):
            if self.data_format == "channels_first":
                y = y.dimshuffle(0, 3, 1, 2)
            return y if inputs.ndim == 4 else y[0]
        return x, back


def _centre_crop(x, rows, cols, height, width, axes):
    top, left = (rows - height) // 2, (cols - width) // 2
    index = [slice(None)] * x.ndim
    index[axes[0]], index[axes[1]] = slice(top, top + height), slice(left, left + width)
    return x[tuple(index)]


def _aspect_crop(x, rows, cols, height, width, axes):
    """The largest centred box of ``height / width``'s aspect ratio (Keras's ``smart_resize`` crop)."""
    crop_rows = max(min(rows, int(float(cols * height) / width)), 1)
    crop_cols = max(min(cols, int(float(rows * width) / height)), 1)
    top, left = int(float(rows - crop_rows) / 2), int(float(cols - crop_cols) / 2)
    index = [slice(None)] * x.ndim
    index[axes[0]], index[axes[1]] = slice(top, top + crop_rows), slice(left, left + crop_cols)
    return x[tuple(index)]


class Resizing(_ImageLayer):
    """Resizes images to (``height``, ``width``) with 'bilinear' (default) or 'nearest' interpolation (half-pixel
    centres, no antialiasing, as Keras 3 on JAX); ``crop_to_aspect_ratio`` crops the centre to the target's
    aspect ratio first.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Resizing(4, 6)(T.tensor("float32", shape=(None, 8, 8, 3))).type.shape
        (None, 4, 6, 3)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"{self._owner}: expected interpolation 'bilinear' or 'nearest' (the others are not "
                             f"supported by layerkit), received {interpolation!r}")
        if pad_to_aspect_ratio or antialias:
            raise ValueError(f"{self._owner}: pad_to_aspect_ratio and antialias are not supported by layerkit")
        self.height, self.width = int(height), int(width)
        self.interpolation, self.crop_to_aspect_ratio = interpolation, bool(crop_to_aspect_ratio)
        self.fill_mode, self.fill_value = fill_mode, fill_value

    def call(self, inputs):
        inputs = T.cast(inputs, self.dtype) if inputs.dtype != self.dtype else inputs
        rows, cols = self._sizes(inputs)
        axes = self._rows_cols_axes(inputs.ndim)
        if self.crop_to_aspect_ratio:
            inputs = _aspect_crop(inputs, rows, cols, self.height, self.width, axes)
        x, back = self._as_batch_last(inputs)
        return back(resize_images(x, (self.height, self.width), self.interpolation))

    def get_config(self):
        return layer_config(self, height=self.height, width=self.width, interpolation=self.interpolation,
                            crop_to_aspect_ratio=self.crop_to_aspect_ratio, pad_to_aspect_ratio=False,
                            fill_mode=self.fill_mode, fill_value=self.fill_value, antialias=False,
                            data_format=self.data_format)


class CenterCrop(_ImageLayer):
    """The central (``height``, ``width``) part of each image; images smaller than that are cropped to the
    target's aspect ratio and resized up (bilinear), as Keras does.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> CenterCrop(4, 4)(T.tensor("float32", shape=(None, 7, 6, 3))).type.shape
        (None, 4, 4, 3)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def call(self, inputs):
        inputs = T.cast(inputs, self.dtype) if inputs.dtype != self.dtype else inputs
        rows, cols = self._sizes(inputs)
        axes = self._rows_cols_axes(inputs.ndim)
        if rows >= self.height and cols >= self.width:
            return _centre_crop(inputs, rows, cols, self.height, self.width, axes)
        x, back = self._as_batch_last(_aspect_crop(inputs, rows, cols, self.height, self.width, axes))
        return back(resize_images(x, (self.height, self.width), "bilinear"))

    def get_config(self):
        return layer_config(self, height=self.height, width=self.width, data_format=self.data_format)


# ------------------------------------------------------------------------------------------- augmentation
class _RandomLayer(_ImageLayer):
    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self._streams = RandomStreams(seed_or_fresh(seed))

    def call(self, inputs, training=None):
        inputs = T.cast(inputs, self.dtype) if inputs.dtype != self.dtype else inputs
        if training is not True:
            return inputs
        x, back = self._as_batch_last(inputs)
        return back(self._augment(x))

    def _uniform(self, x, low, high, columns=1):
        size = (T.shape(x)[0],) if columns == 1 else (T.shape(x)[0], columns)
        return self._streams.uniform(size, low=low, high=high, dtype=x.dtype)


def _symmetric_factor(factor, owner, what, bounds=(-1.0, 1.0)):
    """(lower, upper) from a number f (-> (-f, f), clipped below at ``bounds[0]``) or a pair (sorted)."""
    if isinstance(factor, (list, tuple)):
        if len(factor) != 2:
            raise ValueError(f"{owner}: expected {what} as a number or a pair, received {factor!r}")
        lower, upper = sorted(float(f) for f in factor)
    else:
        upper = abs(float(factor))
        lower = max(-upper, bounds[0])
    if lower < bounds[0] or upper > bounds[1]:
        raise ValueError(f"{owner}: expected {what} in [{bounds[0]}, {bounds[1]}], received {factor!r}")
    return lower, upper


def _check_fill(owner, fill_mode, interpolation):
    if fill_mode not in FILL_MODES[:4]:
        raise ValueError(f"{owner}: expected fill_mode in {FILL_MODES[:4]}, received {fill_mode!r}")
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"{owner}: expected interpolation 'bilinear' or 'nearest', received {interpolation!r}")


class RandomFlip(_RandomLayer):
    """While training, flips each image with probability 1/2: 'horizontal', 'vertical' or
    'horizontal_and_vertical' (both flips, decided by the same draw, as Keras 3).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> RandomFlip("horizontal", seed=0)(T.tensor("float32", shape=(None, 4, 4, 1)), training=True).type.shape
        (None, 4, 4, 1)
    """

    MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in self.MODES:
            raise ValueError(f"{self._owner}: expected mode in {self.MODES}, received {mode!r}")
        self.mode = mode

    def _augment(self, x):
        flips = T.le(self._uniform(x, 0.0, 1.0), 0.5).dimshuffle(0, "x", "x", "x")
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x = T.switch(flips, x[:, :, ::-1], x)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            x = T.switch(flips, x[:, ::-1], x)
        return x

    def get_config(self):
        return layer_config(self, mode=self.mode, seed=self.seed, data_format=self.data_format)


class _AffineLayer(_RandomLayer):
    def _init_fill(self, fill_mode, interpolation, fill_value):
        _check_fill(self._owner, fill_mode, interpolation)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, float(fill_value)

    def _sample(self, x, transforms):
        return affine_transform(x, transforms, self.interpolation, self.fill_mode, self.fill_value)

    def _fill_config(self):
        return dict(fill_mode=self.fill_mode, interpolation=self.interpolation, seed=self.seed,
                    fill_value=self.fill_value, data_format=self.data_format)


class RandomRotation(_AffineLayer):
    """While training, rotates each image by an angle drawn from ``factor`` fractions of a full turn (0.1: up to
    +-36 degrees; a pair (lower, upper)), about the image centre; 'reflect' fill by default.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> RandomRotation(0.2)(T.tensor("float32", shape=(None, 5, 5, 1)), training=True).type.shape
        (None, 5, 5, 1)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _symmetric_factor(factor, self._owner, "factor")
        self._init_fill(fill_mode, interpolation, fill_value)

    def _augment(self, x):
        rows, cols = x.type.shape[1:3]
        degrees = self._uniform(x, self.factor[0] * 360.0, self.factor[1] * 360.0)
        return self._sample(x, rotation_transform(degrees * (math.pi / 180.0), rows, cols))

    def get_config(self):
        return layer_config(self, factor=list(self.factor), **self._fill_config())


class RandomZoom(_AffineLayer):
    """While training, zooms each image by factors ``1 + u`` with ``u`` drawn from ``height_factor`` (and
    ``width_factor``; None keeps the aspect ratio): negative values zoom in, positive ones zoom out.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> RandomZoom(0.2)(T.tensor("float32", shape=(None, 5, 5, 1)), training=True).type.shape
        (None, 5, 5, 1)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = _symmetric_factor(height_factor, self._owner, "height_factor")
        self._width = None if width_factor is None else _symmetric_factor(width_factor, self._owner,
                                                                          "width_factor")
        if min(self._height[0], (self._width or (0, 0))[0]) <= -1.0:
            raise ValueError(f"{self._owner}: zoom factors must be above -1, received {height_factor!r}, "
                             f"{width_factor!r}")
        self._init_fill(fill_mode, interpolation, fill_value)

    def _augment(self, x):
        rows, cols = x.type.shape[1:3]
        height = self._uniform(x, 1.0 + self._height[0], 1.0 + self._height[1])
        width = height if self._width is None else self._uniform(x, 1.0 + self._width[0], 1.0 + self._width[1])
        return self._sample(x, zoom_transform(height, width, rows, cols))

    def get_config(self):
        return layer_config(self, height_factor=self.height_factor, width_factor=self.width_factor,
                            **self._fill_config())


class RandomTranslation(_AffineLayer):
    """While training, shifts each image by fractions of its height and width drawn from ``height_factor`` and
    ``width_factor`` (0.2: up to 20% either way); 'reflect' fill by default.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> RandomTranslation(0.1, 0.1)(T.tensor("float32", shape=(None, 5, 5, 1)), training=True).type.shape
        (None, 5, 5, 1)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = _symmetric_factor(height_factor, self._owner, "height_factor")
        self._width = _symmetric_factor(width_factor, self._owner, "width_factor")
        self._init_fill(fill_mode, interpolation, fill_value)

    def _augment(self, x):
        rows, cols = x.type.shape[1:3]
        dy = self._uniform(x, self._height[0], self._height[1]) * rows
        dx = self._uniform(x, self._width[0], self._width[1]) * cols
        return self._sample(x, translation_transform(dx, dy))

    def get_config(self):
        return layer_config(self, height_factor=self.height_factor, width_factor=self.width_factor,
                            **self._fill_config())


class RandomContrast(_RandomLayer):
    """While training, scales each image's deviation from its per-channel mean by a factor drawn from
    [1 - lower, 1 + upper] (Keras 3's reading of ``factor``), then clips to ``value_range``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> RandomContrast(0.5)(T.tensor("float32", shape=(None, 5, 5, 3)), training=True).type.shape
        (None, 5, 5, 3)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _symmetric_factor(factor, self._owner, "factor", bounds=(0.0, 1.0))
        self.value_range = tuple(float(v) for v in value_range)

    def _augment(self, x):
        factor = self._uniform(x, 1.0 - self.factor[0], 1.0 + self.factor[1]).dimshuffle(0, "x", "x", "x")
        mean = T.mean(x, axis=[1, 2], keepdims=True)
        return T.clip((x - mean) * factor + mean, self.value_range[0], self.value_range[1])

    def get_config(self):
        return layer_config(self, factor=list(self.factor), value_range=list(self.value_range), seed=self.seed,
                            data_format=self.data_format)
