"""Mutation testing of the core modules: do the tests notice small wrong changes?

A mutation tool (mutmut 3, from PyPI) makes many small changes to a module
(``<`` to ``<=``, ``+`` to ``-``, a constant off by one, an argument
dropped, ...), one "mutant" at a time, and runs that module's tests against
each. A mutant the tests fail on is *killed*; one they pass is a *survivor*:
either the tests miss a behaviour, or the change does not alter behaviour at
all (an *equivalent* mutant). The score is the share of mutants killed.

Each module is tested only with its own tests (listed in :data:`MODULES`),
in a scratch copy of the repository outside the checkout, so the checkout is
never modified. mutmut runs only the tests that execute the mutated function,
in forked workers.

Run (slow: minutes to an hour per module on a busy 2-core machine)::

    pip install mutmut  # 3.x; a tool, not a dependency of the package
    nice -n 19 python -m benchmarks.mutation_testing                 # every module
    nice -n 19 python -m benchmarks.mutation_testing metrics_per_class batching

``--workers`` sets mutmut's parallel workers (default 1: the machine is
shared), ``--workdir`` the scratch folder (kept for ``mutmut show`` /
``mutmut browse`` there). Every run starts afresh, except with
``--rerun-survivors``: after adding tests, only the mutants the last run
left alive are tested again (valid while the module itself is unchanged).
Results go to ``benchmarks/results/mutation_testing.{json,md}``; survivors
judged equivalent are explained in :data:`EQUIVALENT`, those killed by a
test mutmut cannot run in :data:`COVERED`.
"""

import argparse
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from ._environment import RESULTS, machine_info, machine_markdown, write_result

ROOT = Path(__file__).resolve().parent.parent

#: Module (under ``sklearn_lipnet/``) -> the tests that pin its behaviour.
#: The module's own doctests run too.
MODULES = {
    "metrics_per_class": (
        "metrics/_per_class.py",
        ["tests/metrics/test_metrics.py"],
    ),
    "batching": (
        "neural_network/_batching.py",
        [
            "tests/neural_network/test_batching.py",
            "tests/neural_network/test_training_loop.py",
        ],
    ),
    "augmentation": (
        "neural_network/_augmentation.py",
        [
            "tests/neural_network/test_augmentation.py",
            "tests/neural_network/test_training_loop.py",
        ],
    ),
    "features_shape": (
        "features/_shape.py",
        [
            "tests/features/test_shape_features.py",
            "tests/features/test_particle_features.py",
        ],
    ),
    "features_intensity": (
        "features/_intensity.py",
        [
            "tests/features/test_intensity_features.py",
            "tests/features/test_particle_features.py",
        ],
    ),
    "features_profile": (
        "features/_profile.py",
        [
            "tests/features/test_profile_features.py",
            "tests/features/test_particle_features.py",
        ],
    ),
    "features_description": (
        "features/_description.py",
        ["tests/features/test_particle_features.py"],
    ),
    "model_file": (
        "persistence/_model_file.py",
        [
            "tests/persistence/test_model_file_values.py",
            "tests/persistence/test_model_file_checks.py",
            "tests/persistence/test_model_file_versions.py",
        ],
    ),
    "cli_predict": (
        "cli/_predict.py",
        # test_cli.py's round trip (train, then predict) trains a network
        # for every mutant: too slow here; test_predict.py uses a saved SVM.
        ["tests/cli/test_predict.py"],
    ),
}

#: Modules mutated only in some functions (mutmut name globs, ``x_`` +
#: function name, ``xǁClassǁ`` + method): the core of a module whose every
#: mutant would take hours on a shared 2-core machine. The others are named
#: in the results.
FUNCTIONS = {
    # How every value is written and how its type, items and shape are
    # checked on reading (about 200 mutants). The decoder's dispatch, the
    # object and network rebuilding and the archive limits (about 800 more)
    # are left to the tampered-file tests (tests/persistence/
    # test_hostile_model_files.py) and test_model_file_checks.py.
    "model_file": [
        "xǁ_Encoderǁencode__mutmut_*",
        "x__keys__mutmut_*",
        "x__dtype__mutmut_*",
        "x__items__mutmut_*",
        "x__shape__mutmut_*",
    ],
}

_FLOAT_ALREADY = (
    "Both callers pass float arrays (the confusion matrix is cast to float "
    "first), so the cast changes nothing."
)
_MEMBER_ORDER = (
    "The members of a class in another fixed order: the draws are as random "
    "and as balanced, only which sample a given seed picks differs."
)
_REPR_LAYOUT = (
    "Where the repr wraps its lines (and their indentation) only: it still "
    "evaluates back to an equal Augmentation (test_repr_is_evaluable), and "
    "the doctest compares it with whitespace normalised."
)
_MEASURE_ZERO = "Flips when the uniform draw is exactly 0.5 too: probability zero."
_WHERE_DTYPE = (
    "torch.where on two Python floats gives the default dtype, float32, "
    "which the scale already has."
)
_NO_X_OVER_0 = (
    "Counts are non-negative and every numerator is at most its denominator, "
    "so a zero denominator has a zero numerator: 0/0 ('invalid'), never x/0 "
    "('divide')."
)

_POSIX_NEWLINE = (
    "On POSIX a text file writes '\\n' unchanged with any newline setting; "
    "newline='' only keeps Windows from doubling the CSV's line ends."
)
_UTF8_LOCALE = (
    "The locale's encoding, UTF-8 on these machines and in CI; on a "
    "non-UTF-8 locale non-ASCII class names would be written differently "
    "(not testable here without changing the process's locale)."
)
_PATH_ALWAYS = (
    "read_particles always gives a path column (every particle it reads "
    "comes from a file), so the fallback is never taken."
)
_STR_CLASSES = (
    "The class names are str (str(c) of each), so a unicode array holds the "
    "same names and the CSV the same text."
)
_DATACLASS_STATE = (
    "Without the dataclass branch an Augmentation (the only dataclass saved, "
    "no slots) goes through __getstate__, which gives the same fields."
)

#: Survivors judged harmless (equivalent mutants), by module, keyed by the
#: mutant's diff (``-``/``+`` lines, stripped), with why. Keyed by the change
#: rather than by mutmut's numbering, so that edits elsewhere in a function
#: do not invalidate a judgment; one no longer produced is reported as stale.
#: Message-text mutants (``"XX..XX"``, case changes inside a sentence) are
#: judged by :func:`_cosmetic` instead.
EQUIVALENT = {
    "metrics_per_class": {
        "-UserWarning,": "UserWarning is warnings.warn's default category.",
        "-UserWarning,\n+None,": "warnings.warn(message, None) warns UserWarning.",
        "-numerator = np.asarray(numerator, dtype=float)\n"
        "+numerator = np.asarray(numerator, )": _FLOAT_ALREADY,
        "-numerator = np.asarray(numerator, dtype=float)\n"
        "+numerator = np.asarray(numerator, dtype=None)": _FLOAT_ALREADY,
        "-denominator = np.asarray(denominator, dtype=float)\n"
        "+denominator = np.asarray(denominator, )": _FLOAT_ALREADY,
        "-denominator = np.asarray(denominator, dtype=float)\n"
        "+denominator = np.asarray(denominator, dtype=None)": _FLOAT_ALREADY,
        '-with np.errstate(divide="ignore", invalid="ignore"):\n'
        '+with np.errstate(divide=None, invalid="ignore"):': _NO_X_OVER_0,
        '-with np.errstate(divide="ignore", invalid="ignore"):\n'
        '+with np.errstate(invalid="ignore"):': _NO_X_OVER_0,
        "-if zero_division is np.nan\n+if (zero_division is np.nan) and False": (
            "The other branch gives float(np.nan), which is NaN too."
        ),
        "-matrix = confusion_matrix(y_true, y_pred, labels=every).astype(float)\n"
        "+matrix = confusion_matrix(y_true, y_pred, labels=every).astype(None)": (
            "astype(None) is astype(float64)."
        ),
        "-totals = matrix.sum(axis=-1, keepdims=True)\n"
        "+totals = matrix.sum(axis=+1, keepdims=True)": (
            "normalize_rows only receives 2-D confusion matrices, where axis 1 "
            "is the last axis."
        ),
    },
    "batching": {
        '-order = np.argsort(y, kind="stable")\n+order = np.argsort(y, kind=None)': (
            _MEMBER_ORDER
        ),
        '-order = np.argsort(y, kind="stable")\n+order = np.argsort(y, )': (
            _MEMBER_ORDER
        ),
        '-order = np.argsort(y, kind="stable")\n'
        '+order = np.argsort(y, kind="STABLE")': _MEMBER_ORDER,
        "-break\n+return": (
            "In a generator, leaving the loop and returning both end the "
            "iteration: nothing follows the loop."
        ),
        "-if stop - start == 1 < batch_size and start > 0:\n"
        "+if stop - start == 1 < batch_size and start > 1:": (
            "Batches start at multiples of batch_size, so start == 1 only with "
            "batch_size 1, where 1 < batch_size is already false."
        ),
    },
    "features_shape": {
        # _row_extremes before main's rewrite (the stored run's code).
        "-).astype(float)\n+).astype(None)": "astype(None) is astype(float64).",
        "-first = np.column_stack([rows, sub.argmax(axis=1)]).astype(float)\n"
        "+first = np.column_stack([rows, sub.argmax(axis=1)]).astype(None)": (
            "astype(None) is astype(float64)."
        ),
        "-return first, last.astype(float)\n+return first, last.astype(None)": (
            "astype(None) is astype(float64)."
        ),
    },
    "cli_predict": {
        '-with atomic_file(out, "w", newline="", encoding="utf-8") as handle:\n'
        '+with atomic_file(out, "w", newline=None, encoding="utf-8") as handle:': (
            _POSIX_NEWLINE
        ),
        '-with atomic_file(out, "w", newline="", encoding="utf-8") as handle:\n'
        '+with atomic_file(out, "w", encoding="utf-8") as handle:': _POSIX_NEWLINE,
        '-with atomic_file(out, "w", newline="", encoding="utf-8") as handle:\n'
        '+with atomic_file(out, "w", newline="", encoding=None) as handle:': (
            _UTF8_LOCALE
        ),
        '-with atomic_file(out, "w", newline="", encoding="utf-8") as handle:\n'
        '+with atomic_file(out, "w", newline="", ) as handle:': _UTF8_LOCALE,
        '-with atomic_file(out, "w", newline="", encoding="utf-8") as handle:\n'
        '+with atomic_file(out, "w", newline="", encoding="UTF-8") as handle:': (
            "Codec names are case-insensitive."
        ),
        "-predictions.to_csv(handle, index=False)\n"
        "+predictions.to_csv(handle, index=None)": (
            "pandas tests index for truth: None leaves it out as False does."
        ),
        '-"path": table["path"] if "path" in table else "",\n'
        '+"path": table["path"] if ("path" in table) or True else "",': _PATH_ALWAYS,
        '-"path": table["path"] if "path" in table else "",\n'
        '+"path": table["path"] if "path" in table else "XXXX",': _PATH_ALWAYS,
        '-"predicted": np.asarray(classes, dtype=object)[proba.argmax(axis=1)],\n'
        '+"predicted": np.asarray(classes, dtype=None)[proba.argmax(axis=1)],': (
            _STR_CLASSES
        ),
        '-"predicted": np.asarray(classes, dtype=object)[proba.argmax(axis=1)],\n'
        '+"predicted": np.asarray(classes, )[proba.argmax(axis=1)],': _STR_CLASSES,
    },
    "model_file": {
        "-state = value.get_params(deep=False)\n"
        "+state = value.get_params(deep=None)": "deep=None is falsy, as False.",
        "-state = value.get_params(deep=False)\n+state = value.get_params(deep=True)": (
            "The samplers our pipelines build have no estimator-valued "
            "parameters, so deep and shallow get_params are the same."
        ),
        '-elif hasattr(value, "__dataclass_fields__"):\n'
        '+elif hasattr(None, "__dataclass_fields__"):': _DATACLASS_STATE,
        '-elif hasattr(value, "__dataclass_fields__"):\n'
        '+elif hasattr(value, "XX__dataclass_fields__XX"):': _DATACLASS_STATE,
        '-elif hasattr(value, "__dataclass_fields__"):\n'
        '+elif hasattr(value, "__DATACLASS_FIELDS__"):': _DATACLASS_STATE,
    },
    "augmentation": {
        "-if len(line) + len(value) + 2 > 80:\n"
        "+if len(line) + len(value) - 2 > 80:": _REPR_LAYOUT,
        "-if len(line) + len(value) + 2 > 80:\n"
        "+if len(line) - len(value) + 2 > 80:": _REPR_LAYOUT,
        "-if len(line) + len(value) + 2 > 80:\n"
        "+if len(line) + len(value) + 3 > 80:": _REPR_LAYOUT,
        "-if len(line) + len(value) + 2 > 80:\n"
        "+if len(line) + len(value) + 2 >= 80:": _REPR_LAYOUT,
        "-if len(line) + len(value) + 2 > 80:\n"
        "+if len(line) + len(value) + 2 > 81:": _REPR_LAYOUT,
        "-lines.append(line.rstrip())\n+lines.append(line.lstrip())": _REPR_LAYOUT,
        "-uniform = torch.rand(n, 7, generator=generator, device=device)\n"
        "+uniform = torch.rand(n, 8, generator=generator, device=device)": (
            "One more uniform number per image is drawn and never used: the "
            "seven used stay independent and uniform."
        ),
        "-(uniform[:, 5] < 0.5) & self.horizontal_flip, -1.0, 1.0\n"
        "+(uniform[:, 5] <= 0.5) & self.horizontal_flip, -1.0, 1.0": _MEASURE_ZERO,
        "-flip_y = torch.where((uniform[:, 6] < 0.5) & self.vertical_flip, "
        "-1.0, 1.0).to(\n"
        "+flip_y = torch.where((uniform[:, 6] <= 0.5) & self.vertical_flip, "
        "-1.0, 1.0).to(": _MEASURE_ZERO,
        "-).to(scale.dtype)\n+).to(None)": _WHERE_DTYPE,
        "-scale.dtype\n+None": _WHERE_DTYPE,
        "-linear = linear * (scale[:, None] * torch.stack([flip_x, flip_y], 1))"
        ".unsqueeze(\n"
        "+linear = linear * (scale[:, None] / torch.stack([flip_x, flip_y], 1))"
        ".unsqueeze(": "The flips are -1 or 1: dividing by them is multiplying.",
        '-images, grid, mode="bilinear", padding_mode="border", align_corners=False\n'
        '+images, grid, padding_mode="border", align_corners=False': (
            "bilinear is grid_sample's default mode."
        ),
    },
}

#: Tests that cannot pass under mutmut: it calls every function of the
#: mutated module through a trampoline, one more stack frame, so a warning's
#: ``stacklevel`` no longer points at the caller. They are left out of the
#: mutation runs; the mutants they kill are listed in :data:`COVERED`.
DESELECT = ["tests/metrics/test_metrics.py::test_warnings_point_at_the_callers_line"]

_STACKLEVEL = (
    "Killed in the normal suite by test_warnings_point_at_the_callers_line, "
    "which checks that the warning points at the caller's line; mutmut's "
    "trampolines add a stack frame, so that test is deselected here."
)

_CUDA = (
    "Places labels, indices or random draws on the CPU whatever the images' "
    "device: the same on a CPU-only machine, a device mismatch on a GPU, "
    "where the cuda-marked tests (tests/neural_network/test_cuda.py, GPU "
    "training) fail. Not verified in this run: no GPU here."
)

_ADDED_LATER = (
    "Killed by test_confusion_matrix_frame_labels (a label only in y_true "
    "gets its row), added after this run; planted by hand, that test fails."
)

_UNLABELLED_GENERATOR = (
    "Killed by test_unlabelled_training_batches_draw_from_the_sampling_"
    "generator_only (unlabelled epochs draw from the global generator "
    "otherwise), added after this run; planted by hand, that test fails."
)
_OBJECT_ITEM_WHERE = (
    "Killed by test_values_that_cannot_be_saved_are_named (an object array's "
    "unsavable item named model[0][1]), added after this run; planted by "
    "hand, that test fails."
)

_TUPLE_ITEM_WHERE = (
    "Killed by test_values_that_cannot_be_saved_are_named (a tuple's "
    "unsavable item named model[1]), added after this run; planted by hand, "
    "that test fails."
)
_LIPNET_WHERE = (
    "Killed by test_persistence.py::test_unsavable_objects_are_named (a "
    "LipNet's tensor parameter named model.criterion__weight), left out of "
    "this run because it trains networks; planted by hand, that test fails."
)
_STATE_WHERE = (
    "Killed by test_values_that_cannot_be_saved_are_named (model.rotation), "
    "added after this run, and by test_persistence.py::test_unsavable_"
    "objects_are_named (left out: it trains networks); planted by hand, the "
    "first fails."
)
_AUGMENTATION_SAVED = (
    "Breaks saving an Augmentation (None state, or getattr raising): killed "
    "by test_an_augmentation_round_trips_its_settings, added after this run, "
    "and by test_persistence.py's round trips (left out: they train "
    "networks); planted by hand (state = None), that test fails."
)
_SAMPLER_SETTINGS = (
    "Skips the sampler branch: killed by test_a_fitted_sampler_is_saved_by_"
    "its_settings_only, added after this run; planted by hand (as "
    "hasattr(None, ...)), that test fails."
)
_PREDICT_HELP = (
    "Killed by test_predict.py's checks of the help texts and of the line "
    "predict prints, added after this run; planted by hand, they fail."
)
_THRESHOLD_TWO = (
    "Killed by test_cli.py::test_bad_arguments_give_one_line_and_a_nonzero_"
    "exit (--threshold 2 refused), left out of this run because its module "
    "trains networks, and by the '2' case of test_a_threshold_of_one_is_"
    "allowed_and_of_zero_refused added after this run."
)

#: Survivors that a test kills outside the mutmut run (one mutmut cannot
#: run, or one added after the run, checked by planting the mutant by hand),
#: keyed like EQUIVALENT.
COVERED = {
    "metrics_per_class": {
        "-labels = unique_labels(y_true, y_pred) if labels is None else "
        "np.asarray(labels)\n"
        "+labels = unique_labels(y_pred) if labels is None else np.asarray(labels)": (
            _ADDED_LATER
        ),
        "-stacklevel=3,\n-)\n+)": _STACKLEVEL,
        "-stacklevel=3,\n+stacklevel=4,": _STACKLEVEL,
        "-stacklevel=5,\n-)\n+)": _STACKLEVEL,
        "-stacklevel=5,\n+stacklevel=6,": _STACKLEVEL,
    },
    "batching": {
        "-len(self.dataset), generator=self.sampling_generator\n"
        "+len(self.dataset), generator=None": _UNLABELLED_GENERATOR,
        "-len(self.dataset), generator=self.sampling_generator\n-)\n"
        "+len(self.dataset), )": _UNLABELLED_GENERATOR,
        "-self.y_tensor = None if y is None else torch.as_tensor(y, device=X.device)\n"
        "+self.y_tensor = None if y is None else torch.as_tensor(y, device=None)": (
            _CUDA
        ),
        "-self.y_tensor = None if y is None else torch.as_tensor(y, device=X.device)\n"
        "+self.y_tensor = None if y is None else torch.as_tensor(y, )": _CUDA,
        "-index = torch.as_tensor(indices, device=self.X.device)\n"
        "+index = torch.as_tensor(indices, device=None)": _CUDA,
        "-index = torch.as_tensor(indices, device=self.X.device)\n"
        "+index = torch.as_tensor(indices, )": _CUDA,
        "-return indices.to(self.dataset.X.device)\n+return indices.to(None)": _CUDA,
        "-n, self.augmentation_generator, X.device\n"
        "+n, self.augmentation_generator, None": _CUDA,
    },
    "model_file": {
        '-self.encode(v, f"{where}[{i}]")\n+self.encode(v, None)': (_OBJECT_ITEM_WHERE),
        '-self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)\n'
        "+self.encode(v, None) for i, v in enumerate(value)": _TUPLE_ITEM_WHERE,
        "-return self._encode_lipnet(value, where)\n"
        "+return self._encode_lipnet(value, None)": _LIPNET_WHERE,
        '-if hasattr(value, "fit_resample"):\n+if hasattr(None, "fit_resample"):': (
            _SAMPLER_SETTINGS
        ),
        '-if hasattr(value, "fit_resample"):\n'
        '+if hasattr(value, "XXfit_resampleXX"):': _SAMPLER_SETTINGS,
        '-if hasattr(value, "fit_resample"):\n'
        '+if hasattr(value, "FIT_RESAMPLE"):': _SAMPLER_SETTINGS,
        "-state = {name: getattr(value, name) for name in value.__dataclass_fields__}\n"
        "+state = None": _AUGMENTATION_SAVED,
        "-state = {name: getattr(value, name) for name in value.__dataclass_fields__}\n"
        "+state = {name: getattr(None, name) "
        "for name in value.__dataclass_fields__}": _AUGMENTATION_SAVED,
        "-state = {name: getattr(value, name) for name in value.__dataclass_fields__}\n"
        "+state = {name: getattr(value, None) "
        "for name in value.__dataclass_fields__}": _AUGMENTATION_SAVED,
        "-state = {name: getattr(value, name) for name in value.__dataclass_fields__}\n"
        "+state = {name: getattr(name) "
        "for name in value.__dataclass_fields__}": _AUGMENTATION_SAVED,
        "-state = {name: getattr(value, name) for name in value.__dataclass_fields__}\n"
        "+state = {name: getattr(value, ) "
        "for name in value.__dataclass_fields__}": _AUGMENTATION_SAVED,
        '-"state": {k: self.encode(v, f"{where}.{k}") for k, v in state.items()},\n'
        '+"state": {k: self.encode(v, None) for k, v in state.items()},': (
            _STATE_WHERE
        ),
    },
    "cli_predict": {
        '-print(f"{len(predictions)} predictions written to {out}")\n'
        "+print(None)": _PREDICT_HELP,
        '-"predict", help="classify particles with a trained model"\n'
        '+"predict", help=None': _PREDICT_HELP,
        '-"predict", help="classify particles with a trained model"\n-)\n'
        '+"predict", )': _PREDICT_HELP,
        '-parser.add_argument("--model", required=True, help="model file from train")\n'
        '+parser.add_argument("--model", required=True, help=None)': _PREDICT_HELP,
        '-parser.add_argument("--model", required=True, help="model file from train")\n'
        '+parser.add_argument("--model", required=True, )': _PREDICT_HELP,
        "-if args.threshold is not None and not 0 < args.threshold <= 1:\n"
        "+if args.threshold is not None and not 0 < args.threshold <= 2:": (
            _THRESHOLD_TWO
        ),
    },
    "augmentation": {
        "-uniform = torch.rand(n, 7, generator=generator, device=device)\n"
        "+uniform = torch.rand(n, 7, generator=generator, device=None)": _CUDA,
        "-uniform = torch.rand(n, 7, generator=generator, device=device)\n"
        "+uniform = torch.rand(n, 7, generator=generator, )": _CUDA,
        "-images, self.random_matrices(len(images), generator, images.device)\n"
        "+images, self.random_matrices(len(images), generator, None)": _CUDA,
        "-scale = torch.ones(n, device=device)\n"
        "+scale = torch.ones(n, device=None)": _CUDA,
        "-scale = torch.ones(n, device=device)\n+scale = torch.ones(n, )": _CUDA,
        "-s = torch.zeros(n, 2, 2, device=device)\n"
        "+s = torch.zeros(n, 2, 2, device=None)": _CUDA,
        "-s = torch.zeros(n, 2, 2, device=device)\n+s = torch.zeros(n, 2, 2, )": (
            _CUDA
        ),
    },
}

#: mutmut's exit-code statuses, grouped.
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
SURVIVED = {"survived"}


_STRING = re.compile(r"""[rbuf]*("[^"]*"|'[^']*')""")


def _diff_key(diff):
    """A mutant's diff with indentation stripped: the key of EQUIVALENT."""
    return "\n".join(line[0] + line[1:].strip() for line in diff.splitlines())


def _cosmetic(diff):
    """Why a mutant only rewords a message, or None.

    True when every changed line differs from its original only inside one
    string literal that contains a space (a sentence of a message, not a
    key, mode or file name), by "XX" padding or a change of case.
    """
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-")]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+")]
    if not removed or len(removed) != len(added):
        return None
    for old, new in zip(removed, added):
        if old == new:
            continue
        if new.replace("XX", "") != old and new.lower() != old.lower():
            return None
        shortest = min(len(old), len(new))
        first = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), shortest)
        last = len(old) - next(
            (i for i, (a, b) in enumerate(zip(old[::-1], new[::-1])) if a != b),
            shortest,
        )
        spans = [m.span(1) for m in _STRING.finditer(old) if " " in m.group(1)]
        if not any(start <= first and last <= end for start, end in spans):
            return None
    return (
        "Cosmetic: rewords a message (padding or case) without changing what it "
        "says; the tests check what messages name, not their typography."
    )


def _scratch_copy(workdir, module_path, tests):
    """The repository's package and tests in ``workdir``, set up for mutmut."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("sklearn_lipnet", "tests"):
        target = workdir / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(
            ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy2(ROOT / "conftest.py", workdir / "conftest.py")
    source = f"sklearn_lipnet/{module_path}"
    config = {
        "source_paths": ["sklearn_lipnet"],
        "only_mutate": [source],
        "also_copy": ["conftest.py"],
        "pytest_add_cli_args": [
            "-p",
            "no:cacheprovider",
            *(arg for test in DESELECT for arg in ("--deselect", test)),
            # Every mutant is a copy of its function, docstring included:
            # run the module's own doctests, not one per mutant.
            "-k",
            "not __mutmut_",
        ],
        "pytest_add_cli_args_test_selection": [*tests, source],
        # torch is not fork-safe once it has run: fork workers from a clean
        # server process instead of from the process that ran the tests.
        "process_isolation": "forkserver",
        "use_git_change_detection": False,
    }
    pyproject = (ROOT / "pyproject.toml").read_text()
    pyproject += "\n[tool.mutmut]\n" + "".join(
        f"{key} = {json.dumps(value)}\n" for key, value in config.items()
    )
    (workdir / "pyproject.toml").write_text(pyproject)
    return source


def _mutmut(args, workdir, capture=True, log=None):
    executable = Path(sys.executable).with_name("mutmut")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    if log is not None:
        with open(log, "w") as out:
            return subprocess.run(
                [str(executable), *args],
                cwd=workdir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
            )
    return subprocess.run(
        [str(executable), *args],
        cwd=workdir,
        env=env,
        capture_output=capture,
        text=True,
        check=False,
    )


def _statuses(workdir):
    """``{mutant name: status}`` from ``mutmut results``."""
    out = _mutmut(["results", "--all", "true"], workdir).stdout
    statuses = {}
    for line in out.splitlines():
        match = re.match(r"\s+(\S+): (.+)$", line)
        if match:
            statuses[match.group(1)] = match.group(2).strip()
    return statuses


def _diff(workdir, name):
    out = _mutmut(["show", name], workdir).stdout
    lines = [
        line
        for line in out.splitlines()
        if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))
    ]
    return "\n".join(lines)


def _source_hash(module_path):
    source = (ROOT / "sklearn_lipnet" / module_path).read_bytes()
    return hashlib.sha256(source).hexdigest()[:16]


def run_module(key, workdir, workers, rerun=False, previous=None, collect=False):
    """Mutation-test one module; return its summary.

    ``rerun``: test again only the mutants the previous run did not kill,
    with the current tests (the module itself unchanged): those of the kept
    ``workdir``, or else those the stored results (``previous``) list.
    ``collect``: run nothing; summarise the mutants an interrupted run in
    ``workdir`` tested (the others are counted as not checked).
    """
    if collect:
        return _collect(key, workdir / key)
    module_path, tests = MODULES[key]
    workdir = workdir / key
    selection = [f"*.{glob}" for glob in FUNCTIONS.get(key, [])]
    names = []
    earlier = {}  # verdicts kept from the stored results, on a rerun
    if rerun and (workdir / "mutants").exists():
        names = [n for n, st in _statuses(workdir).items() if st not in KILLED]
        # Which tests run which function is measured again, with the new tests.
        (workdir / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    elif rerun and previous is not None:
        if previous.get("source_sha256", _source_hash(module_path)) != _source_hash(
            module_path
        ):
            raise RuntimeError(
                f"{module_path} changed since its stored results: run it afresh."
            )
        names = [s["mutant"] for s in previous["survivors"]]
        earlier = {"killed": previous["killed"], "mutants": previous["mutants"]}
        shutil.rmtree(workdir / "mutants", ignore_errors=True)
    else:
        # Fresh: mutmut would reuse verdicts reached with older tests.
        shutil.rmtree(workdir / "mutants", ignore_errors=True)
    if rerun and not names:
        raise RuntimeError(f"no survivors of {module_path} to rerun")
    source = _scratch_copy(workdir, module_path, tests)
    start = time.perf_counter()
    what = f"{len(names)} surviving mutants of" if names else "mutating"
    print(f"== {key}: {what} {source}, tests {' '.join(tests)}", flush=True)
    run = _mutmut(
        ["run", "--max-children", str(workers), *(names or selection)],
        workdir,
        log=workdir / "mutmut.log",
    )
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        log = (workdir / "mutmut.log").read_text().replace("\r", "\n")
        tail = "\n".join(line for line in log.splitlines()[-15:] if line.strip())
        raise RuntimeError(f"mutmut failed on {source} (see {workdir}):\n{tail}")
    statuses = _statuses(workdir)
    if earlier:
        statuses = {n: st for n, st in statuses.items() if n in names}
    elif selection:
        statuses = {
            n: st
            for n, st in statuses.items()
            if any(fnmatch.fnmatch(n, glob) for glob in selection)
        }
    counts = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    survivors = [
        {"mutant": name, "status": status, "diff": _diff(workdir, name)}
        for name, status in sorted(statuses.items())
        if status not in KILLED
    ]
    killed = sum(n for status, n in counts.items() if status in KILLED)
    killed += earlier.get("killed", 0)
    if earlier:
        seconds += previous["seconds"]
    summary = {
        "module": source,
        "source_sha256": _source_hash(module_path),
        "functions": FUNCTIONS.get(key, []),
        "tests": tests,
        "mutmut_exit_code": run.returncode,
        "seconds": round(seconds),
        "mutants": earlier.get("mutants", len(statuses)),
        "counts": counts,
        "killed": killed,
        "survivors": survivors,
    }
    return judge(key, summary)


def _collect(key, workdir):
    module_path, tests = MODULES[key]
    selection = [f"*.{glob}" for glob in FUNCTIONS.get(key, [])]
    statuses = {
        n: st
        for n, st in _statuses(workdir).items()
        if not selection or any(fnmatch.fnmatch(n, glob) for glob in selection)
    }
    # An interrupted run on a busy machine: a worker past mutmut's wall-clock
    # limit is no evidence the mutant was caught, so timeouts count as not
    # checked here.
    timed_out = sum(1 for st in statuses.values() if st == "timeout")
    untested = sorted(
        {
            n.rsplit(".", 1)[-1].split("__mutmut_")[0]
            for n, st in statuses.items()
            if st in ("not checked", "timeout")
        }
    )
    checked = {
        n: st for n, st in statuses.items() if st not in ("not checked", "timeout")
    }
    counts = {}
    for status in checked.values():
        counts[status] = counts.get(status, 0) + 1
    # From the test-to-function map mutmut writes first to its last output.
    began = (workdir / "mutants" / "mutmut-stats.json").stat().st_mtime
    ended = (workdir / "mutmut.log").stat().st_mtime
    summary = {
        "module": f"sklearn_lipnet/{module_path}",
        "source_sha256": _source_hash(module_path),
        "functions": FUNCTIONS.get(key, []),
        "tests": tests,
        "mutmut_exit_code": None,
        "seconds": round(ended - began),
        "mutants": len(checked),
        "not_checked": len(statuses) - len(checked),
        "timed_out": timed_out,
        "untested_functions": untested,
        "counts": counts,
        "killed": sum(n for st, n in counts.items() if st in KILLED),
        "survivors": [
            {"mutant": name, "status": status, "diff": _diff(workdir, name)}
            for name, status in sorted(checked.items())
            if status not in KILLED
        ],
    }
    return judge(key, summary)


def judge(key, summary):
    """``summary`` with its survivors judged by EQUIVALENT and COVERED."""
    equivalent = EQUIVALENT.get(key, {})
    covered = COVERED.get(key, {})
    for survivor in summary["survivors"]:
        diff = survivor["diff"]
        survivor["equivalent"] = equivalent.get(_diff_key(diff)) or _cosmetic(diff)
        survivor["covered"] = covered.get(_diff_key(diff))
    survivors = summary["survivors"]
    killed, total = summary["killed"], summary["mutants"]
    judged = sum(1 for s in survivors if s["equivalent"])
    n_covered = sum(1 for s in survivors if s["covered"] and not s["equivalent"])
    summary.update(
        score=round(killed / total, 3) if total else None,
        equivalent=judged,
        covered_elsewhere=n_covered,
        unexplained=len(survivors) - judged - n_covered,
        score_without_equivalent=(
            round((killed + n_covered) / (total - judged), 3)
            if total - judged
            else None
        ),
        stale_equivalents=sorted(
            (set(equivalent) | set(covered)) - {_diff_key(s["diff"]) for s in survivors}
        ),
    )
    return summary


def _markdown(summaries, info):
    lines = [
        "# Mutation testing of the core modules",
        "",
        "mutmut 3 mutates one module at a time and runs only that module's "
        "tests (`python -m benchmarks.mutation_testing`). Mutants not killed "
        "are *equivalent* (judged harmless below, with why), *covered* (killed "
        "by a test outside the run: one mutmut cannot run, see `DESELECT`, or "
        "one added since, checked by planting the mutant by hand) or "
        "*unexplained* (a gap in the tests). *Score*: killed / all mutants; "
        "*judged*: (killed + covered) / (all - equivalent). Timeouts count as "
        "killed. mutmut "
        "mutates function bodies only: module-level tables (e.g. the feature "
        "table of `_description.py`) and decorated functions (properties, "
        "`fit`) get no mutants; `benchmarks.planted_bugs` covers some of "
        "those. Modules with *functions* listed were mutated in those "
        "functions only (the core of a module too slow to mutate whole).",
        "",
        "**As a habit.** After changing one of these modules (or its tests), "
        "run `nice -n 19 python -m benchmarks.mutation_testing <key>` (keys: "
        + ", ".join(f"`{key}`" for key in MODULES)
        + "; `pip install mutmut` first). For each new *unexplained* "
        "survivor, either add a test that fails on it (preferred: it is a "
        "behaviour nobody checks) or, when the change cannot alter behaviour, "
        "add its diff with a one-line why to `EQUIVALENT` (or to `COVERED` "
        "when a test mutmut cannot run kills it); then `--rerun-survivors` "
        "retests only the survivors with the new tests. A stale judgment "
        "(listed, no longer produced) is reported at the module's section.",
        "",
        "*Current*: whether the module is still the code that was mutated "
        '("no": it changed since; rerun it).',
        "",
        "| module | functions | tests | mutants | killed | equivalent "
        "| covered | unexplained | score | judged | minutes | current |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in summaries:
        functions = ", ".join(
            f"`{f.removesuffix('__mutmut_*')}`" for f in s.get("functions", [])
        )
        path = s["module"].removeprefix("sklearn_lipnet/")
        current = "yes" if s.get("source_sha256") == _source_hash(path) else "no"
        lines.append(
            f"| `{s['module']}` | {functions or 'all'} "
            f"| {', '.join(f'`{t}`' for t in s['tests'])} "
            f"| {s['mutants']} | {s['killed']} | {s['equivalent']} "
            f"| {s['covered_elsewhere']} | {s['unexplained']} | {s['score']} "
            f"| {s['score_without_equivalent']} | {s['seconds'] / 60:.0f} "
            f"| {current} |"
        )
    for s in summaries:
        lines += ["", f"## `{s['module']}`", ""]
        if s.get("not_checked"):
            lines += [
                f"Interrupted for time: {s['mutants']} mutants tested (mutmut "
                f"runs the fastest first), {s['not_checked']} not tested"
                + (
                    f" (of which {s['timed_out']} timed out: on this busy "
                    "machine a worker passed mutmut's wall-clock limit, no "
                    "evidence either way)"
                    if s.get("timed_out")
                    else ""
                )
                + ": "
                + ", ".join(f"`{n}`" for n in s.get("untested_functions", []))
                + ".",
                "",
            ]
        if s["stale_equivalents"]:
            lines.append(
                "Listed as equivalent but no longer produced: "
                + ", ".join(s["stale_equivalents"])
            )
            lines.append("")
        if not s["survivors"]:
            lines.append("Every mutant was killed.")
            continue
        for survivor in s["survivors"]:
            verdict = (
                survivor["equivalent"]
                or (survivor["covered"] and f"covered: {survivor['covered']}")
                or "**unexplained**"
            )
            lines += [
                f"- `{survivor['mutant']}` ({survivor['status']}): {verdict}",
                "",
                "  ```diff",
                *[f"  {line}" for line in survivor["diff"].splitlines()],
                "  ```",
            ]
    lines += ["", "## Machine", "", machine_markdown(info)]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "modules", nargs="*", help=f"modules to test (default: all of {list(MODULES)})"
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--rerun-survivors",
        action="store_true",
        help="test only the mutants the last run in --workdir did not kill, with "
        "the current tests (for a module that did not change since)",
    )
    parser.add_argument(
        "--collect",
        action="store_true",
        help="run nothing: record what an interrupted run in --workdir tested",
    )
    parser.add_argument(
        "--rejudge",
        action="store_true",
        help="judge the stored survivors again with the current EQUIVALENT and "
        "COVERED tables, without running mutmut",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "sklearn-lipnet-mutation",
    )
    args = parser.parse_args(argv)
    keys = args.modules or list(MODULES)
    unknown = sorted(set(keys) - set(MODULES))
    if unknown:
        parser.error(f"unknown module(s) {unknown}; choose from {list(MODULES)}")
    if shutil.which("mutmut", path=str(Path(sys.executable).parent)) is None:
        parser.error("mutmut is not installed: pip install mutmut")
    json_path = RESULTS / "mutation_testing.json"

    def stored():  # the modules not rerun this time keep their results
        if not json_path.exists():
            return {}
        return {s["module"]: s for s in json.loads(json_path.read_text())["modules"]}

    order = [f"sklearn_lipnet/{path}" for path, _ in MODULES.values()]
    if args.rejudge:
        previous = stored()
        for key in keys:
            module = f"sklearn_lipnet/{MODULES[key][0]}"
            if module in previous:
                previous[module] = judge(key, previous[module])
        summaries = [previous[m] for m in order if m in previous]
        info = json.loads(json_path.read_text())["machine"]
        result = {**json.loads(json_path.read_text()), "modules": summaries}
        write_result("mutation_testing", result, _markdown(summaries, info))
        return
    for key in keys:
        module = f"sklearn_lipnet/{MODULES[key][0]}"
        summary = run_module(
            key,
            args.workdir,
            args.workers,
            args.rerun_survivors,
            stored().get(module),
            args.collect,
        )
        # Read again: another run may have written other modules meanwhile.
        previous = stored()
        previous[summary["module"]] = summary
        print(
            f"   {summary['module']}: score {summary['score']} "
            f"({summary['killed']}/{summary['mutants']}), "
            f"{summary['unexplained']} unexplained",
            flush=True,
        )
        # Written after every module: a long run shows its results as it goes.
        summaries = [previous[m] for m in order if m in previous]
        info = machine_info()
        result = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": info,
            "modules": summaries,
        }
        write_result("mutation_testing", result, _markdown(summaries, info))


if __name__ == "__main__":
    main()
