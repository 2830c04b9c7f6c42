"""W1's model (784 -> 512 -> 512 -> 10 MLP, softmax cross-entropy, plain SGD) for each system.

``build_<system>(params, xs, ys)`` takes the initial parameters and the data pool as NumPy arrays (made before any
timing starts) and returns ``step(i) -> loss`` (one training step on batch ``i % POOL``) and a ``sync`` callable
(or None). The NumPy version is written by hand and is also the reference for the correctness gate.
"""
import numpy as np

__all__ = ["SIZES", "POOL", "LR", "init_params", "make_pool", "reference_losses", "BUILDERS", "numpy_softmax_xent",
           "pool_steps", "layerkit_training_function", "softmax_xent_sgd_function"]

SIZES = (784, 512, 512, 10)
POOL = 8
LR = 0.01


def init_params():
    """[W1, b1, W2, b2, W3, b3]: Glorot-uniform weights drawn in order from default_rng(0), zero biases."""
    rng = np.random.default_rng(0)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        s = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-s, s, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params


def make_pool(batch):
    """X of shape (POOL, batch, 784) float32 and y of shape (POOL, batch) int32, from default_rng(1)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((POOL, batch, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], (POOL, batch)).astype(np.int32)
    return x, y


def numpy_softmax_xent(z, y):
    """(mean softmax cross-entropy of the logits ``z`` against int labels ``y``, its gradient with respect to ``z``),
    by hand in NumPy for the reference steps; ``z`` is overwritten by the gradient."""
    n = z.shape[0]
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)  # z is now the softmax
    rows = np.arange(n)
    loss = -np.log(z[rows, y]).mean(dtype=np.float32)
    z[rows, y] -= 1.0
    z *= np.float32(1.0 / n)
    return loss, z


def pool_steps(call, xs, ys):
    """``step(i) = call(xs[k], ys[k])`` with ``k = i % len(xs)``: training step ``i`` on batch ``k`` of the pool."""
    def step(i):
        k = i % len(xs)
        return call(xs[k], ys[k])

    return step


def _numpy_step(params, x, y):
    """One SGD step in place on ``params``; returns the loss (float32). Plain NumPy, forward and backward."""
    w1, b1, w2, b2, w3, b3 = params
    n = x.shape[0]
    h1 = x @ w1
    h1 += b1
    np.maximum(h1, 0, out=h1)
    h2 = h1 @ w2
    h2 += b2
    np.maximum(h2, 0, out=h2)
    z = h2 @ w3
    z += b3
    loss, z = numpy_softmax_xent(z, y)
    g_h2 = z @ w3.T
    g_h2 *= h2 > 0
    g_h1 = g_h2 @ w2.T
    g_h1 *= h1 > 0
    lr = np.float32(LR)
    for w, b, inp, g in ((w3, b3, h2, z), (w2, b2, h1, g_h2), (w1, b1, x, g_h1)):
        w -= lr * (inp.T @ g)
        b -= lr * g.sum(axis=0)
    return loss


def reference_losses(batch, steps=2):
    """Losses of the first ``steps`` training steps, by the NumPy reference."""
    params = init_params()
    xs, ys = make_pool(batch)
    return [float(_numpy_step(params, xs[i % POOL], ys[i % POOL])) for i in range(steps)]


def build_numpy(params, xs, ys):
    return pool_steps(lambda x, y: _numpy_step(params, x, y), xs, ys), None


def layerkit_training_function(initial_params):
    """The W1 training function at the backend level: ``grad`` and ``updates=``, float32.

    Returns the compiled function; call it as ``train(x_batch, y_batch) -> loss``.
    """
    import layerkit_backend as lb
    import layerkit_backend.tensor as T

    x = T.matrix("x")
    y = T.ivector("y")
    params = [lb.shared(p, name=name) for p, name in zip(initial_params, ["W1", "b1", "W2", "b2", "W3", "b3"])]
    w1, b1, w2, b2, w3, b3 = params
    h1 = T.maximum(T.dot(x, w1) + b1, 0)
    h2 = T.maximum(T.dot(h1, w2) + b2, 0)
    return softmax_xent_sgd_function(x, y, T.dot(h2, w3) + b3, params)


def softmax_xent_sgd_function(x, y, logits, params):
    """The compiled step shared by the training workloads: mean softmax cross-entropy of ``logits`` against the
    int labels ``y``, plain SGD (lr = LR) on ``params`` through ``grad`` and ``updates=``; returns the loss."""
    import layerkit_backend as lb
    import layerkit_backend.tensor as T
    from layerkit_backend.gradient import disconnected_grad

    # log-softmax with the max shift held constant: the shift cancels, so its gradient is zero anyway
    shifted = logits - disconnected_grad(logits.max(axis=1, keepdims=True))
    log_p = shifted - T.log(T.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[T.arange(y.shape[0]), y].mean()
    grads = lb.grad(loss, params)
    return lb.function([x, y], loss, updates=[(p, p - LR * g) for p, g in zip(params, grads)])


def build_layerkit(params, xs, ys):
    return pool_steps(layerkit_training_function(params), xs, ys), None


def torch_model(initial_params):
    """(parameters, loss function of (x, y)) for PyTorch eager, from the same initial values."""
    import torch
    import torch.nn.functional as F

    params = [torch.from_numpy(p).requires_grad_() for p in initial_params]
    w1, b1, w2, b2, w3, b3 = params

    def loss_fn(x, y):
        h1 = torch.relu(x @ w1 + b1)
        h2 = torch.relu(h1 @ w2 + b2)
        return F.cross_entropy(h2 @ w3 + b3, y)

    return params, loss_fn


def torch_step(params, loss_fn, x, y):
    import torch

    loss = loss_fn(x, y)
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for p, g in zip(params, grads):
            p.sub_(g, alpha=LR)
    return loss.detach()


def build_torch(params, xs, ys):
    import torch

    params, loss_fn = torch_model(params)
    xs = [torch.from_numpy(x) for x in xs]
    ys = [torch.from_numpy(y.astype(np.int64)) for y in ys]  # cross_entropy wants int64 labels

    def step(i):
        k = i % POOL
        return torch_step(params, loss_fn, xs[k], ys[k])

    return step, None


BUILDERS = {"layerkit": build_layerkit, "numpy": build_numpy, "torch": build_torch}
