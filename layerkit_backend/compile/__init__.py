"""From graphs to callables: function, shared variables, In/Out, modes and the linker."""
from .function import Function, MissingInputError, UnusedInputError, function
from .io import In, Out
from .mode import FAST_COMPILE, FAST_RUN, Mode, get_mode
from .nanguard import NanGuardError, NanGuardMode
from .sharedvalue import SharedVariable, TensorSharedVariable, shared
from .tiers import wait_native

__all__ = ["function", "Function", "MissingInputError", "UnusedInputError", "In", "Out", "Mode", "get_mode",
           "FAST_RUN", "FAST_COMPILE", "NanGuardMode", "NanGuardError", "shared", "SharedVariable",
           "TensorSharedVariable", "wait_native"]
