"""``lipnet benchmark``: the thesis's comparison, with a report folder."""

import time
from pathlib import Path

from ._common import (
    FIXED_SCALE,
    CommandError,
    add_model_options,
    build_model,
    display_name,
    load_labelled,
    logger,
    model_names,
    positive_int,
    value_counts,
)

__all__ = ["add_parser", "run"]


def add_parser(commands):
    """Register ``benchmark`` with the ``lipnet`` parser's subcommands."""
    from ..datasets import CLASSES

    problems = tuple(CLASSES)
    parser = commands.add_parser(
        "benchmark",
        help="stratified k-fold comparison of LipNet and the SVM, with a report",
        description="The main job: cross-validate LipNet-4 against the feature "
        "SVM on synthetic liposomes (both problems) or on your folder, print "
        "per-class tables and confusion matrices, and write a report folder "
        "(Markdown, PNG plots, CSV/JSON). The defaults take about 5 minutes on "
        "a 2-core CPU; on a GPU try --n-samples 3000 --epochs 20.",
    )
    parser.add_argument(
        "--data", help="folder per class or index file to use instead of synthetic data"
    )
    parser.add_argument(
        "--problem",
        nargs="+",
        choices=problems,
        default=list(problems),
        help="synthetic problems to run (default: both)",
    )
    parser.add_argument(
        "--n-samples",
        type=positive_int,
        default=900,
        help="synthetic particles per problem (default: %(default)s)",
    )
    parser.add_argument(
        "--thesis-weights",
        action="store_true",
        help="generate the thesis's class proportions (0.6 %% rarest "
        "class) instead of the benchmark's (4 %%)",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=model_names(),
        default=["lipnet4", "svm"],
        metavar="MODEL",
        help="models to compare: an architecture (lipnet1, lipnet2, lipnet4, "
        "lipnet4c, lipnet6), the same at a fixed physical scale (lipnet4c-fixed, "
        "...; see --canvas-size), hybrid (LipNet-4 + features in one network), "
        "stacking (LipNet-4 and the SVM combined), svm (default: lipnet4 svm)",
    )
    parser.add_argument(
        "--folds",
        type=positive_int,
        default=5,
        help="stratified folds, at least 2 (default: %(default)s)",
    )
    parser.add_argument(
        "--out", default="lipnet-report", help="report folder (default: %(default)s)"
    )
    add_model_options(parser, epochs=12)
    parser.set_defaults(func=run)
    return parser


def _datasets(args, log):
    from ..datasets import BENCHMARK_WEIGHTS, make_liposomes

    if args.data is not None:
        return {Path(args.data).name or "data": load_labelled(args.data)}
    datasets = {}
    for problem in args.problem:
        log(f"Generating {args.n_samples} synthetic {problem} cut-outs ...")
        weights = None if args.thesis_weights else BENCHMARK_WEIGHTS[problem]
        datasets[problem] = make_liposomes(
            args.n_samples, problem=problem, weights=weights, random_state=args.seed
        )
    return datasets


def _settings(args, problems):
    from ..datasets import BENCHMARK_WEIGHTS

    if args.data is not None:
        weights = "folder"
    elif args.thesis_weights:
        weights = "thesis tables 1-2"
    else:
        weights = "; ".join(f"{p}: {BENCHMARK_WEIGHTS[p]}" for p in problems)
    return {
        "data": args.data or "synthetic (make_liposomes)",
        "problems": ", ".join(problems),
        "n_samples": args.n_samples if args.data is None else "all",
        "class weights": weights,
        "models": ", ".join(display_name(m) for m in args.models),
        "folds": f"{args.folds} (stratified, shuffled, seed {args.seed})",
        "epochs": args.epochs,
        "batch size": args.batch_size,
        "input mode": args.mode,
        **_canvas_setting(args),
        "sampling": args.sampling,
        "device": args.device,
        "seed": args.seed,
    }


def _canvas_setting(args):
    """The fixed-scale canvas, when a fixed-scale model is benchmarked."""
    if not any(model.endswith(FIXED_SCALE) for model in args.models):
        return {}
    canvas_nm = (
        f"{args.canvas_nm:g} nm"
        if args.canvas_nm
        else "the largest training particle's side"
    )
    return {"fixed-scale canvas": f"{args.canvas_size} px, {canvas_nm}"}


def run(args):
    """Run the benchmark the parsed ``args`` describe; return the exit status."""
    from ..experiments import class_order, compare_models, format_results, write_report
    from ..utils import machine_info

    if args.folds < 2:
        raise CommandError("--folds must be at least 2")
    start = time.perf_counter()
    log = logger(args)
    datasets = _datasets(args, log)
    experiments = {}
    for problem, (table, y) in datasets.items():
        counts = ", ".join(
            f"{label}: {count}" for label, count in zip(*value_counts(y))
        )
        log(f"\n[{problem}] {len(y)} particles ({counts})")
        models = {display_name(m): build_model(m, args) for m in args.models}
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
    wall = time.perf_counter() - start
    report = write_report(
        args.out, experiments, _settings(args, list(datasets)), machine_info(), wall
    )
    print(f"\nReport written to {report} ({wall / 60:.1f} min).")
    return 0
