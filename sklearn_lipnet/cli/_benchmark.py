"""``lipnet benchmark``: the thesis's comparison, with a report folder."""

import sys
import time
from pathlib import Path

from ._common import (
    AUTO_MODEL,
    FIXED_SCALE,
    CommandError,
    add_model_options,
    build_model,
    choose_model,
    display_name,
    load_labelled,
    logger,
    model_names,
    positive_int,
    resolve_model_options,
    value_counts,
)

__all__ = ["add_parser", "run"]


def add_parser(commands):
    """Register ``benchmark`` with the ``lipnet`` parser's subcommands.

    Parameters
    ----------
    commands : argparse subparsers action
        What ``ArgumentParser.add_subparsers`` returned.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    from ..datasets import CLASSES
    from ..experiments import BENCHMARK_PRESETS

    default = BENCHMARK_PRESETS["default"]
    problems = tuple(CLASSES)
    presets = "; ".join(
        f"{p.name}: {p.description}" for p in BENCHMARK_PRESETS.values()
    )
    parser = commands.add_parser(
        "benchmark",
        help="stratified k-fold comparison of LipNet and the SVM, with a report",
        description="The main job: cross-validate LipNet-4 against the feature "
        "SVM on synthetic liposomes (both problems) or on your folder, print "
        "per-class tables and confusion matrices, and write a report folder "
        "(Markdown, PNG plots, CSV/JSON). The default preset takes about 3 "
        "minutes on a 2-core CPU.",
    )
    parser.add_argument(
        "--preset",
        choices=tuple(BENCHMARK_PRESETS),
        default="default",
        help=f"data size and training settings ({presets}); the options below "
        "override it (default: default)",
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
        default=None,
        help="synthetic particles per problem (default: "
        f"{default.n_samples['lamellarity']})",
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
        choices=(AUTO_MODEL, *model_names()),
        default=[AUTO_MODEL, "svm"],
        metavar="MODEL",
        help="models to compare: an architecture (lipnet1, lipnet2, lipnet4, "
        "lipnet4c, lipnet6), the same at a fixed physical scale (lipnet4c-fixed, "
        "...; see --canvas-size), hybrid (LipNet-4 + features in one network), "
        "stacking (LipNet-4 and the SVM combined), svm; auto: lipnet4 where "
        "every particle has an expert mask, else hybrid (default: auto svm)",
    )
    parser.add_argument(
        "--folds",
        type=positive_int,
        default=5,
        help="stratified folds, at least 2 (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        default="lipnet-report",
        help="report folder, replaced as a whole when the run is complete "
        "(default: %(default)s)",
    )
    add_model_options(
        parser,
        defaults={
            "epochs": default.epochs,
            "batch_size": default.batch_size,
            "lr": default.lr,
            "precision": default.precision,
            "jobs": default.n_jobs,
        },
    )
    parser.set_defaults(func=run)
    return parser


def _resolved(name, table, problem, log):
    """``name``, or for ``auto`` the model it means for ``table`` (logged)."""
    if name != AUTO_MODEL:
        return name
    chosen, reason = choose_model(table)
    log(f"[{problem}] --models auto: {reason}.")
    return chosen


def _datasets(args, preset, log):
    from ..datasets import BENCHMARK_WEIGHTS, make_liposomes

    if args.data is not None:
        return {Path(args.data).name or "data": load_labelled(args.data)}
    datasets = {}
    for problem in args.problem:
        n_samples = args.n_samples or preset.n_samples[problem]
        log(f"Generating {n_samples} synthetic {problem} cut-outs ...")
        start = time.perf_counter()
        datasets[problem] = make_liposomes(
            n_samples,
            problem=problem,
            weights=None if args.thesis_weights else BENCHMARK_WEIGHTS[problem],
            random_state=args.seed,
            n_jobs=args.jobs,
        )
        log(f"  generated in {time.perf_counter() - start:.0f} s")
    return datasets


def _settings(args, datasets):
    from ..datasets import BENCHMARK_WEIGHTS

    if args.data is not None:
        weights = "folder"
    elif args.thesis_weights:
        weights = "thesis tables 1-2"
    else:
        weights = "; ".join(f"{p}: {BENCHMARK_WEIGHTS[p]}" for p in datasets)
    return {
        "preset": args.preset,
        "data": args.data or "synthetic (make_liposomes)",
        "problems": ", ".join(datasets),
        "particles": ", ".join(f"{p}: {len(y)}" for p, (_, y) in datasets.items()),
        "class weights": weights,
        "models": ", ".join(display_name(m) for m in args.models),
        "folds": f"{args.folds} (stratified, shuffled, seed {args.seed})",
        "epochs": args.epochs,
        "batch size": args.batch_size,
        "learning rate": args.lr,
        "precision": args.precision,
        "compiled": args.compile,
        "input mode": args.mode,
        **_canvas_setting(args),
        "sampling": args.sampling,
        "device": args.device,
        "jobs": args.jobs,
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
    """Run the benchmark the parsed ``args`` describe; return the exit status.

    Parameters
    ----------
    args : argparse.Namespace
        As parsed by the parser of :func:`add_parser`.

    Returns
    -------
    status : int
    """
    from ..experiments import (
        BENCHMARK_PRESETS,
        Progress,
        check_report_folder,
        class_order,
        compare_models,
        format_results,
        work_units,
        write_report,
    )
    from ..utils import machine_info

    if args.folds < 2:
        raise CommandError("--folds must be at least 2")
    # The report replaces --out as a whole at the end: refuse a folder of
    # other files now, not after the run. Ctrl-C before the end leaves an
    # earlier report as it was.
    check_report_folder(args.out)
    preset = BENCHMARK_PRESETS[args.preset]
    if args.thesis_weights is False:
        args.thesis_weights = preset.thesis_weights
    resolve_model_options(args, preset)
    start = time.perf_counter()
    log = logger(args)
    datasets = _datasets(args, preset, log)
    models = {}
    for problem, (table, _) in datasets.items():
        names = [_resolved(name, table, problem, log) for name in args.models]
        models[problem] = {display_name(m): build_model(m, args) for m in names}
    # The settings name what ran (the same for every problem unless their
    # masks differ, which synthetic data never do).
    args.models = names
    progress = None
    if not args.quiet:
        total = sum(work_units(m, args.folds) for m in models.values())
        progress = Progress(total, stream=sys.stderr)
    experiments = {}
    for problem, (table, y) in datasets.items():
        counts = ", ".join(
            f"{label}: {count}" for label, count in zip(*value_counts(y))
        )
        log(f"\n[{problem}] {len(y)} particles ({counts})")
        if progress is not None:
            progress.context = problem
        experiments[problem] = compare_models(
            table,
            y,
            models[problem],
            cv=args.folds,
            labels=class_order(y, problem),
            random_state=args.seed,
            n_jobs=args.jobs,
            log=log,
            progress=progress,
        )
        print(format_results(problem, experiments[problem]), flush=True)
    wall = time.perf_counter() - start
    log("\nWriting the report and its figures ...")
    report = write_report(
        args.out, experiments, _settings(args, datasets), machine_info(), wall
    )
    # The figures take time too (the SVM predicts its test particles again
    # for each shuffled feature family): the time given is the user's wait.
    total = time.perf_counter() - start
    print(f"\nReport written to {report} ({total / 60:.1f} min).")
    return 0
