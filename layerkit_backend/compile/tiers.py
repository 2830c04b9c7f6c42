"""Tiered compilation: a compiled function starts on the NumPy tier and moves to the native tier once its C is
loaded.

``function()`` links the NumPy tier as always (first result in milliseconds). Then, under ``config.linker``:

- ``'auto'`` (default): a background thread generates C for the nodes that have a C form, compiles it (or finds it
  in the compile cache) and loads it; the function then relinks with native thunks for those nodes and swaps its
  callable between two calls (a call already running finishes on the tier it started on);
- ``'native'``: the same, before ``function()`` returns (tests and benchmarks that want native from the first call);
- ``'numpy'``: never.

No compiler, a failed compile or a library that does not load leaves the function on the NumPy tier, with one line
on the ``layerkit_backend.native`` debug logger; never an error. ``wait_native(f)`` waits for ``f``'s native tier
(``wait_native()`` for every pending compile, e.g. scan steps compiled on a first call), and ``f.tier`` says which
tier serves calls now.
"""
import logging
import queue
import threading
import weakref

from ..backends.native import NoCForm, NoCompilerError, build_library, elemwise_kernel
from ..config import config

__all__ = ["start_tiers", "schedule", "wait_native", "STATS"]

log = logging.getLogger("layerkit_backend.native")

# Process-wide counts: pieces moved to the native tier (functions, scan loops), compile failures (a generator bug
# if the compiler exists), and pieces with nothing to compile or no C form.
STATS = {"native": 0, "failed": 0, "nothing": 0}
_NO_COMPILER_LOGGED = []


class _Worker:
    """One daemon thread running compile jobs in order (one compiler at a time on a small machine)."""

    def __init__(self):
        self.jobs = queue.Queue()
        self.pending = 0
        self.idle = threading.Condition()
        self.thread = None

    def submit(self, job):
        with self.idle:
            self.pending += 1
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="layerkit-native-compiler", daemon=True)
                self.thread.start()
        self.jobs.put(job)

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
    """Give ``function`` (just linked on the NumPy tier) its native tier, as ``config.linker`` says."""
    function.tier = "numpy"
    function._native_job = None
    if config.linker == "numpy" or function._xp.is_gpu or function._nan_guard:
        return
    ref = weakref.ref(function)

    def work():
        f = ref()
        if f is not None:
            _go_native(f)

    function._native_job = schedule(lambda: _label(ref()), work)


def schedule(label, work):
    """Run ``work()`` now (``linker=native``) or on the compile thread (``auto``); the job, or None under
    ``linker=numpy``. ``label()`` names what is compiled in the debug log."""
    if config.linker == "numpy":
        return None
    job = _Job(label, work)
    if config.linker == "native":
        job.run()
    else:
        _WORKER.submit(job)
    return job


def wait_native(function=None, timeout=None):
    """Wait until ``function`` has its native tier (or stays on NumPy); True when native code serves its calls.

    Without ``function``, wait until every pending compile (including scan steps compiled on a first call) is done;
    True unless the timeout passed first.

    Example:
        >>> import layerkit_backend as lb, layerkit_backend.tensor as T
        >>> x = T.fvector('x')
        >>> f = lb.function([x], T.exp(x) * 2 + 1)
        >>> lb.wait_native(f) in (True, False)   # False without a C compiler
        True
    """
    if function is None:
        return _WORKER.wait(timeout)
    job = getattr(function, "_native_job", None)
    if job is not None:
        job.done.wait(timeout)
    return function.tier == "native"


def _go_native(function):
    """Compile ``function``'s native pieces and switch it to them."""
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
    function._namespace = namespace
    function.source = (source + f"\n/* native tier ({listing}); library {lib.path}, runtime in "
                       f"layerkit_backend/backends/native/runtime.py */\n" + body)
    function._fn = function._guarded(fn)
    function.tier = "native"
    STATS["native"] += 1
