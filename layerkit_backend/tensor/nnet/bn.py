"""Batch normalisation with Theano 1.0's functions: ``batch_normalization_train``, ``batch_normalization_test`` and
the elementwise ``batch_normalization`` (statistics given).

Both are composites of mean, variance and elementwise ops, so their gradients come from those ops' rules.
"""
import numpy as np

from ..basic import cast
from ..elemwise import DimShuffle
from ..math import maximum, sqrt
from ..reduce import mean as _mean
from ..shape import shape_i
from ..variable import as_tensor_variable

__all__ = ["batch_normalization_train", "batch_normalization_test", "batch_normalization"]


def _axes(axes, ndim, where):
    """(normalised axes, the other axes) for 'per-activation', 'spatial' or an explicit tuple."""
    if axes == "per-activation":
        axes = (0,)
    elif axes == "spatial":
        axes = (0,) + tuple(range(2, ndim))
    elif isinstance(axes, (tuple, list)):
        axes = tuple(sorted(int(a) % ndim for a in axes))
        if len(set(axes)) != len(axes):
            raise ValueError(f"{where}: repeated axes {axes}")
    else:
        raise ValueError(f"{where}: axes must be 'per-activation', 'spatial' or a tuple of ints, received {axes!r}")
    if ndim == 0 or not axes:
        raise ValueError(f"{where}: need at least one axis to normalise over, received axes={axes} for {ndim} dims")
    return axes, tuple(i for i in range(ndim) if i not in axes)


def _params(values, names, ndim, axes, kept, where):
    """Parameters broadcast to the input's rank, and whether they came without the normalised axes."""
    values = [as_tensor_variable(v) for v in values]
    short = values[0].ndim != ndim
    want = len(kept) if short else ndim
    for v, name in zip(values, names):
        if v.ndim != want:
            raise ValueError(f"{where}: {name} must have {ndim} dimensions (size 1 on axes {axes}) or "
                             f"{len(kept)} (axes {axes} left out), received {v.type}")
    if not short:
        return values, False
    pattern = ["x"] * ndim
    for i, axis in enumerate(kept):
        pattern[axis] = i
    return [DimShuffle(len(kept), tuple(pattern))(v) for v in values], True


def _epsilon(epsilon, where):
    if float(np.float32(epsilon)) < 1e-5:
        raise ValueError(f"{where}: epsilon must be at least 1e-5 (as in Theano/cuDNN), received {epsilon}")
    return float(epsilon)


def batch_normalization_train(inputs, gamma, beta, axes="per-activation", epsilon=1e-4,
                              running_average_factor=0.1, running_mean=None, running_var=None):
    """Normalise ``inputs`` with the statistics of this batch, then scale and shift.

    ``out = (inputs - mean) * gamma * invstd + beta`` with ``invstd = 1 / sqrt(var + epsilon)``, the mean and the
    (biased) variance taken over ``axes``: 'per-activation' is (0,), 'spatial' is (0, 2, 3, ...), or a tuple.
    Parameters have the input's rank with size 1 on ``axes``, or leave those axes out altogether; ``mean`` and
    ``invstd`` come back in the same form. With ``running_mean`` and ``running_var`` also returns their updates,
    ``running * (1 - factor) + batch_stat * factor``, the variance unbiased (times m / (m - 1)) first.

    Returns:
        (out, mean, invstd) or (out, mean, invstd, new_running_mean, new_running_var).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x, g, b = T.matrix('x'), T.vector('g'), T.vector('b')
        >>> out, mean, invstd = batch_normalization_train(x, g, b)
        >>> out.ndim, mean.ndim
        (2, 1)
    """
    where = "batch_normalization_train"
    x = as_tensor_variable(inputs)
    axes, kept = _axes(axes, x.ndim, where)
    epsilon = _epsilon(epsilon, where)
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{where}: give both running_mean and running_var, or neither")
    (gamma, beta), short = _params([gamma, beta], ["gamma", "beta"], x.ndim, axes, kept, where)
    mean = _mean(x, axis=axes, keepdims=True)
    centered = x - mean
    var = _mean(centered * centered, axis=axes, keepdims=True)
    invstd = 1.0 / sqrt(var + epsilon)
    out = centered * (gamma * invstd) + beta
    results = [out, mean, invstd]
    if running_mean is not None:
        (r_mean, r_var), r_short = _params([running_mean, running_var], ["running_mean", "running_var"], x.ndim,
                                           axes, kept, where)
        if r_short != short:
            raise ValueError(f"{where}: running_mean/running_var must have the same rank as gamma and beta")
        count = shape_i(x, axes[0])
        for a in axes[1:]:
            count = count * shape_i(x, a)
        count = cast(count, x.dtype)
        factor = running_average_factor
        unbiased = var * (count / maximum(count - 1, 1))
        results += [r_mean * (1.0 - factor) + mean * factor, r_var * (1.0 - factor) + unbiased * factor]
    if short:
        squeeze = DimShuffle(x.ndim, kept)
        results = [out] + [squeeze(r) for r in results[1:]]
    return tuple(results)


def batch_normalization_test(inputs, gamma, beta, mean, var, axes="per-activation", epsilon=1e-4):
    """Normalise ``inputs`` with given statistics (usually running averages): ``(inputs - mean) * gamma /
    sqrt(var + epsilon) + beta``. Parameters and statistics have the input's rank with size 1 on ``axes``, or leave
    those axes out.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x, g, b, m, v = T.tensor4('x'), T.vector('g'), T.vector('b'), T.vector('m'), T.vector('v')
        >>> batch_normalization_test(x, g, b, m, v, axes='spatial').ndim
        4
    """
    where = "batch_normalization_test"
    x = as_tensor_variable(inputs)
    axes, kept = _axes(axes, x.ndim, where)
    epsilon = _epsilon(epsilon, where)
    (gamma, beta, mean, var), _ = _params([gamma, beta, mean, var], ["gamma", "beta", "mean", "var"], x.ndim, axes,
                                          kept, where)
    return (x - mean) * (gamma / sqrt(var + epsilon)) + beta


def batch_normalization(inputs, gamma, beta, mean, std, mode="low_mem"):
    """``(inputs - mean) * (gamma / std) + beta``, elementwise with broadcasting (Theano's; ``mode`` only chose
    its implementation there).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dmatrix('x')
        >>> batch_normalization(x, 2.0, 1.0, 0.5, 0.25).eval({x: [[1.0]]}).tolist()
        [[5.0]]
    """
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f"batch_normalization: mode must be 'low_mem' or 'high_mem', received {mode!r}")
    inputs = as_tensor_variable(inputs)
    return (inputs - mean) * (gamma / std) + beta
