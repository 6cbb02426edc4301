"""Tampered model files: loading and predicting never crashes, only ValueError.

Every array and scalar of a saved model of each kind in
``_hostile.MODEL_KINDS`` is tampered with (other values, shapes, dtypes,
sizes that disagree), as are the network weights and the archive. Each
tampered file is loaded and, if it loads, predicted with, in a subprocess:
the subprocess must not die (a SIGSEGV in libsvm, an abort in PyTorch), and
every file must either load and predict finite probabilities or raise
``ValueError``. The subprocesses (a few, each loading hundreds of files)
run side by side.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_lipnet import save_model

from ._hostile import (
    MODEL_KINDS,
    read_members,
    tampered_archives,
    tampered_documents,
    tampered_weights,
    write_members,
)

ROOT = Path(__file__).resolve().parents[2]
#: The kinds whose files each subprocess loads.
GROUPS = [
    ("lipnet", "lipnet_features"),
    ("svm", "svm_probability"),
    ("hybrid", "stacking"),
]


def _cases(kind, path, folder):
    """Write the tampered files of one saved model; ``[(description, file)]``."""
    rng = np.random.default_rng(sorted(MODEL_KINDS).index(kind))
    members = read_members(path)
    document = json.loads(members["model.json"])
    cases = []

    def add(description, files=None, data=None):
        target = folder / f"{kind}_{len(cases)}.lipnet"
        if data is not None:
            target.write_bytes(data)
        else:
            write_members(target, files)
        cases.append((f"{kind}: {description}", str(target)))

    for description, text in tampered_documents(document, rng):
        add(description, {**members, "model.json": text.encode()})
    for description, files in tampered_weights(members, rng):
        add(description, files)
    for description, data in tampered_archives(members):
        add(description, data=data)
    return cases


@pytest.fixture(scope="module")
def loading_runs(tmp_path_factory):
    """Start one loading subprocess per group; ``{group: (process, cases, out)}``."""
    folder = tmp_path_factory.mktemp("hostile")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "OMP_NUM_THREADS": "1",
    }
    runs = {}
    for group in GROUPS:
        cases, job = [], []
        for kind in group:
            path = folder / f"{kind}.lipnet"
            save_model(MODEL_KINDS[kind].fit(), path)
            for description, tampered in _cases(kind, path, folder):
                cases.append(description)
                job.append({"kind": kind, "path": tampered})
        name = "+".join(group)
        job_file, out_file = folder / f"{name}.json", folder / f"{name}_out.json"
        job_file.write_text(json.dumps(job))
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.persistence._hostile", job_file, out_file],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        runs[group] = (process, cases, out_file)
    yield runs
    for process, _, _ in runs.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.parametrize("group", GROUPS, ids="+".join)
def test_tampered_model_files_raise_value_error_and_never_crash(group, loading_runs):
    process, cases, out_file = loading_runs[group]
    stdout, stderr = process.communicate(timeout=600)
    assert len(cases) > 150
    started = [line for line in stdout.splitlines() if line.startswith("START")]
    last = cases[int(started[-1].split()[1])] if started else "before the first file"
    assert process.returncode == 0, (
        f"the loading process died (exit status {process.returncode}) on "
        f"{last}:\n{stderr[-3000:]}"
    )
    outcomes = json.loads(out_file.read_text())["outcomes"]
    assert len(outcomes) == len(cases)
    bad = [
        f"{case}\n    -> {outcome}"
        for case, outcome in zip(cases, outcomes)
        if outcome not in ("ok", "ValueError")
    ]
    assert not bad, f"{len(bad)} of {len(cases)} files:\n" + "\n".join(bad[:30])
    # Most tamperings are caught; the files that load hold harmless changes
    # (a loss in the training history, a random_state, a verbose flag).
    assert outcomes.count("ValueError") > 0.6 * len(outcomes)
