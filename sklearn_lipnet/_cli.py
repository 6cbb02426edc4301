"""The ``lipnet`` command: benchmark, train, predict, generate."""

import argparse
import sys
import time
from pathlib import Path

__all__ = ["main"]

PROBLEMS = ("lamellarity", "encapsulation")
MODELS = ("lipnet1", "lipnet2", "lipnet4", "lipnet4c", "lipnet6", "svm")
SAMPLINGS = ("thesis", "none", "oversample", "undersample", "class_weight", "smote")
MODES = ("auto", "surrounding", "cropped", "masked")

#: Class proportions of the default benchmark: the thesis's order of classes
#: and imbalance, with the rarest class raised to 4 % so that each of five
#: test folds holds enough rare particles to measure them at all.
BENCHMARK_WEIGHTS = {
    "lamellarity": {"unilamellar": 0.81, "multilamellar": 0.15, "uncertain": 0.04},
    "encapsulation": {"full": 0.86, "uncertain": 0.10, "empty": 0.04},
}


class CommandError(Exception):
    """A problem with the command line or the data: one line, exit status 2."""


def _display_name(model):
    return "SVM" if model == "svm" else f"LipNet-{model[6:]}"


def _build_model(model, args):
    """The pipeline ``model`` names, with the command's options."""
    from ._pipelines import make_lipnet_pipeline, make_svm_pipeline

    sampling = args.sampling
    if model == "svm":
        sampler = sampling if sampling in ("oversample", "smote") else None
        return make_svm_pipeline(
            sampler=sampler,
            probability=getattr(args, "probability", False),
            random_state=args.seed,
            n_jobs=args.jobs,
        )
    balance = {
        "thesis": "oversample",
        "none": None,
        "oversample": "oversample",
        "undersample": "undersample",
        "class_weight": "class_weight",
        "smote": None,
    }[sampling]
    return make_lipnet_pipeline(
        model,
        mode=args.mode,
        sampler="smote" if sampling == "smote" else None,
        balance=balance,
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        device=args.device,
        random_state=args.seed,
        n_jobs=args.jobs,
        verbose=int(not getattr(args, "quiet", False)),
    )


def _load_data(path):
    from .datasets import load_particles

    table, y = load_particles(path)
    if y is None:
        raise CommandError(
            f"{path} holds no class folders (or index column with classes); "
            "training and benchmarking need labelled particles."
        )
    return table, y


def _log(args):
    def log(message):
        if not getattr(args, "quiet", False):
            print(message, flush=True)

    return log


# -- benchmark ---------------------------------------------------------------


def run_benchmark(args):
    from ._environment import machine_info
    from ._experiment import class_order, compare_models
    from ._report import format_results, write_report
    from .datasets import make_liposomes

    start = time.perf_counter()
    log = _log(args)
    if args.data is not None:
        datasets = {Path(args.data).name or "data": _load_data(args.data)}
    else:
        datasets = {}
        for problem in args.problem:
            log(f"Generating {args.n_samples} synthetic {problem} cut-outs ...")
            weights = None if args.thesis_weights else BENCHMARK_WEIGHTS[problem]
            datasets[problem] = make_liposomes(
                args.n_samples, problem=problem, weights=weights, random_state=args.seed
            )
    experiments = {}
    for problem, (table, y) in datasets.items():
        counts = ", ".join(
            f"{label}: {count}" for label, count in zip(*_value_counts(y))
        )
        log(f"\n[{problem}] {len(y)} particles ({counts})")
        models = {_display_name(m): _build_model(m, args) for m in args.models}
        experiments[problem] = compare_models(
            table,
            y,
            models,
            cv=args.folds,
            labels=class_order(y, problem),
            random_state=args.seed,
            log=log,
        )
        print(format_results(problem, experiments[problem]), flush=True)
    settings = {
        "data": args.data or "synthetic (make_liposomes)",
        "problems": ", ".join(datasets),
        "n_samples": args.n_samples if args.data is None else "all",
        "class weights": (
            "folder"
            if args.data is not None
            else "thesis tables 1-2"
            if args.thesis_weights
            else "; ".join(
                f"{p}: {BENCHMARK_WEIGHTS[p]}"
                for p in datasets
                if p in BENCHMARK_WEIGHTS
            )
        ),
        "models": ", ".join(_display_name(m) for m in args.models),
        "folds": f"{args.folds} (stratified, shuffled, seed {args.seed})",
        "epochs": args.epochs,
        "batch size": args.batch_size,
        "input mode": args.mode,
        "sampling": args.sampling,
        "device": args.device,
        "seed": args.seed,
    }
    wall = time.perf_counter() - start
    report = write_report(args.out, experiments, settings, machine_info(), wall)
    print(f"\nReport written to {report} ({wall / 60:.1f} min).")
    return 0


def _value_counts(y):
    import numpy as np

    labels, counts = np.unique(np.asarray(y), return_counts=True)
    return labels, counts


# -- train / predict / generate ------------------------------------------------


def run_train(args):
    from ._persistence import save_model

    table, y = _load_data(args.data)
    log = _log(args)
    log(f"Training {_display_name(args.model)} on {len(y)} particles from {args.data}")
    args.probability = True
    model = _build_model(args.model, args).fit(table, y)
    save_model(model, args.out)
    print(f"Model written to {args.out}")
    return 0


def _read_inputs(paths):
    """A particle table from one folder / index file or from image files."""
    import pandas as pd

    from .datasets import load_particles
    from .datasets._image_io import read_image

    paths = [Path(p) for p in paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CommandError(f"No such file or folder: {', '.join(missing)}")
    if len(paths) == 1 and (paths[0].is_dir() or paths[0].suffix in (".csv", ".json")):
        table, _ = load_particles(paths[0])
        return table
    rows = []
    for path in paths:
        if path.is_dir():
            raise CommandError(f"{path} is a folder; give one folder or image files.")
        rows.append({"image": read_image(path), "path": str(path), "id": path.stem})
    return pd.DataFrame(rows)


def run_predict(args):
    import numpy as np
    import pandas as pd

    from ._persistence import load_model

    model = load_model(args.model)
    table = _read_inputs(args.inputs)
    if not hasattr(model, "predict_proba"):
        raise CommandError(f"{args.model} has no class probabilities.")
    proba = model.predict_proba(table)
    classes = [str(c) for c in model.classes_]
    best = proba.argmax(axis=1)
    predicted = np.asarray(classes, dtype=object)[best]
    if args.threshold is not None:
        predicted = np.where(
            proba.max(axis=1) < args.threshold, args.uncertain_label, predicted
        )
    out = pd.DataFrame(
        {
            "id": table["id"] if "id" in table else np.arange(len(table)),
            "path": table["path"] if "path" in table else "",
            "predicted": predicted,
        }
    )
    for k, label in enumerate(classes):
        out[f"p_{label}"] = proba[:, k]
    out.to_csv(args.out, index=False)
    print(f"{len(out)} predictions written to {args.out}")
    return 0


def run_generate(args):
    from .datasets import make_liposomes, save_particles

    out = Path(args.out)
    if out.is_dir() and any(out.iterdir()) and not args.overwrite:
        raise CommandError(
            f"{out} is not empty; pass --overwrite to replace a set written there."
        )
    weights = None if args.thesis_weights else BENCHMARK_WEIGHTS[args.problem]
    table, y = make_liposomes(
        args.n_samples, problem=args.problem, weights=weights, random_state=args.seed
    )
    save_particles(table, y, args.out, overwrite=args.overwrite)
    labels, counts = _value_counts(y)
    summary = ", ".join(f"{label}: {count}" for label, count in zip(labels, counts))
    print(f"{len(y)} {args.problem} cut-outs ({summary}) written to {args.out}")
    return 0


# -- argument parsing --------------------------------------------------------


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _model_options(parser, *, epochs):
    parser.add_argument(
        "--epochs",
        type=_positive_int,
        default=epochs,
        help="training epochs of the networks (default: %(default)s)",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=32,
        help="mini-batch size (default: %(default)s, as in the thesis)",
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="auto",
        help="input mode of the networks: 'auto' is masked where "
        "the data have masks, else surrounding (default: auto)",
    )
    parser.add_argument(
        "--sampling",
        choices=SAMPLINGS,
        default="thesis",
        help="imbalance handling. thesis: networks oversample per "
        "epoch, the SVM uses class weights only. oversample / smote "
        "apply to both; undersample / class_weight / none to the "
        "networks (default: thesis)",
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="torch device of the networks: auto, cpu, cuda (default: auto)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed of data, folds and models (default: 0)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="parallel jobs for feature extraction and preprocessing",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print only the results, not the progress"
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="lipnet",
        description="Classify TEM particle images (liposome lamellarity, drug "
        "encapsulation) with LipNet CNNs and the feature SVM.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show Python tracebacks on errors"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    bench = commands.add_parser(
        "benchmark",
        help="stratified k-fold comparison of LipNet and the SVM, with a report",
        description="The main job: cross-validate LipNet-4 against the feature "
        "SVM on synthetic liposomes (both problems) or on your folder, print "
        "per-class tables and confusion matrices, and write a report folder "
        "(Markdown, PNG plots, CSV/JSON). The defaults take about 10 minutes on "
        "a 2-core CPU; on a GPU try --n-samples 3000 --epochs 20.",
    )
    bench.add_argument(
        "--data", help="folder per class or index file to use instead of synthetic data"
    )
    bench.add_argument(
        "--problem",
        nargs="+",
        choices=PROBLEMS,
        default=list(PROBLEMS),
        help="synthetic problems to run (default: both)",
    )
    bench.add_argument(
        "--n-samples",
        type=_positive_int,
        default=900,
        help="synthetic particles per problem (default: %(default)s)",
    )
    bench.add_argument(
        "--thesis-weights",
        action="store_true",
        help="generate the thesis's class proportions (0.6 %% rarest "
        "class) instead of the benchmark's (4 %%)",
    )
    bench.add_argument(
        "--models",
        nargs="+",
        choices=MODELS,
        default=["lipnet4", "svm"],
        help="models to compare (default: lipnet4 svm)",
    )
    bench.add_argument(
        "--folds",
        type=_positive_int,
        default=5,
        help="stratified folds (default: %(default)s)",
    )
    bench.add_argument(
        "--out", default="lipnet-report", help="report folder (default: %(default)s)"
    )
    _model_options(bench, epochs=12)
    bench.set_defaults(func=run_benchmark)

    train = commands.add_parser("train", help="train a model on a labelled folder")
    train.add_argument("--data", required=True, help="folder per class or index file")
    train.add_argument("--out", required=True, help="model file to write")
    train.add_argument(
        "--model",
        choices=MODELS,
        default="lipnet4",
        help="model to train (default: lipnet4)",
    )
    _model_options(train, epochs=30)
    train.set_defaults(func=run_train)

    predict = commands.add_parser(
        "predict", help="classify particles with a trained model"
    )
    predict.add_argument("--model", required=True, help="model file from train")
    predict.add_argument(
        "inputs",
        nargs="+",
        metavar="IMAGES_OR_DIR",
        help="image files, or one folder or index file",
    )
    predict.add_argument(
        "--out", default="predictions.csv", help="CSV to write (default: %(default)s)"
    )
    predict.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="report particles whose highest class probability "
        "is below this as uncertain",
    )
    predict.add_argument(
        "--uncertain-label",
        default="uncertain",
        help="label used below --threshold (default: uncertain)",
    )
    predict.set_defaults(func=run_predict)

    generate = commands.add_parser(
        "generate", help="write synthetic liposome cut-outs to the folder layout"
    )
    generate.add_argument("out", help="folder to write")
    generate.add_argument("--problem", choices=PROBLEMS, default="lamellarity")
    generate.add_argument("--n-samples", type=_positive_int, default=500)
    generate.add_argument(
        "--thesis-weights",
        action="store_true",
        help="the thesis's class proportions instead of the benchmark's",
    )
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument(
        "--overwrite",
        action="store_true",
        help="replace files of an earlier set in OUT",
    )
    generate.set_defaults(func=run_generate)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "threshold", None) is not None and not 0 < args.threshold <= 1:
        parser.error("--threshold must be in (0, 1]")
    if getattr(args, "folds", 2) < 2:
        parser.error("--folds must be at least 2")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("lipnet: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for the user; --debug shows the rest
        if args.debug:
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        kind = (
            ""
            if isinstance(exc, (CommandError, ValueError, OSError))
            else (f"{type(exc).__name__}: ")
        )
        print(f"lipnet: error: {kind}{message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
