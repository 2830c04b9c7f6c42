"""The string preprocessing layers (``StringLookup``, ``IntegerLookup``, ``TextVectorization``, ``Hashing``) with
``adapt``, their output modes, and string inputs through fit / evaluate / predict. Recorded with Keras on TensorFlow: Keras
runs these layers inside a model only there (on JAX they belong in a tf.data pipeline)."""
import numpy as np

from keras_session import Case, train_and_report

WORDS = np.array(["good", "bad", "movie", "the", "a", "plot", "Great", "acting", "boring", "fun", "sad", "ending"])


def _sentences(rng, n=40):
    lengths = rng.integers(1, 7, size=n)
    text = [" ".join(rng.choice(WORDS, size=k)) + ("!" if rng.uniform() < 0.3 else "") for k in lengths]
    y = np.array([[float("good" in t.split() or "Great" in t)] for t in text], dtype="float32")
    return {"text": np.array(text), "y": y}


def _words(rng, n=40):
    d = _sentences(rng, n)
    d["word"] = rng.choice(WORDS, size=(n, 1))
    d["pair"] = rng.choice(WORDS, size=(n, 2))
    d["ints"] = rng.choice([3, 7, 7, 11, 20, 20, 20, 42], size=(n, 3)).astype("int64")
    return d


def _strings(s, array):
    """Text as each library's fit takes it: a tf.string tensor for Keras (its array adapter refuses NumPy text),
    the NumPy array for layerkit."""
    if not s.is_keras:
        return array
    import tensorflow as tf
    return tf.constant(np.asarray(array).astype(str))


def _head(kl, h, pool=False):
    h = kl.layers.GlobalAveragePooling1D()(h) if pool else h
    return kl.layers.Dense(1, activation="sigmoid")(h)


def _text_int(s):
    kl = s.kl
    layer = kl.layers.TextVectorization(max_tokens=12, output_sequence_length=6)
    layer.adapt(s.d["text"])
    s.out["vocabulary"] = list(layer.get_vocabulary())
    x = kl.Input((1,), dtype="string")
    model = kl.Model(x, _head(kl, kl.layers.Embedding(12, 3)(layer(x)), pool=True))
    model.compile(optimizer=kl.optimizers.SGD(0.5), loss="binary_crossentropy", metrics=["accuracy"])
    train_and_report(s, model, _strings(s, s.d["text"][:, None]), s.d["y"], batch_size=8)


def _text_modes(s):
    kl = s.kl
    multi = kl.layers.TextVectorization(max_tokens=30, output_mode="multi_hot", ngrams=2, standardize="lower")
    multi.adapt(s.d["text"])
    count = kl.layers.TextVectorization(output_mode="count", split="whitespace", standardize=None,
                                        vocabulary=["good", "bad", "the", "Great"])
    s.out["vocabulary"] = list(multi.get_vocabulary())
    x = kl.Input((1,), dtype="string")
    h = kl.layers.Concatenate()([multi(x), count(x)])
    model = kl.Model(x, _head(kl, h))
    model.compile(optimizer=kl.optimizers.SGD(0.2), loss="binary_crossentropy")
    train_and_report(s, model, _strings(s, s.d["text"][:, None]), s.d["y"], batch_size=8)


def _string_lookup(s):
    kl = s.kl
    lookup = kl.layers.StringLookup()
    lookup.adapt(s.d["word"])
    s.out["vocabulary"] = list(lookup.get_vocabulary())
    masked = kl.layers.StringLookup(vocabulary=["good", "bad", "fun"], mask_token="the")
    hot = kl.layers.StringLookup(vocabulary=["good", "bad", "fun", "boring"], output_mode="one_hot")
    multi = kl.layers.StringLookup(vocabulary=["good", "bad", "fun", "boring"], output_mode="multi_hot")
    counted = kl.layers.StringLookup(vocabulary=["good", "movie", "sad"], output_mode="count",
                                     pad_to_max_tokens=True, max_tokens=6)
    word, pair = kl.Input((1,), dtype="string"), kl.Input((2,), dtype="string")
    embedded = kl.layers.Flatten()(kl.layers.Embedding(13, 2)(lookup(word)))
    masked_ids = kl.layers.Flatten()(kl.layers.Embedding(5, 2)(masked(pair)))
    h = kl.layers.Concatenate()([embedded, masked_ids, hot(word), multi(pair), counted(pair)])
    model = kl.Model([word, pair], _head(kl, h))
    model.compile(optimizer=kl.optimizers.SGD(0.3), loss="binary_crossentropy")
    train_and_report(s, model, [_strings(s, s.d["word"]), _strings(s, s.d["pair"])], s.d["y"], batch_size=8)


def _integer_lookup(s):
    kl = s.kl
    lookup = kl.layers.IntegerLookup(output_mode="multi_hot")
    lookup.adapt(s.d["ints"])
    s.out["vocabulary"] = [int(v) for v in lookup.get_vocabulary()]
    indexed = kl.layers.IntegerLookup(vocabulary=[7, 20, 3], mask_token=0)
    x = kl.Input((3,), dtype="int64")
    h = kl.layers.Concatenate()([lookup(x), kl.layers.Flatten()(kl.layers.Embedding(5, 2)(indexed(x)))])
    model = kl.Model(x, _head(kl, h))
    model.compile(optimizer=kl.optimizers.SGD(0.3), loss="binary_crossentropy")
    train_and_report(s, model, s.d["ints"], s.d["y"], batch_size=8)


def _hashing(s):
    kl = s.kl
    word, pair, ints = kl.Input((1,), dtype="string"), kl.Input((2,), dtype="string"), kl.Input((3,), dtype="int64")
    s.out["bins"] = np.asarray(kl.Model(pair, kl.layers.Hashing(1000)(pair)).predict(
        _strings(s, s.d["pair"]), verbose=0)).tolist()
    ids = kl.layers.Hashing(7)(word)
    h = kl.layers.Concatenate()([
        kl.layers.Flatten()(kl.layers.Embedding(7, 2)(ids)),
        kl.layers.Hashing(5, output_mode="multi_hot")(pair),
        kl.layers.Hashing(6, mask_value=7, output_mode="count")(ints),
        kl.layers.Hashing(4, output_mode="one_hot")(word)])
    model = kl.Model([word, pair, ints], _head(kl, h))
    model.compile(optimizer=kl.optimizers.SGD(0.3), loss="binary_crossentropy")
    train_and_report(s, model, [_strings(s, s.d["word"]), _strings(s, s.d["pair"]), s.d["ints"]], s.d["y"],
                     batch_size=8)


CASES = [Case("text_k3/TextVectorization/int_adapt", _text_int, _sentences, backend="tensorflow"),
         Case("text_k3/TextVectorization/multi_hot_ngrams_count", _text_modes, _sentences, backend="tensorflow"),
         Case("text_k3/StringLookup/modes", _string_lookup, _words, backend="tensorflow"),
         Case("text_k3/IntegerLookup/modes", _integer_lookup, _words, backend="tensorflow"),
         Case("text_k3/Hashing/modes", _hashing, _words, backend="tensorflow")]
