"""The native runtime: how generated code reads NumPy arrays, walks broadcast operands, and splits large loops over
threads.

It is one library of its own (``RUNTIME``), built once per toolchain and cached like the others: compiled into
every kernel library, its loops cost ~100 ms of -O3 per compile. Kernel libraries start with ``KERNEL_HEADER`` and
receive the runtime's entry points through ``lk_bind`` when loaded.

Arrays cross the ctypes boundary as ``py_object``: the C side reads the fields of NumPy's array struct
(``PyArrayObject_fields``: data, nd, dimensions, strides, descr, flags after the object header) without the Python
or NumPy headers, which keeps a compile at ~50 ms and a call at ~0.4 us. ``check_layout`` verifies that reading
once per library on real arrays (a different header layout, e.g. a debug or free-threaded Python, fails it and
the function stays on the NumPy tier). Every kernel then checks each operand before it touches memory: its type is
exactly ``numpy.ndarray``, its dtype object is the expected builtin one (so byte order and dtype are right), it is
aligned, the output is writeable, and shapes broadcast to the output's. Anything else returns 1 and the caller
runs the NumPy thunk instead.

Threads: a loop whose work (elements times an estimated per-element cost) is at least ``lk_thread_work`` is cut
into chunks that the calling thread and sleeping helper threads take from a shared counter. Helpers wait on a
condition variable (nothing spins between or during loops), and the caller never waits for a helper that has not
been scheduled: on a loaded machine it simply does all the chunks itself.
"""
import ctypes

import numpy as np

from ..scalar_c import CTYPES, c_preamble

__all__ = ["RUNTIME", "KERNEL_HEADER", "bind_library", "DTYPE_CODES", "MAX_DIMS", "MAX_OPERANDS", "init_library", "check_layout", "ABI_VERSION"]

# Bumped when the runtime's C interface changes (part of every cache key through the source anyway).
ABI_VERSION = 1
MAX_DIMS = 16
MAX_OPERANDS = 32
DTYPE_CODES = {d: k for k, d in enumerate(CTYPES)}

_COMMON = r"""
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#define LK_MAXD %(maxd)d
#define LK_MAXOPS %(maxops)d
#define LK_MAXT 16
#define LK_ALIGNED 0x0100
#define LK_WRITEABLE 0x0400

/* NumPy's PyArrayObject_fields after PyObject_HEAD (checked at load time by lk_probe) */
typedef struct {
    intptr_t ob_refcnt; void *ob_type;
    char *data; int nd; intptr_t *dims; intptr_t *strides; void *base; void *descr; int flags;
} lk_array;

typedef void (*lk_inner_fn)(char **p, const intptr_t *st, intptr_t n);

/* A broadcast loop over operands (output first), with dimensions of size 1 dropped and contiguous runs merged. */
typedef struct {
    int nops, nd;
    intptr_t total;
    intptr_t shape[LK_MAXD];
    intptr_t strides[LK_MAXOPS * LK_MAXD];
    char *base[LK_MAXOPS];
    lk_inner_fn inner;
} lk_iter;

/* What kernel libraries call in the runtime library (bound once per kernel library by lk_bind). */
typedef struct {
    int (*check)(const lk_array *a, int type, int nd);
    int (*prepare)(lk_iter *it, lk_array *const *ops, int nops, const int *types, lk_inner_fn inner);
    void (*run)(const lk_iter *it, double cost);
} lk_runtime;
"""

# The runtime library: built once per toolchain (and cached like any library), loaded once per process.
_RUNTIME = r"""
#include <pthread.h>
#include <stdatomic.h>

static void *lk_ndarray;
static void *lk_descrs[%(ndtypes)d];
static int lk_threads = 1;
static double lk_thread_work = 1e300;

int lk_init(void *ndarray_type, void **descrs, int threads, double thread_work) {
    lk_ndarray = ndarray_type;
    for (int k = 0; k < %(ndtypes)d; k++) lk_descrs[k] = descrs[k];
    lk_threads = threads < 1 ? 1 : threads > LK_MAXT ? LK_MAXT : threads;
    lk_thread_work = thread_work;
    return %(abi)d;
}

void lk_probe(const lk_array *a, intptr_t *out) {
    out[0] = (intptr_t)a->ob_type; out[1] = (intptr_t)a->data; out[2] = a->nd;
    out[3] = a->nd > 0 ? a->dims[a->nd - 1] : -1; out[4] = a->nd > 0 ? a->strides[a->nd - 1] : -1;
    out[5] = (intptr_t)a->descr; out[6] = a->flags;
}

static int lk_check(const lk_array *a, int type, int nd) {
    return a->ob_type == lk_ndarray && a->descr == lk_descrs[type] && a->nd == nd && (a->flags & LK_ALIGNED);
}

static int lk_prepare(lk_iter *it, lk_array *const *ops, int nops, const int *types, lk_inner_fn inner) {
    const int nd = ops[0]->nd;
    if (nd > LK_MAXD) return 1;
    for (int k = 0; k < nops; k++)
        if (!lk_check(ops[k], types[k], nd)) return 1;
    if (!(ops[0]->flags & LK_WRITEABLE)) return 1;
    int m = 0, empty = 0;
    for (int d = 0; d < nd; d++) {
        intptr_t n = ops[0]->dims[d];
        for (int k = 1; k < nops; k++)
            if (ops[k]->dims[d] != n && ops[k]->dims[d] != 1) return 1;
        if (n == 0) empty = 1;
        if (n == 1) continue;
        it->shape[m] = n;
        for (int k = 0; k < nops; k++)
            it->strides[k * LK_MAXD + m] = ops[k]->dims[d] == 1 ? 0 : ops[k]->strides[d];
        m++;
    }
    it->nops = nops;
    it->inner = inner;
    for (int k = 0; k < nops; k++) it->base[k] = ops[k]->data;
    if (empty) { it->nd = 1; it->shape[0] = 0; it->total = 0; return 0; }
    if (m == 0) {
        it->shape[0] = 1;
        for (int k = 0; k < nops; k++) it->strides[k * LK_MAXD] = 0;
        m = 1;
    }
    int c = 0;
    for (int d = 1; d < m; d++) {
        int merge = 1;
        for (int k = 0; k < nops && merge; k++)
            merge = it->strides[k * LK_MAXD + c] == it->strides[k * LK_MAXD + d] * it->shape[d];
        if (merge) it->shape[c] *= it->shape[d];
        else it->shape[++c] = it->shape[d];
        for (int k = 0; k < nops; k++) it->strides[k * LK_MAXD + c] = it->strides[k * LK_MAXD + d];
    }
    it->nd = c + 1;
    it->total = 1;
    for (int d = 0; d < it->nd; d++) it->total *= it->shape[d];
    return 0;
}

static void lk_run_range(const lk_iter *it, intptr_t begin, intptr_t end) {
    const int nd = it->nd, nops = it->nops, last = nd - 1;
    intptr_t idx[LK_MAXD], st[LK_MAXOPS];
    char *p[LK_MAXOPS];
    intptr_t r = begin;
    for (int d = last; d >= 0; d--) { idx[d] = r %% it->shape[d]; r /= it->shape[d]; }
    for (int k = 0; k < nops; k++) {
        const intptr_t *s = it->strides + k * LK_MAXD;
        char *q = it->base[k];
        for (int d = 0; d < nd; d++) q += idx[d] * s[d];
        p[k] = q;
        st[k] = s[last];
    }
    while (begin < end) {
        intptr_t len = it->shape[last] - idx[last];
        if (len > end - begin) len = end - begin;
        it->inner(p, st, len);
        begin += len;
        if (begin >= end) break;
        /* the row is done: step the outer index, carrying */
        for (int k = 0; k < nops; k++) p[k] -= idx[last] * st[k];
        idx[last] = 0;
        for (int d = last - 1; d >= 0; d--) {
            const intptr_t *s = it->strides;
            for (int k = 0; k < nops; k++) p[k] += s[k * LK_MAXD + d];
            if (++idx[d] < it->shape[d]) break;
            for (int k = 0; k < nops; k++) p[k] -= it->shape[d] * s[k * LK_MAXD + d];
            idx[d] = 0;
        }
    }
}

/* Helper threads sleep on a condition variable between loops (nothing spins). A loop is cut into chunks taken
   from an atomic counter by the calling thread and by whichever helpers wake up in time; the caller then waits only
   for chunks a helper has taken, never for a helper that the OS has not scheduled yet. One loop at a time uses the
   helpers; a loop started while they are busy (another Python thread) runs on its own thread. */
static pthread_mutex_t lk_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lk_wake = PTHREAD_COND_INITIALIZER, lk_idle = PTHREAD_COND_INITIALIZER;
static int lk_helpers;                      /* helper threads started */
static int lk_active;                       /* helpers working on the current loop */
static long lk_generation;                  /* bumped per parallel loop */
static const lk_iter *lk_job;
static intptr_t lk_job_chunk;
static atomic_intptr_t lk_next, lk_done;    /* next element to claim; elements finished */
static atomic_int lk_busy;

static void lk_work(const lk_iter *it, intptr_t chunk) {
    intptr_t total = it->total;
    for (;;) {
        intptr_t begin = atomic_fetch_add(&lk_next, chunk);
        if (begin >= total) return;
        intptr_t end = begin + chunk < total ? begin + chunk : total;
        lk_run_range(it, begin, end);
        if (atomic_fetch_add(&lk_done, end - begin) + (end - begin) == total) {
            pthread_mutex_lock(&lk_mu);
            pthread_cond_broadcast(&lk_idle);
            pthread_mutex_unlock(&lk_mu);
        }
    }
}

static void *lk_helper_main(void *arg) {
    long seen = 0;
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&lk_mu);
        while (lk_generation == seen) pthread_cond_wait(&lk_wake, &lk_mu);
        seen = lk_generation;
        const lk_iter *it = lk_job;   /* NULL when the loop already finished without us */
        intptr_t chunk = lk_job_chunk;
        if (it) lk_active++;
        pthread_mutex_unlock(&lk_mu);
        if (!it) continue;
        lk_work(it, chunk);
        pthread_mutex_lock(&lk_mu);
        if (--lk_active == 0) pthread_cond_broadcast(&lk_idle);
        pthread_mutex_unlock(&lk_mu);
    }
    return 0;
}

static void lk_run(const lk_iter *it, double cost) {
    intptr_t total = it->total;
    if (total == 0) return;
    int nt = lk_threads;
    if (nt > 1 && (double)total * cost < lk_thread_work) nt = 1;
    if (nt > 1 && total / 4096 < nt) nt = (int)(total / 4096);
    int expected = 0;
    if (nt <= 1 || !atomic_compare_exchange_strong(&lk_busy, &expected, 1)) { lk_run_range(it, 0, total); return; }
    intptr_t chunk = ((total / (4 * nt)) + 1023) & ~(intptr_t)1023;
    pthread_mutex_lock(&lk_mu);
    while (lk_helpers < lk_threads - 1) {
        pthread_t th;
        if (pthread_create(&th, 0, lk_helper_main, 0) != 0) break;
        pthread_detach(th);
        lk_helpers++;
    }
    atomic_store(&lk_next, 0);
    atomic_store(&lk_done, 0);
    lk_job = it;
    lk_job_chunk = chunk;
    lk_generation++;
    pthread_cond_broadcast(&lk_wake);
    pthread_mutex_unlock(&lk_mu);
    lk_work(it, chunk);
    pthread_mutex_lock(&lk_mu);
    /* the loop's iterator lives on this stack: wait for every helper that took it */
    while (atomic_load(&lk_done) < total || lk_active > 0) pthread_cond_wait(&lk_idle, &lk_mu);
    lk_job = 0;
    pthread_mutex_unlock(&lk_mu);
    atomic_store(&lk_busy, 0);
}

static const lk_runtime lk_runtime_table = {lk_check, lk_prepare, lk_run};

const lk_runtime *lk_runtime_get(void) { return &lk_runtime_table; }
"""

# The start of every kernel library: the runtime's entry points (bound at load time) and the table's helpers.
_KERNEL_HEADER = r"""
#include <tgmath.h>

static lk_runtime lk_rt;

void lk_bind(const lk_runtime *rt) { lk_rt = *rt; }
"""

_FORMAT = dict(maxd=MAX_DIMS, maxops=MAX_OPERANDS, ndtypes=len(CTYPES), abi=ABI_VERSION)
RUNTIME = _COMMON % _FORMAT + _RUNTIME % _FORMAT
KERNEL_HEADER = _COMMON % _FORMAT + _KERNEL_HEADER + c_preamble()


def init_library(cdll, threads, thread_work):
    """Tell a freshly loaded library the ndarray type and dtype objects it checks operands against."""
    descrs = (ctypes.c_void_p * len(CTYPES))(*[id(np.dtype(d)) for d in CTYPES])
    fn = cdll.lk_init
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_double]
    abi = fn(id(np.ndarray), descrs, int(threads), float(thread_work))
    if abi != ABI_VERSION:
        raise RuntimeError(f"native library reports runtime version {abi}, expected {ABI_VERSION}")


def bind_library(cdll, runtime_cdll):
    """Give a kernel library the runtime's entry points."""
    get = runtime_cdll.lk_runtime_get
    get.restype = ctypes.c_void_p
    bind = cdll.lk_bind
    bind.restype = None
    bind.argtypes = [ctypes.c_void_p]
    bind(get())


def check_layout(cdll):
    """True when the library reads NumPy arrays' fields where this Python and NumPy keep them."""
    probe = cdll.lk_probe
    probe.restype = None
    probe.argtypes = [ctypes.py_object, ctypes.c_void_p]
    out = (ctypes.c_ssize_t * 7)()
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    for a in (base, base[1:, ::2], np.zeros((), np.int64), np.ones(3, bool)[::-1]):
        probe(a, out)
        want = (id(type(a)), a.ctypes.data, a.ndim, a.shape[-1] if a.ndim else -1,
                a.strides[-1] if a.ndim else -1, id(a.dtype), a.flags.num)
        if tuple(out) != want:
            return False
    return True
