"""Models: ``Model`` (functional API and subclassing) and ``Sequential``, and loading them back."""
from .cloning import clone_model
from .functional import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "model_from_config", "save_model"]


def load_model(filepath, custom_objects=None, compile=True, safe_mode=None):
    """A model saved with ``model.save(filepath)`` (a ``.keras`` archive or Keras's HDF5 layout), compiled as it
    was saved."""
    from ..saving import load_model as load

    return load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """``model.save(filepath)`` as a function (Keras's ``models.save_model``)."""
    from ..saving import save_model as save

    return save(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)


def model_from_json(json_string, custom_objects=None, safe_mode=None):
    """A new (untrained) model from ``model.to_json()``."""
    from ..saving import model_from_json as from_json

    return from_json(json_string, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_config(config, custom_objects=None, safe_mode=None):
    """A new (untrained) model from ``model.get_config()`` wrapped as ``{"class_name", "config"}``."""
    from ..saving import model_from_config as from_config

    return from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)
