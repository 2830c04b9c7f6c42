"""W6 conv_train: training steps per second of the LeNet-sized CNN (see WORKLOADS.md).

conv 5x5 1->20, max-pool 2, conv 5x5 20->50, max-pool 2, dense 800->500, dense 500->10; cross-correlation (no
kernel flip), NCHW, batch 64, plain SGD. The NumPy version is written by hand (NHWC inside, im2col + one matmul
per convolution) and is the reference for the correctness gate.

Usage: python benchmarks/conv_train.py --system layerkit --variant b64
"""

import numpy as np

from mlp import numpy_softmax_xent, softmax_xent_sgd_function
from timing import common_args, run_training

VARIANTS = {"b64": 64}
POOL = 4
LR = 0.01
NAMES = ["K1", "b1", "K2", "b2", "W3", "b3", "W4", "b4"]


def init_params():
    """[K1, b1, K2, b2, W3, b3, W4, b4]: Glorot-uniform kernels and weights drawn in the order K1, K2, W3, W4 from
    default_rng(0) (a kernel's fans are channels * 25), zero biases."""
    rng = np.random.default_rng(0)

    def glorot(shape, fan_in, fan_out):
        s = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-s, s, shape).astype(np.float32)

    k1 = glorot((20, 1, 5, 5), 25, 500)
    k2 = glorot((50, 20, 5, 5), 500, 1250)
    w3 = glorot((800, 500), 800, 500)
    w4 = glorot((500, 10), 500, 10)
    zeros = lambda n: np.zeros(n, np.float32)  # noqa: E731
    return [k1, zeros(20), k2, zeros(50), w3, zeros(500), w4, zeros(10)]


def make_pool(batch):
    """X of shape (POOL, batch, 1, 28, 28) float32 and y of shape (POOL, batch) int32, from default_rng(1)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((POOL, batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, (POOL, batch)).astype(np.int32)
    return x, y


# -- NumPy by hand (the reference) ---------------------------------------------------------------------------
def _im2col(x):
    """NHWC images -> (N * oh * ow, 5 * 5 * C) columns in (kh, kw, c) order."""
    n, h, w, c = x.shape
    win = np.lib.stride_tricks.sliding_window_view(x, (5, 5), axis=(1, 2))  # (n, oh, ow, c, 5, 5)
    return win.transpose(0, 1, 2, 4, 5, 3).reshape(n * (h - 4) * (w - 4), 25 * c)


def _pool_relu(z, b):
    """max-pool 2x2 of NHWC z, + b, ReLU; returns (activation, pooled max) (the bias commutes with the max)."""
    n, h, w, c = z.shape
    m = z.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
    return np.maximum(m + b, 0), m


def _unpool(z, m, g):
    """Route g (pooled shape) to the window maxima of z."""
    n, h, w, c = z.shape
    tiles = z.reshape(n, h // 2, 2, w // 2, 2, c)
    return ((tiles == m[:, :, None, :, None]) * g[:, :, None, :, None]).reshape(z.shape)


def _numpy_step(params, x, y):
    """One SGD step in place on ``params`` (OIHW kernels); returns the loss. Plain NumPy, forward and backward."""
    k1, b1, k2, b2, w3, b3, w4, b4 = params
    n = x.shape[0]
    km1 = k1.transpose(2, 3, 1, 0).reshape(25, 20)
    km2 = k2.transpose(2, 3, 1, 0).reshape(500, 50)
    cols1 = _im2col(x.reshape(n, 28, 28, 1))
    z1 = (cols1 @ km1).reshape(n, 24, 24, 20)
    a1, m1 = _pool_relu(z1, b1)
    cols2 = _im2col(a1)
    z2 = (cols2 @ km2).reshape(n, 8, 8, 50)
    a2, m2 = _pool_relu(z2, b2)
    flat = a2.transpose(0, 3, 1, 2).reshape(n, 800)  # (C, H, W) order, as torch.flatten of NCHW
    h3 = np.maximum(flat @ w3 + b3, 0)
    loss, d4 = numpy_softmax_xent(h3 @ w4 + b4, y)
    d3 = (d4 @ w4.T) * (h3 > 0)
    d_a2 = (d3 @ w3.T).reshape(n, 50, 4, 4).transpose(0, 2, 3, 1) * (a2 > 0)
    d_z2 = _unpool(z2, m2, d_a2).reshape(-1, 50)
    d_cols2 = (d_z2 @ km2.T).reshape(n, 8, 8, 5, 5, 20)
    d_a1 = np.zeros((n, 12, 12, 20), np.float32)
    for u in range(5):
        for v in range(5):
            d_a1[:, u:u + 8, v:v + 8] += d_cols2[:, :, :, u, v]
    d_a1 *= a1 > 0
    d_z1 = _unpool(z1, m1, d_a1).reshape(-1, 20)
    grads = [(cols1.T @ d_z1).reshape(5, 5, 1, 20).transpose(3, 2, 0, 1), d_a1.sum(axis=(0, 1, 2)),
             (cols2.T @ d_z2).reshape(5, 5, 20, 50).transpose(3, 2, 0, 1), d_a2.sum(axis=(0, 1, 2)),
             flat.T @ d3, d3.sum(axis=0), h3.T @ d4, d4.sum(axis=0)]
    for prm, g in zip(params, grads):
        prm -= np.float32(LR) * g
    return loss


def reference_losses(batch, steps=2):
    """Losses of the first ``steps`` training steps, by the NumPy reference (2.345762, 2.318655 at batch 64)."""
    params = init_params()
    xs, ys = make_pool(batch)
    return [float(_numpy_step(params, xs[i % POOL], ys[i % POOL])) for i in range(steps)]


def build_numpy(batch):
    params = init_params()
    xs, ys = make_pool(batch)
    return (lambda i: _numpy_step(params, xs[i % POOL], ys[i % POOL])), None


# -- layerkit, at the backend level ----------------------------------------------------------------------------
def layerkit_training_function(batch):
    """The W6 training function: conv2d (filter_flip=False), pool_2d, dense layers, ``grad`` and ``updates=``."""
    import layerkit_backend as lb
    import layerkit_backend.tensor as T
    from layerkit_backend.tensor.nnet import conv2d
    from layerkit_backend.tensor.signal.pool import pool_2d

    x = T.tensor("float32", shape=(batch, 1, 28, 28), name="x")
    y = T.ivector("y")
    params = [lb.shared(p, name=name) for p, name in zip(init_params(), NAMES)]
    k1, b1, k2, b2, w3, b3, w4, b4 = params
    # conv -> pool -> + bias -> ReLU equals conv + bias -> ReLU -> pool, on 4x fewer elements (WORKLOADS.md)
    a1 = T.maximum(pool_2d(conv2d(x, k1, filter_flip=False), (2, 2)) + b1.dimshuffle("x", 0, "x", "x"), 0)
    a2 = T.maximum(pool_2d(conv2d(a1, k2, filter_flip=False), (2, 2)) + b2.dimshuffle("x", 0, "x", "x"), 0)
    h3 = T.maximum(T.dot(T.flatten(a2, 2), w3) + b3, 0)
    return softmax_xent_sgd_function(x, y, T.dot(h3, w4) + b4, params)


def build_layerkit(batch):
    train = layerkit_training_function(batch)
    xs, ys = make_pool(batch)
    return (lambda i: train(xs[i % POOL], ys[i % POOL])), None


# -- PyTorch eager -----------------------------------------------------------------------------------------------
def build_torch(batch):
    import os

    import torch
    import torch.nn.functional as F

    torch.set_num_threads(int(os.environ.get("BENCH_TORCH_THREADS", torch.get_num_threads())))
    params = [torch.from_numpy(p).requires_grad_() for p in init_params()]
    k1, b1, k2, b2, w3, b3, w4, b4 = params
    xs_np, ys_np = make_pool(batch)
    xs = [torch.from_numpy(xs_np[k]) for k in range(POOL)]
    ys = [torch.from_numpy(ys_np[k].astype(np.int64)) for k in range(POOL)]  # cross_entropy wants int64

    def step(i):
        x, y = xs[i % POOL], ys[i % POOL]
        a1 = F.max_pool2d(torch.relu(F.conv2d(x, k1, b1)), 2)
        a2 = F.max_pool2d(torch.relu(F.conv2d(a1, k2, b2)), 2)
        h3 = torch.relu(torch.flatten(a2, 1) @ w3 + b3)
        loss = F.cross_entropy(h3 @ w4 + b4, y)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(g, alpha=LR)
        return loss.detach()

    return step, None


BUILDERS = {"layerkit": build_layerkit, "numpy": build_numpy, "torch": build_torch}


def main():
    args = common_args(__doc__, variant=sorted(VARIANTS)).parse_args()
    batch = VARIANTS[args.variant]
    run_training(args, "conv_train", lambda: BUILDERS[args.system](batch), reference_losses(batch))


if __name__ == "__main__":
    main()
