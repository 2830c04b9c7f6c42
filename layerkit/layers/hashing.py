"""``Hashing``: Keras 3's layer mapping strings or integers to ``num_bins`` bins by FarmHash64 (TensorFlow's
``to_hash_bucket_fast``: the bin is ``Fingerprint64(utf-8 bytes) % bins``; integers are hashed as their decimal
text), with ``mask_value`` kept at bin 0 and the output modes of the other categorical layers.

FarmHash's 64-bit fingerprint (Pike & Alakuijala's farmhashna ``Hash64``, which TensorFlow uses) is written here
in pure Python; it agrees with TensorFlow on strings of every length from 0 to 1000 bytes (checked once against
TensorFlow 2.21; the conformance case ``text_k3/Hashing/*`` pins it through Keras).

Example:
    >>> import numpy as np, layerkit_backend as lb, layerkit_backend.tensor as T
    >>> x = T.tensor("string", shape=(None,), name="x")
    >>> bins = lb.function([x], Hashing(num_bins=3)(x))(np.array(["a", "b", "a"]))
    >>> bool(bins[0] == bins[2]), bins.dtype
    (True, dtype('int64'))
"""
import struct

import numpy as np

import layerkit_backend.tensor as T
from layerkit_backend.graph import Apply, Op

from .base import Layer
from .core import drop_keras3_keys, layer_config
from .preprocessing_numeric import OUTPUT_MODES, encode_categories

__all__ = ["Hashing", "HashBins", "fingerprint64"]

M = (1 << 64) - 1
K0, K1, K2 = 0xc3a5c85c97cb3127, 0xb492b66fbe98f273, 0x9ae16a3b2f90404f

def _rot(v, s):
    return ((v >> s) | (v << (64 - s))) & M if s else v

def _f64(b, i):
    return struct.unpack_from("<Q", b, i)[0]

def _f32(b, i):
    return struct.unpack_from("<I", b, i)[0]

def _smix(v):
    return v ^ (v >> 47)

def _h16(u, v, mul):
    a = ((u ^ v) * mul) & M
    a ^= a >> 47
    b = ((v ^ a) * mul) & M
    b ^= b >> 47
    return (b * mul) & M

def _len0to16(s):
    n = len(s)
    if n >= 8:
        mul = K2 + n * 2
        a = (_f64(s, 0) + K2) & M
        b = _f64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & M
        d = ((_rot(a, 25) + b) * mul) & M
        return _h16(c, d, mul)
    if n >= 4:
        mul = K2 + n * 2
        a = _f32(s, 0)
        return _h16((n + (a << 3)) & M, _f32(s, n - 4), mul)
    if n > 0:
        a, b, c = s[0], s[n >> 1], s[n - 1]
        y = (a + (b << 8)) & 0xFFFFFFFF
        z = (n + (c << 2)) & 0xFFFFFFFF
        return (_smix(((y * K2) ^ (z * K0)) & M) * K2) & M
    return K2

def _len17to32(s):
    n = len(s)
    mul = K2 + n * 2
    a = (_f64(s, 0) * K1) & M
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & M
    d = (_f64(s, n - 16) * K2) & M
    return _h16((_rot((a + b) & M, 43) + _rot(c, 30) + d) & M, (a + _rot((b + K2) & M, 18) + c) & M, mul)

def _weak(w, x, y, z, a, b):
    a = (a + w) & M
    b = _rot((b + a + z) & M, 21)
    c = a
    a = (a + x) & M
    a = (a + y) & M
    b = (b + _rot(a, 44)) & M
    return (a + z) & M, (b + c) & M

def _weak_s(s, i, a, b):
    return _weak(_f64(s, i), _f64(s, i + 8), _f64(s, i + 16), _f64(s, i + 24), a, b)

def _len33to64(s):
    n = len(s)
    mul = K2 + n * 2
    a = (_f64(s, 0) * K2) & M
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & M
    d = (_f64(s, n - 16) * K2) & M
    y = (_rot((a + b) & M, 43) + _rot(c, 30) + d) & M
    z = _h16(y, (a + _rot((b + K2) & M, 18) + c) & M, mul)
    e = (_f64(s, 16) * mul) & M
    f = _f64(s, 24)
    g = ((y + _f64(s, n - 32)) * mul) & M
    h = ((z + _f64(s, n - 24)) * mul) & M
    return _h16((_rot((e + f) & M, 43) + _rot(g, 30) + h) & M, (e + _rot((f + a) & M, 18) + g) & M, mul)

def fingerprint64(s):
    """FarmHash64 fingerprint of the bytes ``s`` (TensorFlow's ``Fingerprint64``)."""
    n = len(s)
    if n <= 16:
        return _len0to16(s)
    if n <= 32:
        return _len17to32(s)
    if n <= 64:
        return _len33to64(s)
    seed = 81
    x = seed
    y = (seed * K1 + 113) & M
    z = (_smix((y * K2 + 113) & M) * K2) & M
    v, w = (0, 0), (0, 0)
    x = (x * K2 + _f64(s, 0)) & M
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v[0] + _f64(s, i + 8)) & M, 37) * K1) & M
        y = (_rot((y + v[1] + _f64(s, i + 48)) & M, 42) * K1) & M
        x ^= w[1]
        y = (y + v[0] + _f64(s, i + 40)) & M
        z = (_rot((z + w[0]) & M, 33) * K1) & M
        v = _weak_s(s, i, (v[1] * K1) & M, (x + w[0]) & M)
        w = _weak_s(s, i + 32, (z + w[1]) & M, (y + _f64(s, i + 16)) & M)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = K1 + ((z & 0xff) << 1)
    i = last64
    w = ((w[0] + ((n - 1) & 63)) & M, w[1])
    v = ((v[0] + w[0]) & M, v[1])
    w = ((w[0] + v[0]) & M, w[1])
    x = (_rot((x + y + v[0] + _f64(s, i + 8)) & M, 37) * mul) & M
    y = (_rot((y + v[1] + _f64(s, i + 48)) & M, 42) * mul) & M
    x ^= (w[1] * 9) & M
    y = (y + v[0] * 9 + _f64(s, i + 40)) & M
    z = (_rot((z + w[0]) & M, 33) * mul) & M
    v = _weak_s(s, i, (v[1] * mul) & M, (x + w[0]) & M)
    w = _weak_s(s, i + 32, (z + w[1]) & M, (y + _f64(s, i + 16)) & M)
    z, x = x, z
    return _h16((_h16(v[0], w[0], mul) + _smix(y) * K0 + z) & M, (_h16(v[1], w[1], mul) + x) & M, mul)


class HashBins(Op):
    """``fingerprint64(text) % bins`` of every entry (integers as their decimal text); with ``mask_value``, that
    value goes to bin 0 and the others to ``1 + fingerprint % (bins - 1)``. Host-side, no gradient."""

    __props__ = ("bins", "mask_value")

    def __init__(self, bins, mask_value=None):
        self.bins, self.mask_value = int(bins), mask_value

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [T.TensorType("int64", shape=x.type.shape)()])

    def perform(self, xp, node, inputs):
        x = np.asarray(inputs[0])
        if x.dtype.kind == "f":
            x = x.astype(np.int64)
        masked = self.mask_value is not None and self.bins > 1
        bins = self.bins - 1 if masked else self.bins
        flat = x.reshape(-1).tolist()
        out = np.array([fingerprint64(str(v).encode("utf-8")) % bins for v in flat], dtype=np.int64)
        if masked:
            out = np.where(np.array([v == self.mask_value for v in flat], dtype=bool), 0, out + 1)
        return [out.reshape(x.shape)]

    def grad(self, inputs, output_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


class Hashing(Layer):
    """Hashes strings or integers into ``num_bins`` bins ('int' indices, or 'one_hot' / 'multi_hot' / 'count'
    vectors); ``mask_value`` keeps its own bin 0. ``salt`` (Keras's SipHash variant) is not supported.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Hashing(num_bins=4, output_mode="multi_hot")(T.tensor("string", shape=(None, 3))).type.shape
        (None, 4)
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        kwargs = drop_keras3_keys(kwargs, "Hashing")
        dtype = kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        owner = self._owner = f"Hashing '{self.name}'"
        if num_bins is None or int(num_bins) <= 0:
            raise ValueError(f"{owner}: expected num_bins > 0, received {num_bins!r}")
        if salt is not None or sparse:
            raise ValueError(f"{owner}: salt (SipHash) and sparse outputs are not supported by layerkit")
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"{owner}: expected output_mode in {OUTPUT_MODES}, received {output_mode!r}")
        self.num_bins, self.mask_value, self.output_mode = int(num_bins), mask_value, output_mode
        self.dtype = dtype or ("int64" if output_mode == "int" else "float32")

    def call(self, inputs):
        bins = HashBins(self.num_bins, self.mask_value)(inputs)
        return encode_categories(bins, self.output_mode, self.num_bins, self.dtype, self._owner)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype, "num_bins": self.num_bins,
                "mask_value": self.mask_value, "salt": None, "output_mode": self.output_mode, "sparse": False}
