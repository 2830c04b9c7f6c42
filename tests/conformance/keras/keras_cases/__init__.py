"""All conformance cases, by group (the module's name is the group and the fixture's file name)."""
from . import (api, attention, callbacks, conv, custom, functional, keras_format, layers, losses, metrics,
               normalization, ops, optimizers, quality, recurrent, saving)

GROUPS = [losses, metrics, optimizers, recurrent, conv, normalization, attention, functional, custom, callbacks, api,
          saving, layers, quality, ops, keras_format]
CASES = [case for module in GROUPS for case in module.CASES]

__all__ = ["CASES", "GROUPS"]
