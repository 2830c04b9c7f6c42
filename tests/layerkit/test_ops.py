"""Gradients through ``layerkit.ops`` composites (their values are checked against Keras in the conformance group
``ops``): each row is a function of symbolic inputs and the shapes of its float64 inputs; ``verify_grad``
compares its symbolic gradient with finite differences."""
import numpy as np
import pytest

import layerkit_backend.tensor as T
from layerkit import ops, tracing
from layerkit_backend.gradient import verify_grad

ROWS = [
    ("einsum batched", lambda a, b: ops.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 2)]),
    ("einsum ellipsis and sum", lambda a, b: ops.einsum("...ij,j->i", a, b), [(2, 3, 4), (4,)]),
    ("einsum three operands", lambda a, b, c: ops.einsum("ij,jk,k->i", a, b, c), [(2, 3), (3, 4), (4,)]),
    ("top_k values", lambda a: ops.top_k(a, 2)[0], [(3, 5)]),
    ("take_along_axis", lambda a: ops.take_along_axis(a, ops.argsort(a, axis=1), axis=1), [(3, 4)]),
    ("quantile", lambda a: ops.quantile(a, 0.3, axis=1), [(3, 6)]),
    ("median", lambda a: ops.median(a, axis=0), [(5, 2)]),
    ("dot_product_attention", lambda q, k, v: ops.dot_product_attention(q, k, v, is_causal=True),
     [(2, 3, 2, 4), (2, 3, 1, 4), (2, 3, 1, 4)]),
    ("resize bilinear", lambda a: ops.image.resize(a, (5, 3)), [(1, 3, 4, 2)]),
    ("scan", lambda a: ops.scan(lambda c, x: (c * 0.5 + x, c * x), ops.zeros_like(a[0]), a)[1], [(4, 3)]),
    ("fori_loop", lambda a: ops.fori_loop(0, 3, lambda i, v: ops.tanh(v) * 1.5, a), [(3,)]),
    ("cond", lambda a: ops.cond(ops.sum(a) > -100.0, lambda: ops.square(a), lambda: a), [(3,)]),
    ("segment_sum", lambda a: ops.segment_sum(a, np.array([0, 2, 2, 1]), num_segments=3), [(4, 2)]),
    ("segment_max", lambda a: ops.segment_max(a, np.array([0, 0, 1, 1]), num_segments=2), [(4, 2)]),
    ("normalize", lambda a: ops.normalize(a), [(3, 4)]),
    ("layer_normalization", lambda a: ops.layer_normalization(a), [(3, 4)]),
    ("logaddexp", lambda a, b: ops.logaddexp(a, b), [(3,), (3,)]),
    ("depthwise_conv", lambda a, k: ops.depthwise_conv(a, k, padding="same"), [(1, 4, 4, 2), (3, 3, 2, 2)]),
    ("separable_conv", lambda a, k, p: ops.separable_conv(a, k, p), [(1, 4, 4, 2), (2, 2, 2, 1), (1, 1, 2, 3)]),
    ("glu", lambda a: ops.glu(a), [(2, 4)]),
    ("roll", lambda a: ops.roll(a, 2, axis=1), [(2, 5)]),
    ("pad reflect", lambda a: ops.pad(a, ((1, 1), (2, 1)), mode="reflect"), [(3, 4)]),
    ("tril", lambda a: ops.tril(a, -1), [(3, 3)]),
    ("trace", lambda a: ops.trace(a), [(3, 3)]),
    ("linalg.norm", lambda a: ops.linalg.norm(a, axis=1), [(3, 4)]),
    ("scatter_update", lambda a, u: ops.scatter_update(a, np.array([[0, 1], [2, 0]]), u), [(3, 2), (2,)]),
    ("slice_update", lambda a, u: ops.slice_update(a, (1, 0), u), [(3, 3), (2, 2)]),
    ("nanmean", lambda a: ops.nanmean(a, axis=1), [(3, 4)]),
    ("kron", lambda a, b: ops.kron(a, b), [(2, 2), (2, 3)]),
    ("cross", lambda a, b: ops.cross(a, b), [(2, 3), (2, 3)]),
    ("segment_min", lambda a: ops.segment_min(a, np.array([0, 1, 1, 0]), num_segments=2), [(4, 2)]),
    ("depth_to_space", lambda a: ops.depth_to_space(a, 2), [(1, 2, 2, 4)]),
    ("rot90", lambda a: ops.rot90(a, k=3), [(2, 3)]),
    ("trapezoid", lambda a: ops.trapezoid(a, axis=0), [(4, 2)]),
    ("linalg.inv batched", lambda a: ops.linalg.inv(a + 3.0 * np.eye(3)), [(2, 3, 3)]),
    ("linalg.solve", lambda a, b: ops.linalg.solve(a + 3.0 * np.eye(3), b), [(3, 3), (3, 2)]),
    ("linalg.cholesky", lambda a: ops.linalg.cholesky(ops.matmul(a, ops.transpose(a)) + np.eye(3)), [(3, 3)]),
]


@pytest.mark.parametrize("name, function, shapes", ROWS, ids=[row[0] for row in ROWS])
def test_gradients_through_ops_match_finite_differences(name, function, shapes):
    rng = np.random.default_rng(0)
    points = [rng.normal(size=shape) for shape in shapes]

    def traced(*inputs):   # the inputs with their static shapes (convolution kernels, resize need them)
        with tracing.tracing():
            shaped = [T.specify_shape(x, shape) for x, shape in zip(inputs, shapes)]
            return T.sum(T.as_tensor_variable(function(*shaped)) * 1.0)

    verify_grad(traced, points, rng=np.random.default_rng(1))
