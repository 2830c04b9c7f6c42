"""Keras's backend functions (``from layerkit import backend as K``), thin over ``layerkit_backend``.

Tensors are backend ``TensorVariable``s; variables are backend shared variables; ``function`` compiles with
``layerkit_backend.function``. Image ops are channels-last, as in Keras. ``training`` is a Python bool in this
design (there is no learning-phase placeholder): ``in_train_phase(x, alt, training)`` picks a branch while the
graph is built.

Example:
    >>> import numpy as np
    >>> from layerkit import backend as K
    >>> x = K.placeholder(shape=(None, 3))
    >>> f = K.function([x], [K.sum(K.square(x), axis=1)])
    >>> f([np.ones((2, 3), 'float32')])[0].tolist()
    [3.0, 3.0]
"""
import builtins

import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.tensor import nnet
from layerkit_backend.tensor.shared_randomstreams import RandomStreams

from .backend_conv import bias_add, conv1d, conv2d, pool2d  # noqa: F401  (channels-last conv/pool glue)
from .backend_rnn import rnn  # noqa: F401  (K.rnn lives in its own module: the loop and scan paths)

__all__ = ["clear_session", "epsilon", "set_epsilon", "floatx", "set_floatx", "image_data_format", "backend",
           "variable",
           "placeholder", "constant", "is_variable", "is_keras_tensor", "is_tensor", "zeros", "ones", "eye",
           "zeros_like", "ones_like", "random_uniform", "random_normal", "random_binomial", "int_shape", "shape",
           "ndim", "dtype", "count_params", "eval", "get_value", "set_value", "batch_get_value", "batch_set_value",
           "function", "gradients", "stop_gradient", "dot", "batch_dot", "transpose", "sum", "mean", "max", "min",
           "prod", "std", "var", "any", "all", "argmax", "argmin", "square", "sqrt", "abs", "exp", "log", "pow",
           "clip", "maximum", "minimum", "sign", "round", "equal", "not_equal", "greater", "greater_equal", "less",
           "less_equal", "concatenate", "reshape", "permute_dimensions", "expand_dims", "squeeze", "repeat",
           "repeat_elements", "tile", "flatten", "batch_flatten", "stack", "one_hot", "cast", "softmax", "relu",
           "elu", "sigmoid", "hard_sigmoid", "softplus", "softsign", "tanh", "switch", "in_train_phase",
           "in_test_phase", "dropout", "l2_normalize", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "binary_crossentropy", "conv1d", "conv2d", "pool2d", "bias_add",
           "update", "update_add", "update_sub", "moving_average_update", "rnn", "cumsum", "logsumexp"]

_EPSILON = [1e-7]
_RNG = [None]


# ------------------------------------------------------------------------------------------- configuration
def clear_session():
    """Restarts automatic names (``dense``, ``dense_1``..., ``auc``, ``auc_1``...) as Keras's ``clear_session``
    does; models already built keep their names and keep working.

    Example:
        >>> from layerkit.layers import Dense
        >>> clear_session(); Dense(2).name
        'dense'
    """
    from .layers.base import clear_name_counts

    clear_name_counts()


def epsilon():
    """The fuzz factor used to clip probabilities and avoid division by zero (Keras's 1e-7)."""
    return _EPSILON[0]


def set_epsilon(value):
    """Set the fuzz factor returned by ``epsilon()``."""
    _EPSILON[0] = float(value)


def floatx():
    """The default float dtype (``layerkit_backend.config.floatX``, 'float32')."""
    return lb.config.floatX


def set_floatx(value):
    """Set the default float dtype ('float16', 'float32' or 'float64') for new tensors and variables."""
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"set_floatx: expected 'float16', 'float32' or 'float64', received {value!r}")
    lb.config.floatX = value


def image_data_format():
    """Always 'channels_last' (Keras's default)."""
    return "channels_last"


def backend():
    """The name of the backend: 'layerkit_backend'."""
    return "layerkit_backend"


def _rng():
    if _RNG[0] is None:
        _RNG[0] = RandomStreams(np.random.randint(1 << 30))
    return _RNG[0]


def set_random_streams(streams):
    """Use ``streams`` (a ``RandomStreams``) for later random ops, e.g. to make a run reproducible."""
    _RNG[0] = streams


# ------------------------------------------------------------------------------------------- tensors, variables
def variable(value, dtype=None, name=None, constraint=None):
    """A shared variable holding ``value`` (a copy), with its static shape known.

    Example:
        >>> v = variable([[1.0, 2.0]]); int_shape(v), dtype(v)
        ((1, 2), 'float32')
    """
    value = np.asarray(value, dtype=dtype or (floatx() if np.asarray(value).dtype.kind == "f" else None))
    var = lb.shared(value.copy(), name=name, shape=value.shape)
    var.constraint = constraint
    return var


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """A symbolic input of static ``shape`` (None entries unknown) or of rank ``ndim``.

    Example:
        >>> placeholder(shape=(None, 4)).type.shape
        (None, 4)
    """
    if sparse:
        raise NotImplementedError("placeholder: sparse tensors are not supported by layerkit_backend")
    if shape is None and ndim is None:
        raise ValueError("placeholder: give a shape or an ndim")
    shape = tuple(shape) if shape is not None else (None,) * ndim
    x = T.tensor(dtype or floatx(), shape=shape, name=name)
    x._keras_shape = shape
    return x


def constant(value, dtype=None, shape=None, name=None):
    """A constant tensor (``value`` broadcast to ``shape`` when given)."""
    value = np.asarray(value, dtype=dtype or floatx())
    if shape is not None:
        value = np.broadcast_to(value, shape).copy()
    return T.constant(value, name=name)


def is_variable(x):
    """True for shared variables."""
    return isinstance(x, lb.SharedVariable)


def is_tensor(x):
    """True for symbolic tensors (variables included)."""
    return isinstance(x, lb.Variable)


def is_keras_tensor(x):
    """True for tensors produced by a layer (they carry ``_keras_history``)."""
    if not is_tensor(x):
        raise ValueError(f"is_keras_tensor: expected a symbolic tensor, received {type(x).__name__}")
    return hasattr(x, "_keras_history")


def zeros(shape, dtype=None, name=None):
    """A variable of zeros."""
    return variable(np.zeros(shape, dtype=dtype or floatx()), name=name)


def ones(shape, dtype=None, name=None):
    """A variable of ones."""
    return variable(np.ones(shape, dtype=dtype or floatx()), name=name)


def eye(size, dtype=None, name=None):
    """A variable holding the identity matrix (``size`` an int or (rows, cols))."""
    rows, cols = (size, size) if np.isscalar(size) else size
    return variable(np.eye(rows, cols, dtype=dtype or floatx()), name=name)


def zeros_like(x, dtype=None, name=None):
    """A tensor of zeros shaped like ``x``."""
    return T.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    """A tensor of ones shaped like ``x``."""
    return T.ones_like(x, dtype=dtype)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Symbolic uniform samples (fresh on every call of the compiled function)."""
    streams = RandomStreams(seed) if seed is not None else _rng()
    return streams.uniform(tuple(shape), low=minval, high=maxval, dtype=dtype or floatx())


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Symbolic normal samples (fresh on every call of the compiled function)."""
    streams = RandomStreams(seed) if seed is not None else _rng()
    return streams.normal(tuple(shape), avg=mean, std=stddev, dtype=dtype or floatx())


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    """Symbolic 0/1 samples with probability ``p`` of 1."""
    streams = RandomStreams(seed) if seed is not None else _rng()
    return streams.binomial(tuple(shape), p=p, dtype=dtype or floatx())


# ------------------------------------------------------------------------------------------- shapes and values
def int_shape(x):
    """The static shape as a tuple (None where unknown); a variable's is its value's shape.

    Example:
        >>> int_shape(placeholder(shape=(None, 3)))
        (None, 3)
    """
    if isinstance(x, np.ndarray):
        return x.shape
    if isinstance(x, lb.SharedVariable):
        return tuple(np.shape(x.get_value(borrow=True)))
    return tuple(T.as_tensor_variable(x).type.shape)


def shape(x):
    """The symbolic shape of ``x`` (an int64 vector)."""
    return T.shape(x)


def ndim(x):
    """The rank of ``x``."""
    return T.as_tensor_variable(x).ndim


def dtype(x):
    """The dtype name of ``x``."""
    return T.as_tensor_variable(x).dtype


def count_params(x):
    """The number of entries of a variable."""
    return int(np.prod(int_shape(x)))


def eval(x):  # noqa: A001  (Keras's name)
    """The value of a tensor with no inputs (a variable's current value)."""
    if isinstance(x, lb.SharedVariable):
        return x.get_value()
    return T.as_tensor_variable(x).eval()


def get_value(x):
    """A copy of a variable's value."""
    return x.get_value()


def set_value(x, value):
    """Set a variable's value (cast to its dtype)."""
    x.set_value(np.asarray(value, dtype=x.dtype))


def batch_get_value(variables):
    """``[get_value(v) for v in variables]``."""
    return [get_value(v) for v in variables]


def batch_set_value(tuples):
    """Set many variables: ``[(variable, value), ...]``."""
    for var, value in tuples:
        set_value(var, value)


class Function:
    """A compiled function called with a list of arrays (Keras's ``K.function``)."""

    def __init__(self, inputs, outputs, updates=None, name=None, **kwargs):
        self.inputs = list(inputs)
        self._single = not isinstance(outputs, (list, tuple))
        self.outputs = [outputs] if self._single else list(outputs)
        self._function = lb.function(self.inputs, self.outputs, updates=list(updates or []), name=name,
                                     on_unused_input="ignore", **kwargs)

    def __call__(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        if len(inputs) != len(self.inputs):
            raise ValueError(f"K.function: expected {len(self.inputs)} input arrays, received {len(inputs)}")
        values = [np.asarray(v, dtype=x.dtype) for v, x in zip(inputs, self.inputs)]
        outputs = self._function(*values)
        return outputs[0] if self._single else list(outputs)


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Compile ``outputs`` of ``inputs`` (lists) into a callable taking a list of arrays, applying ``updates``.

    Example:
        >>> x = placeholder(ndim=1)
        >>> function([x], [2 * x])([[1.0, 2.0]])[0].tolist()
        [2.0, 4.0]
    """
    return Function(inputs, outputs, updates=updates, name=name, **kwargs)


def gradients(loss, variables):
    """The gradients of a scalar ``loss`` with respect to each of ``variables`` (a list)."""
    return lb.grad(loss, list(variables), disconnected_inputs="ignore")


def stop_gradient(variables):
    """The tensor(s) with no gradient flowing back through them."""
    if isinstance(variables, (list, tuple)):
        return [lb.gradient.disconnected_grad(v) for v in variables]
    return lb.gradient.disconnected_grad(variables)


# ------------------------------------------------------------------------------------------- linear algebra
def dot(x, y):
    """Keras's ``dot``: NumPy's for n-d (x's last axis against y's second-to-last).

    Example:
        >>> dot(placeholder(shape=(2, 3)), placeholder(shape=(4, 3, 5))).type.shape
        (2, 4, 5)
    """
    x, y = T.as_tensor_variable(x), T.as_tensor_variable(y)
    if x.ndim <= 2 and y.ndim <= 2:
        return T.dot(x, y)
    return T.tensordot(x, y, axes=[[x.ndim - 1], [builtins.max(y.ndim - 2, 0)]])


def batch_dot(x, y, axes=None):
    """Per-sample dot product of batches ``x`` and ``y`` (axis 0 is the batch), contracting ``axes``.

    ``axes`` is an int or a pair (x's axis, y's axis); by default x's last axis and y's second-to-last (last
    for a matrix). A result of rank 1 becomes (batch, 1), as in Keras.

    Example:
        >>> batch_dot(placeholder(shape=(32, 20)), placeholder(shape=(32, 20)), axes=1).type.shape
        (32, 1)
    """
    x, y = T.as_tensor_variable(x), T.as_tensor_variable(y)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    elif isinstance(axes, int):
        axes = (axes, axes)
    ax, ay = (a % n for a, n in zip(axes, (x.ndim, y.ndim)))
    if ax == 0 or ay == 0:
        raise ValueError(f"batch_dot: cannot contract the batch axis, received axes={axes}")
    out = T.batched_tensordot(x, y, axes=[[ax], [ay]])
    return T.shape_padright(out) if out.ndim == 1 else out


def transpose(x):
    """Reverse the axes of ``x``."""
    return T.transpose(x)


# ------------------------------------------------------------------------------------------- reductions
def sum(x, axis=None, keepdims=False):  # noqa: A001
    return T.sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return T.mean(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return T.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return T.min(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return T.prod(x, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return T.std(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return T.var(x, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return T.any(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return T.all(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    return T.argmax(x, axis=axis)


def argmin(x, axis=-1):
    return T.argmin(x, axis=axis)


def cumsum(x, axis=0):
    return T.cumsum(x, axis=axis)


def logsumexp(x, axis=None, keepdims=False):
    return nnet.logsumexp(x, axis=axis, keepdims=keepdims)


for _f in (sum, mean, max, min, prod, std, var, any, all):
    _f.__doc__ = f"Keras's ``{_f.__name__}(x, axis=None, keepdims=False)``: the backend's reduction."
argmax.__doc__ = "The index of the largest entry along ``axis`` (default the last)."
argmin.__doc__ = "The index of the smallest entry along ``axis`` (default the last)."
cumsum.__doc__ = "Cumulative sum along ``axis``."
logsumexp.__doc__ = "``log(sum(exp(x), axis))`` without overflow."


# ------------------------------------------------------------------------------------------- elementwise
def square(x):
    return T.square(x)


def sqrt(x):
    """``sqrt(max(x, 0))``, as Keras clips negative inputs to 0."""
    return T.sqrt(T.maximum(x, 0.0))


def abs(x):  # noqa: A001
    return T.abs(x)


def exp(x):
    return T.exp(x)


def log(x):
    return T.log(x)


def pow(x, a):  # noqa: A001
    return T.pow(x, a)


def clip(x, min_value, max_value):
    """Clip to [min_value, max_value] (a max below the min is raised to it, as Keras does)."""
    if max_value is not None and min_value is not None and np.isscalar(max_value) and max_value < min_value:
        max_value = min_value
    return T.clip(x, min_value, max_value)


def maximum(x, y):
    return T.maximum(x, y)


def minimum(x, y):
    return T.minimum(x, y)


def sign(x):
    return T.sign(x)


def round(x):  # noqa: A001
    """Round half to even, as Keras does."""
    return T.round(x, mode="half_to_even")


def equal(x, y):
    return T.eq(x, y)


def not_equal(x, y):
    return T.neq(x, y)


def greater(x, y):
    return T.gt(x, y)


def greater_equal(x, y):
    return T.ge(x, y)


def less(x, y):
    return T.lt(x, y)


def less_equal(x, y):
    return T.le(x, y)


def cast(x, dtype):
    """``x`` as ``dtype``."""
    return T.cast(x, dtype)


def switch(condition, then_expression, else_expression):
    """Elementwise choice; a condition of lower rank than the branches gets trailing broadcast axes."""
    condition = T.as_tensor_variable(condition)
    then_expression = then_expression() if callable(then_expression) else then_expression
    else_expression = else_expression() if callable(else_expression) else else_expression
    target = builtins.max(T.as_tensor_variable(then_expression).ndim, T.as_tensor_variable(else_expression).ndim)
    while condition.ndim < target:
        condition = T.shape_padright(condition)
    return T.switch(condition, then_expression, else_expression)



# ------------------------------------------------------------------------------------------- shapes
def concatenate(tensors, axis=-1):
    """Join tensors along ``axis`` (default the last)."""
    tensors = [T.as_tensor_variable(t) for t in tensors]
    return T.concatenate(tensors, axis=axis % tensors[0].ndim)


def reshape(x, shape):
    """Reshape (``-1`` allowed once)."""
    return T.reshape(x, shape)


def permute_dimensions(x, pattern):
    """Reorder the axes: ``pattern`` lists the old axis for each new one."""
    return T.as_tensor_variable(x).dimshuffle(*pattern)


def expand_dims(x, axis=-1):
    """Insert an axis of length 1 at ``axis``."""
    x = T.as_tensor_variable(x)
    return T.expand_dims(x, axis % (x.ndim + 1))


def squeeze(x, axis):
    """Remove the length-1 ``axis``."""
    return T.squeeze(x, axis=axis)


def repeat(x, n):
    """(batch, dim) -> (batch, n, dim)."""
    x = T.as_tensor_variable(x)
    if x.ndim != 2:
        raise ValueError(f"repeat: expected a 2-d tensor (batch, dim), received {x.type}")
    return T.repeat(T.shape_padaxis(x, 1), n, axis=1)


def repeat_elements(x, rep, axis):
    """Repeat each entry ``rep`` times along ``axis`` (NumPy's ``repeat``)."""
    return T.repeat(x, rep, axis=axis)


def tile(x, n):
    """Tile ``x`` ``n`` times (an int or one count per axis)."""
    x = T.as_tensor_variable(x)
    return T.tile(x, (n,) if isinstance(n, int) else tuple(n))


def flatten(x):
    """A 1-d view of all entries."""
    return T.flatten(x, 1)


def batch_flatten(x):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""
    return T.flatten(x, 2)


def stack(x, axis=0):
    """Stack tensors of equal shape along a new ``axis``."""
    return T.stack(list(x), axis=axis)


def one_hot(indices, num_classes):
    """Integer tensor (..., ) -> one-hot floatX tensor (..., num_classes)."""
    indices = T.as_tensor_variable(indices)
    classes = T.arange(num_classes, dtype="int64")
    return T.cast(T.eq(T.shape_padright(indices), classes), floatx())


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x**2, axis), epsilon))``, Keras's definition (zero vectors stay zero)."""
    x = T.as_tensor_variable(x)
    norm2 = T.sum(T.square(x), axis=axis, keepdims=True)
    return x / T.sqrt(T.maximum(norm2, T.constant(1e-12, dtype=x.dtype)))


# ------------------------------------------------------------------------------------------- nn
def softmax(x, axis=-1):
    return nnet.softmax(x, axis=axis)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Keras's ``K.relu`` (see ``layerkit.activations.relu``)."""
    from .activations import relu as _relu
    return _relu(x, negative_slope=alpha, max_value=max_value, threshold=threshold)


def elu(x, alpha=1.0):
    return nnet.elu(x, alpha)


def sigmoid(x):
    return nnet.sigmoid(x)


def hard_sigmoid(x):
    return nnet.hard_sigmoid(x)


def softplus(x):
    return nnet.softplus(x)


def softsign(x):
    return nnet.softsign(x)


def tanh(x):
    return T.tanh(x)


for _f in (square, abs, exp, log, pow, maximum, minimum, sign, equal, not_equal, greater, greater_equal, less,
           less_equal, softmax, elu, sigmoid, hard_sigmoid, softplus, softsign, tanh):
    _f.__doc__ = f"Keras's ``K.{_f.__name__}``: the backend's elementwise ``{_f.__name__}``."


def in_train_phase(x, alt, training=None):
    """``x`` when ``training`` is True, else ``alt`` (callables are called). ``training`` is a Python bool
    here: None and False both select ``alt``, since there is no learning-phase placeholder."""
    chosen = x if training is True or (training is not None and not isinstance(training, bool) and training) \
        else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    """``x`` unless ``training`` is True (then ``alt``)."""
    return in_train_phase(alt, x, training=training)


def dropout(x, level, noise_shape=None, seed=None):
    """Inverted dropout: zero entries with probability ``level`` and scale the rest by ``1 / (1 - level)``.

    ``noise_shape`` (with None or 1 entries broadcast) shares one draw across axes, as Keras's.
    """
    x = T.as_tensor_variable(x)
    if not 0 <= level < 1:
        raise ValueError(f"dropout: expected a level in [0, 1), received {level}")
    if level == 0:
        return x
    return inverted_dropout(x, level, RandomStreams(seed) if seed is not None else _rng(), noise_shape)


def inverted_dropout(x, level, streams, noise_shape=None, owner="dropout"):
    """``x`` with entries zeroed with probability ``level`` (drawn from ``streams``) and the rest scaled by
    ``1 / (1 - level)``; shared by ``dropout`` and the layers, which keep their own streams."""
    if level == 0:
        return x
    shape = T.shape_tuple(x)
    if noise_shape is None:
        size, pattern = shape, None
    else:
        if len(noise_shape) != x.ndim:
            raise ValueError(f"{owner}: noise_shape {tuple(noise_shape)} has {len(noise_shape)} entries, the input "
                             f"has rank {x.ndim} (shape {x.type.shape})")
        size = tuple(shape[i] if s is None else s for i, s in enumerate(noise_shape))
        pattern = [s == 1 for s in noise_shape]
    # uniform < p, not binomial: the streams hold NumPy RandomStates (Theano's), whose binomial is 4x slower
    keep = T.cast(T.lt(streams.uniform(size, dtype=x.dtype), 1.0 - level), x.dtype)
    if pattern is not None:
        keep = T.patternbroadcast(keep, pattern)
    return x * keep / (1.0 - level)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Keras's ``K.categorical_crossentropy`` (see ``layerkit.losses``); note the (target, output) order."""
    from .losses import categorical_crossentropy as _cce
    return _cce(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Keras's ``K.sparse_categorical_crossentropy`` (integer targets)."""
    from .losses import sparse_categorical_crossentropy as _scce
    return _scce(target, output, from_logits=from_logits, axis=axis)


def binary_crossentropy(target, output, from_logits=False):
    """Keras's ``K.binary_crossentropy``: elementwise (no mean over the last axis)."""
    from .losses import elementwise_binary_crossentropy
    return elementwise_binary_crossentropy(target, output, from_logits=from_logits)


# ------------------------------------------------------------------------------------------- updates
def update(x, new_x):
    """The update pair ``(x, new_x)``."""
    return (x, new_x)


def update_add(x, increment):
    """The update pair ``(x, x + increment)``."""
    return (x, x + increment)


def update_sub(x, decrement):
    """The update pair ``(x, x - decrement)``."""
    return (x, x - decrement)


def moving_average_update(x, value, momentum):
    """The update pair ``(x, x * momentum + value * (1 - momentum))``."""
    return (x, x * momentum + value * (1.0 - momentum))
