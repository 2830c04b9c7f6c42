"""The registry of conformance programs: ``@program(group)`` adds a function ``f(lib) -> dict`` under
``group.function_name``; ``PROGRAMS`` maps names to ``(function, floatX)``. ``linker`` says how Theano records it:
'c' (its C implementations, what Theano users ran) or 'py' (its Python ones: needed for scan, whose C loop does not
build on Python 3.11).

Program modules (doc_tutorial.py, doc_tensor.py, doc_library.py, tutorial_patterns.py) register themselves when
imported; ``all_programs()`` imports them all.
"""
import importlib

__all__ = ["program", "PROGRAMS", "LINKERS", "all_programs", "MODULES"]

PROGRAMS = {}
LINKERS = {}
MODULES = ["doc_tutorial", "doc_tensor", "doc_library", "tutorial_patterns"]


def program(group, floatX="float64", linker="c"):
    """Register ``f(lib) -> dict`` as ``group.<name>``, run with ``floatX``."""
    def register(fn):
        name = f"{group}.{fn.__name__}"
        if name in PROGRAMS:
            raise ValueError(f"program {name} registered twice")
        PROGRAMS[name] = (fn, floatX)
        LINKERS[name] = linker
        return fn

    return register


def all_programs(modules=None):
    """Import the program modules (all by default) and return ``{name: (fn, floatX)}`` of the programs in them."""
    names = {}
    for m in modules or MODULES:
        mod = importlib.import_module(m)
        for name, entry in PROGRAMS.items():
            if entry[0].__module__ == mod.__name__:
                names[name] = entry
    return names
