"""Pre-training on synthetic liposomes, then fine-tuning on 50-200 labelled particles.

``LipNetClassifier(warm_start_from=MODEL_FILE)`` starts from a saved network
(issue 10). This measures what that buys on a small labelled set: LipNet-4
(``make_lipnet_pipeline()``, default settings but ``--epochs``, 30 unless
given, and the thesis's training, ``THESIS_TRAINING``: its augmentation and
the last weights, as when these numbers were first measured; with
``--training pipeline`` the pipeline's own noise augmentation and moving
average of the weights, for the pre-training too) is trained on ``--n-labelled``
particles of a hard-regime set either from scratch or from a network
pre-trained on ``--n-pretrain`` synthetic particles:

- of the same problem, hard regime (other micrographs, other seed): the
  synthetic data resemble the target closely;
- of the other problem, hard regime: other classes, so the last layer
  starts afresh and only the layers below are reused;
- of the same problem, default regime (large, clean cut-outs with a 50 px
  surrounding): the synthetic data resemble the target poorly, as the
  thesis's artificial data did (sections 4.8.4 and 11).

The test particles come from a quarter of the micrographs, held out; the
labelled particles are drawn (stratified, at least 5 per class) from the
others; ``--repeats`` draws. Results are written after every run, so an
interrupted run keeps what it measured, and a later run with the same data
and pre-training settings skips the runs already on disk (``--fresh`` starts
over). Run::

    python -m benchmarks.bench_pretraining
    python -m benchmarks.bench_pretraining --problem encapsulation --repeats 1

Writes ``benchmarks/results/real_data_pretraining.{json,md}``, or
``real_data_pretraining_epochs_<epochs>.{json,md}`` with another ``--epochs``
and ``real_data_pretraining_min_updates.{json,md}`` with ``--min-updates``
(so that measurements at other training lengths sit next to each other)::

    python -m benchmarks.bench_pretraining --min-updates --inits scratch same-hard

and ``real_data_pretraining_pipeline_training[_epochs_auto].{json,md}`` with
``--training pipeline``; with ``--epochs auto`` as well, every network
trains as ``make_lipnet_pipeline()`` would (1,200 updates from scratch, 30
epochs when fine-tuned)::

    python -m benchmarks.bench_pretraining --training pipeline --epochs auto --repeats 3
"""

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import GroupShuffleSplit

from sklearn_lipnet import make_lipnet_pipeline, save_model
from sklearn_lipnet.cli._common import epochs_option
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.experiments import THESIS_TRAINING

from ._environment import (
    RESULTS,
    git_commit,
    machine_info,
    machine_markdown,
    write_result,
)
from ._jensen_vesicles import lamellarity_cut_outs
from .bench_real_data import HARD_WEIGHTS, until_min_updates

PROBLEMS = ("encapsulation", "lamellarity")
#: Settings that change what a run measures: runs on disk are reused only
#: when these match.
SAME_MEASUREMENT = (
    "target",
    "n_samples",
    "n_pretrain",
    "pretrain_epochs",
    "epochs",
    "min_updates",
    "seed",
    "training",
)
OTHER = {"encapsulation": "lamellarity", "lamellarity": "encapsulation"}
#: How every network trains, apart from its length: the thesis's
#: augmentation and last weights (as the first results were measured), or
#: ``make_lipnet_pipeline``'s own defaults (noise augmentation, weight
#: averaging).
TRAININGS = {"thesis": THESIS_TRAINING, "pipeline": {}}


#: Class proportions of the synthetic pre-training for the real target,
#: whose by-eye classes are unilamellar and multilamellar only: the same
#: classes, so that the network's last layer carries over too.
REAL_TARGET_WEIGHTS = {"unilamellar": 0.6, "multilamellar": 0.4}


def pretraining_weights(problem, args):
    """The synthetic classes' proportions for pre-training on ``problem``."""
    if args.target == "real" and problem == "lamellarity":
        return REAL_TARGET_WEIGHTS
    return HARD_WEIGHTS[problem]


def pretrain(problem, regime, args, folder):
    """Fit LipNet-4 on synthetic particles; return the model file's path."""
    weights = pretraining_weights(problem, args)
    two_class = "" if weights is HARD_WEIGHTS[problem] else "-two-class"
    path = Path(folder) / f"{problem}-{regime}-{args.training}{two_class}.lipnet"
    if not path.exists():
        start = time.perf_counter()
        table, y = make_liposomes(
            args.n_pretrain,
            problem=problem,
            regime=regime,
            weights=weights,
            random_state=args.seed + 100,
        )
        model = make_lipnet_pipeline(
            max_epochs=args.pretrain_epochs,
            **TRAININGS[args.training],
            device=args.device,
            random_state=args.seed,
        )
        save_model(model.fit(table, y), path)
        seconds = time.perf_counter() - start
        print(f"pre-trained on {problem} ({regime}) in {seconds:.0f} s")
    return path


def labelled_subset(train, y, n, rng):
    """``n`` of the ``train`` indices, stratified, at least 5 per class."""
    classes = np.unique(y)
    available = np.array([np.sum(y[train] == c) for c in classes])
    if n > available.sum():
        raise ValueError(
            f"{n} labelled particles wanted, but the training micrographs hold "
            f"{available.sum()}; lower --n-labelled or raise --n-samples."
        )
    counts = np.maximum(np.round(available / available.sum() * n).astype(int), 5)
    counts = np.minimum(counts, available)
    short = n - counts.sum()
    for index in np.argsort(-available):  # the largest classes absorb rounding
        change = np.clip(short, -counts[index], available[index] - counts[index])
        counts[index] += change
        short -= change
    return np.concatenate(
        [
            rng.choice(train[y[train] == c], k, replace=False)
            for c, k in zip(classes, counts)
        ]
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--problem", nargs="+", choices=PROBLEMS, default=list(PROBLEMS))
    p.add_argument(
        "--target",
        choices=["hard", "real"],
        default="hard",
        help="fine-tune and test on a hard-regime set, or on the real cryo-EM "
        "vesicles of benchmarks/real_data/jensen_vesicles (lamellarity only)",
    )
    p.add_argument("--n-samples", type=int, default=300, help="target set size")
    p.add_argument("--n-labelled", type=int, nargs="+", default=[50, 100, 200])
    p.add_argument("--n-pretrain", type=int, default=2000)
    p.add_argument("--pretrain-epochs", type=int, default=15)
    p.add_argument(
        "--epochs",
        type=epochs_option,
        default=30,
        help="max_epochs of the fine-tuned and from-scratch networks (default 30; "
        "auto: the pipeline's default)",
    )
    p.add_argument(
        "--min-updates",
        action="store_true",
        help="train every network, fine-tuned ones too, until it has made the "
        "1,200 updates that max_epochs='auto' gives a network trained from "
        "scratch on images (ignores --epochs)",
    )
    p.add_argument(
        "--training",
        choices=sorted(TRAININGS),
        default="thesis",
        help="thesis: the thesis's augmentation and the last weights (as the "
        "first results were measured); pipeline: make_lipnet_pipeline's noise "
        "augmentation and weight averaging, for the pre-training too",
    )
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument(
        "--inits",
        nargs="+",
        default=["scratch", "same-hard", "other-hard", "same-default"],
        choices=["scratch", "same-hard", "other-hard", "same-default"],
    )
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--models-dir", help="keep the pre-trained model files here")
    p.add_argument("--fresh", action="store_true", help="drop earlier runs first")
    args = p.parse_args()
    if args.target == "real":
        if args.problem != ["lamellarity"]:
            p.error("--target real has lamellarity classes only: --problem lamellarity")
        args.n_samples = None

    folder = args.models_dir or tempfile.mkdtemp(prefix="lipnet-pretrained-")
    Path(folder).mkdir(parents=True, exist_ok=True)
    info = machine_info()
    commit = git_commit()
    runs = [] if args.fresh else earlier_runs(args)
    done = {(r["target"], r["init"], r["n_labelled"], r["repeat"]) for r in runs}
    for target in args.problem:
        table, y = target_set(target, args)
        y = np.asarray(y)
        sources = {
            "same-hard": (target, "hard"),
            "other-hard": (OTHER[target], "hard"),
            "same-default": (target, "default"),
        }
        files = {
            init: pretrain(*sources[init], args, folder)
            for init in args.inits
            if init != "scratch"
        }
        for repeat in range(args.repeats):
            split = GroupShuffleSplit(
                1, test_size=0.25, random_state=args.seed + repeat
            )
            train, test = next(split.split(table, y, table["micrograph"]))
            rng = np.random.default_rng(args.seed + repeat)
            for n in args.n_labelled:
                labelled = labelled_subset(train, y, n, rng)
                for init in args.inits:
                    if (target, init, int(n), repeat) in done:
                        continue
                    extra = (
                        {} if init == "scratch" else {"warm_start_from": files[init]}
                    )
                    model = make_lipnet_pipeline(
                        **training_length(args),
                        **TRAININGS[args.training],
                        device=args.device,
                        random_state=args.seed + repeat,
                        **extra,
                    )
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", UserWarning)
                        model.fit(table.iloc[labelled], y[labelled])
                        predicted = model.predict(table.iloc[test])
                    classes = np.unique(y)
                    run = {
                        "target": target,
                        "init": init,
                        "n_labelled": int(n),
                        "repeat": repeat,
                        "n_test": int(len(test)),
                        "balanced_accuracy": balanced_accuracy_score(
                            y[test], predicted
                        ),
                        "recall": dict(
                            zip(
                                classes.tolist(),
                                recall_score(
                                    y[test], predicted, labels=classes, average=None
                                ).tolist(),
                            )
                        ),
                        "seconds": time.perf_counter() - start,
                        "commit": commit,
                    }
                    runs.append(run)
                    write_result(
                        result_name(args),
                        {"settings": vars(args), "runs": runs, "machine": info},
                        report(runs, args, info),
                    )
                    print(
                        f"{target} {init:12s} n={n:3d} repeat {repeat}: "
                        f"{run['balanced_accuracy']:.3f}",
                        flush=True,
                    )


def target_set(problem, args):
    """The particles fine-tuned and tested on: a hard-regime set, or the real
    vesicles with our by-eye lamellarity classes (``--target real``)."""
    if args.target == "real":
        return lamellarity_cut_outs()
    return make_liposomes(
        args.n_samples,
        problem=problem,
        regime="hard",
        weights=HARD_WEIGHTS[problem],
        random_state=args.seed,
    )


def training_length(args):
    """``max_epochs`` (and callbacks) of the networks trained on the target."""
    if not args.min_updates:
        return {"max_epochs": args.epochs}
    return until_min_updates()


def training_text(args):
    """How the networks on the target trained, for the report."""
    settings = [f"{key}={value!r}" for key, value in TRAININGS[args.training].items()]
    if args.min_updates:
        call = f"`make_lipnet_pipeline({', '.join(settings)})`"
        return (
            f"{call} trained until 1,200 updates, fine-tuned networks too "
            "(`--min-updates`)"
        )
    settings.insert(0, f"max_epochs={args.epochs!r}")
    call = f"`make_lipnet_pipeline({', '.join(settings)})`"
    if args.training == "pipeline":
        call += (
            " with its noise augmentation and moving average of the weights, "
            "the pre-training too"
        )
    return call


def result_name(args):
    """Name of the results files: one pair per training and training length."""
    name = "real_data_pretraining"
    if args.target == "real":
        name += "_real_vesicles"
    if args.training != "thesis":
        name += f"_{args.training}_training"
    if args.min_updates:
        return name + "_min_updates"
    return name + ("" if args.epochs == 30 else f"_epochs_{args.epochs}")


def earlier_runs(args):
    """The runs on disk that measured the same thing as this run would."""
    path = RESULTS / f"{result_name(args)}.json"
    if not path.exists():
        return []
    earlier = json.loads(path.read_text())
    # Runs from before --training existed trained the thesis's way.
    settings = {"training": "thesis", "target": "hard", **earlier.get("settings", {})}
    if any(settings.get(key) != getattr(args, key) for key in SAME_MEASUREMENT):
        return []
    return earlier["runs"]


def target_text(args):
    if args.target == "real":
        return (
            "the real cryo-EM vesicles of `benchmarks/real_data/jensen_vesicles` "
            "(our by-eye classes, unilamellar and multilamellar, cut out in "
            "boxes of 1.5 diameters, no masks; six micrographs)"
        )
    return f"`make_liposomes({args.n_samples}, regime='hard')`"


def pretraining_text(args):
    if args.target == "real":
        return (
            "the same problem's two classes, unilamellar 60 % and multilamellar "
            "40 %, or the other problem's three"
        )
    return "another seed, so other micrographs"


def report(runs, args, info):
    labels = {
        "scratch": "from scratch",
        "same-hard": "pre-trained: same problem, hard regime",
        "other-hard": "pre-trained: other problem (new last layer), hard regime",
        "same-default": "pre-trained: same problem, default regime (large, clean)",
    }
    lines = [
        "# Pre-training on synthetic liposomes, fine-tuning on few labelled particles",
        "",
        "`python -m benchmarks.bench_pretraining`: LipNet-4, default pipeline "
        f"({training_text(args)}), trained on n labelled particles of "
        f"{target_text(args)} from scratch or with "
        "`warm_start_from=` a network pre-trained for "
        f"{args.pretrain_epochs} epochs on {args.n_pretrain} synthetic particles "
        f"({pretraining_text(args)}). Test: the particles of a quarter of "
        "the micrographs, held out. Balanced accuracy, mean ± standard deviation "
        f"over {args.repeats} draws of the labelled particles and the test "
        "micrographs.",
    ]
    lines += _commits_text(runs, labels)
    for target in dict.fromkeys(run["target"] for run in runs):
        ns = sorted({run["n_labelled"] for run in runs if run["target"] == target})
        lines += [
            "",
            f"## {target}",
            "",
            "| start | " + " | ".join(f"n = {n}" for n in ns) + " |",
            "| --- |" + " ---: |" * len(ns),
        ]
        for init in labels:
            cells = []
            for n in ns:
                scores = [
                    run["balanced_accuracy"]
                    for run in runs
                    if (run["target"], run["init"], run["n_labelled"])
                    == (target, init, n)
                ]
                cell = f"{np.mean(scores):.3f} ± {np.std(scores):.3f}" if scores else ""
                if scores and len(scores) != args.repeats:
                    cell += f" ({len(scores)} draws)"
                cells.append(cell)
            if any(cells):
                lines.append(f"| {labels[init]} | " + " | ".join(cells) + " |")
        lines += _paired_table(runs, target, ns, labels)
        lines += _recall_table(runs, target, ns, labels)
    lines += ["", "## Machine", "", machine_markdown(info)]
    return "\n".join(lines)


def _commits_text(runs, labels):
    """Report lines naming the commit of each start's runs, where a file holds
    runs of more than one (a later run with other ``--inits`` adds to the
    runs on disk; runs from before runs recorded their commit have none)."""
    commits = {}
    for run in runs:
        commits.setdefault(run.get("commit") or "an earlier commit", {})[
            labels[run["init"]]
        ] = None
    if len(commits) < 2:
        return []
    return [
        "",
        "Runs of more than one version: "
        + "; ".join(
            f"{', '.join(starts)} recorded at {commit}"
            for commit, starts in commits.items()
        )
        + ".",
    ]


def _paired_table(runs, target, ns, labels):
    """Report lines: each pre-trained start minus training from scratch on the
    same draw (mean ± standard deviation), and in how many draws it was ahead."""
    score = {
        (r["init"], r["n_labelled"], r["repeat"]): r["balanced_accuracy"]
        for r in runs
        if r["target"] == target
    }
    lines = [
        "",
        "Difference to training from scratch on the same draw (draws ahead):",
        "",
        "| start | " + " | ".join(f"n = {n}" for n in ns) + " |",
        "| --- |" + " ---: |" * len(ns),
    ]
    for init in labels:
        if init == "scratch":
            continue
        cells = []
        for n in ns:
            differences = np.array(
                [
                    value - score[("scratch", n, repeat)]
                    for (start, size, repeat), value in score.items()
                    if (start, size) == (init, n) and ("scratch", n, repeat) in score
                ]
            )
            cells.append(
                f"{differences.mean():+.3f} ± {differences.std():.3f} "
                f"({(differences > 0).sum()} of {differences.size})"
                if differences.size
                else ""
            )
        if any(cells):
            lines.append(f"| {labels[init]} | " + " | ".join(cells) + " |")
    return lines


def _recall_table(runs, target, ns, labels):
    """Report lines: each class's recall, mean over the draws, per start and n."""
    runs = [run for run in runs if run["target"] == target]
    classes = sorted({name for run in runs for name in run["recall"]})
    lines = [
        "",
        "Recall of each class, mean over the draws:",
        "",
        "| start | n | " + " | ".join(classes) + " |",
        "| --- | ---: |" + " ---: |" * len(classes),
    ]
    for init in labels:
        for n in ns:
            chosen = [r for r in runs if (r["init"], r["n_labelled"]) == (init, n)]
            if chosen:
                recalls = [np.mean([r["recall"][c] for r in chosen]) for c in classes]
                lines.append(
                    f"| {labels[init]} | {n} | "
                    + " | ".join(f"{value:.2f}" for value in recalls)
                    + " |"
                )
    return lines


if __name__ == "__main__":
    main()
