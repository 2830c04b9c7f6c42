"""From graphs to callables: function, shared variables, In/Out, modes and the linker; OpFromGraph and as_op."""
from .builders import OpFromGraph
from .function import Function, MissingInputError, UnusedInputError, function
from .io import In, Out
from .mode import FAST_COMPILE, FAST_RUN, Mode, get_default_mode, get_mode
from .monitormode import MonitorMode
from .nanguardmode import NanGuardError, NanGuardMode
from .ops import as_op
from .sharedvalue import SharedVariable, TensorSharedVariable, shared
from .tiers import wait_native

__all__ = ["function", "Function", "MissingInputError", "UnusedInputError", "In", "Out", "Mode", "get_mode",
           "get_default_mode", "FAST_RUN", "FAST_COMPILE", "NanGuardMode", "NanGuardError", "MonitorMode", "shared",
           "SharedVariable", "TensorSharedVariable", "OpFromGraph", "as_op", "wait_native"]
