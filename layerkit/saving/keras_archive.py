"""Keras 3's ``.keras`` files: a zip of ``metadata.json``, ``config.json`` and ``model.weights.h5``.

Writing: the model's configuration in Keras 3's format (:mod:`keras3_config`, with the ``compile()`` arguments),
and its weights and optimizer state in Keras 3's weights layout (:mod:`keras3_weights`), as Keras 3 writes them
(members stored uncompressed), through a temporary file that replaces the target only when complete.

Reading is built for files from anywhere:

- only the three named members are read, each into memory after its declared size was checked (config and
  metadata at most 64 MiB; the weights at most what the model built from the config can hold with a full
  optimizer state, plus 64 MiB, and never more than the machine's memory); nothing is ever extracted to disk, so
  member names (``../../x``) mean nothing; duplicate names, unknown compression and encryption are refused;
- the configuration is data: classes resolve from layerkit's tables and registered or passed custom objects,
  ``module`` entries are ignored (never imported), a ``Lambda``'s function follows ``safe_mode`` and bytecode is
  refused in every mode (see ``docs/reliability.md``);
- weights are checked against the model on the HDF5 metadata before anything is read or assigned.

Example:
    >>> # model.save("m.keras"); same = load_model("m.keras")  # Keras 3's keras.models.load_model reads it too
"""
import datetime
import io
import json
import os
import zipfile

import numpy as np

from ..layers.base import _physical_memory
from .atomic_file import atomic_path
from .hdf5 import _ensure_optimizer_slots
from .keras3_config import keras3_model_config, plain_compile_config
from .keras3_weights import read_weights, write_weights
from .model_config import custom_object_scope, json_default, model_from_config

__all__ = ["save_keras_archive", "load_keras_archive", "is_keras_archive", "KERAS_FORMAT_VERSION"]

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
KERAS_FORMAT_VERSION = "3.15.1"    # the Keras release whose .keras layout layerkit writes (and was checked with)
_JSON_LIMIT = 64 * 2 ** 20
_WEIGHTS_SLACK = 64 * 2 ** 20
_OPTIMIZER_COPIES = 4              # a variable, and up to three optimizer slots of its size


def is_keras_archive(filepath):
    """True for a zip file (a ``.keras`` model, whatever its name)."""
    path = os.fspath(filepath)
    return os.path.isfile(path) and zipfile.is_zipfile(path)


def save_keras_archive(model, filepath, overwrite=True):
    """Writes ``model`` (Sequential or functional) to a ``.keras`` file that Keras 3 loads.

    Example:
        >>> # save_keras_archive(model, "m.keras")
    """
    config = json.dumps(keras3_model_config(model), default=json_default)
    metadata = json.dumps({"keras_version": KERAS_FORMAT_VERSION,
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                           "layerkit_version": _layerkit_version()})
    optimizer = getattr(model, "optimizer", None)
    if (optimizer is not None and hasattr(optimizer, "_slot_vars") and not optimizer._params
            and not model._uses_custom_steps()):
        _ensure_optimizer_slots(model)   # a compiled model's file holds its optimizer's state, as Keras's does
    weights = io.BytesIO()
    import h5py

    with h5py.File(weights, "w") as f:
        write_weights(model, f)
    with atomic_path(os.fspath(filepath), overwrite) as temporary:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(METADATA, metadata)
            archive.writestr(CONFIG, config)
            archive.writestr(WEIGHTS, weights.getvalue())


def _layerkit_version():
    from .. import __version__
    return __version__


# ----------------------------------------------------------------------------------------------- reading
def _members(archive, where):
    infos = archive.infolist()
    names = [info.filename for info in infos]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{where}: the archive holds members {repeated} more than once; refusing an ambiguous file")
    return {info.filename: info for info in infos}


def _read_member(archive, info, limit, where):
    """The bytes of one member, after checking what its header declares (the read stops at the declared size)."""
    if info.flag_bits & 0x1:
        raise ValueError(f"{where}: member {info.filename!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ValueError(f"{where}: member {info.filename!r} uses compression method {info.compress_type}; "
                         f"expected stored or deflated")
    if info.file_size > limit:
        raise ValueError(f"{where}: member {info.filename!r} declares {info.file_size / 2 ** 20:.1f} MiB, more than "
                         f"the {limit / 2 ** 20:.1f} MiB this file can need; refusing it (a damaged file or a "
                         f"decompression bomb)")
    with archive.open(info, "r") as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{where}: member {info.filename!r} holds more than the {limit} bytes it declares")
    return data


def _json_member(archive, members, name, where, required=True):
    if name not in members:
        if required:
            raise ValueError(f"{where}: the archive has no {name!r}; it is not a .keras model file (members: "
                             f"{sorted(members)[:10]})")
        return None
    text = _read_member(archive, members[name], _JSON_LIMIT, where)
    try:
        value = json.loads(text.decode("utf8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ValueError(f"{where}: {name} is not valid JSON ({str(error)[:200]}); the file is damaged") from None
    if not isinstance(value, dict):
        raise ValueError(f"{where}: {name} must hold a JSON object, received a JSON {type(value).__name__}")
    return value


def _weights_limit(model):
    """The most bytes a weights file for ``model`` can sensibly hold (optimizer state included)."""
    variables = list(model.weights)
    size = sum(int(np.prod(v.get_value(borrow=True).shape)) * v.get_value(borrow=True).dtype.itemsize
               for v in variables)
    limit = size * _OPTIMIZER_COPIES + _WEIGHTS_SLACK
    memory = _physical_memory()
    return min(limit, memory) if memory is not None else limit


def load_keras_archive(filepath, custom_objects=None, compile=True, safe_mode=None):
    """A model from a ``.keras`` file (written by Keras 3 or layerkit), compiled as saved, with its weights and
    optimizer state. See the module docstring for what is checked before anything is read.

    Example:
        >>> # model = load_keras_archive("m.keras", custom_objects={"MyLayer": MyLayer})
    """
    where = f"load_model({os.fspath(filepath)!r})"
    if not is_keras_archive(filepath):
        raise ValueError(f"{where}: not a zip archive; a .keras file is a zip of config.json, metadata.json and "
                         f"model.weights.h5")
    with zipfile.ZipFile(os.fspath(filepath), "r") as archive:
        members = _members(archive, where)
        _json_member(archive, members, METADATA, where, required=False)
        config = _json_member(archive, members, CONFIG, where)
        compile_config = config.get("compile_config")
        model = model_from_config(config, custom_objects, safe_mode=safe_mode)
        if compile and compile_config:
            _compile(model, compile_config, custom_objects, where)
        if WEIGHTS not in members:
            raise ValueError(f"{where}: the archive has no {WEIGHTS!r} (members: {sorted(members)[:10]}); "
                             f"layerkit reads .keras files whose weights are in HDF5")
        data = _read_member(archive, members[WEIGHTS], _weights_limit(model), where)
    import h5py

    try:
        weights = h5py.File(io.BytesIO(data), "r")
    except OSError as error:
        raise ValueError(f"{where}: {WEIGHTS} is not an HDF5 file ({error})") from None
    with weights:
        read_weights(model, weights, skip_mismatch=False, where=where)
    return model


def _compile(model, compile_config, custom_objects, where):
    from .. import losses, metrics, optimizers
    from .hdf5 import _deserialize_compile_value

    plain = plain_compile_config(compile_config)
    if not isinstance(plain, dict) or "optimizer" not in plain:
        raise ValueError(f"{where}: compile_config holds no optimizer ({sorted(plain) if isinstance(plain, dict) else plain})")
    with custom_object_scope(custom_objects):
        model.compile(optimizer=optimizers.deserialize(plain["optimizer"], custom_objects),
                      loss=_deserialize_compile_value(plain.get("loss"), losses, custom_objects),
                      metrics=_deserialize_compile_value(plain.get("metrics"), metrics, custom_objects),
                      loss_weights=plain.get("loss_weights"),
                      weighted_metrics=_deserialize_compile_value(plain.get("weighted_metrics"), metrics,
                                                                  custom_objects))
