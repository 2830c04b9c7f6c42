"""Core layers: ``Dense``, ``Activation``, ``Dropout``, ``Flatten``, ``Reshape``, ``Permute``, ``RepeatVector``,
``Lambda``, ``Masking`` and ``Identity``, with Keras's arguments, weights and configs.

Example:
    >>> import layerkit_backend.tensor as T
    >>> x = T.tensor("float32", shape=(None, 4, 3), name="x")
    >>> Dense(5)(x).type.shape
    (None, 4, 5)
"""
import importlib
import inspect

import numpy as np

import layerkit_backend.tensor as T
from layerkit_backend.tensor.shared_randomstreams import RandomStreams

from .. import activations, constraints, initializers, regularizers
from ..backend import inverted_dropout
from ..safe_mode import in_safe_mode
from .base import InputSpec, Layer, get_registered_object

__all__ = ["Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector", "Lambda", "Masking",
           "Identity", "ActivityRegularization"]


# ------------------------------------------------------------------------------------------- shared helpers
def layer_config(layer, **keys):
    """The base keys (name, trainable, dtype, batch_input_shape) followed by a layer's own Keras keys."""
    config = {"name": layer.name, "trainable": layer.trainable, "dtype": layer.dtype}
    if layer.batch_input_shape is not None:
        config["batch_input_shape"] = list(layer.batch_input_shape)
    config.update(keys)
    return config


def drop_keras3_keys(kwargs, owner):
    """Removes the keys Keras 3 writes that layerkit has no use for; refuses those that ask for a feature."""
    for key in ("lora_rank", "lora_alpha"):
        if kwargs.pop(key, None):
            raise ValueError(f"{owner}: {key} (LoRA) is not supported by layerkit")
    for key in ("synchronized", "autocast"):
        kwargs.pop(key, None)
    return kwargs


def ser(module, value):
    """``module.serialize(value)`` that keeps None as None (Keras writes null for absent regularizers)."""
    return None if value is None else module.serialize(value)


def set_kernel_bias_options(layer, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                            kernel_constraint, bias_constraint):
    """Sets a kernel-and-bias layer's six Keras options (``kernel_initializer``... ``bias_constraint``)."""
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)
    layer.kernel_constraint = constraints.get(kernel_constraint)
    layer.bias_constraint = constraints.get(bias_constraint)


def add_kernel_bias(layer, kernel_shape, bias_shape, prefix=""):
    """(kernel, bias) weights made with the layer's options; the bias is None unless ``layer.use_bias``."""
    kernel = layer.add_weight(f"{prefix}kernel", kernel_shape, layer.kernel_initializer, layer.kernel_regularizer,
                              layer.kernel_constraint)
    bias = layer.add_weight(f"{prefix}bias", bias_shape, layer.bias_initializer, layer.bias_regularizer,
                            layer.bias_constraint) if layer.use_bias else None
    return kernel, bias


def kernel_bias_config(layer):
    """The config keys of ``set_kernel_bias_options`` and the activity regularizer, in Keras's order."""
    return dict(kernel_initializer=initializers.serialize(layer.kernel_initializer),
                bias_initializer=initializers.serialize(layer.bias_initializer),
                kernel_regularizer=ser(regularizers, layer.kernel_regularizer),
                bias_regularizer=ser(regularizers, layer.bias_regularizer),
                activity_regularizer=ser(regularizers, layer.activity_regularizer),
                kernel_constraint=ser(constraints, layer.kernel_constraint),
                bias_constraint=ser(constraints, layer.bias_constraint))


def seed_or_fresh(seed):
    """An int seed for a layer's ``RandomStreams``: the user's, or one drawn from NumPy's global generator
    (so ``layerkit.utils.set_random_seed`` makes runs reproducible)."""
    return int(seed) if seed is not None else int(np.random.randint(0, 2 ** 31 - 1))


def static_size(shape):
    """The product of ``shape``, or None when a size is unknown."""
    return None if any(s is None for s in shape) else int(np.prod(shape, dtype=np.int64))


def function_reference(function, owner, what):
    """'module:qualname' of a named module-level function; refuses lambdas, closures and nested functions."""
    if function is None or isinstance(function, str):
        return function
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    if module is None or "<" in qualname or getattr(function, "__closure__", None):
        raise ValueError(f"{owner}: cannot save {what} {function!r}: only named module-level functions are saved "
                         f"(as an importable 'module:qualname' reference); layerkit never stores bytecode. Define "
                         f"the function with `def` at module level, or pass it in custom_objects when loading")
    try:
        found = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        found = None
    if found is not function:
        raise ValueError(f"{owner}: cannot save {what} {qualname!r}: it is not importable as {module}:{qualname}")
    return f"{module}:{qualname}"


def _names_a_function(value):
    """True for a saved reference to a function (a name or a function/bytecode dict), not a shape or tensor."""
    return isinstance(value, str) or isinstance(value, dict) or (
        isinstance(value, (list, tuple)) and len(value) == 3 and isinstance(value[0], str))


def _stored_bytecode(reference):
    """True for Keras's ways of storing a function as bytecode: a list (Keras 2) or a ``__lambda__`` dict."""
    return isinstance(reference, (list, tuple)) or (isinstance(reference, dict)
                                                   and reference.get("class_name") == "__lambda__")


def resolve_function(reference, custom_objects, owner, what):
    """The function a saved config names: ``'module:qualname'``, a custom object's name, or Keras 3's
    ``{"class_name": "function", "config": name, "module": ...}``.

    Names resolve from ``custom_objects`` and registered objects. A module is imported only outside safe mode
    (``safe_mode=False`` / ``enable_unsafe_deserialization``); stored bytecode is refused in every mode.
    """
    if reference is None or callable(reference):
        return reference
    if _stored_bytecode(reference):
        raise ValueError(f"{owner}: the file stores the {what} as Python bytecode; layerkit never executes code "
                         f"from a file (not even with safe_mode=False). Pass the function in custom_objects")
    if isinstance(reference, dict) and reference.get("class_name") == "function":
        module, name = reference.get("module"), reference.get("config")
        reference = f"{module}:{name}" if module and module != "builtins" else name
    if not isinstance(reference, str):
        raise ValueError(f"{owner}: expected the {what} as a name or 'module:qualname' string, received "
                         f"{type(reference).__name__} {reference!r}")
    name = reference.split(":")[-1]
    found = get_registered_object(reference, custom_objects) or get_registered_object(name, custom_objects)
    if found is not None:
        return found
    if ":" not in reference:
        raise ValueError(f"{owner}: unknown {what} {reference!r}; pass it in custom_objects")
    if in_safe_mode():
        raise ValueError(f"{owner}: the {what} {reference!r} is not in custom_objects or registered, and safe "
                         f"mode forbids importing what a file names (a hostile file could name any function). "
                         f"Pass it in custom_objects={{{name!r}: {name}}}, or load with safe_mode=False if you "
                         f"trust the file")
    module, qualname = reference.split(":", 1)
    try:
        found = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"{owner}: cannot find {what} {reference!r} ({err}); import the module that defines it "
                         f"or pass the function in custom_objects") from None
    if not callable(found):
        raise ValueError(f"{owner}: {what} {reference!r} is a {type(found).__name__}, not a function")
    return found


# ------------------------------------------------------------------------------------------- Dense
class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` on the last axis; kernel (input_dim, units) as Keras's.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Dense(2)(T.tensor("float32", shape=(None, 3))).type.shape
        (None, 2)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **drop_keras3_keys(kwargs, "Dense"))
        if int(units) <= 0:
            raise ValueError(f"Dense '{self.name}': expected a positive number of units, received {units}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        set_kernel_bias_options(self, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                                kernel_constraint, bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        last = input_shape[-1]
        if last is None:
            raise ValueError(f"Dense '{self.name}': the last dimension of the input must be known, received shape "
                             f"{tuple(input_shape)}")
        self.kernel, self.bias = add_kernel_bias(self, (last, self.units), (self.units,))
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last})
        self.built = True

    def call(self, inputs):
        if inputs.ndim == 2:
            out = T.dot(inputs, self.kernel)
        else:   # one matrix product on (samples * steps..., features)
            flat = T.dot(T.reshape(inputs, (-1, inputs.type.shape[-1]), ndim=2), self.kernel)
            out = T.reshape(flat, tuple(T.shape_tuple(inputs)[:-1]) + (self.units,), ndim=inputs.ndim)
        if self.use_bias:
            out = out + self.bias
        return self.activation(out)

    def get_config(self):
        return layer_config(self, units=self.units, activation=activations.serialize(self.activation),
                            use_bias=self.use_bias, **kernel_bias_config(self))


class Activation(Layer):
    """Applies an activation function by name or callable.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Activation("relu")(T.tensor("float32", shape=(None, 3))).type.shape
        (None, 3)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "Activation"))
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return layer_config(self, activation=activations.serialize(self.activation))


class Dropout(Layer):
    """Inverted dropout of ``rate`` while ``training`` is True; the identity otherwise.

    ``noise_shape`` (None entries take the input's size) shares one draw along axes of size 1.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Dropout(0.5, seed=1)(T.tensor("float32", shape=(None, 3)), training=True).type.shape
        (None, 3)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "Dropout"))
        if not 0 <= float(rate) < 1:
            raise ValueError(f"Dropout '{self.name}': expected a rate in [0, 1), received {rate}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._streams = RandomStreams(seed_or_fresh(seed))
        self.supports_masking = True

    def call(self, inputs, training=None):
        if training is not True:
            return inputs
        return inverted_dropout(inputs, self.rate, self._streams, self.noise_shape, f"Dropout '{self.name}'")

    def get_config(self):
        return layer_config(self, rate=self.rate,
                            noise_shape=None if self.noise_shape is None else list(self.noise_shape), seed=self.seed)


class Flatten(Layer):
    """Flattens every axis but the batch axis (channels-first inputs are moved to channels-last first, as Keras).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Flatten()(T.tensor("float32", shape=(None, 2, 3))).type.shape
        (None, 6)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "Flatten"))
        self.data_format = data_format or "channels_last"
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.dimshuffle(0, *range(2, inputs.ndim), 1)
        if inputs.ndim == 1:
            return inputs.dimshuffle(0, "x")
        size = static_size(inputs.type.shape[1:])
        out = T.flatten(inputs, 2)
        return out if size is None else T.specify_shape(out, (inputs.type.shape[0], size))

    def get_config(self):
        return layer_config(self, data_format=self.data_format)


class Reshape(Layer):
    """Reshapes to ``(batch,) + target_shape``; one entry may be -1.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Reshape((-1, 2))(T.tensor("float32", shape=(None, 6))).type.shape
        (None, 3, 2)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "Reshape"))
        self.target_shape = tuple(int(s) for s in target_shape)
        if sum(s == -1 for s in self.target_shape) > 1 or any(s == 0 or s < -1 for s in self.target_shape):
            raise ValueError(f"Reshape '{self.name}': expected positive sizes and at most one -1, received "
                             f"{self.target_shape}")

    def _resolved(self, input_shape):
        size = static_size(input_shape[1:])
        known = int(np.prod([s for s in self.target_shape if s != -1], dtype=np.int64))
        if -1 not in self.target_shape:
            if size is not None and size != known:
                raise ValueError(f"Reshape '{self.name}': cannot reshape input of shape {tuple(input_shape)} "
                                 f"({size} values per sample) to {self.target_shape} ({known} values)")
            return self.target_shape
        if size is None:
            return self.target_shape
        if size % known:
            raise ValueError(f"Reshape '{self.name}': cannot reshape input of shape {tuple(input_shape)} to "
                             f"{self.target_shape}: {size} is not a multiple of {known}")
        return tuple(size // known if s == -1 else s for s in self.target_shape)

    def call(self, inputs):
        target = self._resolved(inputs.type.shape)
        return T.reshape(inputs, (inputs.shape[0],) + target, ndim=len(target) + 1)

    def get_config(self):
        return layer_config(self, target_shape=list(self.target_shape))


class Permute(Layer):
    """Permutes the non-batch axes; ``dims`` counts from 1 as Keras's (``(2, 1)`` swaps the two axes).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Permute((2, 1))(T.tensor("float32", shape=(None, 2, 3))).type.shape
        (None, 3, 2)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "Permute"))
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute '{self.name}': dims must be a permutation of 1..{len(self.dims)}, received "
                             f"{self.dims}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return inputs.dimshuffle(0, *self.dims)

    def get_config(self):
        return layer_config(self, dims=list(self.dims))


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> RepeatVector(3)(T.tensor("float32", shape=(None, 2))).type.shape
        (None, 3, 2)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "RepeatVector"))
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return T.repeat(inputs.dimshuffle(0, "x", 1), self.n, axis=1)

    def get_config(self):
        return layer_config(self, n=self.n)


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` as a layer.

    Saving stores a named module-level function as an importable ``'module:qualname'`` reference; lambdas and
    closures are refused when the config is written (no bytecode is ever stored or loaded).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Lambda(T.sqr)(T.tensor("float32", shape=(None, 2))).type.shape
        (None, 2)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        for key in ("function_type", "module", "output_shape_type", "output_shape_module"):
            kwargs.pop(key, None)
        custom_objects = kwargs.pop("custom_objects", None)
        super().__init__(**drop_keras3_keys(kwargs, "Lambda"))
        owner = f"Lambda '{self.name}'"
        self.function = resolve_function(function, custom_objects, owner, "function")
        self.output_shape_spec = (resolve_function(output_shape, custom_objects, owner, "output_shape")
                                  if _names_a_function(output_shape) else output_shape)
        self.mask = resolve_function(mask, custom_objects, owner, "mask") if _names_a_function(mask) else mask
        self.arguments = dict(arguments or {})
        self.supports_masking = mask is not None

    def call(self, inputs, mask=None):
        arguments = dict(self.arguments)
        try:
            if "mask" in inspect.signature(self.function).parameters:
                arguments["mask"] = mask
        except (TypeError, ValueError):
            pass
        return self.function(inputs, **arguments)

    def compute_output_shape(self, input_shape):
        spec = self.output_shape_spec
        if spec is None:
            return super().compute_output_shape(input_shape)
        if callable(spec):
            return tuple(spec(input_shape))
        first = input_shape[0] if isinstance(input_shape, list) else input_shape
        return (first[0],) + tuple(spec)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        owner = f"Lambda '{self.name}'"
        spec = self.output_shape_spec
        if callable(spec):
            shape, shape_type = function_reference(spec, owner, "output_shape function"), "function"
        else:
            shape, shape_type = (None if spec is None else list(spec)), "raw"
        mask = self.mask
        if callable(mask):
            mask = function_reference(mask, owner, "mask function")
        elif mask is not None:
            raise ValueError(f"{owner}: cannot save a tensor mask; give a mask function instead")
        reference = function_reference(self.function, owner, "function")
        return layer_config(self, function=reference, function_type="function", module=reference.split(":")[0],
                            output_shape=shape, output_shape_type=shape_type, output_shape_module=None,
                            arguments=self.arguments, mask=mask)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "lambda" in (config.get("function_type"), config.get("output_shape_type")):
            raise ValueError(f"Lambda '{config.get('name')}': the file stores the function as Python bytecode "
                             f"(Keras's lambda format); layerkit never executes code from a file. Rebuild the "
                             f"layer in code, or pass the function in custom_objects under the layer's function "
                             f"name")
        return cls(custom_objects=custom_objects, **config)


class Masking(Layer):
    """Masks time steps whose features all equal ``mask_value``; the output zeroes those steps.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Masking()(T.tensor("float32", shape=(None, 5, 2)))._keras_mask.type.shape
        (None, 5)
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "Masking"))
        self.mask_value = mask_value
        self.supports_masking = True

    def _keep(self, inputs):
        return T.any(T.neq(inputs, self.mask_value), axis=-1, keepdims=True)

    def call(self, inputs):
        return inputs * T.cast(self._keep(inputs), inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return T.any(T.neq(inputs, self.mask_value), axis=-1)

    def get_config(self):
        return layer_config(self, mask_value=self.mask_value)


class Identity(Layer):
    """Returns its input unchanged (passes the mask through)."""

    def __init__(self, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "Identity"))
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def get_config(self):
        return layer_config(self)


class ActivityRegularization(Layer):
    """The identity, adding ``l1 * sum(|x|) + l2 * sum(x**2)`` of its input (per sample of the batch) to the
    training loss, as Keras's layer of the same name.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> ActivityRegularization(l2=0.01)(T.tensor("float32", shape=(None, 3))).type.shape
        (None, 3)
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        from ..regularizers import L1L2
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=L1L2(l1=float(l1), l2=float(l2)),
                         **drop_keras3_keys(kwargs, "ActivityRegularization"))
        self.l1, self.l2 = float(l1), float(l2)
        self.supports_masking = True

    def get_config(self):
        return layer_config(self, l1=self.l1, l2=self.l2)
