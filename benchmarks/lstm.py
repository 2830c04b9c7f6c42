"""W2's model (one LSTM layer 64 -> 128 over 50 steps, Dense 128 -> 10 on h_T, softmax cross-entropy, SGD).

``build_<system>(params, xs, ys)`` takes the initial parameters and the (time-major) data pool as NumPy arrays and
returns ``step(i) -> loss`` and a ``sync`` callable (or None). The NumPy version, with backpropagation through time
written by hand, is the reference for the correctness gate.
"""
import numpy as np

from mlp import numpy_softmax_xent, pool_steps

__all__ = ["IN", "HIDDEN", "STEPS", "BATCH", "CLASSES", "POOL", "LR", "init_params", "make_pool",
           "reference_losses", "BUILDERS", "layerkit_training_function"]

IN, HIDDEN, STEPS, BATCH, CLASSES, POOL = 64, 128, 50, 32, 10, 4
LR = 0.01


def init_params():
    """[Wx, Wh, b, Wy, by]: Wx, Wh ~ U(-1/sqrt(128), 1/sqrt(128)), then Wy Glorot-uniform, from default_rng(0)."""
    rng = np.random.default_rng(0)
    k = 1.0 / np.sqrt(HIDDEN)
    wx = rng.uniform(-k, k, (IN, 4 * HIDDEN)).astype(np.float32)
    wh = rng.uniform(-k, k, (HIDDEN, 4 * HIDDEN)).astype(np.float32)
    s = np.sqrt(6.0 / (HIDDEN + CLASSES))
    wy = rng.uniform(-s, s, (HIDDEN, CLASSES)).astype(np.float32)
    return [wx, wh, np.zeros(4 * HIDDEN, np.float32), wy, np.zeros(CLASSES, np.float32)]


def make_pool():
    """X time-major (POOL, STEPS, BATCH, IN) float32 (drawn batch-major, transposed once) and y (POOL, BATCH)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((POOL, BATCH, STEPS, IN), dtype=np.float32)
    y = rng.integers(0, CLASSES, (POOL, BATCH)).astype(np.int32)
    return np.ascontiguousarray(x.transpose(0, 2, 1, 3)), y


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def _numpy_step(params, x, y):
    """One SGD step in place on ``params`` with hand-written BPTT; ``x`` is (STEPS, BATCH, IN)."""
    wx, wh, b, wy, by = params
    H = HIDDEN
    pre = (x.reshape(-1, IN) @ wx + b).reshape(STEPS, BATCH, 4 * H)
    h = np.zeros((BATCH, H), np.float32)
    c = np.zeros((BATCH, H), np.float32)
    saved = []
    for t in range(STEPS):
        a = pre[t] + h @ wh
        i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 3 * H:])
        g = np.tanh(a[:, 2 * H:3 * H])
        c_prev, h_prev = c, h
        c = f * c_prev + i * g
        tc = np.tanh(c)
        h = o * tc
        saved.append((i, f, g, o, c_prev, h_prev, tc))
    loss, dz = numpy_softmax_xent(h @ wy + by, y)
    g_wy, g_by = h.T @ dz, dz.sum(axis=0)
    dh = dz @ wy.T
    dc = np.zeros_like(dh)
    da_all = np.empty_like(pre)
    g_wh = np.zeros_like(wh)
    for t in reversed(range(STEPS)):
        i, f, g, o, c_prev, h_prev, tc = saved[t]
        dc = dc + dh * o * (1.0 - tc * tc)
        da = da_all[t]
        da[:, :H] = dc * g * i * (1.0 - i)
        da[:, H:2 * H] = dc * c_prev * f * (1.0 - f)
        da[:, 2 * H:3 * H] = dc * i * (1.0 - g * g)
        da[:, 3 * H:] = dh * tc * o * (1.0 - o)
        g_wh += h_prev.T @ da
        dh = da @ wh.T
        dc = dc * f
    flat = da_all.reshape(-1, 4 * H)
    grads = [x.reshape(-1, IN).T @ flat, g_wh, flat.sum(axis=0), g_wy, g_by]
    for param, grad in zip(params, grads):
        param -= np.float32(LR) * grad
    return loss


def reference_losses(steps=2):
    params = init_params()
    xs, ys = make_pool()
    return [float(_numpy_step(params, xs[i % POOL], ys[i % POOL])) for i in range(steps)]


def build_numpy(params, xs, ys):
    return pool_steps(lambda x, y: _numpy_step(params, x, y), xs, ys), None


def layerkit_training_function(initial_params):
    """The W2 training function at the backend level: ``scan`` over time, ``grad`` through it, SGD ``updates=``.

    Call it as ``train(x_time_major, y) -> loss``.
    """
    import layerkit_backend as lb
    import layerkit_backend.tensor as T
    from mlp import softmax_xent_sgd_function

    x = T.tensor3("x")            # (time, batch, features)
    y = T.ivector("y")
    params = [lb.shared(p, name=n) for p, n in zip(initial_params, ["Wx", "Wh", "b", "Wy", "by"])]
    wx, wh, b, wy, by = params
    H = HIDDEN

    # Written as the textbook step (x_t . Wx inside the loop): the scan rewrite local_scan_pushout computes x . Wx + b
    # for all steps as one GEMM before the loop, and the gradient's x_t^T . da_t sums become one GEMM after it.
    def step(x_t, h, c, wx, wh, b):
        a = T.dot(x_t, wx) + b + T.dot(h, wh)
        i, f, o = T.nnet.sigmoid(a[:, :H]), T.nnet.sigmoid(a[:, H:2 * H]), T.nnet.sigmoid(a[:, 3 * H:])
        c_new = f * c + i * T.tanh(a[:, 2 * H:3 * H])
        return o * T.tanh(c_new), c_new

    zeros = T.zeros((x.shape[1], H), dtype=x.dtype)
    (hs, _), _ = lb.scan(step, sequences=x, outputs_info=[zeros, zeros], non_sequences=[wx, wh, b])
    return softmax_xent_sgd_function(x, y, T.dot(hs[-1], wy) + by, params)


def build_layerkit(params, xs, ys):
    return pool_steps(layerkit_training_function(params), xs, ys), None


def build_torch(params, xs, ys):
    import torch

    torch.set_num_threads(int(__import__("os").environ.get("BENCH_TORCH_THREADS", torch.get_num_threads())))
    wx, wh, b, wy, by = (torch.from_numpy(p.copy()) for p in params)
    lstm = torch.nn.LSTM(IN, HIDDEN)          # time-major, the pool is already transposed
    dense = torch.nn.Linear(HIDDEN, CLASSES)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(wx.T)
        lstm.weight_hh_l0.copy_(wh.T)
        lstm.bias_ih_l0.copy_(b)
        lstm.bias_hh_l0.zero_()
        dense.weight.copy_(wy.T)
        dense.bias.copy_(by)
    lstm.bias_hh_l0.requires_grad_(False)    # one trained bias, as WORKLOADS.md says
    trained = [p for p in list(lstm.parameters()) + list(dense.parameters()) if p.requires_grad]
    optimizer = torch.optim.SGD(trained, lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    xs_t, ys_t = torch.from_numpy(xs), torch.from_numpy(ys).long()

    def step(i):
        k = i % POOL
        optimizer.zero_grad(set_to_none=True)
        out, _ = lstm(xs_t[k])
        loss = loss_fn(dense(out[-1]), ys_t[k])
        loss.backward()
        optimizer.step()
        return loss.detach()

    return step, None


BUILDERS = {"layerkit": build_layerkit, "numpy": build_numpy, "torch": build_torch}
