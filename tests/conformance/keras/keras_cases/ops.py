"""``keras.ops`` called on NumPy arrays (eager), one case per call: the value Keras 3 computes is the expected
value of layerkit's eager call, and of the same call traced symbolically and compiled (``check``).

Each row is ``(name, call)`` with ``call(ops, d)`` written once against ``kl.ops``; ``d`` holds the arrays.
The recorded result is the value (arrays as arrays, tuples and lists as lists) and the kind of its dtype
('f', 'i', 'u' or 'b'; integer widths differ between backends and are not compared).
"""
import numpy as np

from keras_session import Case, Tolerance, compare_value


def _data(rng):
    def grid(shape, low, high):
        return (np.round(rng.uniform(low, high, size=shape) * 16) / 16).astype("float32")

    return {
        "a": grid((3, 4), -2, 2), "b": grid((3, 4), -2, 2), "pos": grid((3, 4), 0.25, 2), "unit": grid((3, 4), -0.9, 0.9),
        "big": grid((3, 4), 1.1, 3), "v": grid((4,), -2, 2), "w": grid((4,), -2, 2), "m": grid((4, 4), -1, 1),
        "t3": grid((2, 3, 4), -1, 1), "u3": grid((2, 4, 5), -1, 1), "ints": rng.integers(0, 5, size=(3, 4)).astype("int32"),
        "labels": rng.integers(0, 4, size=(3,)).astype("int32"), "seg": np.array([0, 0, 1, 3, 3], dtype="int32"),
        "rows": grid((5, 2), -1, 1), "img": grid((2, 6, 6, 3), -1, 1), "kernel": grid((3, 3, 3, 4), -0.5, 0.5),
        "dw": grid((3, 3, 3, 2), -0.5, 0.5), "pw": grid((1, 1, 6, 5), -0.5, 0.5), "seq": grid((2, 7, 3), -1, 1),
        "k1": grid((3, 3, 4), -0.5, 0.5), "q": grid((2, 3, 4, 5), -1, 1), "kk": grid((2, 6, 2, 5), -1, 1),
        "vv": grid((2, 6, 2, 5), -1, 1), "causal_mask": np.tril(np.ones((3, 6), dtype=bool)),
        "probs": np.array([[0.1, 0.6, 0.3], [0.8, 0.1, 0.1]], dtype="float32"),
        "onehot": np.array([[0, 1, 0], [1, 0, 0]], dtype="float32"), "binary": grid((3, 4), 0, 1).round(),
        "spikes": np.array([[1.0, np.nan, -np.inf], [np.inf, 0.0, -0.0]], dtype="float32"),
        "nans": np.array([[1.5, np.nan, -2.0, 0.5], [np.nan, np.nan, 3.0, -1.0], [0.25, 2.0, np.nan, 4.0]], "float32"),
        "bins": np.array([-1.0, 0.0, 0.5, 1.5], dtype="float32"), "v3": grid((2, 3), -1, 1), "w3": grid((2, 3), -1, 1),
        "d2s": grid((1, 2, 3, 8), -1, 1), "s2d": grid((1, 4, 6, 2), -1, 1),
        "spd": _spd(rng, 3), "spd2": np.stack([_spd(rng, 3), _spd(rng, 3)]), "rhs": grid((3, 2), -1, 1),
    }


def _spd(rng, n):
    """A symmetric positive definite matrix on the 1/64 grid (well conditioned)."""
    m = np.round(rng.uniform(-1, 1, size=(n, n)) * 8) / 8
    return (m @ m.T + n * np.eye(n)).astype("float32")


# ---------------------------------------------------------------------------------------------- the calls
ELEMENTWISE = [
    ("abs", lambda o, d: o.abs(d["a"])), ("absolute", lambda o, d: o.absolute(d["a"])),
    ("negative", lambda o, d: o.negative(d["a"])), ("square", lambda o, d: o.square(d["a"])),
    ("sqrt", lambda o, d: o.sqrt(d["pos"])), ("rsqrt", lambda o, d: o.rsqrt(d["pos"])),
    ("cbrt", lambda o, d: o.cbrt(d["a"])), ("exp", lambda o, d: o.exp(d["a"])), ("exp2", lambda o, d: o.exp2(d["a"])),
    ("expm1", lambda o, d: o.expm1(d["a"])), ("log", lambda o, d: o.log(d["pos"])),
    ("log1p", lambda o, d: o.log1p(d["pos"])), ("log2", lambda o, d: o.log2(d["pos"])),
    ("log10", lambda o, d: o.log10(d["pos"])), ("sin", lambda o, d: o.sin(d["a"])), ("cos", lambda o, d: o.cos(d["a"])),
    ("tan", lambda o, d: o.tan(d["unit"])), ("arcsin", lambda o, d: o.arcsin(d["unit"])),
    ("arccos", lambda o, d: o.arccos(d["unit"])), ("arctan", lambda o, d: o.arctan(d["a"])),
    ("sinh", lambda o, d: o.sinh(d["a"])), ("cosh", lambda o, d: o.cosh(d["a"])), ("tanh", lambda o, d: o.tanh(d["a"])),
    ("arcsinh", lambda o, d: o.arcsinh(d["a"])), ("arccosh", lambda o, d: o.arccosh(d["big"])),
    ("arctanh", lambda o, d: o.arctanh(d["unit"])), ("sign", lambda o, d: o.sign(d["a"])),
    ("floor", lambda o, d: o.floor(d["a"])), ("ceil", lambda o, d: o.ceil(d["a"])), ("trunc", lambda o, d: o.trunc(d["a"])),
    ("round", lambda o, d: o.round(d["a"] * 2)), ("round_decimals", lambda o, d: o.round(d["a"] / 3, decimals=2)),
    ("reciprocal", lambda o, d: o.reciprocal(d["pos"])), ("deg2rad", lambda o, d: o.deg2rad(d["a"])),
    ("rad2deg", lambda o, d: o.rad2deg(d["a"])), ("isnan", lambda o, d: o.isnan(d["spikes"])),
    ("isinf", lambda o, d: o.isinf(d["spikes"])), ("isfinite", lambda o, d: o.isfinite(d["spikes"])),
    ("isneginf", lambda o, d: o.isneginf(d["spikes"])), ("isposinf", lambda o, d: o.isposinf(d["spikes"])),
    ("signbit", lambda o, d: o.signbit(d["spikes"])), ("logical_not", lambda o, d: o.logical_not(d["binary"])),
    ("nan_to_num", lambda o, d: o.nan_to_num(d["spikes"], nan=1.0, posinf=5.0, neginf=-5.0)),
    ("copy", lambda o, d: o.copy(d["a"])), ("real", lambda o, d: o.real(d["a"])), ("conj", lambda o, d: o.conj(d["a"])),
    ("add", lambda o, d: o.add(d["a"], d["b"])), ("add_broadcast", lambda o, d: o.add(d["a"], d["v"])),
    ("subtract", lambda o, d: o.subtract(d["a"], d["b"])), ("multiply", lambda o, d: o.multiply(d["a"], d["b"])),
    ("divide", lambda o, d: o.divide(d["a"], d["pos"])), ("true_divide", lambda o, d: o.true_divide(d["a"], d["pos"])),
    ("divide_ints", lambda o, d: o.divide(d["ints"], 2)), ("floor_divide", lambda o, d: o.floor_divide(d["a"], d["pos"])),
    ("mod", lambda o, d: o.mod(d["a"], d["pos"])), ("power", lambda o, d: o.power(d["pos"], d["a"])),
    ("maximum", lambda o, d: o.maximum(d["a"], d["b"])), ("minimum", lambda o, d: o.minimum(d["a"], d["b"])),
    ("arctan2", lambda o, d: o.arctan2(d["a"], d["b"])), ("hypot", lambda o, d: o.hypot(d["a"], d["b"])),
    ("logaddexp", lambda o, d: o.logaddexp(d["a"], d["b"])), ("logaddexp2", lambda o, d: o.logaddexp2(d["a"], d["b"])),
    ("equal", lambda o, d: o.equal(d["ints"], 2)), ("not_equal", lambda o, d: o.not_equal(d["ints"], 2)),
    ("greater", lambda o, d: o.greater(d["a"], d["b"])), ("greater_equal", lambda o, d: o.greater_equal(d["a"], d["b"])),
    ("less", lambda o, d: o.less(d["a"], d["b"])), ("less_equal", lambda o, d: o.less_equal(d["a"], d["b"])),
    ("logical_and", lambda o, d: o.logical_and(d["a"] > 0, d["b"] > 0)),
    ("logical_or", lambda o, d: o.logical_or(d["a"] > 0, d["b"] > 0)),
    ("logical_xor", lambda o, d: o.logical_xor(d["a"] > 0, d["b"] > 0)),
    ("divide_no_nan", lambda o, d: o.divide_no_nan(d["a"], d["binary"])),
    ("heaviside", lambda o, d: o.heaviside(d["a"] * d["binary"], 0.5)),
    ("clip", lambda o, d: o.clip(d["a"], -0.5, 1.0)), ("where", lambda o, d: o.where(d["a"] > 0, d["a"], d["b"])),
    ("isclose", lambda o, d: o.isclose(d["a"], d["a"] + 1e-6)), ("allclose", lambda o, d: o.allclose(d["a"], d["b"])),
    ("erfc", lambda o, d: o.erfc(d["a"])), ("sinc", lambda o, d: o.sinc(d["a"] * d["binary"])),
    ("ldexp", lambda o, d: o.ldexp(d["a"], d["ints"])), ("left_shift", lambda o, d: o.left_shift(d["ints"], 2)),
    ("right_shift", lambda o, d: o.right_shift(d["ints"] * 8, 2)), ("imag", lambda o, d: o.imag(d["a"])),
    ("isreal", lambda o, d: o.isreal(d["a"])), ("angle", lambda o, d: o.angle(d["a"])),
    ("fmax", lambda o, d: o.fmax(d["nans"], d["a"])), ("fmin", lambda o, d: o.fmin(d["nans"], d["a"])),
]

NAN_AND_SEARCH = [
    ("nansum", lambda o, d: o.nansum(d["nans"], axis=1)), ("nanprod", lambda o, d: o.nanprod(d["nans"])),
    ("nanmax", lambda o, d: o.nanmax(d["nans"], axis=0)), ("nanmin", lambda o, d: o.nanmin(d["nans"], axis=1)),
    ("nanmean", lambda o, d: o.nanmean(d["nans"], axis=1)), ("nanvar", lambda o, d: o.nanvar(d["nans"], axis=0)),
    ("nanstd", lambda o, d: o.nanstd(d["nans"])), ("nancumsum", lambda o, d: o.nancumsum(d["nans"], axis=1)),
    ("nancumprod", lambda o, d: o.nancumprod(d["nans"], axis=0)),
    ("nanargmax", lambda o, d: o.nanargmax(d["nans"], axis=1)), ("nanargmin", lambda o, d: o.nanargmin(d["nans"], axis=1)),
    ("searchsorted", lambda o, d: o.searchsorted(d["bins"], d["v"])),
    ("searchsorted_right", lambda o, d: o.searchsorted(d["bins"], d["bins"], side="right")),
    ("digitize", lambda o, d: o.digitize(d["a"], d["bins"])), ("isin", lambda o, d: o.isin(d["ints"], np.array([1, 3]))),
    ("nonzero", lambda o, d: list(o.nonzero(d["ints"] > 2))),
    ("unravel_index", lambda o, d: list(o.unravel_index(np.array([0, 5, 11]), (3, 4)))),
]

REDUCTIONS = [
    ("sum", lambda o, d: o.sum(d["a"])), ("sum_axis", lambda o, d: o.sum(d["a"], axis=1)),
    ("sum_keepdims", lambda o, d: o.sum(d["t3"], axis=(0, 2), keepdims=True)), ("mean", lambda o, d: o.mean(d["a"], axis=0)),
    ("mean_ints", lambda o, d: o.mean(d["ints"])), ("max", lambda o, d: o.max(d["a"], axis=-1)),
    ("min", lambda o, d: o.min(d["a"], axis=0, keepdims=True)), ("amax", lambda o, d: o.amax(d["a"])),
    ("amin", lambda o, d: o.amin(d["a"], axis=1)), ("prod", lambda o, d: o.prod(d["pos"], axis=1)),
    ("std", lambda o, d: o.std(d["a"], axis=1)), ("var", lambda o, d: o.var(d["a"])),
    ("any", lambda o, d: o.any(d["binary"], axis=1)), ("all", lambda o, d: o.all(d["binary"], axis=0)),
    ("argmax", lambda o, d: o.argmax(d["a"], axis=1)), ("argmax_flat", lambda o, d: o.argmax(d["a"])),
    ("argmin", lambda o, d: o.argmin(d["a"], axis=0)), ("count_nonzero", lambda o, d: o.count_nonzero(d["ints"], axis=1)),
    ("logsumexp", lambda o, d: o.logsumexp(d["a"], axis=-1)), ("cumsum", lambda o, d: o.cumsum(d["a"], axis=1)),
    ("cumsum_flat", lambda o, d: o.cumsum(d["a"])), ("cumprod", lambda o, d: o.cumprod(d["pos"], axis=0)),
    ("average", lambda o, d: o.average(d["a"], axis=1, weights=d["pos"][0])), ("median", lambda o, d: o.median(d["a"], axis=1)),
    ("quantile", lambda o, d: o.quantile(d["a"], 0.3, axis=0)), ("quantile_many", lambda o, d: o.quantile(d["v"], [0.1, 0.9])),
    ("ptp", lambda o, d: o.ptp(d["a"], axis=1)), ("diff", lambda o, d: o.diff(d["a"], axis=1)),
    ("diff_twice", lambda o, d: o.diff(d["a"], n=2, axis=0)),
    ("percentile", lambda o, d: o.percentile(d["a"], 40, axis=1)), ("trapezoid", lambda o, d: o.trapezoid(d["a"])),
    ("trapezoid_x", lambda o, d: o.trapezoid(d["a"], x=np.array([0.0, 0.5, 2.0, 3.0], "float32"))),
]

PRODUCTS = [
    ("matmul", lambda o, d: o.matmul(d["a"], d["m"])), ("matmul_batched", lambda o, d: o.matmul(d["t3"], d["u3"])),
    ("matmul_vector", lambda o, d: o.matmul(d["a"], d["v"])), ("dot", lambda o, d: o.dot(d["a"], d["m"])),
    ("dot_vectors", lambda o, d: o.dot(d["v"], d["w"])), ("dot_nd", lambda o, d: o.dot(d["t3"], d["m"])),
    ("tensordot", lambda o, d: o.tensordot(d["t3"], d["u3"], axes=([0, 2], [0, 1]))),
    ("tensordot_int", lambda o, d: o.tensordot(d["a"], d["m"], axes=1)), ("inner", lambda o, d: o.inner(d["a"], d["b"])),
    ("outer", lambda o, d: o.outer(d["v"], d["w"])), ("vdot", lambda o, d: o.vdot(d["a"], d["b"])),
    ("trace", lambda o, d: o.trace(d["m"])), ("trace_offset", lambda o, d: o.trace(d["t3"], offset=1, axis1=1, axis2=2)),
    ("einsum_matmul", lambda o, d: o.einsum("ij,jk->ik", d["a"], d["m"])),
    ("einsum_batched", lambda o, d: o.einsum("bij,bjk->bik", d["t3"], d["u3"])),
    ("einsum_ellipsis", lambda o, d: o.einsum("...ij,jk->...ik", d["t3"], d["m"])),
    ("einsum_transpose_sum", lambda o, d: o.einsum("bij->j", d["t3"])),
    ("einsum_implicit", lambda o, d: o.einsum("ij,ij", d["a"], d["b"])),
    ("einsum_three", lambda o, d: o.einsum("ij,jk,k->i", d["a"], d["m"], d["v"])),
    ("einsum_attention", lambda o, d: o.einsum("btnh,bsnh->bnts", d["q"], d["q"][:, :2])),
    ("kron", lambda o, d: o.kron(d["v3"], d["w3"][:1])), ("cross", lambda o, d: o.cross(d["v3"], d["w3"])),
]

SHAPES = [
    ("arange", lambda o, d: o.arange(5)), ("arange_float", lambda o, d: o.arange(0.5, 3.0, 0.5)),
    ("linspace", lambda o, d: o.linspace(0.0, 1.0, 5)), ("linspace_open", lambda o, d: o.linspace(0.0, 1.0, 4, endpoint=False)),
    ("logspace", lambda o, d: o.logspace(0.0, 2.0, 3)), ("eye", lambda o, d: o.eye(3, 4, k=1)), ("identity", lambda o, d: o.identity(3)),
    ("zeros", lambda o, d: o.zeros((2, 3))), ("ones", lambda o, d: o.ones((2,))), ("full", lambda o, d: o.full((2, 2), 7.0)),
    ("zeros_like", lambda o, d: o.zeros_like(d["a"])), ("ones_like", lambda o, d: o.ones_like(d["ints"])),
    ("full_like", lambda o, d: o.full_like(d["a"], 3.0)), ("tri", lambda o, d: o.tri(3, 4, k=-1)),
    ("tril", lambda o, d: o.tril(d["m"])), ("triu", lambda o, d: o.triu(d["t3"], k=1)), ("diag_vector", lambda o, d: o.diag(d["v"], k=1)),
    ("diag_matrix", lambda o, d: o.diag(d["m"], k=-1)), ("diagonal", lambda o, d: o.diagonal(d["t3"], offset=1, axis1=1, axis2=2)),
    ("meshgrid", lambda o, d: o.meshgrid(d["v"][:2], d["w"][:3])),
    ("meshgrid_ij", lambda o, d: o.meshgrid(d["v"][:2], d["w"][:3], indexing="ij")),
    ("reshape", lambda o, d: o.reshape(d["a"], (2, -1))), ("ravel", lambda o, d: o.ravel(d["t3"])),
    ("transpose", lambda o, d: o.transpose(d["t3"])), ("transpose_axes", lambda o, d: o.transpose(d["t3"], (1, 0, 2))),
    ("swapaxes", lambda o, d: o.swapaxes(d["t3"], 0, 2)), ("moveaxis", lambda o, d: o.moveaxis(d["t3"], 0, -1)),
    ("expand_dims", lambda o, d: o.expand_dims(d["a"], 1)), ("expand_dims_many", lambda o, d: o.expand_dims(d["v"], (0, 2))),
    ("squeeze", lambda o, d: o.squeeze(d["a"][:, :1])), ("squeeze_axis", lambda o, d: o.squeeze(d["a"][None], axis=0)),
    ("broadcast_to", lambda o, d: o.broadcast_to(d["v"], (2, 4))), ("concatenate", lambda o, d: o.concatenate([d["a"], d["b"]], axis=1)),
    ("concatenate_none", lambda o, d: o.concatenate([d["a"], d["v"]], axis=None)),
    ("append", lambda o, d: o.append(d["a"], d["b"], axis=0)), ("stack", lambda o, d: o.stack([d["a"], d["b"]], axis=1)),
    ("hstack", lambda o, d: o.hstack([d["a"], d["b"]])), ("vstack", lambda o, d: o.vstack([d["a"], d["v"]])),
    ("dstack", lambda o, d: o.dstack([d["a"], d["b"]])), ("split", lambda o, d: o.split(d["a"], 2, axis=1)),
    ("split_indices", lambda o, d: o.split(d["a"], [1, 3], axis=1)), ("tile", lambda o, d: o.tile(d["v"], (2, 2))),
    ("repeat", lambda o, d: o.repeat(d["a"], 2, axis=0)), ("repeat_flat", lambda o, d: o.repeat(d["v"], 3)),
    ("flip", lambda o, d: o.flip(d["a"], axis=1)), ("flip_all", lambda o, d: o.flip(d["t3"])),
    ("fliplr", lambda o, d: o.fliplr(d["a"])), ("flipud", lambda o, d: o.flipud(d["a"])),
    ("roll", lambda o, d: o.roll(d["a"], 1, axis=1)), ("roll_flat", lambda o, d: o.roll(d["a"], -3)),
    ("pad", lambda o, d: o.pad(d["a"], ((1, 0), (0, 2)))), ("pad_value", lambda o, d: o.pad(d["v"], (2, 1), constant_values=9.0)),
    ("pad_reflect", lambda o, d: o.pad(d["a"], ((1, 1), (2, 0)), mode="reflect")),
    ("pad_symmetric", lambda o, d: o.pad(d["v"], (2, 2), mode="symmetric")),
    ("take", lambda o, d: o.take(d["a"], d["labels"], axis=1)), ("take_flat", lambda o, d: o.take(d["a"], np.array([0, 5, -1]))),
    ("take_along_axis", lambda o, d: o.take_along_axis(d["a"], o.argsort(d["a"], axis=1), axis=1)),
    ("sort", lambda o, d: o.sort(d["a"], axis=1)), ("sort_axis0", lambda o, d: o.sort(d["a"], axis=0)),
    ("argsort", lambda o, d: o.argsort(d["v"])), ("bincount", lambda o, d: o.bincount(d["labels"], minlength=5)),
    ("bincount_weights", lambda o, d: o.bincount(d["labels"], weights=d["v"][:3])),
    ("get_item", lambda o, d: o.get_item(d["a"], 1)), ("size", lambda o, d: o.size(d["t3"])), ("ndim", lambda o, d: o.ndim(d["t3"])),
    ("shape", lambda o, d: list(o.shape(d["t3"]))), ("cast", lambda o, d: o.cast(d["a"], "int32")),
    ("cast_bool", lambda o, d: o.cast(d["ints"], "bool")), ("array_split", lambda o, d: o.array_split(d["a"], 3, axis=1)),
    ("hsplit", lambda o, d: o.hsplit(d["a"], 2)), ("vsplit", lambda o, d: o.vsplit(d["t3"], 2)),
    ("dsplit", lambda o, d: o.dsplit(d["t3"], [1])), ("rot90", lambda o, d: o.rot90(d["a"])),
    ("rot90_three", lambda o, d: o.rot90(d["t3"], k=3, axes=(1, 2))), ("diagflat", lambda o, d: o.diagflat(d["v3"])),
    ("vander", lambda o, d: o.vander(d["v"], 3)), ("vander_increasing", lambda o, d: o.vander(d["v"], increasing=True)),
    ("geomspace", lambda o, d: o.geomspace(1.0, 100.0, 5)), ("select", lambda o, d: o.select([d["a"] > 1, d["a"] < -1], [d["a"], -d["a"]], 0.5)),
]

CORE = [
    ("cond_true", lambda o, d: o.cond(o.sum(d["a"]) > -100, lambda: d["a"] * 2, lambda: d["a"])),
    ("scan", lambda o, d: o.scan(lambda c, x: (c + x, c * x), np.zeros(4, "float32"), d["a"])),
    ("scan_reverse", lambda o, d: o.scan(lambda c, x: (c + x, c * x), np.zeros(4, "float32"), d["a"], reverse=True)),
    ("scan_length", lambda o, d: o.scan(lambda c, x: (c * 2, c), np.float32(1), None, length=4)),
    ("scan_structures", lambda o, d: o.scan(lambda c, x: ((c[0] + x["p"], c[1] * 2), {"s": x["p"] * c[1]}),
                                            (np.zeros(4, "float32"), np.float32(1)), {"p": d["a"]})),
    ("fori_loop", lambda o, d: o.fori_loop(0, 4, lambda i, v: v * 2 + o.cast(i, "float32"), d["v"])),
    ("while_loop", lambda o, d: o.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s * 1.5),
                                             (np.int32(0), d["v"]))),
    ("while_loop_single", lambda o, d: o.while_loop(lambda s: o.sum(s) < 100, lambda s: s * 2, np.ones(3, "float32"))),
    ("while_loop_max", lambda o, d: o.while_loop(lambda s: True, lambda s: s + 1, np.float32(0), maximum_iterations=7)),
    ("map", lambda o, d: o.map(lambda x: o.sum(x) * x, d["a"])),
    ("switch", lambda o, d: o.switch(1, [lambda x: x + 1, lambda x: x * 3, lambda x: -x], d["v"])),
    ("slice", lambda o, d: o.slice(d["t3"], (0, 1, 1), (2, 2, 2))),
    ("slice_update", lambda o, d: o.slice_update(d["a"], (1, 1), np.ones((2, 2), "float32"))),
    ("scatter", lambda o, d: o.scatter(np.array([[0, 1], [2, 3], [0, 1]]), np.array([1.0, 2.0, 3.0], "float32"), (3, 4))),
    ("scatter_update", lambda o, d: o.scatter_update(d["a"], np.array([[0, 0], [2, 1]]), np.array([9.0, 8.0], "float32"))),
    ("segment_sum", lambda o, d: o.segment_sum(d["rows"], d["seg"], num_segments=4)),
    ("segment_max", lambda o, d: o.segment_max(d["rows"], d["seg"], num_segments=4)),
    ("segment_min", lambda o, d: o.segment_min(d["rows"], d["seg"], num_segments=4)),
    ("segment_prod", lambda o, d: o.segment_prod(d["rows"], d["seg"], num_segments=4)),
    ("top_k", lambda o, d: list(o.top_k(d["a"], 2))), ("in_top_k", lambda o, d: o.in_top_k(d["labels"], d["a"], 2)),
    ("stop_gradient", lambda o, d: o.stop_gradient(d["a"])), ("convert_to_tensor", lambda o, d: o.convert_to_tensor(d["a"])),
    ("convert_to_numpy", lambda o, d: o.convert_to_numpy(d["a"])), ("unstack", lambda o, d: o.unstack(d["t3"], axis=1)),
    ("erf", lambda o, d: o.erf(d["a"])), ("saturate_cast", lambda o, d: o.saturate_cast(d["a"] * 100, "int8")),
]

NN = [
    ("relu", lambda o, d: o.relu(d["a"])), ("relu6", lambda o, d: o.relu6(d["a"] * 4)), ("sigmoid", lambda o, d: o.sigmoid(d["a"])),
    ("softplus", lambda o, d: o.softplus(d["a"])), ("softsign", lambda o, d: o.softsign(d["a"])),
    ("silu", lambda o, d: o.silu(d["a"])), ("swish", lambda o, d: o.swish(d["a"])),
    ("log_sigmoid", lambda o, d: o.log_sigmoid(d["a"])), ("leaky_relu", lambda o, d: o.leaky_relu(d["a"], negative_slope=0.1)),
    ("hard_sigmoid", lambda o, d: o.hard_sigmoid(d["a"] * 2)), ("hard_silu", lambda o, d: o.hard_silu(d["a"] * 2)),
    ("hard_tanh", lambda o, d: o.hard_tanh(d["a"])), ("elu", lambda o, d: o.elu(d["a"], alpha=0.5)),
    ("selu", lambda o, d: o.selu(d["a"])), ("gelu", lambda o, d: o.gelu(d["a"])),
    ("gelu_exact", lambda o, d: o.gelu(d["a"], approximate=False)), ("celu", lambda o, d: o.celu(d["a"], alpha=0.7)),
    ("glu", lambda o, d: o.glu(d["a"])), ("softmax", lambda o, d: o.softmax(d["a"])),
    ("softmax_axis0", lambda o, d: o.softmax(d["a"], axis=0)), ("log_softmax", lambda o, d: o.log_softmax(d["a"])),
    ("sparse_plus", lambda o, d: o.sparse_plus(d["a"])), ("squareplus", lambda o, d: o.squareplus(d["a"])),
    ("tanh_shrink", lambda o, d: o.tanh_shrink(d["a"])), ("soft_shrink", lambda o, d: o.soft_shrink(d["a"])),
    ("hard_shrink", lambda o, d: o.hard_shrink(d["a"])), ("threshold", lambda o, d: o.threshold(d["a"], 0.5, -1.0)),
    ("one_hot", lambda o, d: o.one_hot(d["labels"], 4)), ("one_hot_axis0", lambda o, d: o.one_hot(d["labels"], 4, axis=0)),
    ("multi_hot", lambda o, d: o.multi_hot(d["ints"], 5)),
    ("binary_crossentropy", lambda o, d: o.binary_crossentropy(d["binary"], o.sigmoid(d["a"]))),
    ("binary_crossentropy_logits", lambda o, d: o.binary_crossentropy(d["binary"], d["a"], from_logits=True)),
    ("categorical_crossentropy", lambda o, d: o.categorical_crossentropy(d["onehot"], d["probs"])),
    ("categorical_crossentropy_logits", lambda o, d: o.categorical_crossentropy(d["onehot"], d["a"][:2, :3], from_logits=True)),
    ("sparse_categorical_crossentropy", lambda o, d: o.sparse_categorical_crossentropy(d["labels"][:2] % 3, d["probs"])),
    ("conv2d_valid", lambda o, d: o.conv(d["img"], d["kernel"])),
    ("conv2d_same_strided", lambda o, d: o.conv(d["img"], d["kernel"], strides=2, padding="same")),
    ("conv2d_dilated", lambda o, d: o.conv(d["img"], d["kernel"], dilation_rate=2)),
    ("conv2d_channels_first", lambda o, d: o.conv(np.transpose(d["img"], (0, 3, 1, 2)), d["kernel"], data_format="channels_first")),
    ("conv1d", lambda o, d: o.conv(d["seq"], d["k1"], padding="same")),
    ("depthwise_conv", lambda o, d: o.depthwise_conv(d["img"], d["dw"], padding="same")),
    ("separable_conv", lambda o, d: o.separable_conv(d["img"], d["dw"], d["pw"])),
    ("max_pool", lambda o, d: o.max_pool(d["img"], 2, strides=2)), ("max_pool_same", lambda o, d: o.max_pool(d["img"], 3, strides=2, padding="same")),
    ("average_pool", lambda o, d: o.average_pool(d["img"], (2, 3), strides=(2, 1))),
    ("average_pool_same", lambda o, d: o.average_pool(d["img"], 3, strides=2, padding="same")),
    ("max_pool_1d", lambda o, d: o.max_pool(d["seq"], 2, strides=2)),
    ("batch_normalization", lambda o, d: o.batch_normalization(d["a"], d["v"] * 0.1, d["pos"][0], axis=-1,
                                                               offset=d["w"], scale=d["pos"][1])),
    ("moments", lambda o, d: list(o.moments(d["t3"], axes=[0, 1]))),
    ("moments_keepdims", lambda o, d: list(o.moments(d["a"], axes=[1], keepdims=True))),
    ("normalize", lambda o, d: o.normalize(d["a"])), ("normalize_l1", lambda o, d: o.normalize(d["a"], axis=0, order=1)),
    ("rms_normalization", lambda o, d: o.rms_normalization(d["a"], scale=d["pos"][0])),
    ("layer_normalization", lambda o, d: o.layer_normalization(d["a"], gamma=d["pos"][0], beta=d["v"])),
    ("dot_product_attention", lambda o, d: o.dot_product_attention(d["q"], d["kk"], d["vv"])),
    ("dot_product_attention_causal", lambda o, d: o.dot_product_attention(d["q"], d["kk"][:, :3], d["vv"][:, :3], is_causal=True)),
    ("dot_product_attention_mask", lambda o, d: o.dot_product_attention(d["q"], d["kk"], d["vv"], mask=d["causal_mask"], scale=0.5)),
    ("depth_to_space", lambda o, d: o.depth_to_space(d["d2s"], 2)), ("space_to_depth", lambda o, d: o.space_to_depth(d["s2d"], 2)),
    ("psnr", lambda o, d: o.psnr(d["a"], d["b"], 4.0)), ("sparse_sigmoid", lambda o, d: o.sparse_sigmoid(d["a"])),
]

IMAGE_LINALG = [
    ("rgb_to_grayscale", lambda o, d: o.image.rgb_to_grayscale(d["img"])),
    ("resize_bilinear_up", lambda o, d: o.image.resize(d["img"], (9, 8))),
    ("resize_bilinear_down", lambda o, d: o.image.resize(d["img"], (4, 3))),
    ("resize_nearest", lambda o, d: o.image.resize(d["img"], (8, 5), interpolation="nearest")),
    ("pad_images", lambda o, d: o.image.pad_images(d["img"], 1, 2, 0, 1)),
    ("pad_images_target", lambda o, d: o.image.pad_images(d["img"], top_padding=1, left_padding=0, target_height=9, target_width=7)),
    ("crop_images", lambda o, d: o.image.crop_images(d["img"], 1, 2, 0, 1)),
    ("crop_images_target", lambda o, d: o.image.crop_images(d["img"], top_cropping=1, left_cropping=2, target_height=3, target_width=3)),
    ("norm", lambda o, d: o.linalg.norm(d["a"])), ("norm_top_level", lambda o, d: o.norm(d["a"], axis=0)), ("norm_axis", lambda o, d: o.linalg.norm(d["a"], axis=1)),
    ("norm_l1", lambda o, d: o.linalg.norm(d["v"], ord=1)), ("norm_inf", lambda o, d: o.linalg.norm(d["a"], ord=np.inf, axis=0)),
    ("norm_fro", lambda o, d: o.linalg.norm(d["m"], ord="fro")), ("norm_matrix_1", lambda o, d: o.linalg.norm(d["m"], ord=1)),
    ("norm_keepdims", lambda o, d: o.linalg.norm(d["a"], axis=-1, keepdims=True)),
    ("inv", lambda o, d: o.linalg.inv(d["spd"])), ("inv_batched", lambda o, d: o.linalg.inv(d["spd2"])),
    ("det", lambda o, d: o.linalg.det(d["spd2"])), ("slogdet", lambda o, d: list(o.slogdet(d["m"]))),
    ("logdet", lambda o, d: o.logdet(d["spd"])), ("solve_vector", lambda o, d: o.linalg.solve(d["spd"], d["rhs"][:, 0])),
    ("solve_matrix", lambda o, d: o.linalg.solve(d["spd"], d["rhs"])),
    ("solve_triangular", lambda o, d: o.linalg.solve_triangular(o.tril(d["spd"]), d["rhs"], lower=True)),
    ("cholesky", lambda o, d: o.linalg.cholesky(d["spd2"])),
    ("cholesky_inverse", lambda o, d: o.linalg.cholesky_inverse(o.linalg.cholesky(d["spd"]))),
    ("qr_product_and_abs_r", lambda o, d: [o.matmul(*o.linalg.qr(d["a"])), o.abs(o.linalg.qr(d["a"])[1])]),
    ("svd_values", lambda o, d: o.linalg.svd(d["a"], compute_uv=False)),
    ("svd_reconstruction", lambda o, d: (lambda u, s, vt: o.matmul(u * o.expand_dims(s, 0), vt))(
        *o.linalg.svd(d["a"], full_matrices=False))),
    ("eigh_values_and_reconstruction", lambda o, d: (lambda w, v: [w, o.matmul(v * o.expand_dims(w, 0),
                                                                               o.transpose(v))])(*o.linalg.eigh(d["spd"]))),
    ("pinv", lambda o, d: o.linalg.pinv(d["a"])), ("lstsq", lambda o, d: o.linalg.lstsq(d["a"], d["v"][:3])),
    ("matrix_rank", lambda o, d: o.linalg.matrix_rank(d["a"])),
    ("matrix_rank_deficient", lambda o, d: o.linalg.matrix_rank(o.outer(d["v"], d["w"]))),
    ("erfinv", lambda o, d: o.erfinv(d["unit"])), ("i0", lambda o, d: o.i0(d["a"])),
]

ROWS = {"numpy": ELEMENTWISE + REDUCTIONS + PRODUCTS + SHAPES + NAN_AND_SEARCH, "core": CORE, "nn": NN,
        "image_linalg": IMAGE_LINALG}


# ---------------------------------------------------------------------------------------------- recording
def _record(value):
    """A result as (value, dtype kinds): arrays stay arrays, tuples and lists become lists."""
    if isinstance(value, dict):
        pairs = {k: _record(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, {k: kind for k, (_, kind) in pairs.items()}
    if isinstance(value, (list, tuple)):
        pairs = [_record(v) for v in value]
        return [v for v, _ in pairs], [kind for _, kind in pairs]
    if isinstance(value, (int, float, bool)) and not isinstance(value, np.generic):
        return value, type(value).__name__
    array = np.asarray(value)
    return array, array.dtype.kind


def _symbolic(s, call):
    """layerkit only: the same call traced on placeholders and compiled (the value of the graph path)."""
    import layerkit_backend as lb
    import layerkit_backend.tensor as T
    from layerkit import tracing
    from layerkit.eager import flatten_structure, rebuild_structure

    placeholders = {k: T.tensor(v.dtype.name, shape=v.shape, name=k) for k, v in s.d.items()}
    with tracing.tracing():
        result = call(s.kl.ops, placeholders)
    leaves, description = flatten_structure(result)
    symbolic = [leaf for leaf in leaves if isinstance(leaf, lb.Variable)]
    function = lb.function(list(placeholders.values()), symbolic, on_unused_input="ignore")
    computed = iter(function(*s.d.values()))
    return rebuild_structure(description, [next(computed) if isinstance(leaf, lb.Variable) else leaf
                                           for leaf in leaves])


# calls that need concrete values (tracing them into a graph is an error, in Keras too)
EAGER_ONLY = {"convert_to_numpy"}


def _names_in(code):
    """Every string constant of a function's code, nested functions included (the data keys a call reads)."""
    names = set()
    for constant in code.co_consts:
        if isinstance(constant, str):
            names.add(constant)
        elif hasattr(constant, "co_consts"):
            names |= _names_in(constant)
    return names


def _data_for(call):
    """The case's data: only the arrays its call reads (the fixtures store each case's data)."""
    keys = _names_in(call.__code__)
    return lambda rng: {k: v for k, v in _data(rng).items() if k in keys}


def _case(group, name, call):
    def program(s):
        value, kinds = _record(call(s.kl.ops, s.d))
        s.out["value"], s.out["kind"] = value, kinds
        if not s.recording and name not in EAGER_ONLY:
            s.out["symbolic"] = _record(_symbolic(s, call))[0]

    def check(keras, ours, tol):
        return [] if name in EAGER_ONLY else compare_value(keras["value"], ours["symbolic"], ("value",), tol)

    # float32 functions differ between XLA and NumPy in the last bits
    return Case(f"ops/{group}/{name}", program, _data_for(call), tol=Tolerance(tight=(2e-5, 2e-6), drift=(2e-5, 2e-6)),
                skip=("symbolic",), check=check)


CASES = [_case(group, name, call) for group, rows in ROWS.items() for name, call in rows]
