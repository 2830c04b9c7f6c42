"""Theano's ``sandbox`` names that programs import: ``sandbox.rng_mrg.MRG_RandomStreams``."""
from . import multinomial, rng_mrg  # noqa: F401

__all__ = ["rng_mrg", "multinomial"]
