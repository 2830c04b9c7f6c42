"""Attention layers: Keras's dot-product/additive ``Attention``, Bahdanau-style ``AdditiveAttention`` and
``MultiHeadAttention``.

Example:
    >>> import layerkit_backend.tensor as T
    >>> q = T.tensor("float32", shape=(None, 4, 8)); v = T.tensor("float32", shape=(None, 6, 8))
    >>> MultiHeadAttention(num_heads=2, key_dim=3)(q, v).type.shape
    (None, 4, 8)
"""
import math

import layerkit_backend.tensor as T
from layerkit_backend.tensor.shared_randomstreams import RandomStreams

from ..backend import inverted_dropout
from .base import Layer
from .core import (add_kernel_bias, drop_keras3_keys, kernel_bias_config, layer_config, seed_or_fresh,
                   set_kernel_bias_options)

__all__ = ["Attention", "AdditiveAttention", "MultiHeadAttention"]

_NEG = -1e9   # added to masked scores: exp underflows to exactly 0 in float32


def _masked_softmax(scores, mask):
    if mask is not None:
        scores = scores + (1.0 - T.cast(mask, scores.dtype)) * _NEG
    return T.nnet.softmax(scores, axis=scores.ndim - 1)


def _dropout(streams, weights, rate, training):
    return inverted_dropout(weights, rate, streams) if training is True else weights


class Attention(Layer):
    """Luong-style attention: ``softmax(scores(query, key)) @ value`` for ``[query, value]`` or
    ``[query, value, key]`` of shapes (batch, Tq, dim), (batch, Tv, dim), (batch, Tv, dim).

    ``score_mode='dot'``: ``query @ key^T`` (times a learned ``scale`` if ``use_scale``); ``'concat'``:
    ``concat_score_weight * sum(tanh(scale * (query + key)))``. A value mask hides value steps; a query mask
    zeroes the output at masked query steps and is the output mask. ``use_causal_mask=True`` (call argument)
    hides future steps.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> q = T.tensor("float32", shape=(None, 2, 3)); v = T.tensor("float32", shape=(None, 5, 3))
        >>> Attention()([q, v]).type.shape
        (None, 2, 3)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        kwargs = drop_keras3_keys(kwargs, "Attention")
        causal = kwargs.pop("causal", False)
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Attention '{self.name}': expected score_mode 'dot' or 'concat', received "
                             f"{score_mode!r}")
        self.use_scale, self.score_mode = bool(use_scale), score_mode
        self.dropout, self.seed, self.causal = float(dropout), seed, bool(causal)
        self._streams = RandomStreams(seed_or_fresh(seed))
        self.supports_masking = True

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) not in (2, 3):
            raise ValueError(f"Attention '{self.name}': expected inputs [query, value] or [query, value, key], "
                             f"received {input_shape}")
        q, v = input_shape[0], input_shape[1]
        k = input_shape[2] if len(input_shape) == 3 else v
        if q[-1] is not None and k[-1] is not None and q[-1] != k[-1]:
            raise ValueError(f"Attention '{self.name}': query and key need the same last dimension, received "
                             f"shapes {tuple(q)} and {tuple(k)}")
        self.scale = self.add_weight("scale", (), "ones") if self.use_scale else None
        self.concat_score_weight = (self.add_weight("concat_score_weight", (), "ones")
                                    if self.score_mode == "concat" else None)
        self.built = True

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = T.matmul(query, key.dimshuffle(0, 2, 1))
            return scores * self.scale if self.scale is not None else scores
        total = query.dimshuffle(0, 1, "x", 2) + key.dimshuffle(0, "x", 1, 2)
        if self.scale is not None:
            total = total * self.scale
        return self.concat_score_weight * T.sum(T.tanh(total), axis=-1)

    def call(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q_mask = mask[0] if mask is not None else None
        v_mask = mask[1] if mask is not None else None
        scores = self._scores(query, key)
        keep = None if v_mask is None else T.cast(v_mask, "bool").dimshuffle(0, "x", 1)
        if use_causal_mask or self.causal:
            tq, tv = scores.shape[1], scores.shape[2]
            causal = T.ge(T.arange(tq).dimshuffle(0, "x"), T.arange(tv).dimshuffle("x", 0)).dimshuffle("x", 0, 1)
            keep = causal if keep is None else T.and_(keep, causal)
        weights = _masked_softmax(scores, keep)
        result = T.matmul(_dropout(self._streams, weights, self.dropout, training), value)
        if q_mask is not None:
            result = result * T.cast(q_mask, result.dtype).dimshuffle(0, 1, "x")
        return [result, weights] if return_attention_scores else result

    def compute_mask(self, inputs, mask=None):
        return None if mask is None or mask[0] is None else mask[0]

    def get_config(self):
        return layer_config(self, use_scale=self.use_scale, score_mode=self.score_mode, dropout=self.dropout)


class AdditiveAttention(Attention):
    """Bahdanau-style attention: scores ``sum(scale * tanh(query + key), axis=-1)`` with a learned ``scale``
    vector of the feature size (``use_scale=True``, Keras's default), then ``softmax(scores) @ value``; masks as in
    ``Attention``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> q = T.tensor("float32", shape=(None, 2, 3)); v = T.tensor("float32", shape=(None, 5, 3))
        >>> AdditiveAttention()([q, v]).type.shape
        (None, 2, 3)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) not in (2, 3):
            raise ValueError(f"AdditiveAttention '{self.name}': expected inputs [query, value] or [query, value, "
                             f"key], received {input_shape}")
        dim = input_shape[0][-1]
        if self.use_scale and dim is None:
            raise ValueError(f"AdditiveAttention '{self.name}': the query's last dimension must be known, received "
                             f"{tuple(input_shape[0])}")
        self.concat_score_weight = None
        self.scale = self.add_weight("scale", (dim,), "glorot_uniform") if self.use_scale else None
        self.built = True

    def _scores(self, query, key):
        total = T.tanh(query.dimshuffle(0, 1, "x", 2) + key.dimshuffle(0, "x", 1, 2))
        if self.scale is not None:
            total = total * self.scale
        return T.sum(total, axis=-1)

    def get_config(self):
        return layer_config(self, use_scale=self.use_scale, dropout=self.dropout)


class MultiHeadAttention(Layer):
    """Keras's multi-head attention over the sequence axis of (batch, steps, dim) inputs.

    Called as ``mha(query, value, key=None, attention_mask=None, return_attention_scores=False, training=None)``
    (or on a list ``[query, value(, key)]``). Weights in Keras's layout and order: query/key/value kernels
    (dim, num_heads, key_dim | value_dim) and biases (num_heads, key_dim | value_dim), then attention_output
    kernel (num_heads, value_dim, output_dim) and bias (output_dim). ``attention_mask`` (batch, Tq, Tv) is 1 where
    attention is allowed; the query and value masks of the inputs are combined with it as Keras does.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.tensor("float32", shape=(None, 5, 4))
        >>> out, scores = MultiHeadAttention(2, 3)(x, x, return_attention_scores=True)
        >>> scores.type.shape
        (None, 2, 5, 5)
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, seed=None, **kwargs):
        kwargs = drop_keras3_keys(kwargs, "MultiHeadAttention")
        kwargs.pop("flash_attention", None)
        # newer Keras 3 writes these two options; accepted when off (their defaults), refused otherwise
        for key, off in (("sliding_window", None), ("use_gate", False)):
            value = kwargs.pop(key, off)
            if value not in (off, None, False):
                raise ValueError(f"MultiHeadAttention: {key}={value!r} is not supported by layerkit (files with "
                                 f"{key} off load)")
        # Keras 2 writes the call shapes so a loaded layer has its weights before it is called
        signature = [kwargs.pop(key, None) for key in ("query_shape", "value_shape", "key_shape")]
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = f"MultiHeadAttention '{self.name}'"
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim is not None else self.key_dim
        self.dropout, self.use_bias, self.seed = float(dropout), bool(use_bias), seed
        if isinstance(output_shape, (list, tuple)) and len(output_shape) != 1:
            raise ValueError(f"{owner}: only a 1-d output_shape is supported, received {output_shape}")
        self.output_shape_arg = output_shape
        axes = attention_axes if attention_axes is None or isinstance(attention_axes, (list, tuple)) \
            else [attention_axes]
        if axes is not None and [a % 3 if a < 0 else a for a in axes] != [1]:
            raise ValueError(f"{owner}: only attention over the sequence axis (attention_axes=None or (1,)) is "
                             f"supported, received {attention_axes}")
        self.attention_axes = None if axes is None else list(axes)
        set_kernel_bias_options(self, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                                kernel_constraint, bias_constraint)
        self._streams = RandomStreams(seed_or_fresh(seed))
        self._owner = owner
        self._weights_built = False
        self._signature = None
        self.supports_masking = True
        if signature[0] is not None and signature[1] is not None:
            self.build_from_shapes(*[None if shape is None else tuple(shape) for shape in signature])
            self.built = True

    def build_from_shapes(self, query_shape, value_shape, key_shape=None):
        """Creates the weights (Keras's ``_build_from_signature``)."""
        key_shape = key_shape or value_shape
        if self._weights_built:
            return
        self._signature = [list(query_shape), list(value_shape), list(key_shape)]
        for what, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(f"{self._owner}: expected {what} of shape (batch, steps, known dim), received "
                                 f"{tuple(shape)}")
        heads = self.num_heads
        self.query_dense = add_kernel_bias(self, (query_shape[-1], heads, self.key_dim), (heads, self.key_dim),
                                           "query/")
        self.key_dense = add_kernel_bias(self, (key_shape[-1], heads, self.key_dim), (heads, self.key_dim), "key/")
        self.value_dense = add_kernel_bias(self, (value_shape[-1], heads, self.value_dim), (heads, self.value_dim),
                                           "value/")
        out_dim = query_shape[-1] if self.output_shape_arg is None else int(
            self.output_shape_arg[0] if isinstance(self.output_shape_arg, (list, tuple)) else self.output_shape_arg)
        self.output_dense = add_kernel_bias(self, (heads, self.value_dim, out_dim), (out_dim,), "attention_output/")
        self._weights_built = True

    def build(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
            self.build_from_shapes(*[tuple(s) for s in input_shape])
        self.built = True

    def __call__(self, query, value=None, key=None, **kwargs):
        # fold value/key into the inputs list, so functional models record every tensor (and its mask)
        if value is not None:
            query = [query, value] + ([key] if key is not None else [])
        return super().__call__(query, **kwargs)

    @staticmethod
    def _project(x, dense):
        kernel, bias = dense
        out = T.tensordot(x, kernel, [[2], [0]])        # (batch, steps, heads, dim)
        return out + bias if bias is not None else out

    def call(self, query, value=None, key=None, attention_mask=None, return_attention_scores=False, training=None,
             mask=None, use_causal_mask=False):
        masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
        if isinstance(query, (list, tuple)):
            query, value, key = (list(query) + [None])[:3]
        else:
            masks = masks + [getattr(value, "_keras_mask", None), getattr(key, "_keras_mask", None)]
        if value is None:
            raise ValueError(f"{self._owner}: expected a value tensor: call mha(query, value)")
        key = value if key is None else key
        if not self._weights_built:
            self.build_from_shapes(query.type.shape, value.type.shape, key.type.shape)
        q_mask, v_mask = (masks + [None, None])[:2]
        k_mask = masks[2] if len(masks) > 2 else None
        q = self._project(query, self.query_dense) * (1.0 / math.sqrt(self.key_dim))
        k = self._project(key, self.key_dense)
        v = self._project(value, self.value_dense)
        scores = T.matmul(q.dimshuffle(0, 2, 1, 3), k.dimshuffle(0, 2, 3, 1))       # (batch, heads, Tq, Tv)
        keep = None if attention_mask is None else T.cast(attention_mask, "bool")
        if q_mask is not None:
            qm = T.cast(q_mask, "bool").dimshuffle(0, 1, "x")
            keep = qm if keep is None else T.and_(keep, qm)
        for step_mask in (v_mask, k_mask):   # Keras and-s the value and the key masks
            if step_mask is not None:
                km = T.cast(step_mask, "bool").dimshuffle(0, "x", 1)
                keep = km if keep is None else T.and_(keep, km)
        if use_causal_mask:
            tq, tv = scores.shape[2], scores.shape[3]
            causal = T.ge(T.arange(tq).dimshuffle(0, "x"), T.arange(tv).dimshuffle("x", 0)).dimshuffle("x", 0, 1)
            keep = causal if keep is None else T.and_(keep, causal)
        weights = _masked_softmax(scores, None if keep is None else keep.dimshuffle(0, "x", 1, 2))
        context = T.matmul(_dropout(self._streams, weights, self.dropout, training), v.dimshuffle(0, 2, 1, 3))
        kernel, bias = self.output_dense
        out = T.tensordot(context.dimshuffle(0, 2, 1, 3), kernel, [[2, 3], [0, 1]])
        if bias is not None:
            out = out + bias
        return [out, weights] if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            return mask[0]
        return mask

    def get_config(self):
        return layer_config(
            self, num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim, dropout=self.dropout,
            use_bias=self.use_bias, output_shape=self.output_shape_arg, attention_axes=self.attention_axes,
            **kernel_bias_config(self), query_shape=self._signature and self._signature[0], value_shape=self._signature and self._signature[1],
            key_shape=self._signature and self._signature[2])
