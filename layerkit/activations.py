"""Activation functions with Keras's names, over the backend's stable nnet ops.

Each function maps a tensor to a tensor of the same shape. ``get('relu')`` returns the function; ``serialize``
writes its name, the form Keras stores in model configs (``"activation": "relu"``).

Example:
    >>> import layerkit_backend.tensor as T
    >>> from layerkit import activations
    >>> x = T.vector('x')
    >>> activations.get('relu')(x).type.shape
    (None,)
"""
import layerkit_backend.tensor as T
from layerkit_backend.tensor import nnet

from .layers.base import get_registered_object

__all__ = ["linear", "relu", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "tanh", "softmax", "log_softmax", "softplus", "softsign",
           "elu", "selu", "gelu", "swish", "silu", "exponential", "leaky_relu", "relu6", "mish", "serialize",
           "deserialize", "get"]


def linear(x):
    """The identity (Keras's default activation).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.vector('x'); linear(x) is x
        True
    """
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0, alpha=None):
    """Rectified linear unit with Keras's options.

    ``max_value`` where ``x >= max_value``; ``x`` where ``threshold <= x < max_value``; otherwise
    ``negative_slope * (x - threshold)``. ``alpha`` is Keras 2's name for ``negative_slope``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> relu(x, negative_slope=0.1, max_value=2.0).eval({x: [-1.0, 1.0, 5.0]}).tolist()
        [-0.1, 1.0, 2.0]
    """
    slope = negative_slope if alpha is None else alpha
    x = T.as_tensor_variable(x)
    if threshold == 0 and max_value is None:
        return _leaky(x, slope)
    negative = 0.0 if slope == 0 else (x - threshold) * slope
    out = T.switch(T.ge(x, threshold), x, negative)
    if max_value is not None:
        out = T.switch(T.ge(x, max_value), T.cast(max_value, x.dtype), out)
    return out


def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x >= 0``, else ``negative_slope * x`` (Keras 3's default slope 0.2).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> leaky_relu(x).eval({x: [-1.0, 2.0]}).tolist()
        [-0.2, 2.0]
    """
    return _leaky(T.as_tensor_variable(x), negative_slope)


def _leaky(x, slope):
    # Keras's relu: gradient 0 at x == 0 (the backend's nnet.relu follows Theano, whose gradient there is 0.5)
    return T.relu(x) if slope == 0 else T.switch(T.gt(x, 0), x, x * slope)


def relu6(x):
    """``min(max(x, 0), 6)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> relu6(x).eval({x: [-1.0, 3.0, 9.0]}).tolist()
        [0.0, 3.0, 6.0]
    """
    return relu(x, max_value=6.0)


def sigmoid(x):
    """The logistic function; overflow-free (see ``layerkit_backend.tensor.nnet.sigmoid``).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> sigmoid(x).eval({x: [0.0]}).tolist()
        [0.5]
    """
    return nnet.sigmoid(x)


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid ``relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1)`` (Keras 2 used
    ``clip(0.2 * x + 0.5, 0, 1)``; Theano's ``nnet.hard_sigmoid`` still does).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> hard_sigmoid(x).eval({x: [-5.0, 0.0, 1.5]}).tolist()
        [0.0, 0.5, 0.75]
    """
    x = T.as_tensor_variable(x)
    return T.clip(x / 6.0 + 0.5, 0.0, 1.0)


def hard_silu(x):
    """``x * hard_sigmoid(x)`` (Keras 3's ``hard_silu``, also called ``hard_swish``).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> hard_silu(x).eval({x: [-4.0, 0.0, 3.0]}).tolist()
        [-0.0, 0.0, 3.0]
    """
    x = T.as_tensor_variable(x)
    return x * hard_sigmoid(x)


def tanh(x):
    """Hyperbolic tangent.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> tanh(x).eval({x: [0.0]}).tolist()
        [0.0]
    """
    return T.tanh(x)


def softmax(x, axis=-1):
    """Softmax along ``axis`` (stable; a following crossentropy is fused with it by the losses).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dmatrix('x')
        >>> softmax(x).eval({x: [[0.0, 0.0]]}).tolist()
        [[0.5, 0.5]]
    """
    x = T.as_tensor_variable(x)
    if x.ndim < 1:
        raise ValueError(f"softmax: expected a tensor with at least one dimension, received {x.type}")
    return nnet.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` computed as ``x - logsumexp(x)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> log_softmax(x).eval({x: [1000.0, 0.0]}).tolist()
        [0.0, -1000.0]
    """
    return nnet.log_softmax(x, axis=axis)


def softplus(x):
    """``log(1 + exp(x))`` without overflow.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> softplus(x).eval({x: [1000.0]}).tolist()
        [1000.0]
    """
    return nnet.softplus(x)


def softsign(x):
    """``x / (1 + |x|)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> softsign(x).eval({x: [1.0]}).tolist()
        [0.5]
    """
    return nnet.softsign(x)


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> elu(x).eval({x: [-1000.0, 2.0]}).tolist()
        [-1.0, 2.0]
    """
    return nnet.elu(x, alpha)


def selu(x):
    """Scaled ELU with the self-normalising constants.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> selu(x).eval({x: [0.0]}).tolist()
        [0.0]
    """
    return nnet.selu(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit (exact erf form, or the tanh form when ``approximate``).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> gelu(x).eval({x: [1.0]}).round(4).tolist()
        [0.8413]
    """
    return nnet.gelu(x, approximate)


def swish(x):
    """``x * sigmoid(x)`` (``silu`` is the same function).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> swish(x).eval({x: [0.0]}).tolist()
        [0.0]
    """
    return nnet.swish(x)


silu = swish  # Keras's second name for the same function (a public alias)
hard_swish = hard_silu  # likewise


def exponential(x):
    """``exp(x)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> exponential(x).eval({x: [0.0]}).tolist()
        [1.0]
    """
    return T.exp(x)


def mish(x):
    """``x * tanh(softplus(x))`` (Misra, 2019).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> mish(x).eval({x: [0.0]}).tolist()
        [0.0]
    """
    x = T.as_tensor_variable(x)
    return x * T.tanh(nnet.softplus(x))


_ACTIVATIONS = {f.__name__: f for f in (linear, relu, sigmoid, hard_sigmoid, hard_silu, tanh, softmax, log_softmax,
                                        softplus, softsign, elu, selu, gelu, swish, exponential, leaky_relu, relu6,
                                        mish)}
_ACTIVATIONS["silu"] = swish
_ACTIVATIONS["hard_swish"] = hard_silu


def serialize(activation):
    """The name Keras writes for ``activation`` (``'relu'``); a custom function's ``__name__``.

    Example:
        >>> serialize(relu)
        'relu'
    """
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation
    if hasattr(activation, "get_config"):  # an activation object (e.g. an advanced-activation layer)
        return {"class_name": type(activation).__name__, "config": activation.get_config()}
    name = getattr(activation, "__name__", None)
    if name is None:
        raise ValueError(f"activations.serialize: expected a function with a __name__, received {activation!r}")
    return name


def deserialize(identifier, custom_objects=None):
    """The activation function for a name (``'relu'``), a Keras config dict, or a callable.

    Dicts may be ``{"class_name": "function", "config": "relu"}`` (Keras 3) or a registered class's config.

    Example:
        >>> deserialize('tanh') is tanh
        True
    """
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        name, config = identifier.get("class_name"), identifier.get("config")
        if name == "function" or (isinstance(config, str) and name in (None, "function")):
            return deserialize(config, custom_objects)
        cls = get_registered_object(name, custom_objects, {})
        if cls is None:
            return deserialize(name, custom_objects)
        return cls.from_config(config or {}) if hasattr(cls, "from_config") else cls
    if isinstance(identifier, str):
        found = get_registered_object(identifier, custom_objects, _ACTIVATIONS)
        if found is None:
            raise ValueError(f"activations: unknown activation '{identifier}'; expected one of "
                             f"{sorted(_ACTIVATIONS)} or a name in custom_objects")
        return found
    raise TypeError(f"activations: expected a name, a config dict or a callable, received {identifier!r}")


def get(identifier):
    """Keras's ``activations.get``: None gives ``linear``; names, dicts and callables as in ``deserialize``.

    Example:
        >>> get(None) is linear
        True
    """
    return linear if identifier is None else deserialize(identifier)
