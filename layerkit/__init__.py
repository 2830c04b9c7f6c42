"""layerkit: the Keras-style layer library on top of layerkit_backend (it arrives in a later issue)."""

__all__ = []
