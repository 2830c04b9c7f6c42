"""Tiered compilation: when a compiled function's native tier is built and when it serves calls.

``function()`` links the NumPy tier as always (milliseconds). Then, under ``config.linker`` as it is when the
function is compiled:

- ``'auto'`` (default): the native tier is built on the calling thread just before the **first call** is computed:
  C for the nodes that have a C form, compiled or taken from the compile cache (milliseconds when cached) and
  loaded, and, when every node has a C form, a whole-function program for the first call's input shapes
  (compile/native_function.py). Every call, the first included, then runs on the same tier, so a program computes
  the same bits every time it runs; a function never called never compiles;
- ``'tiered'``: the first call runs on the NumPy tier at once and a background thread builds the native tier after
  it, which takes over between two calls: the fastest first result, but results may differ in the last bits
  depending on when the switch happens (interactive work);
- ``'native'``: as ``auto``, with the per-node C compiled before ``function()`` returns (tests, benchmarks);
- ``'numpy'``: never.

Scan loops follow the linker of the function they run in: built when the loop first runs (``auto``, ``native``)
or in the background (``tiered``). No compiler, a failed compile, a graph without a C form or a library that does
not load leaves the function (or loop) on the NumPy tier from its first call, with one line on the
``layerkit_backend.native`` debug logger; never an error. ``wait_native(f)`` waits for ``f``'s native tier
(``wait_native()`` for every pending background compile), and ``f.tier`` says which tier serves calls now.
"""
import logging
import queue
import threading
import weakref
from collections import OrderedDict

import numpy as np

from ..backends.native import NoCForm, NoCompilerError, build_library, elemwise_kernel
from ..config import config

__all__ = ["start_tiers", "schedule", "wait_native", "STATS", "TIER_STATE"]

log = logging.getLogger("layerkit_backend.native")

# Process-wide counts: pieces moved to the native tier (functions, scan loops), compile failures (a generator bug
# if the compiler exists), and pieces with nothing to compile or no C form.
STATS = {"native": 0, "failed": 0, "nothing": 0}

# what start_tiers keeps on a function (threads, locks, loaded libraries): never pickled; rebuilt when unpickled
TIER_STATE = ("_native_jobs", "_body", "_tier_source", "_programs", "_program_sources", "_tier_lock", "_linker",
              "_whole_off", "tier")
_NO_COMPILER_LOGGED = []


class _Worker:
    """One daemon thread running compile jobs in order (one compiler at a time on a small machine).

    While a first call is running (``hold``), new jobs wait: generating C holds the GIL, and the first result must
    not wait for it.
    """

    def __init__(self):
        self.jobs = queue.Queue()
        self.pending = 0
        self.held = 0
        self.deferred = []
        self.idle = threading.Condition()
        self.thread = None

    def submit(self, job):
        with self.idle:
            self.pending += 1
            if self.held:
                self.deferred.append(job)
                return
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="layerkit-native-compiler", daemon=True)
                self.thread.start()
        self.jobs.put(job)

    def hold(self):
        with self.idle:
            self.held += 1

    def release(self):
        with self.idle:
            self.held -= 1
            if self.held:
                return
            jobs, self.deferred = self.deferred, []
            self.pending -= len(jobs)
        for job in jobs:
            self.submit(job)

    def _run(self):
        while True:
            job = self.jobs.get()
            try:
                job.run()
            finally:
                with self.idle:
                    self.pending -= 1
                    self.idle.notify_all()

    def wait(self, timeout):
        with self.idle:
            return self.idle.wait_for(lambda: self.pending == 0, timeout)


_WORKER = _Worker()


class _Job:
    """One piece of native work: ``work()`` builds and installs it. Never raises: a failure leaves the NumPy tier."""

    def __init__(self, label, work):
        self.label, self.work = label, work
        self.done = threading.Event()

    def run(self):
        try:
            self.work()
        except NoCForm as err:
            STATS["nothing"] += 1
            log.debug("native tier: %s stays on the NumPy tier: no C form (%s)", self.label(), err)
        except NoCompilerError as err:
            if not _NO_COMPILER_LOGGED:
                _NO_COMPILER_LOGGED.append(err)
                log.debug("native tier off: %s", err)
        except Exception as err:  # a compile failure or a bug: the native tier must never break a working function
            STATS["failed"] += 1
            log.debug("native tier: %s stays on the NumPy tier: %s: %s", self.label(), type(err).__name__, err)
        finally:
            self.done.set()


def _label(function):
    return f"function {function.name!r}" if function is not None and function.name else "a function"


def start_tiers(function):
    """Give ``function`` (just linked on the NumPy tier) its native tier, as ``config.linker`` says now."""
    function.tier = "numpy"
    function._native_jobs = []
    function._body = function._namespace["compiled_function"]  # the call path without its lock
    function._tier_source = function.source
    function._programs = OrderedDict()  # input shapes -> whole-function call path (None: no C form for them)
    function._program_sources = {}
    function._tier_lock = threading.RLock()
    linker = function._linker = config.linker
    if linker == "numpy" or function._xp.is_gpu or function._nan_guard:
        return
    ref = weakref.ref(function)
    label = lambda: _label(ref())  # noqa: E731

    def per_node():
        f = ref()
        if f is not None:
            _go_native(f)

    if linker == "native":
        function._native_jobs.append(schedule(label, per_node, linker))
    entry = function._fn
    function._fn = (_tiered_first_call if linker == "tiered" else _first_call)(ref, entry, per_node, label, linker)


def _first_call(ref, entry, per_node, label, linker):
    """``auto``/``native``: the first call builds the native tier on the calling thread, then is computed on it."""
    started = threading.Lock()

    def first_call(*args):
        f = ref()
        with started:  # a second thread calling meanwhile waits, then runs on the same tier
            if f._fn is first_call:
                try:
                    if linker == "auto":
                        f._native_jobs.append(schedule(label, per_node, linker))
                    shapes = _signature(f, args)
                    f._native_jobs.append(schedule(label, lambda: _go_whole(f, shapes), linker))
                except BaseException:  # a Ctrl-C during the build: the next call builds again, from the start
                    f._fn = first_call
                    raise
                if f._fn is first_call:  # nothing native: the NumPy tier, from this call on
                    f._fn = entry
        return f._fn(*args)

    return first_call


def _tiered_first_call(ref, entry, per_node, label, linker):
    """``tiered``: the first call runs on the NumPy tier; the native tier compiles in the background after it."""

    def first_call(*args):
        _WORKER.hold()  # compiles scheduled meanwhile (scan loops, steps) wait for this call too
        try:
            f = ref()
            if f._fn is first_call:
                f._fn = entry
                shapes = _signature(f, args)

                def work():
                    per_node()
                    g = ref()
                    if g is not None:
                        _go_whole(g, shapes)

                f._native_jobs.append(schedule(label, work, linker))
            return entry(*args)
        finally:
            _WORKER.release()

    return first_call


def schedule(label, work, linker):
    """Run ``work()`` now (``auto``, ``native``) or on the compile thread (``tiered``); the job, or None under
    ``numpy``. ``label()`` names what is compiled in the debug log."""
    if linker == "numpy":
        return None
    job = _Job(label, work)
    if linker == "tiered":
        _WORKER.submit(job)
    else:
        job.run()
    return job


def wait_native(function=None, timeout=None):
    """Wait until ``function`` has its native tier (or stays on NumPy); True when native code serves its calls.
    A function builds its native tier on its first call: before that this returns False at once. Only
    ``linker=tiered`` compiles in the background; under ``auto`` and ``native`` there is nothing to wait for.

    Without ``function``, wait until every pending background compile (including scan loops) is done; True unless
    the timeout passed first.

    Example:
        >>> import layerkit_backend as lb, layerkit_backend.tensor as T
        >>> x = T.fvector('x')
        >>> f = lb.function([x], T.exp(x) * 2 + 1)
        >>> y = f([0.0, 1.0])
        >>> lb.wait_native(f) in (True, False)   # False without a C compiler
        True
    """
    if function is None:
        return _WORKER.wait(timeout)
    for job in list(getattr(function, "_native_jobs", ())):
        if job is not None:
            job.done.wait(timeout)
    return function.tier == "native"


def _signature(function, args):
    """The shapes a whole-function program is built for: the call's inputs, then the shared values."""
    return tuple(np.shape(a) for a in args) + tuple(np.shape(c.value) for c in function._shared_containers)


def _go_native(function):
    """Compile ``function``'s per-node native pieces and switch it to them."""
    from .linker import link

    order = function._order
    kernels = {}
    for pos, node in enumerate(order):
        kernel = elemwise_kernel(node)
        if kernel is not None:
            kernels[node] = (pos, kernel)
    if not kernels:
        STATS["nothing"] += 1
        return
    distinct = {k.name: k.source for _, k in kernels.values()}
    body = "\n".join(distinct[name] for name in sorted(distinct))
    lib = build_library(body)
    old = function._namespace
    thunks = {node: old[f"t{pos}"] for pos, node in enumerate(order)}
    for node, (pos, kernel) in kernels.items():
        thunks[node] = kernel.thunk(lib, old[f"t{pos}"])
    fn, source, namespace, _ = link(*function._link_args, thunks=thunks, order=order)
    listing = ", ".join(f"t{pos}: {node.op} -> {kernel.name}" for node, (pos, kernel) in
                        sorted(kernels.items(), key=lambda item: item[1][0]))
    with function._tier_lock:
        function._namespace = namespace
        function._body = namespace["compiled_function"]
        function._tier_source = (source + f"\n/* native tier ({listing}); library {lib.path}, runtime in "
                                 f"layerkit_backend/backends/native/runtime.py */\n" + body)
        _update_source(function)
        if not function._programs or not any(function._programs.values()):
            function._fn = function._guarded(fn)
        function.tier = "native"
    STATS["native"] += 1


def _fits(function, shapes):
    """Whether ``shapes`` can be the inputs' shapes (a call that cannot raises its error on the per-node path)."""
    inputs = function.maker.fgraph.inputs
    if len(shapes) != len(inputs):
        return False
    for shape, var in zip(shapes, inputs):
        static = getattr(var.type, "shape", None)
        if static is None or len(static) != len(shape) or any(s is not None and s != d for s, d in zip(static, shape)):
            return False
    return True


def _go_whole(function, shapes):
    """Give ``function`` a whole-function program for inputs of ``shapes`` (compile/native_function.py).

    The first program becomes the call path; a call it was not built for asks ``_other_program``, which builds
    the program for the call's shapes (or finds it) before computing the call, under ``auto``/``native``. So every
    shape signature always runs the same code: at most ``MAX_PROGRAMS`` programs are kept, the least recently
    used beyond the first dropped and rebuilt (from the compile cache) when their shapes come back.
    """
    from .native_function import MAX_PROGRAMS, whole_function

    key = tuple(tuple(int(d) for d in s) for s in shapes)
    with function._tier_lock:
        programs = function._programs
        if key in programs:
            programs.move_to_end(key)
            return
        if getattr(function, "_whole_off", False) or not _fits(function, key):
            return
        first = next(iter(programs), None)
        for old in [k for k in programs if k != first][:max(0, len(programs) - MAX_PROGRAMS + 1)]:
            del programs[old]
            function._program_sources.pop(old, None)
        programs[key] = None  # tried: a NoCForm for these shapes is not retried while they are remembered
        try:
            fn, source = whole_function(function, key, function._body, _other_program(weakref.ref(function)))
        except NoCForm as err:
            if err.structural:  # no shapes will do: stop trying
                function._whole_off = True
            raise
        except BaseException as err:
            if not isinstance(err, Exception):  # interrupted (Ctrl-C), not failed: tried again by the next call
                del programs[key]
            raise
        programs[key] = fn
        function._program_sources[key] = (f"\n/* whole function for input shapes {list(key)}: one C call "
                                          f"(compile/native_function.py) */\n{fn.python_source}\n{source}")
        _update_source(function)
        if first is None:
            function._fn = function._guarded(fn)
        function.tier = "native"
    STATS["native"] += 1


def _other_program(ref):
    """What a whole-function program calls for a call it was not built for (other shapes or layouts)."""

    def other(origin, *args):
        f = ref()
        shapes = _signature(f, args)
        if shapes not in f._programs:
            f._native_jobs.append(schedule(lambda: _label(ref()), lambda: _go_whole(f, shapes), f._linker))
        program = f._programs.get(shapes)
        if program is not None and program is not origin:
            return program(*args)
        return f._body(*args)

    return other


def _update_source(function):
    function.source = function._tier_source + "".join(function._program_sources.get(k, "")
                                                      for k in function._programs)
