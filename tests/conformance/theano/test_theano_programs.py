"""Replay the recorded programs (Theano's tutorial and library examples, the Deep Learning Tutorials' patterns) in
layerkit_backend and compare with what Theano 1.0.5 computed (fixtures/programs.json, made by record.py).

A result may differ only where differences.py says why (and a test there pins ours); a listed difference that no
longer differs must be removed from the list.
"""
import os
import warnings

import numpy as np
import pytest

import oracle
from differences import DIFFERENCES, PROGRAM_RESULTS, explain_program
from programs import all_programs

HERE = os.path.dirname(os.path.abspath(__file__))
META, RECORDED = oracle.load_fixture(os.path.join(HERE, "fixtures", "programs.json"))
PROGRAMS = all_programs()
LIB = oracle.Lib("layerkit_backend")


def test_every_program_is_recorded():
    assert sorted(PROGRAMS) == sorted(RECORDED), "re-record with `make theano-fixtures`"
    assert META["theano"] == "1.0.5"


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_program_computes_what_theano_computed(name):
    fn, floatX = PROGRAMS[name]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ours = oracle.run_program(fn, LIB, floatX)
    diffs = oracle.compare(ours, RECORDED[name])
    unexplained, used = explain_program(name, diffs)
    assert not unexplained, f"{name} differs from Theano:\n" + "\n".join(
        f"  {p}: {w}: {d[:300]}" for p, w, d in unexplained)
    listed = {(prefix, key) for prefix, key in PROGRAM_RESULTS.get(name, {}).items()}
    stale = {prefix for prefix, key in listed if (prefix.split("[")[0].split(".")[0], key) not in used}
    assert not stale, f"{name}: listed as differing but now equal to Theano: {sorted(stale)} (remove them)"


def test_every_listed_difference_is_documented():
    for name, table in PROGRAM_RESULTS.items():
        assert name in RECORDED, name
        assert set(table.values()) <= set(DIFFERENCES), name
