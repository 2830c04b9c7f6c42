"""``BatchNormalization`` (batch statistics while training, moving averages otherwise), ``LayerNormalization``
(per-sample statistics), ``GroupNormalization`` (per sample and group of channels) and ``UnitNormalization``
(unit L2 norm).

Example:
    >>> import layerkit_backend.tensor as T
    >>> bn = BatchNormalization()
    >>> bn(T.tensor("float32", shape=(None, 4))).type.shape, [w.name.split("/")[-1] for w in bn.weights]
    ((None, 4), ['gamma', 'beta', 'moving_mean', 'moving_variance'])
"""
import layerkit_backend.tensor as T

from .. import constraints, initializers, regularizers
from .base import InputSpec, Layer
from .core import drop_keras3_keys, layer_config, ser

__all__ = ["BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization"]


def _axes(axis, ndim, owner, shape):
    axes = sorted({int(a) % ndim for a in (axis if isinstance(axis, (list, tuple)) else [axis])}) if ndim else []
    for a in (axis if isinstance(axis, (list, tuple)) else [axis]):
        if not -ndim <= int(a) < ndim:
            raise ValueError(f"{owner}: axis {a} is out of range for input shape {tuple(shape)}")
    return axes


def _param_shape(shape, axes, owner):
    sizes = tuple(shape[a] for a in axes)
    if any(s is None for s in sizes):
        raise ValueError(f"{owner}: the normalised axes {axes} must have known sizes, received shape {tuple(shape)}")
    return sizes


def _broadcast(param, axes, ndim):
    """(sizes of axes) -> a tensor broadcastable against the ndim-dimensional input."""
    pattern = ["x"] * ndim
    for i, a in enumerate(axes):
        pattern[a] = i
    return param.dimshuffle(*pattern)


class _Normalization(Layer):
    """Shared arguments and the scale/shift weights of both normalisations."""

    def _init_params(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                     gamma_regularizer, beta_constraint, gamma_constraint):
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self._owner = f"{type(self).__name__} '{self.name}'"

    def _build_params(self, input_shape):
        self._ndim = len(input_shape)
        self._axes = _axes(self.axis, self._ndim, self._owner, input_shape)
        shape = _param_shape(input_shape, self._axes, self._owner)
        self.gamma = self.add_weight("gamma", shape, self.gamma_initializer, self.gamma_regularizer,
                                     self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight("beta", shape, self.beta_initializer, self.beta_regularizer,
                                    self.beta_constraint) if self.center else None
        self.input_spec = InputSpec(ndim=self._ndim, axes={a: input_shape[a] for a in self._axes})
        return shape

    def _affine(self, normalized):
        if self.gamma is not None:
            normalized = normalized * _broadcast(self.gamma, self._axes, self._ndim)
        if self.beta is not None:
            normalized = normalized + _broadcast(self.beta, self._axes, self._ndim)
        return normalized

    def _param_config(self):
        return dict(axis=self.axis, epsilon=self.epsilon, center=self.center, scale=self.scale,
                    beta_initializer=initializers.serialize(self.beta_initializer),
                    gamma_initializer=initializers.serialize(self.gamma_initializer),
                    beta_regularizer=ser(regularizers, self.beta_regularizer),
                    gamma_regularizer=ser(regularizers, self.gamma_regularizer),
                    beta_constraint=ser(constraints, self.beta_constraint),
                    gamma_constraint=ser(constraints, self.gamma_constraint))


class BatchNormalization(_Normalization):
    """Normalises each feature along ``axis`` (default -1, the channels).

    ``training=True`` on a trainable layer: batch mean and (biased) variance, and adds the moving-average updates
    ``moving = moving * momentum + batch * (1 - momentum)`` with ``add_update``. Otherwise, and always when the
    layer is frozen (``trainable=False``, also through a frozen model, as for fine-tuning): the moving statistics,
    which then never change (Keras 3's rule).
    Weights in Keras's order: gamma, beta, moving_mean, moving_variance (the last two non-trainable).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> BatchNormalization(axis=1)(T.tensor("float32", shape=(None, 3, 5, 5)), training=True).type.shape
        (None, 3, 5, 5)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        kwargs = drop_keras3_keys(kwargs, "BatchNormalization")
        for key, default in (("renorm", False), ("fused", None), ("virtual_batch_size", None),
                             ("adjustment", None)):
            if kwargs.pop(key, default) not in (default, False, None):
                raise ValueError(f"BatchNormalization: {key} is not supported by layerkit")
        for key in ("renorm_clipping", "renorm_momentum"):
            kwargs.pop(key, None)
        super().__init__(**kwargs)
        self._init_params(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                          gamma_regularizer, beta_constraint, gamma_constraint)
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        shape = self._build_params(input_shape)
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape, self.moving_variance_initializer,
                                               trainable=False)
        self.built = True

    def call(self, inputs, training=None):
        reduce_axes = [a for a in range(inputs.ndim) if a not in self._axes]
        if training is True and self.trainable:
            mean = T.mean(inputs, axis=reduce_axes)
            variance = T.mean(T.sqr(inputs - T.mean(inputs, axis=reduce_axes, keepdims=True)), axis=reduce_axes)
            m = self.momentum
            self.add_update([(self.moving_mean, self.moving_mean * m + mean * (1.0 - m)),
                             (self.moving_variance, self.moving_variance * m + variance * (1.0 - m))])
        else:
            mean, variance = self.moving_mean, self.moving_variance
        mean = _broadcast(mean, self._axes, inputs.ndim)
        variance = _broadcast(variance, self._axes, inputs.ndim)
        return self._affine((inputs - mean) / T.sqrt(variance + self.epsilon))

    def get_config(self):
        config = layer_config(self, **self._param_config())
        config.update(momentum=self.momentum,
                      moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
                      moving_variance_initializer=initializers.serialize(self.moving_variance_initializer))
        return config


class LayerNormalization(_Normalization):
    """Normalises each sample over ``axis`` (default -1) with its own mean and variance, then scales/shifts.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> LayerNormalization()(T.tensor("float32", shape=(None, 7, 4))).type.shape
        (None, 7, 4)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        kwargs = drop_keras3_keys(kwargs, "LayerNormalization")
        if kwargs.pop("rms_scaling", False):
            raise ValueError("LayerNormalization: rms_scaling=True is not supported by layerkit")
        super().__init__(**kwargs)
        self._init_params(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                          gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape):
        self._build_params(input_shape)
        self.built = True

    def call(self, inputs):
        mean = T.mean(inputs, axis=self._axes, keepdims=True)
        variance = T.mean(T.sqr(inputs - mean), axis=self._axes, keepdims=True)
        return self._affine((inputs - mean) / T.sqrt(variance + self.epsilon))

    def get_config(self):
        return layer_config(self, **self._param_config())


class GroupNormalization(_Normalization):
    """Normalises each sample over groups of ``groups`` channels (``axis``) and all other non-batch axes, then
    scales and shifts per channel (Wu & He, 2018).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> GroupNormalization(groups=2)(T.tensor("float32", shape=(None, 5, 4))).type.shape
        (None, 5, 4)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "GroupNormalization"))
        self._init_params(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                          gamma_regularizer, beta_constraint, gamma_constraint)
        if isinstance(self.axis, list):
            raise ValueError(f"{self._owner}: expected one channel axis, received axis={axis!r}")
        self.groups = int(groups)

    def build(self, input_shape):
        channels = input_shape[self.axis]
        if channels is None or channels % self.groups or self.groups > channels or self.groups <= 0:
            raise ValueError(f"{self._owner}: the {channels} channels of axis {self.axis} must be known and a "
                             f"multiple of groups={self.groups}; input shape {tuple(input_shape)}")
        self._build_params(input_shape)
        self.built = True

    def call(self, inputs):
        axis = self._axes[0]
        shape = T.shape_tuple(inputs)
        channels = inputs.type.shape[axis]
        grouped_shape = tuple(shape[:axis]) + (self.groups, channels // self.groups) + tuple(shape[axis + 1:])
        grouped = T.reshape(inputs, grouped_shape, ndim=inputs.ndim + 1)
        reduce_axes = [a for a in range(1, grouped.ndim) if a != axis]
        mean = T.mean(grouped, axis=reduce_axes, keepdims=True)
        variance = T.mean(T.sqr(grouped - mean), axis=reduce_axes, keepdims=True)
        normalized = T.reshape((grouped - mean) / T.sqrt(variance + self.epsilon), shape, ndim=inputs.ndim)
        return self._affine(normalized)

    def get_config(self):
        config = layer_config(self, groups=self.groups)
        config.update(self._param_config())
        return config


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``: ``x / max(||x||, 1e-12)`` (Keras's rsqrt form).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> UnitNormalization()(T.tensor("float32", shape=(None, 3))).type.shape
        (None, 3)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "UnitNormalization"))
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.supports_masking = True

    def call(self, inputs):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        axes = _axes(axes, inputs.ndim, f"UnitNormalization '{self.name}'", inputs.type.shape)
        square_sum = T.sum(T.sqr(inputs), axis=axes, keepdims=True)
        return inputs * T.minimum(1.0 / T.sqrt(square_sum), 1e12)

    def get_config(self):
        return layer_config(self, axis=self.axis)
