"""layerkit computes what Keras 3 computes: every case of ``keras_cases`` replayed against Keras's recording.

Each case runs its program with ``kl = layerkit``, starting from Keras's initial weights on Keras's data, and
compares every result Keras produced (history, evaluate, predict, weights, names, call orders) within the
case's tolerances. Deliberate differences are named by the case (``differs``), listed in
docs/keras_compatibility.md and checked by the case's ``check``. Regenerate the fixtures with
``make keras-fixtures`` (needs Keras; this test does not).
"""
import functools
import os
import re

import pytest

import layerkit
from layerkit.utils import set_random_seed

from keras_cases import CASES, GROUPS
from keras_session import FIXTURES, Session, compare, expected_results, load_group

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
COMPATIBILITY_DOC = os.path.join(ROOT, "docs", "keras_compatibility.md")


@functools.lru_cache(maxsize=None)
def _group(group):
    return load_group(group)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_layerkit_computes_what_keras_computes(case):
    records, _ = _group(case.group)
    assert case.name in records, f"{case.name}: no Keras recording; run `make keras-fixtures`"
    record = records[case.name]
    set_random_seed(case.seed)
    layerkit.backend.clear_session()   # the recording starts each case in a fresh Keras session too
    files = os.path.join(FIXTURES, "files", case.name.replace("/", "__"))
    session = Session(layerkit, record["data"], recording=False, weights=record["weights"], files=files)
    case.program(session)
    expected = expected_results(case, record["results"])
    problems = compare(expected, session.out, case.tol, case.skip)
    if case.check is not None:
        problems += case.check(expected, session.out, case.tol)
    assert not problems, (f"{case.name} differs from Keras {_group(case.group)[1]['keras']} on "
                          f"{record.get('keras_backend', 'jax')}:\n  " + "\n  ".join(problems))


def test_every_recording_has_a_case_and_the_suite_is_large_enough():
    names = {case.name for case in CASES}
    assert len(names) == len(CASES), "case names must be unique"
    for module in GROUPS:
        group = module.__name__.rsplit(".", 1)[-1]
        recorded = set(_group(group)[0])
        expected = {c.name for c in module.CASES}
        assert recorded == expected, (f"fixtures/{group}: recorded but no case {sorted(recorded - expected)}, "
                                      f"case but not recorded {sorted(expected - recorded)}")
    assert len(CASES) >= 200


def test_every_deliberate_difference_is_documented():
    with open(COMPATIBILITY_DOC) as f:
        anchors = set(re.findall(r'<a id="([\w-]+)"></a>', f.read()))
    named = {anchor for case in CASES for anchor in case.differs}
    assert named <= anchors, f"docs/keras_compatibility.md lacks sections for {sorted(named - anchors)}"


def test_fixtures_stay_small():
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(FIXTURES) for f in fs)
    assert total < 4 * 2 ** 20, f"Keras conformance fixtures are {total / 2 ** 20:.1f} MB"
