"""``Embedding``: integer indices to dense vectors, with ``mask_zero`` for padded sequences.

Example:
    >>> import layerkit_backend.tensor as T
    >>> Embedding(10, 4)(T.tensor("int32", shape=(None, 7))).type.shape
    (None, 7, 4)
"""
import layerkit_backend.tensor as T

from .. import constraints, initializers, regularizers
from .base import Layer
from .core import drop_keras3_keys, layer_config, ser

__all__ = ["Embedding"]


class Embedding(Layer):
    """Looks up rows of an (input_dim, output_dim) ``embeddings`` matrix.

    With ``mask_zero=True`` index 0 is padding: the output mask is ``inputs != 0`` (so ``input_dim`` should count
    it). ``input_length`` (Keras 2) fixes the sequence length of the static shape.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> e = Embedding(5, 2, mask_zero=True)
        >>> e(T.tensor("int64", shape=(None, 3)))._keras_mask.type.shape
        (None, 3)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 activity_regularizer=None, embeddings_constraint=None, mask_zero=False, input_length=None,
                 **kwargs):
        kwargs = drop_keras3_keys(kwargs, "Embedding")
        kwargs.pop("sparse", None)
        if input_length is not None and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            lengths = input_length if isinstance(input_length, (list, tuple)) else [input_length]
            kwargs["input_shape"] = tuple(lengths)
        kwargs.setdefault("dtype", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if int(input_dim) <= 0 or int(output_dim) <= 0:
            raise ValueError(f"Embedding '{self.name}': expected positive input_dim and output_dim, received "
                             f"{input_dim} and {output_dim}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.input_length = input_length
        self.supports_masking = self.mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer, self.embeddings_regularizer,
                                          self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        if inputs.dtype.startswith("float") or inputs.dtype == "bool":
            inputs = T.cast(inputs, "int64")
        return self.embeddings[inputs]

    def compute_mask(self, inputs, mask=None):
        return T.neq(inputs, 0) if self.mask_zero else None

    def get_config(self):
        return layer_config(
            self, input_dim=self.input_dim, output_dim=self.output_dim,
            embeddings_initializer=initializers.serialize(self.embeddings_initializer),
            embeddings_regularizer=ser(regularizers, self.embeddings_regularizer),
            activity_regularizer=ser(regularizers, self.activity_regularizer),
            embeddings_constraint=ser(constraints, self.embeddings_constraint),
            mask_zero=self.mask_zero, input_length=self.input_length)
