"""Realistic bugs planted one at a time: which tests fail on each?

Each entry of :data:`BUGS` is a one-line mistake a contributor could make,
described by its effect (issue 16 lists the classes). The script plants one
at a time in a scratch copy of the repository (never in the checkout), runs
the tests that should notice, and records which fail. A bug no test notices
is a gap in the suite. A bug whose code no longer occurs (the module was
rewritten) is reported as "does not apply": update its ``old`` text.

Run (a few minutes; each bug costs one pytest start)::

    nice -n 19 python -m benchmarks.planted_bugs           # every bug
    nice -n 19 python -m benchmarks.planted_bugs cli_columns_reversed

Results go to ``benchmarks/results/planted_bugs.{json,md}``.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ._environment import RESULTS, machine_info, machine_markdown, write_result

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Bug:
    """One planted mistake: replace ``old`` (once) by ``new`` in ``path``."""

    name: str
    effect: str
    path: str
    old: str
    new: str
    tests: tuple


NN = "sklearn_lipnet/neural_network"
T_NN = "tests/neural_network"

BUGS = [
    Bug(
        "augmentation_off_in_training",
        "training batches are not augmented",
        f"{NN}/_skorch_net.py",
        "augmentation=self.augmentation,",
        "augmentation=None,",
        (f"{T_NN}/test_training_loop.py", f"{T_NN}/test_classifier.py"),
    ),
    Bug(
        "shear_ignored",
        "the augmentation ignores the shear",
        f"{NN}/_augmentation.py",
        "s[:, 0, 1] = shear",
        "s[:, 0, 1] = 0",
        (f"{T_NN}/test_augmentation.py", f"{T_NN}/test_training_loop.py"),
    ),
    Bug(
        "oversampling_fixed_cycle",
        "minority samples are repeated in a fixed cycle, not drawn at random",
        f"{NN}/_batching.py",
        "draw = torch.randint(count, (extra,), generator=generator)",
        "draw = torch.arange(extra) % count",
        (f"{T_NN}/test_batching.py", f"{T_NN}/test_training_loop.py"),
    ),
    Bug(
        "epoch_indices_reused",
        "every epoch reuses the first epoch's rebalanced index set (reshuffled)",
        f"{NN}/_batching.py",
        "            indices = epoch_indices("
        "y, self.balance, self.sampling_generator)\n",
        "            if getattr(self.dataset, '_first', None) is None:\n"
        "                self.dataset._first = epoch_indices(\n"
        "                    y, self.balance, self.sampling_generator\n"
        "                )\n"
        "            first = self.dataset._first\n"
        "            indices = first[\n"
        "                torch.randperm("
        "len(first), generator=self.sampling_generator)\n"
        "            ]\n",
        (f"{T_NN}/test_batching.py", f"{T_NN}/test_training_loop.py"),
    ),
    Bug(
        "validation_split_unseeded",
        "the validation split does not follow random_state",
        f"{NN}/_classifier.py",
        "ValidSplit(self.train_split, stratified=True, random_state=seed)",
        "ValidSplit(self.train_split, stratified=True, random_state=None)",
        (f"{T_NN}/test_training_loop.py", f"{T_NN}/test_classifier.py"),
    ),
    Bug(
        "validation_split_fixed_seed",
        "the validation split uses a fixed seed, whatever random_state",
        f"{NN}/_classifier.py",
        "ValidSplit(self.train_split, stratified=True, random_state=seed)",
        "ValidSplit(self.train_split, stratified=True, random_state=0)",
        (f"{T_NN}/test_training_loop.py", f"{T_NN}/test_classifier.py"),
    ),
    Bug(
        "best_weights_not_restored",
        "early stopping keeps the last epoch's weights, not the best",
        f"{NN}/_classifier.py",
        'monitor="valid_loss", patience=self.patience, load_best=True',
        'monitor="valid_loss", patience=self.patience, load_best=False',
        (f"{T_NN}/test_training_loop.py", f"{T_NN}/test_classifier.py"),
    ),
    Bug(
        "label_codes_by_first_appearance",
        "internal label codes in order of first appearance, classes_ sorted",
        f"{NN}/_classifier.py",
        "codes = encoder.transform(y).astype(np.int64)",
        "first_seen = np.unique(y, return_index=True)[1].argsort().argsort()\n"
        "        codes = first_seen[np.unique(y, return_inverse=True)[1]]\n"
        "        codes = codes.astype(np.int64)",
        (
            f"{T_NN}/test_training_loop.py",
            "tests/pipeline/test_pipelines.py",
        ),
    ),
    Bug(
        "prediction_augmented_with_fixed_seed",
        "prediction batches are augmented, with a fixed seed",
        f"{NN}/_batching.py",
        "                Xb = X[start:stop]\n",
        "                Xb = X[start:stop]\n"
        "                if self.augmentation is not None and X.dim() == 4:\n"
        "                    Xb = self.augmentation(\n"
        "                        Xb, torch.Generator(device=X.device).manual_seed(0)\n"
        "                    )\n",
        (f"{T_NN}/test_classifier.py",),
    ),
    Bug(
        "architecture_ignored",
        "every 28-pixel architecture trains LipNet-4",
        f"{NN}/_classifier.py",
        "module = ARCHITECTURES[self.architecture]",
        "module = ARCHITECTURES[\n"
        '                "lipnet6" if self.architecture == "lipnet6" else "lipnet4"\n'
        "            ]",
        (f"{T_NN}/test_classifier.py",),
    ),
    Bug(
        "cli_columns_reversed",
        "lipnet predict writes the probability columns in the wrong class order",
        "sklearn_lipnet/cli/_predict.py",
        'predictions[f"p_{label}"] = proba[:, k]',
        'predictions[f"p_{label}"] = proba[:, len(classes) - 1 - k]',
        ("tests/cli/test_cli.py", "tests/cli/test_predict.py"),
    ),
    Bug(
        "model_file_loses_random_state",
        "a saved LipNet comes back with random_state=None",
        "sklearn_lipnet/persistence/_model_file.py",
        'state["callbacks"] = None',
        'state["callbacks"] = None\n        state["random_state"] = None',
        ("tests/persistence/test_persistence.py",),
    ),
    Bug(
        "model_file_loses_svm_parameter",
        "a saved SVC comes back with the default C",
        "sklearn_lipnet/persistence/_model_file.py",
        "state = value.__getstate__() or {}",
        "state = value.__getstate__() or {}\n"
        '            if name == "SVC":\n'
        '                state = {**state, "C": 1.0}',
        ("tests/persistence/test_persistence.py",),
    ),
    Bug(
        "feature_columns_swapped",
        "ParticleFeatures swaps the perimeter and circularity columns",
        "sklearn_lipnet/features/_description.py",
        '    "perimeter": lambda p: p.perimeter,\n'
        '    "circularity": lambda p: _circularity_of(p.geometry, p.perimeter),\n',
        '    "perimeter": lambda p: _circularity_of(p.geometry, p.perimeter),\n'
        '    "circularity": lambda p: p.perimeter,\n',
        ("tests/features/test_particle_features.py",),
    ),
    Bug(
        "feature_profiles_swapped",
        "ParticleFeatures fills the radial profile with the edge profile",
        "sklearn_lipnet/features/_description.py",
        '    "radial_profile": lambda p: _radial_profile_of(\n'
        "        p.values, p.geometry, p.spec.n_profile_bins\n"
        "    ),\n",
        '    "radial_profile": lambda p: _edge_profile_of(\n'
        "        p.values, p.geometry, p.spec.n_profile_bins, None\n"
        "    ),\n",
        ("tests/features/test_particle_features.py",),
    ),
    Bug(
        "images_read_transposed",
        "load_particles reads every image (and mask) transposed",
        "sklearn_lipnet/datasets/_image_io.py",
        "        self._note(converted, path)\n        return image\n",
        "        self._note(converted, path)\n        return image.T\n",
        ("tests/pipeline/test_data_pipeline.py",),
    ),
    Bug(
        "preprocessor_rows_reversed",
        "ParticlePreprocessor returns the rows in reverse order",
        "sklearn_lipnet/preprocessing/_particle_preprocessor.py",
        "        return out\n",
        "        return out[::-1].copy()\n",
        ("tests/pipeline/test_data_pipeline.py",),
    ),
]


def _scratch_copy(workdir):
    for name in ("sklearn_lipnet", "tests"):
        shutil.copytree(
            ROOT / name, workdir / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, workdir / name)


def _run_tests(workdir, tests):
    env = dict(os.environ, PYTHONPATH=str(workdir), OMP_NUM_THREADS="1")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider"]
        + list(tests),
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    failed = re.findall(r"^FAILED (\S+)", run.stdout, flags=re.MULTILINE)
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    return run.returncode, failed, summary


def plant(bug, workdir):
    """Plant ``bug`` in the scratch copy, run its tests, take it out again."""
    path = workdir / bug.path
    original = path.read_text()
    if original.count(bug.old) != 1:
        return {"status": "does not apply", "failed": [], "summary": ""}
    path.write_text(original.replace(bug.old, bug.new))
    try:
        code, failed, summary = _run_tests(workdir, bug.tests)
    finally:
        path.write_text(original)
    if code == 0:
        status = "NOT NOTICED"
    elif failed:
        status = "caught"
    else:
        status = f"pytest exit {code}"
    return {"status": status, "failed": failed, "summary": summary}


def _markdown(rows, info):
    lines = [
        "# Planted bugs and the tests that catch them",
        "",
        "Each bug is planted alone in a scratch copy and only the listed tests "
        "run (`python -m benchmarks.planted_bugs`).",
        "",
        "| bug | effect | status | failing tests |",
        "| --- | --- | --- | --- |",
    ]
    for row in rows:
        failed = "<br>".join(f"`{t.split('::', 1)[-1]}`" for t in row["failed"])
        lines.append(
            f"| `{row['name']}` | {row['effect']} | {row['status']} | {failed} |"
        )
    lines += ["", "## Machine", "", machine_markdown(info)]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bugs", nargs="*", help="names of bugs (default: all)")
    args = parser.parse_args(argv)
    by_name = {bug.name: bug for bug in BUGS}
    unknown = sorted(set(args.bugs) - set(by_name))
    if unknown:
        parser.error(f"unknown bug(s) {unknown}; choose from {list(by_name)}")
    chosen = [by_name[name] for name in args.bugs] or BUGS
    rows = []
    with tempfile.TemporaryDirectory(prefix="planted-bugs-") as tmp:
        workdir = Path(tmp)
        _scratch_copy(workdir)
        baseline = _run_tests(workdir, sorted({t for b in chosen for t in b.tests}))
        if baseline[0] != 0:
            sys.exit(
                f"the tests fail without any planted bug: {baseline[2]}\n"
                + "\n".join(baseline[1])
            )
        for bug in chosen:
            start = time.perf_counter()
            result = plant(bug, workdir)
            print(
                f"{bug.name}: {result['status']} ({len(result['failed'])} failed, "
                f"{time.perf_counter() - start:.0f} s)",
                flush=True,
            )
            rows.append({"name": bug.name, "effect": bug.effect, **result})
    json_path = RESULTS / "planted_bugs.json"
    if json_path.exists():  # keep the bugs not replanted this time
        stored = {row["name"]: row for row in json.loads(json_path.read_text())["bugs"]}
        stored.update({row["name"]: row for row in rows})
        everything = [stored[bug.name] for bug in BUGS if bug.name in stored]
    else:
        everything = rows
    info = machine_info()
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": info,
        "bugs": everything,
    }
    write_result("planted_bugs", result, _markdown(everything, info))
    if any(row["status"] != "caught" for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
