"""Every layer layerkit exports goes through ``run_layer_test`` (shapes, params, config, masks, training, saving).

The per-layer files (test_layers_core.py, test_layers_conv.py, test_layers_recurrent.py...) check values against
NumPy references; this table checks that each layer works as a citizen of a model. ``test_every_layer_is_covered``
fails when a new layer is exported without a row here.
"""
import numpy as np
import pytest

from layerkit import layers as L
from layerkit.layers.base import Layer
from layer_testing import run_layer_test


def _id(row):
    return row[0]


# (id, factory, input shapes (batch first), expected static output shape, options)
ROWS = [
    ("Dense", lambda: L.Dense(3, kernel_regularizer="l2"), [(2, 4)], (None, 3), {}),
    ("Activation", lambda: L.Activation("tanh"), [(2, 3)], (None, 3), {}),
    ("Dropout", lambda: L.Dropout(0.3, seed=1), [(2, 3)], (None, 3), {}),
    ("Flatten", lambda: L.Flatten(), [(2, 3, 2)], (None, 6), {}),
    ("Reshape", lambda: L.Reshape((3, 2)), [(2, 6)], (None, 3, 2), {}),
    ("Permute", lambda: L.Permute((2, 1)), [(2, 3, 4)], (None, 4, 3), {}),
    ("RepeatVector", lambda: L.RepeatVector(3), [(2, 4)], (None, 3, 4), {}),
    ("Lambda", lambda: L.Lambda(_negate), [(2, 3)], (None, 3), {"custom_objects": {"_negate": lambda x: -x}}),
    ("Masking", lambda: L.Masking(0.0), [(2, 4, 3)], (None, 4, 3), {}),
    ("Identity", lambda: L.Identity(), [(2, 3)], (None, 3), {}),
    ("Embedding", lambda: L.Embedding(10, 4, mask_zero=True), [(2, 5)], (None, 5, 4), dict(int_high=10,
                                                                                             dtype="int32")),
    ("Add", lambda: L.Add(), [(2, 3), (2, 3)], (None, 3), {}),
    ("Subtract", lambda: L.Subtract(), [(2, 3), (2, 3)], (None, 3), {}),
    ("Multiply", lambda: L.Multiply(), [(2, 3), (2, 3)], (None, 3), {}),
    ("Average", lambda: L.Average(), [(2, 3), (2, 3)], (None, 3), {}),
    ("Maximum", lambda: L.Maximum(), [(2, 3), (2, 3)], (None, 3), {}),
    ("Minimum", lambda: L.Minimum(), [(2, 3), (2, 3)], (None, 3), {}),
    ("Concatenate", lambda: L.Concatenate(), [(2, 3), (2, 2)], (None, 5), {}),
    ("Dot", lambda: L.Dot(axes=1), [(2, 3), (2, 3)], (None, 1), {}),
    ("LeakyReLU", lambda: L.LeakyReLU(0.2), [(2, 3)], (None, 3), {}),
    ("PReLU", lambda: L.PReLU(), [(2, 3)], (None, 3), {}),
    ("ELU", lambda: L.ELU(), [(2, 3)], (None, 3), {}),
    ("ReLU", lambda: L.ReLU(max_value=1.0), [(2, 3)], (None, 3), {}),
    ("Softmax", lambda: L.Softmax(), [(2, 3)], (None, 3), {}),
    ("Conv1D", lambda: L.Conv1D(2, 3, padding="causal"), [(2, 5, 3)], (None, 5, 2), {}),
    ("Conv2D", lambda: L.Conv2D(2, 3, strides=2, padding="same"), [(2, 5, 5, 1)], (None, 3, 3, 2), {}),
    ("Conv2DTranspose", lambda: L.Conv2DTranspose(2, 3, strides=2), [(2, 3, 3, 1)], (None, 7, 7, 2), {}),
    ("UpSampling1D", lambda: L.UpSampling1D(2), [(2, 3, 2)], (None, 6, 2), {}),
    ("UpSampling2D", lambda: L.UpSampling2D(2), [(2, 2, 3, 1)], (None, 4, 6, 1), {}),
    ("ZeroPadding1D", lambda: L.ZeroPadding1D(1), [(2, 3, 2)], (None, 5, 2), {}),
    ("ZeroPadding2D", lambda: L.ZeroPadding2D(1), [(2, 2, 3, 1)], (None, 4, 5, 1), {}),
    ("Cropping1D", lambda: L.Cropping1D(1), [(2, 4, 2)], (None, 2, 2), {}),
    ("Cropping2D", lambda: L.Cropping2D(1), [(2, 4, 5, 1)], (None, 2, 3, 1), {}),
    ("MaxPooling1D", lambda: L.MaxPooling1D(2), [(2, 5, 2)], (None, 2, 2), {}),
    ("MaxPooling2D", lambda: L.MaxPooling2D(2, padding="same"), [(2, 5, 5, 1)], (None, 3, 3, 1), {}),
    ("AveragePooling1D", lambda: L.AveragePooling1D(2), [(2, 4, 2)], (None, 2, 2), {}),
    ("AveragePooling2D", lambda: L.AveragePooling2D(2), [(2, 4, 4, 1)], (None, 2, 2, 1), {}),
    ("GlobalMaxPooling1D", lambda: L.GlobalMaxPooling1D(), [(2, 4, 3)], (None, 3), {}),
    ("GlobalMaxPooling2D", lambda: L.GlobalMaxPooling2D(), [(2, 3, 3, 2)], (None, 2), {}),
    ("GlobalAveragePooling1D", lambda: L.GlobalAveragePooling1D(), [(2, 4, 3)], (None, 3), {}),
    ("GlobalAveragePooling2D", lambda: L.GlobalAveragePooling2D(), [(2, 3, 3, 2)], (None, 2), {}),
    ("BatchNormalization", lambda: L.BatchNormalization(), [(4, 3)], (None, 3), {}),
    ("LayerNormalization", lambda: L.LayerNormalization(), [(2, 3)], (None, 3), {}),
    ("Attention", lambda: L.Attention(), [(2, 4, 3), (2, 5, 3)], (None, 4, 3), {}),
    ("MultiHeadAttention", lambda: _SelfAttention(), [(2, 4, 3)], (None, 4, 3), {}),
    ("SimpleRNN", lambda: L.SimpleRNN(3), [(2, 4, 2)], (None, 3), {}),
    ("LSTM", lambda: L.LSTM(3, return_sequences=True), [(2, 4, 2)], (None, 4, 3), {}),
    ("GRU", lambda: L.GRU(3, reset_after=False), [(2, 4, 2)], (None, 3), {}),
    ("GRU_reset_after", lambda: L.GRU(3), [(2, 4, 2)], (None, 3), {}),
    ("LSTM_stateful", lambda: L.LSTM(3, stateful=True), [(2, 4, 2)], (2, 3), dict(fixed_batch=True)),
    ("RNN", lambda: L.RNN(L.LSTMCell(3)), [(2, 4, 2)], (None, 3), {}),
    ("StackedRNNCells", lambda: L.RNN(L.StackedRNNCells([L.GRUCell(3), L.SimpleRNNCell(2)])), [(2, 4, 2)],
     (None, 2), {}),
    ("Bidirectional", lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)), [(2, 4, 2)], (None, 4, 6), {}),
    ("TimeDistributed", lambda: L.TimeDistributed(L.Dense(3)), [(2, 4, 2)], (None, 4, 3), {}),
    # Keras 3 layers (issue 15)
    ("Conv1DTranspose", lambda: L.Conv1DTranspose(2, 3, strides=2, padding="same"), [(2, 5, 3)], (None, 10, 2), {}),
    ("DepthwiseConv1D", lambda: L.DepthwiseConv1D(3, depth_multiplier=2), [(2, 6, 3)], (None, 4, 6), {}),
    ("DepthwiseConv2D", lambda: L.DepthwiseConv2D(3, padding="same"), [(2, 5, 5, 2)], (None, 5, 5, 2), {}),
    ("SeparableConv1D", lambda: L.SeparableConv1D(4, 3, padding="same"), [(2, 6, 2)], (None, 6, 4), {}),
    ("SeparableConv2D", lambda: L.SeparableConv2D(3, 3, strides=2, depth_multiplier=2), [(2, 7, 7, 2)],
     (None, 3, 3, 3), {}),
    ("Conv3D", lambda: L.Conv3D(2, (2, 3, 3), padding="same"), [(2, 4, 5, 5, 1)], (None, 4, 5, 5, 2), {}),
    ("MaxPooling3D", lambda: L.MaxPooling3D(2), [(2, 4, 4, 4, 2)], (None, 2, 2, 2, 2), {}),
    ("AveragePooling3D", lambda: L.AveragePooling3D(2, padding="same"), [(2, 3, 5, 5, 2)], (None, 2, 3, 3, 2), {}),
    ("GlobalMaxPooling3D", lambda: L.GlobalMaxPooling3D(), [(2, 3, 3, 3, 2)], (None, 2), {}),
    ("GlobalAveragePooling3D", lambda: L.GlobalAveragePooling3D(), [(2, 3, 3, 3, 2)], (None, 2), {}),
    ("UpSampling3D", lambda: L.UpSampling3D(2), [(2, 2, 2, 2, 1)], (None, 4, 4, 4, 1), {}),
    ("ZeroPadding3D", lambda: L.ZeroPadding3D(1), [(2, 2, 2, 2, 1)], (None, 4, 4, 4, 1), {}),
    ("Cropping3D", lambda: L.Cropping3D(1), [(2, 3, 4, 4, 1)], (None, 1, 2, 2, 1), {}),
    ("ConvLSTM1D", lambda: L.ConvLSTM1D(2, 3, return_sequences=True), [(2, 3, 6, 1)], (None, 3, 4, 2), {}),
    ("ConvLSTM2D", lambda: L.ConvLSTM2D(2, 3, padding="same"), [(2, 3, 4, 4, 1)], (None, 4, 4, 2), {}),
    ("GroupNormalization", lambda: L.GroupNormalization(groups=2), [(2, 3, 4)], (None, 3, 4), {}),
    ("UnitNormalization", lambda: L.UnitNormalization(), [(2, 3)], (None, 3), {}),
    ("Normalization", lambda: L.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0]), [(2, 3)], (None, 3), {}),
    ("Rescaling", lambda: L.Rescaling(0.5, offset=1.0), [(2, 3)], (None, 3), {}),
    ("Discretization", lambda: L.Discretization(bin_boundaries=[-0.5, 0.5]), [(2, 3)], (None, 3), dict(train=False)),
    ("CategoryEncoding", lambda: L.CategoryEncoding(5, output_mode="count"), [(2, 3)], (None, 5),
     dict(int_high=5, dtype="int32", train=False)),
    ("Resizing", lambda: L.Resizing(3, 5), [(2, 4, 4, 1)], (None, 3, 5, 1), {}),
    ("CenterCrop", lambda: L.CenterCrop(2, 3), [(2, 4, 5, 1)], (None, 2, 3, 1), {}),
    ("RandomFlip", lambda: L.RandomFlip(seed=1), [(2, 4, 4, 1)], (None, 4, 4, 1), {}),
    ("RandomRotation", lambda: L.RandomRotation(0.1, seed=1), [(2, 4, 4, 1)], (None, 4, 4, 1), {}),
    ("RandomZoom", lambda: L.RandomZoom(0.2, seed=1), [(2, 4, 4, 1)], (None, 4, 4, 1), {}),
    ("RandomTranslation", lambda: L.RandomTranslation(0.2, 0.1, seed=1), [(2, 4, 4, 1)], (None, 4, 4, 1), {}),
    ("RandomContrast", lambda: L.RandomContrast(0.3, seed=1), [(2, 4, 4, 1)], (None, 4, 4, 1), {}),
    ("AdditiveAttention", lambda: L.AdditiveAttention(), [(2, 4, 3), (2, 5, 3)], (None, 4, 3), {}),
    ("EinsumDense", lambda: L.EinsumDense("abc,cd->abd", output_shape=(None, 4), bias_axes="d"), [(2, 3, 5)],
     (None, 3, 4), {}),
    ("GaussianNoise", lambda: L.GaussianNoise(0.1, seed=1), [(2, 3)], (None, 3), {}),
    ("GaussianDropout", lambda: L.GaussianDropout(0.2, seed=1), [(2, 3)], (None, 3), {}),
    ("AlphaDropout", lambda: L.AlphaDropout(0.2, seed=1), [(2, 3)], (None, 3), {}),
    ("SpatialDropout1D", lambda: L.SpatialDropout1D(0.3, seed=1), [(2, 4, 3)], (None, 4, 3), {}),
    ("SpatialDropout2D", lambda: L.SpatialDropout2D(0.3, seed=1), [(2, 3, 3, 2)], (None, 3, 3, 2), {}),
    ("SpatialDropout3D", lambda: L.SpatialDropout3D(0.3, seed=1), [(2, 2, 3, 3, 2)], (None, 2, 3, 3, 2), {}),
    ("UpSampling2D_bilinear", lambda: L.UpSampling2D(2, interpolation="bilinear"), [(2, 2, 3, 1)], (None, 4, 6, 1), {}),
    ("Normalization_adapted", lambda: _adapted_normalization(), [(2, 3)], (None, 3), {}),
    ("StringLookup", lambda: L.StringLookup(vocabulary=["sat", "dog"]), [(2, 3)], (None, 3),
     dict(dtype="string", train=False)),
    ("IntegerLookup", lambda: L.IntegerLookup(vocabulary=[3, 1], output_mode="multi_hot"), [(2, 3)], (None, 3),
     dict(dtype="int64", int_high=4, train=False)),
    ("TextVectorization", lambda: L.TextVectorization(vocabulary=["the", "cat", "dog"], output_sequence_length=4),
     [(2, 1)], (None, 4), dict(dtype="string", train=False)),
    ("Hashing", lambda: L.Hashing(5, output_mode="count"), [(2, 3)], (None, 5), dict(dtype="string", train=False)),
    ("ActivityRegularization", lambda: L.ActivityRegularization(l1=0.01, l2=0.02), [(2, 3)], (None, 3), {}),
]


def _negate(x):
    return -x


def _adapted_normalization():
    layer = L.Normalization()
    layer.adapt(np.float32([[1, 2, 3], [3, 6, 9]]))
    return layer


@L.register_keras_serializable(package="tests")
class _SelfAttention(L.MultiHeadAttention):
    """MultiHeadAttention called on one tensor (query = value), so it fits the one-input row format."""

    def __init__(self, num_heads=2, key_dim=2, **kwargs):
        super().__init__(num_heads=num_heads, key_dim=key_dim, **kwargs)

    def __call__(self, inputs, **kwargs):
        if isinstance(inputs, (list, tuple)):
            return super().__call__(inputs, **kwargs)
        return super().__call__(inputs, inputs, **kwargs)


# cells and abstract bases are exercised through the rows that wrap them
NOT_STANDALONE = {"Layer", "InputLayer", "Wrapper", "LSTMCell", "GRUCell", "SimpleRNNCell"}


@pytest.mark.parametrize("row", ROWS, ids=_id)
def test_layer_in_a_model(row, tmp_path):
    name, factory, shapes, expected, options = row
    run_layer_test(factory, shapes, expected, **options)


def test_every_layer_is_covered():
    covered = {row[0].split("_")[0] for row in ROWS} | NOT_STANDALONE
    exported = {name for name in L.__all__ if isinstance(getattr(L, name), type)
                and issubclass(getattr(L, name), Layer)}
    aliases = {name for name in exported if any(getattr(L, name) is getattr(L, other) for other in covered
                                                if hasattr(L, other))}
    assert exported - covered - aliases == set()
