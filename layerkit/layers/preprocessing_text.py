"""Vocabulary layers: ``StringLookup``, ``IntegerLookup`` and ``TextVectorization`` (Keras 3's), with ``adapt``.

Strings live in 'string' tensors (``Input(dtype='string')``; NumPy object arrays of ``str`` on the host). One op,
``TokenEncoding``, turns them into numbers on the host: it standardises and splits text (``TextVectorization``),
looks tokens up in the vocabulary and encodes the indices ('int', 'one_hot', 'multi_hot' or 'count'). It has no
gradient: these layers come first in a model. Index layout as in Keras: the mask token (if any) at 0, then the
out-of-vocabulary index, then the vocabulary, most frequent token first (``adapt`` breaks ties like Keras: the
larger token first).

Example:
    >>> import numpy as np, layerkit_backend as lb, layerkit_backend.tensor as T
    >>> lookup = StringLookup(vocabulary=["cat", "dog"])
    >>> x = T.tensor("string", shape=(None,), name="x")
    >>> lb.function([x], lookup(x))(np.array(["dog", "cat", "emu"])).tolist()
    [2, 1, 0]
"""
import re

import numpy as np

import layerkit_backend.tensor as T
from layerkit_backend.graph import Apply, Op

from .base import Layer
from .core import drop_keras3_keys, layer_config

__all__ = ["StringLookup", "IntegerLookup", "TextVectorization", "TokenEncoding"]

_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
MODES = ("int", "one_hot", "multi_hot", "count")


def standardize_and_split(text, standardize, split, ngrams):
    """The tokens of one string: ``standardize`` ('lower_and_strip_punctuation', 'lower', 'strip_punctuation' or
    None; lower-casing is ASCII-only, as TensorFlow's), ``split`` ('whitespace', 'character' or None) and
    n-grams of the widths in ``ngrams`` (joined by spaces, all 1-grams first)."""
    if standardize in ("lower", "lower_and_strip_punctuation"):
        text = text.translate(_ASCII_LOWER)
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = _PUNCTUATION.sub("", text)
    tokens = text.split() if split == "whitespace" else list(text) if split == "character" else [text]
    if not ngrams:
        return tokens
    return [" ".join(tokens[i:i + n]) for n in ngrams for i in range(len(tokens) - n + 1)]


class TokenEncoding(Op):
    """Host-side lookup of tokens (strings or integers) in ``vocabulary`` (index ``start + i``), out-of-vocabulary
    tokens at ``start - 1``, ``mask_token`` at 0; with ``text`` = (standardize, split, ngrams) each string is
    tokenised first. ``output_mode``: 'int' (for text: padded with 0 to ``sequence_length`` or the longest
    sample), 'one_hot', 'multi_hot' or 'count' (``depth`` columns, one row per sample)."""

    __props__ = ("vocabulary", "start", "mask_token", "text", "output_mode", "depth", "sequence_length")

    def __init__(self, vocabulary, start, mask_token, text, output_mode, depth, sequence_length):
        self.vocabulary, self.start, self.mask_token = tuple(vocabulary), int(start), mask_token
        self.text, self.output_mode, self.depth = text, output_mode, int(depth)
        self.sequence_length = sequence_length
        self._index = {token: start + i for i, token in enumerate(self.vocabulary)}

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        batch = x.type.shape[:1] if x.ndim else ()
        if self.text is not None:
            if x.ndim == 2 and x.type.shape[-1] == 1:
                pass
            elif x.ndim != 1:
                raise TypeError(f"TextVectorization: expected strings of shape (batch,) or (batch, 1), received "
                                f"{x.type}")
            shape = batch + ((self.sequence_length,) if self.output_mode == "int" else (self.depth,))
        elif self.output_mode == "int":
            shape = x.type.shape
        elif self.output_mode == "one_hot":
            base = x.type.shape[:-1] if x.ndim > 1 and x.type.shape[-1] == 1 else x.type.shape
            shape = base + (self.depth,)
        else:
            shape = batch + (self.depth,)
        dtype = "int64" if self.output_mode == "int" else "float32"
        return Apply(self, [x], [T.TensorType(dtype, shape=shape)()])

    def _lookup(self, token):
        if self.mask_token is not None and token == self.mask_token:
            return 0
        return self._index.get(token, self.start - 1)

    def perform(self, xp, node, inputs):
        x = np.asarray(inputs[0])
        if x.dtype.kind in "iu":
            x = x.astype(np.int64)
        if self.text is not None:
            rows = [[self._lookup(t) for t in standardize_and_split(str(s), *self.text)] for s in x.reshape(-1)]
        elif self.output_mode in ("int", "one_hot"):
            indices = np.array([self._lookup(t) for t in x.reshape(-1).tolist()], dtype=np.int64).reshape(x.shape)
            if self.output_mode == "int":
                return [indices]
            if x.ndim > 1 and x.shape[-1] == 1:
                indices = indices[..., 0]
            return [np.eye(self.depth, dtype=np.float32)[indices]]
        else:
            rows = [[self._lookup(t) for t in row] for row in (x.reshape(len(x), -1).tolist() if x.ndim
                                                               else [[x.item()]])]
        if self.output_mode == "int":
            width = self.sequence_length if self.sequence_length is not None else max([len(r) for r in rows] + [0])
            out = np.zeros((len(rows), width), dtype=np.int64)
            for i, row in enumerate(rows):
                out[i, :min(len(row), width)] = row[:width]
            return [out]
        out = np.zeros((len(rows), self.depth), dtype=np.float32)
        for i, row in enumerate(rows):
            counts = np.bincount(np.asarray(row, dtype=np.int64), minlength=self.depth)[:self.depth]
            out[i] = counts if self.output_mode == "count" else counts > 0
        return [out]

    def grad(self, inputs, output_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


def _adapt_batches(data):
    if isinstance(data, np.ndarray) or (isinstance(data, list) and data and np.isscalar(data[0])):
        return [np.asarray(data)]
    return [np.asarray(batch) for batch in data]


class _Lookup(Layer):
    """What the lookup layers share: the vocabulary, its reserved indices, ``adapt`` and the output encoding."""

    _kind = "string"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 output_mode="int", pad_to_max_tokens=False, **kwargs):
        for key in ("idf_weights", "invert", "sparse", "ragged"):
            if kwargs.pop(key, None) not in (None, False):
                raise ValueError(f"{type(self).__name__}: {key} is not supported by layerkit")
        for key in ("encoding", "vocabulary_dtype"):
            kwargs.pop(key, None)
        super().__init__(**drop_keras3_keys(kwargs, type(self).__name__))
        owner = self._owner = f"{type(self).__name__} '{self.name}'"
        if output_mode not in MODES:
            raise ValueError(f"{owner}: expected output_mode in {MODES} ('tf_idf' is not supported by layerkit), "
                             f"received {output_mode!r}")
        if num_oov_indices != 1:
            raise ValueError(f"{owner}: only num_oov_indices=1 is supported by layerkit (Keras hashes into several "
                             f"buckets with FarmHash), received {num_oov_indices!r}")
        if mask_token is not None and output_mode != "int":
            raise ValueError(f"{owner}: a mask_token needs output_mode='int', received {output_mode!r}")
        self.max_tokens, self.num_oov_indices, self.mask_token = max_tokens, 1, mask_token
        self.oov_token, self.output_mode, self.pad_to_max_tokens = oov_token, output_mode, bool(pad_to_max_tokens)
        self.vocabulary = self._clean(vocabulary) if vocabulary is not None else []

    def _start(self):
        return self.num_oov_indices + (self.mask_token is not None)

    def _clean(self, vocabulary):
        tokens = [str(t) if self._kind == "string" else int(t) for t in np.asarray(vocabulary).tolist()]
        reserved = ([self.mask_token] if self.mask_token is not None else []) + [self.oov_token]
        if tokens[:len(reserved)] == reserved:
            tokens = tokens[len(reserved):]
        if len(set(tokens)) != len(tokens):
            raise ValueError(f"{self._owner}: the vocabulary repeats tokens")
        return tokens

    def get_vocabulary(self):
        """The token of every index: the reserved ones (mask, OOV), then the vocabulary."""
        return ([self.mask_token] if self.mask_token is not None else []) + [self.oov_token] + list(self.vocabulary)

    def vocabulary_size(self):
        return len(self.get_vocabulary())

    def set_vocabulary(self, vocabulary):
        self.vocabulary = self._clean(vocabulary)

    def _tokens(self, batch):
        flat = batch.reshape(-1).tolist()
        if self._text_options() is None:
            return [t.decode() if isinstance(t, bytes) else t for t in flat]
        return [token for s in flat for token in standardize_and_split(
            s.decode() if isinstance(s, bytes) else str(s), *self._text_options())]

    def adapt(self, data):
        """Learns the vocabulary from ``data`` (an array or batches): tokens by decreasing count, ties broken by
        the larger token first, at most ``max_tokens`` indices in all."""
        counts = {}
        for batch in _adapt_batches(data):
            for token in self._tokens(batch):
                counts[token] = counts.get(token, 0) + 1
        for reserved in (self.mask_token, self.oov_token):
            counts.pop(reserved, None)
        tokens = list(counts)
        keys = np.array([t.encode() for t in tokens] if self._kind == "string" else tokens)
        order = np.lexsort((keys, np.array([counts[t] for t in tokens])))[::-1] if tokens else []
        if self.max_tokens:
            order = order[:self.max_tokens - self._start()]
        self.vocabulary = [tokens[i] for i in order]

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens and self.max_tokens else self.vocabulary_size()

    def _text_options(self):
        return None

    def _sequence_length(self):
        return None

    def call(self, inputs):
        if self._kind == "string" and inputs.dtype != "string":
            raise TypeError(f"{self._owner}: expected a 'string' input (Input(dtype='string')), received "
                            f"{inputs.type}")
        op = TokenEncoding(self.vocabulary, self._start(), self.mask_token, self._text_options(), self.output_mode,
                           self._depth(), self._sequence_length())
        return op(inputs)

    def compute_mask(self, inputs, mask=None):
        if self.mask_token is None or self.output_mode != "int":
            return None
        return T.neq(self.call(inputs), 0)

    def get_config(self):
        return layer_config(self, max_tokens=self.max_tokens, num_oov_indices=self.num_oov_indices,
                            mask_token=self.mask_token, oov_token=self.oov_token, output_mode=self.output_mode,
                            pad_to_max_tokens=self.pad_to_max_tokens, vocabulary=list(self.vocabulary))


class StringLookup(_Lookup):
    """Maps strings to integer indices of a vocabulary (given, or learned by ``adapt``); unknown strings go to the
    out-of-vocabulary index 1 after a ``mask_token`` (index 0), else 0.

    Example:
        >>> layer = StringLookup()
        >>> layer.adapt(np.array(["b", "a", "b", "c", "b", "a"]))
        >>> layer.get_vocabulary()
        ['[UNK]', 'b', 'a', 'c']
    """


class IntegerLookup(_Lookup):
    """Maps integers to indices of a vocabulary of integers (Keras's ``IntegerLookup``; ``oov_token=-1``).

    Example:
        >>> layer = IntegerLookup(vocabulary=[12, 7])
        >>> layer.get_vocabulary()
        [-1, 12, 7]
    """

    _kind = "int"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 output_mode="int", pad_to_max_tokens=False, **kwargs):
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, **kwargs)

    def call(self, inputs):
        if not inputs.dtype.startswith(("int", "uint")):
            inputs = T.cast(inputs, "int64")
        return super().call(inputs)


class TextVectorization(_Lookup):
    """Turns strings into token indices ('int', padded with 0 to ``output_sequence_length`` or the longest
    sample of the batch) or vocabulary-wide 'multi_hot' / 'count' vectors; the text is standardised
    (``standardize``), split (``split``) and turned into n-grams (``ngrams``) first, as in Keras. Index 0 is the
    padding in 'int' mode, then '[UNK]', then the vocabulary.

    Example:
        >>> layer = TextVectorization(output_sequence_length=4)
        >>> layer.adapt(np.array(["The cat sat.", "the dog sat"]))
        >>> layer.get_vocabulary()
        ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 **kwargs):
        for key, value, allowed in (("standardize", standardize, ("lower_and_strip_punctuation", "lower",
                                                                   "strip_punctuation", None)),
                                    ("split", split, ("whitespace", "character", None))):
            if value not in allowed:
                raise ValueError(f"TextVectorization: expected {key} in {allowed} (callables are not supported by "
                                 f"layerkit), received {value!r}")
        kwargs.pop("mask_token", None)
        kwargs.pop("oov_token", None)
        super().__init__(max_tokens=max_tokens, mask_token="" if output_mode == "int" else None,
                         vocabulary=vocabulary, output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
                         **kwargs)
        if output_mode == "one_hot":
            raise ValueError(f"{self._owner}: expected output_mode 'int', 'multi_hot' or 'count', received "
                             f"'one_hot'")
        self.standardize, self.split = standardize, split
        self.ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else (
            tuple(ngrams) if ngrams is not None else None)
        self.output_sequence_length = output_sequence_length

    def _text_options(self):
        return (self.standardize, self.split, self.ngrams)

    def _sequence_length(self):
        return self.output_sequence_length

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return layer_config(self, max_tokens=self.max_tokens, standardize=self.standardize, split=self.split,
                            ngrams=None if self.ngrams is None else list(self.ngrams), output_mode=self.output_mode,
                            output_sequence_length=self.output_sequence_length,
                            pad_to_max_tokens=self.pad_to_max_tokens, vocabulary=list(self.vocabulary))
