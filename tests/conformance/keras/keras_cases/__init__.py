"""All conformance cases, by group (the module's name is the group and the fixture's file name)."""
from . import (api, attention, callbacks, conv, custom, eager, functional, keras_format, layers, losses, metrics,
               normalization, ops, optimizers, quality, recurrent, saving, train_step)

GROUPS = [losses, metrics, optimizers, recurrent, conv, normalization, attention, functional, custom, callbacks, api,
          saving, layers, quality, ops, eager, keras_format, train_step]
CASES = [case for module in GROUPS for case in module.CASES]

__all__ = ["CASES", "GROUPS"]
