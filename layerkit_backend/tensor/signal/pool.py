"""Pooling over the last two dimensions: ``pool_2d`` (Theano's ``theano.tensor.signal.pool.pool_2d``).

``Pool`` computes max, sum or average pooling of the (padded) input; ``PoolGrad`` routes
the output gradient back: to the window maxima (every element equal to its window's max, as Theano) or spread
evenly over each window for the average modes. Both loop over the window positions ("taps"), each one strided
view of the input, combined with ufuncs: that keeps the input's memory order and avoids slow reductions over
tiny trailing axes.
"""
from ...graph.basic import Apply, Op
from ..type import FLOAT_DTYPES, TensorType
from ..variable import as_tensor_variable

__all__ = ["Pool", "PoolGrad", "MaxPoolGather", "pool_2d", "pool_output_shape", "pool_3d"]

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def _pool_size(size, ws, stride, pad, ignore_border):
    """Output size along one dimension, Theano's rule."""
    if size is None:
        return None
    padded = size + 2 * pad
    if ignore_border:
        return max(0, (padded - ws) // stride + 1)
    if stride >= ws:
        return (size - 1) // stride + 1 if size > 0 else 0
    return max(0, (size - 1 - ws + stride) // stride) + 1 if size > 0 else 0


def pool_output_shape(shape, ws, ignore_border=True, stride=None, pad=(0, 0)):
    """The output shape of ``pool_2d`` for an input of ``shape`` (entries may be None)."""
    stride = stride or ws
    return tuple(shape[:-2]) + tuple(_pool_size(s, w, st, p, ignore_border)
                                      for s, w, st, p in zip(shape[-2:], ws, stride, pad))


class _PoolBase(Op):
    __props__ = ("ws", "ignore_border", "stride", "pad", "mode")

    def __init__(self, ws, ignore_border=True, stride=None, pad=(0, 0), mode="max"):
        self.ws = tuple(int(v) for v in ws)
        self.stride = tuple(int(v) for v in (stride if stride is not None else ws))
        self.pad = tuple(int(v) for v in pad)
        self.ignore_border = bool(ignore_border)
        self.mode = "average_inc_pad" if mode == "average" else mode  # Theano accepts 'average' for inc_pad
        if self.mode not in MODES:
            raise ValueError(f"pool_2d: mode must be one of {MODES}, received {mode!r}")
        if not (len(self.ws) == len(self.stride) == len(self.pad) == 2):
            raise ValueError(f"pool_2d: ws, stride and pad must be pairs, received {ws}, {stride}, {pad}")
        if min(self.ws) < 1 or min(self.stride) < 1 or min(self.pad) < 0:
            raise ValueError(f"pool_2d: expected ws, stride >= 1 and pad >= 0, received {ws}, {stride}, {pad}")
        if any(p >= w for p, w in zip(self.pad, self.ws)):
            raise ValueError(f"pool_2d: padding {self.pad} must be smaller than the window {self.ws}")
        if any(self.pad) and not self.ignore_border:
            raise ValueError("pool_2d: padding works only with ignore_border=True")

    def _fast(self, shape):
        """True when windows tile the input without padding: every average divides by the window size."""
        return self.ws == self.stride and not any(self.pad) and (
            self.ignore_border or (shape[-2] % self.ws[0] == 0 and shape[-1] % self.ws[1] == 0))

    def _taps(self, padded, out_hw):
        """One strided view of ``padded`` per window position (u, v): tap[..., i, j] = window (i, j)'s element
        (u, v). Reducing over taps with ufuncs beats a reduction over small trailing window axes."""
        (oh, ow), (wh, ww), (sh, sw) = out_hw, self.ws, self.stride
        return [padded[..., u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw]
                for u in range(wh) for v in range(ww)]

    def _layout(self, xp, x):
        """((rows, cols) of ``x``, (rows, cols) of the output, (rows, cols) of the padded input)."""
        (h, w), (wh, ww), (sh, sw), (ph, pw) = x.shape[-2:], self.ws, self.stride, self.pad
        oh = _pool_size(h, wh, sh, ph, self.ignore_border)
        ow = _pool_size(w, ww, sw, pw, self.ignore_border)
        # windows clipped at the border (ignore_border=False) are completed with a neutral fill
        full_h = max(h + 2 * ph, (oh - 1) * sh + wh)
        full_w = max(w + 2 * pw, (ow - 1) * sw + ww)
        return (h, w), (oh, ow), (full_h, full_w)

    def _windows(self, xp, padded, oh, ow):
        s = padded.strides
        (wh, ww), (sh, sw) = self.ws, self.stride
        return xp.lib.stride_tricks.as_strided(
            padded, padded.shape[:-2] + (oh, ow, wh, ww), s[:-2] + (s[-2] * sh, s[-1] * sw, s[-2], s[-1]))

    def _counts(self, xp, hw, full, out_hw, dtype):
        """The divisor of each window for the average modes: its size inside the padded (inc) or real (exc) image,
        clipped to the image as Theano does."""
        (h, w), (ph, pw) = hw, self.pad
        mask = xp.zeros(full, dtype=dtype)
        if self.mode == "average_exc_pad":
            mask[ph:ph + h, pw:pw + w] = 1
        else:
            mask[:h + 2 * ph, :w + 2 * pw] = 1
        return self._windows(xp, mask, *out_hw).sum(axis=(-2, -1))

    def _padded(self, xp, x, hw, full, fill):
        (h, w), (ph, pw) = hw, self.pad
        if full == (h, w):
            return x
        padded = xp.full(x.shape[:-2] + full, fill, dtype=x.dtype)
        padded[..., ph:ph + h, pw:pw + w] = x
        return padded


def _in_layout_of(xp, a, like):
    """``a`` in the memory order of ``like`` (same shape), copied only when the orders differ: a ufunc over two
    arrays of different orders walks one against its grain (a channels-last conv output against a channels-first
    gradient runs ~5x slower than a copy plus an aligned pass)."""
    if a.shape != like.shape or 0 in like.strides or \
            [s // a.itemsize for s in a.strides] == [s // like.itemsize for s in like.strides]:
        return a
    out = xp.empty_like(like, dtype=a.dtype)
    out[...] = a
    return out


def _lowest(xp, dtype):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


class Pool(_PoolBase):
    """Pooling of the last two dimensions (see ``pool_2d``)."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim < 2:
            raise TypeError(f"pool_2d: expected an input of at least 2 dimensions, received {x.type}")
        if self.mode != "max" and x.dtype not in FLOAT_DTYPES:
            raise TypeError(f"pool_2d: mode {self.mode!r} needs a float input, received {x.type}")
        shape = pool_output_shape(x.type.shape, self.ws, self.ignore_border, self.stride, self.pad)
        return Apply(self, [x], [TensorType(x.dtype, shape)()])

    def make_thunk(self, node, xp):
        mode = self.mode
        combine = xp.maximum if mode == "max" else xp.add

        def pool(x):
            hw, out_hw, full = self._layout(xp, x)
            if 0 in out_hw:
                return xp.zeros(x.shape[:-2] + out_hw, dtype=x.dtype)
            fill = _lowest(xp, x.dtype) if mode == "max" else 0
            taps = self._taps(self._padded(xp, x, hw, full, fill), out_hw)
            # ufuncs allocate in the memory order of their inputs, so channels-last data stays channels-last
            out = combine(taps[0], taps[1]) if len(taps) > 1 else taps[0].copy(order="K")
            for tap in taps[2:]:
                combine(out, tap, out=out)
            if mode == "max" or mode == "sum":
                return out
            if self._fast(x.shape):
                out /= out.dtype.type(len(taps))
                return out
            return out / self._counts(xp, hw, full, out_hw, x.dtype)

        return pool

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if x.dtype not in FLOAT_DTYPES:
            return [None]
        return [PoolGrad(*self._props())(x, self(x), gz)]


class PoolGrad(_PoolBase):
    """The gradient of ``Pool``: ``(input, pooled, output_grads) -> input_grads``. Max mode sends each window's
    gradient to every element equal to the window max; the other modes spread it (divided by the window count
    for averages)."""

    def make_node(self, x, out, gz):
        x, out, gz = (as_tensor_variable(v) for v in (x, out, gz))
        return Apply(self, [x, out, gz], [TensorType(gz.dtype, x.type.shape)()])

    def make_thunk(self, node, xp):
        mode = self.mode

        def pool_grad(x, out, gz):
            hw, out_hw, full = self._layout(xp, x)
            (h, w), (ph, pw) = hw, self.pad
            disjoint = self.stride[0] >= self.ws[0] and self.stride[1] >= self.ws[1]
            tiled = mode == "max" and self._fast(x.shape) and (out_hw[0] * self.ws[0], out_hw[1] * self.ws[1]) == hw
            if tiled and 0 not in out_hw:  # the windows cover every element once: each is written below
                gpad = xp.empty_like(x, dtype=gz.dtype)
            elif full == hw:
                gpad = xp.zeros_like(x, dtype=gz.dtype)
            else:
                gpad = xp.zeros(x.shape[:-2] + full, dtype=gz.dtype)
            if 0 in out_hw:
                return gpad[..., ph:ph + h, pw:pw + w].copy()
            if mode == "max":
                x_taps = self._taps(self._padded(xp, x, hw, full, _lowest(xp, x.dtype)), out_hw)
                gz = _in_layout_of(xp, gz, out)
            elif mode != "sum":
                gz = gz / self._counts(xp, hw, full, out_hw, gz.dtype)
            for k, g_tap in enumerate(self._taps(gpad, out_hw)):
                # every element equal to its window's max gets the window's gradient (Theano's rule for ties)
                if mode != "max":
                    g_tap += gz
                elif disjoint:  # each element is in one window at most: write, no need to accumulate
                    xp.multiply(x_taps[k] == out, gz, out=g_tap)
                else:
                    g_tap += (x_taps[k] == out) * gz
            return gpad[..., ph:ph + h, pw:pw + w].copy() if full != hw else gpad

        return pool_grad

    def grad(self, inputs, output_grads):
        (x, out, gz), (ggx,) = inputs, output_grads
        # linear in gz: the adjoint gathers ggx back per window (the pooling itself, for the sum and averages)
        if self.mode == "max":
            return [None, None, MaxPoolGather(*self._props())(x, out, ggx)]
        return [None, None, Pool(*self._props())(ggx)]

    def connection_pattern(self, node):
        return [[False], [False], [True]]


class MaxPoolGather(_PoolBase):
    """``(input, pooled, values) -> per-window sums of values where the input equals the window max``: the adjoint
    of max mode's ``PoolGrad`` (second derivatives of max pooling)."""

    def make_node(self, x, out, values):
        x, out, values = (as_tensor_variable(v) for v in (x, out, values))
        return Apply(self, [x, out, values], [TensorType(values.dtype, out.type.shape)()])

    def make_thunk(self, node, xp):
        def gather(x, out, values):
            hw, out_hw, full = self._layout(xp, x)
            if 0 in out_hw:
                return xp.zeros(out.shape, dtype=values.dtype)
            win_x = self._windows(xp, self._padded(xp, x, hw, full, _lowest(xp, x.dtype)), *out_hw)
            win_v = self._windows(xp, self._padded(xp, values, hw, full, 0), *out_hw)
            return ((win_x == out[..., None, None]) * win_v).sum(axis=(-2, -1))

        return gather

    def grad(self, inputs, output_grads):
        (x, out, _), (g,) = inputs, output_grads
        return [None, None, PoolGrad(*self._props())(x, out, g)]

    def connection_pattern(self, node):
        return [[False], [False], [True]]


def pool_2d(input, ws=None, ignore_border=True, stride=None, pad=(0, 0), mode="max", ds=None, st=None,
            padding=None):
    """Pool the last two dimensions of ``input`` with windows of ``ws`` (rows, cols), Theano's ``pool_2d``.

    Args:
        input: a tensor of rank >= 2; the last two dimensions are pooled.
        ws: the window size (Theano's old name: ``ds``).
        ignore_border: True (the default here; Theano 1.0 warned and used False when it was not given) drops
            partial windows at the bottom/right border; False keeps them.
        stride: the window step (default ``ws``; old name ``st``).
        pad: zero padding (rows, cols) on both sides, smaller than ``ws`` (old name ``padding``).
        mode: 'max', 'sum', 'average_inc_pad' (padding counts in the divisor) or 'average_exc_pad'.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> from layerkit_backend.tensor.signal.pool import pool_2d
        >>> pool_2d(T.tensor('float32', shape=(64, 20, 24, 24)), (2, 2), ignore_border=True).type.shape
        (64, 20, 12, 12)
    """
    ws = ws if ws is not None else ds
    if ws is None:
        raise TypeError("pool_2d: the window size ws is required")
    stride = stride if stride is not None else st
    pad = padding if padding is not None else pad
    return Pool(tuple(ws), ignore_border, None if stride is None else tuple(stride), tuple(pad), mode)(input)


def pool_3d(input, ws=None, ignore_border=True, stride=None, pad=(0, 0, 0), mode="max", ds=None, st=None,
            padding=None):
    """Pool the last three dimensions of ``input`` (depth, rows, cols), Theano's ``pool_3d``.

    Windows over a box are separable (the max of maxes, the sum of sums, averages of averages with the window
    counts multiplied), so this pools rows and cols with ``pool_2d``, then the depth with a one-column window.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> pool_3d(T.tensor('float64', shape=(2, 3, 4, 6, 6)), (2, 2, 2)).type.shape
        (2, 3, 2, 3, 3)
    """
    from ..shape import shape_tuple

    ws = ws if ws is not None else ds
    if ws is None or len(ws) != 3:
        raise TypeError(f"pool_3d: the window size ws must be three ints, received {ws!r}")
    stride = tuple(stride if stride is not None else (st if st is not None else ws))
    pad = tuple(padding if padding is not None else pad)
    x = input
    if x.ndim < 3:
        raise TypeError(f"pool_3d: expected at least 3 dimensions, received {x.type}")
    planes = pool_2d(x, ws[1:], ignore_border, stride[1:], pad[1:], mode)
    lead = shape_tuple(planes)[:-3]
    depth, rows, cols = shape_tuple(planes)[-3:]
    flat = planes.reshape(lead + (depth, rows * cols), ndim=planes.ndim - 1)
    pooled = pool_2d(flat, (ws[0], 1), ignore_border, (stride[0], 1), (pad[0], 0), mode)
    return pooled.reshape(lead + (pooled.shape[-2], rows, cols), ndim=planes.ndim)
