"""Weight initializers: callables ``initializer(shape, dtype=None) -> numpy array`` with Keras's names and defaults.

Initial values are computed on the host with NumPy (they are data, not graph). A seeded initializer returns the same
values on every call; an unseeded one draws from this module's generator, which ``set_seed`` (called by
``layerkit.utils.set_random_seed``) re-seeds so that a whole run becomes reproducible.

Example:
    >>> from layerkit import initializers
    >>> initializers.get('glorot_uniform')((3, 4)).shape
    (3, 4)
"""
import math

import numpy as np

import layerkit_backend as lb

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
           "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
           "LecunNormal", "Orthogonal", "Identity", "compute_fans", "set_seed", "serialize", "deserialize", "get"]

_GENERATOR = np.random.default_rng()


def set_seed(seed):
    """Re-seed the generator that unseeded initializers draw from.

    Example:
        >>> set_seed(1); a = RandomNormal()((2,)); set_seed(1); bool((a == RandomNormal()((2,))).all())
        True
    """
    global _GENERATOR
    _GENERATOR = np.random.default_rng(seed)


def compute_fans(shape):
    """Keras's (fan_in, fan_out) of a weight shape; kernels of rank > 2 are channels-last
    ``(*receptive_field, in, out)``, so both fans are multiplied by the receptive field size.

    Example:
        >>> compute_fans((3, 3, 8, 16))
        (72, 144)
    """
    shape = tuple(int(d) for d in shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _dtype(dtype):
    return np.dtype(dtype or lb.config.floatX)


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None)")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    """All zeros. Example: ``Zeros()((2, 3))`` is a (2, 3) array of 0."""

    def __call__(self, shape, dtype=None):
        return np.zeros(tuple(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones. Example: ``Ones()((2,))`` is ``[1., 1.]``."""

    def __call__(self, shape, dtype=None):
        return np.ones(tuple(shape), dtype=_dtype(dtype))


class Constant(Initializer):
    """Every entry equals ``value``. Example: ``Constant(3)((2,))`` is ``[3., 3.]``."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(tuple(shape), self.value, dtype=_dtype(dtype))

    def get_config(self):
        value = self.value
        return {"value": value.tolist() if isinstance(value, np.ndarray) else value}


class _Random(Initializer):
    """An initializer with a ``seed``: a fixed seed gives the same values on every call."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise TypeError(f"{type(self).__name__}: expected seed to be an int or None, received {seed!r}")
        self.seed = seed

    def _rng(self):
        return _GENERATOR if self.seed is None else np.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(rng, shape, mean, stddev):
    """Normal samples redrawn until they lie within two standard deviations of the mean (as TensorFlow does)."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return mean + stddev * out


class RandomNormal(_Random):
    """Normal(mean, stddev) values. Example: ``RandomNormal(stddev=1., seed=0)((3, 2)).shape == (3, 2)``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return self._rng().normal(self.mean, self.stddev, tuple(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(_Random):
    """Uniform values in [minval, maxval). Example: ``RandomUniform(0, 1, seed=0)((4,)).min() >= 0``."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return self._rng().uniform(self.minval, self.maxval, tuple(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class TruncatedNormal(_Random):
    """Normal(mean, stddev) values cut at two standard deviations.

    Example:
        >>> bool((abs(TruncatedNormal(stddev=1., seed=0)((100,))) <= 2).all())
        True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return _truncated_normal(self._rng(), tuple(shape), self.mean, self.stddev).astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


# the standard deviation of a unit normal truncated at +-2: dividing by it gives the truncated draw variance 1
_TRUNCATED_STD = 0.87962566103423978
_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform", "normal")


class VarianceScaling(_Random):
    """Values with variance ``scale / n``, n being fan_in, fan_out or their mean (``mode``).

    Example:
        >>> VarianceScaling(scale=2., mode='fan_in', distribution='uniform', seed=0)((3, 3, 4, 8)).shape
        (3, 3, 4, 8)
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"{type(self).__name__}: expected scale > 0, received {scale!r}")
        if mode not in _MODES:
            raise ValueError(f"{type(self).__name__}: expected mode in {_MODES}, received {mode!r}")
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"{type(self).__name__}: expected distribution in {_DISTRIBUTIONS}, "
                             f"received {distribution!r}")
        self.scale, self.mode = scale, mode
        # Keras 2's 'normal' means truncated normal
        self.distribution = "truncated_normal" if distribution == "normal" else distribution

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            values = _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / _TRUNCATED_STD)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(_dtype(dtype))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, **super().get_config()}


def _preset(name, scale, mode, distribution, doc):
    """A VarianceScaling subclass with fixed arguments whose config is only ``seed`` (as Keras writes it)."""

    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc,
                                           "__module__": __name__})


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform",
                        "Uniform in +-sqrt(6 / (fan_in + fan_out)). Example: ``GlorotUniform(seed=0)((3, 4))``.")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                       "Truncated normal, std sqrt(2 / (fan_in + fan_out)). Example: ``GlorotNormal()((3, 4))``.")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform",
                    "Uniform in +-sqrt(6 / fan_in). Example: ``HeUniform(seed=0)((3, 4))``.")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal",
                   "Truncated normal, std sqrt(2 / fan_in). Example: ``HeNormal(seed=0)((3, 4))``.")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform",
                       "Uniform in +-sqrt(3 / fan_in). Example: ``LecunUniform(seed=0)((3, 4))``.")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal",
                      "Truncated normal, std sqrt(1 / fan_in). Example: ``LecunNormal(seed=0)((3, 4))``.")


class Orthogonal(_Random):
    """An orthogonal matrix (rows or columns orthonormal) times ``gain``, reshaped to ``shape``.

    Example:
        >>> q = Orthogonal(seed=0)((4, 4), dtype='float64'); bool(np.allclose(q @ q.T, np.eye(4)))
        True
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: expected a shape of rank >= 2, received {shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))  # makes the decomposition unique, so q is uniformly distributed
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


class Identity(Initializer):
    """``gain`` times the identity matrix (2D shapes only). Example: ``Identity()((2, 3))`` is ``eye(2, 3)``."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity: expected a 2D shape, received {shape}")
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


_CLASSES = [Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling, GlorotUniform,
            GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal, Identity]
# snake_case names of Keras 3, then Keras 2's short names
_NAMES = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
          "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
          "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_uniform": HeUniform,
          "he_normal": HeNormal, "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
          "orthogonal": Orthogonal, "identity": Identity, "zero": Zeros, "one": Ones, "normal": RandomNormal,
          "uniform": RandomUniform}


def lookup_class(name, module_classes, custom_objects, kind):
    """The class called ``name``: from ``custom_objects``, then the global registry of
    ``register_keras_serializable``, then ``module_classes`` (a dict name -> class); ValueError otherwise.

    Shared by every layerkit module with a ``deserialize`` (initializers, regularizers, constraints, optimizers).
    """
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    try:  # the registry lives with the Layer base; imported late because layers import this module
        from layerkit.layers.base import get_registered_object
    except ImportError:
        get_registered_object = None
    if get_registered_object is not None:
        found = get_registered_object(name)
        if found is not None:
            return found
    if name in module_classes:
        return module_classes[name]
    raise ValueError(f"Unknown {kind} {name!r}; known names: {sorted(module_classes)} "
                     f"(pass custom classes with custom_objects= or register_keras_serializable)")


def deserialize_object(identifier, module_classes, custom_objects, kind, base_class):
    """``identifier`` (a name, a ``{"class_name", "config"}`` dict or an instance) as an instance of a class."""
    if isinstance(identifier, base_class):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, base_class):
        return identifier()
    if isinstance(identifier, str):
        return lookup_class(identifier, module_classes, custom_objects, kind)()
    if isinstance(identifier, dict):
        if "class_name" not in identifier:
            raise ValueError(f"Cannot deserialize {kind}: expected a dict with 'class_name' and 'config', "
                             f"received keys {sorted(identifier)}")
        cls = lookup_class(identifier["class_name"], module_classes, custom_objects, kind)
        return cls.from_config(dict(identifier.get("config") or {}))
    raise TypeError(f"Cannot interpret {identifier!r} as a {kind}: expected a name, a config dict or "
                    f"an instance of {base_class.__name__}")


def get_object(identifier, deserialize, kind, base_class):
    """Keras's ``get``: None and plain callables pass through; names, dicts, classes and instances of
    ``base_class`` go to ``deserialize``."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict, type, base_class)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Cannot interpret {identifier!r} as a {kind}: expected a name, a config dict, "
                    f"a {base_class.__name__} or a callable")


def serialize(initializer):
    """``{"class_name": ..., "config": ...}`` of an initializer.

    Example:
        >>> serialize(GlorotUniform(seed=1))
        {'class_name': 'GlorotUniform', 'config': {'seed': 1}}
    """
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def deserialize(config, custom_objects=None):
    """An initializer from a name ('glorot_uniform'), a serialized dict or an instance.

    Example:
        >>> type(deserialize({'class_name': 'Orthogonal', 'config': {'gain': 1.0, 'seed': None}})).__name__
        'Orthogonal'
    """
    classes = {**_NAMES, **{cls.__name__: cls for cls in _CLASSES}}
    return deserialize_object(config, classes, custom_objects, "initializer", Initializer)


def get(identifier):
    """Like ``deserialize`` but None passes through and plain callables are returned as they are.

    Example:
        >>> get(None) is None, type(get('zeros')).__name__
        (True, 'Zeros')
    """
    return get_object(identifier, deserialize, "initializer", Initializer)
