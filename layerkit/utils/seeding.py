"""``set_random_seed``: one call that makes a layerkit run reproducible."""
import random

import numpy as np

__all__ = ["set_random_seed"]


def set_random_seed(seed):
    """Seeds every random source layerkit draws from, so that a run repeats exactly.

    It seeds: Python's ``random``; NumPy's global generator (``np.random``: shuffling in ``fit``, and the stream
    seeds that ``Dropout``, attention and recurrent dropout layers draw when built without ``seed=``); the
    generator of unseeded initializers (``layerkit.initializers.set_seed``); and the backend ``RandomStreams``
    behind ``layerkit.backend``'s random functions (``K.dropout``, ``K.random_uniform``...), replaced through
    ``layerkit.backend.set_random_streams``. Call it before building the model: layers take their stream seeds
    when constructed. Layers given an explicit ``seed=`` are deterministic anyway.

    Args:
        seed: a non-negative int.

    Example:
        >>> set_random_seed(3); a = np.random.rand(); set_random_seed(3); a == np.random.rand()
        True
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"set_random_seed: expected a non-negative int, received {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % (1 << 32))
    from .. import initializers
    initializers.set_seed(seed)
    from layerkit_backend.tensor.shared_randomstreams import RandomStreams

    from .. import backend
    backend.set_random_streams(RandomStreams(seed))
