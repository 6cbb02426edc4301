"""``lipnet analyze``: micrographs in, a per-sample quality-control report out."""

import argparse
import sys
import time
from pathlib import Path

from ._common import CommandError, logger, positive_int

__all__ = ["add_parser", "run"]

#: Files of an earlier report that ``--overwrite`` allows to be replaced.
_REPORT_FILES = ("report.md", "particles.csv", "summary.csv", "settings.json")


def _non_negative(text):
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative number, got {text}")
    return value


def _positive(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def add_parser(commands):
    """Register ``analyze`` with the ``lipnet`` parser's subcommands."""
    from ..detection._finder import DEFAULTS

    parser = commands.add_parser(
        "analyze",
        help="find and classify the particles of micrographs; report per sample",
        description="Find the particles of each micrograph, classify them with "
        "a trained model, and write a report folder: a CSV row per particle, "
        "class fractions (95 %% bootstrap intervals) and diameter statistics "
        "per sample, overlays, size histograms and a Markdown report. "
        "Micrographs are read one at a time per worker.",
    )
    parser.add_argument(
        "micrographs",
        metavar="MICROGRAPHS",
        help="folder of micrographs (TIFF, MRC, PNG...) with one sub-folder per "
        "sample, or an index file (CSV/JSON) with a file and a sample column",
    )
    parser.add_argument("--model", required=True, help="model file from train")
    parser.add_argument("--out", required=True, help="report folder to write")
    parser.add_argument(
        "--pixel-size-nm",
        type=_positive,
        default=None,
        help="nm per pixel where the index gives none (default: 1, the pixel "
        "size of lipnet generate's cut-outs)",
    )
    for name in ("surrounding_nm", "min_diameter_nm", "max_diameter_nm", "min_score"):
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=_non_negative,
            default=DEFAULTS[name],
            help=f"particle finder setting (default: {DEFAULTS[name]:g})",
        )
    parser.add_argument(
        "--include-border",
        action="store_true",
        help="count particles cut by the border in fractions and sizes",
    )
    parser.add_argument(
        "--bootstrap",
        type=positive_int,
        default=1000,
        help="bootstrap resamples of the intervals (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="micrographs analysed in parallel (default: 1; -1: every core)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="Dask scheduler (e.g. tcp://host:8786) whose workers analyse the "
        "micrographs; they must reach the files at the same paths",
    )
    parser.add_argument(
        "--on-error",
        choices=("stop", "skip"),
        default="stop",
        help="a micrograph that cannot be analysed stops the run (default) or "
        "is reported and skipped",
    )
    parser.add_argument(
        "--no-overlays", action="store_true", help="write no overlay images"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the files of an earlier report in OUT",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.set_defaults(func=run)
    return parser


def _local(tasks, jobs):
    """Results ``(position, result)`` as micrographs finish, with joblib."""
    from joblib import Parallel, delayed

    from ..experiments import try_analyze_micrograph

    def task(position, path, model, kwargs):
        return position, try_analyze_micrograph(path, model, **kwargs)

    # Unordered results, a few tasks dispatched ahead: bounded memory.
    yield from Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(task)(position, path, model, kwargs)
        for position, (path, model, kwargs) in enumerate(tasks)
    )


def _on_dask(tasks, address):
    """Results ``(position, result)`` as micrographs finish, on a Dask cluster."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise CommandError(
            "--scheduler needs Dask's distributed package (pip install "
            "'sklearn-lipnet[dask]')."
        ) from None
    from ..experiments import try_analyze_micrograph

    tasks = iter(enumerate(tasks))
    with Client(address) as client:
        window = 2 * max(1, sum(client.nthreads().values()))
        shared = {}
        running = as_completed(with_results=True)

        def submit_next():
            entry = next(tasks, None)
            if entry is None:
                return
            position, (path, model, kwargs) = entry
            if id(model) not in shared:  # sent to the workers once
                shared[id(model)] = client.scatter(model, broadcast=True)
            future = client.submit(
                try_analyze_micrograph, path, shared[id(model)], pure=False, **kwargs
            )
            future.position = position
            running.add(future)

        for _ in range(window):
            submit_next()
        for future, result in running:
            yield future.position, result
            submit_next()


def _prepare_out(out, overwrite):
    out = Path(out)
    existing = [name for name in _REPORT_FILES if (out / name).exists()]
    if existing and not overwrite:
        raise CommandError(
            f"{out} holds an earlier report ({', '.join(existing)}); pass "
            "--overwrite to replace it, or choose another --out."
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def _report_order(classes):
    """The thesis's class order where the model has a thesis problem's classes."""
    from ..datasets import CLASSES
    from ..experiments import class_order

    for problem in CLASSES:
        order = class_order(classes, problem)
        if order is not None:
            return order
    return list(classes)


def run(args):
    """Analyse as the parsed ``args`` describe; return the exit status."""
    import pandas as pd

    from ..datasets import list_micrographs
    from ..experiments import (
        format_duration,
        rebalanced_training,
        summarize_samples,
        write_analysis_report,
    )
    from ..experiments._analysis import RESULT_COLUMNS
    from ..persistence import load_model
    from ..utils import machine_info

    if args.min_diameter_nm <= 0 or args.min_diameter_nm >= args.max_diameter_nm:
        raise CommandError(
            "--min-diameter-nm must be positive and below --max-diameter-nm."
        )
    log = logger(args)
    model = load_model(args.model)
    if not hasattr(model, "predict_proba") or not hasattr(model, "classes_"):
        raise CommandError(f"{args.model} gives no class probabilities.")
    classes = _report_order([str(label) for label in model.classes_])
    listed = list_micrographs(args.micrographs, pixel_size_nm=args.pixel_size_nm)
    out = _prepare_out(args.out, args.overwrite)
    finder_settings = {
        "surrounding_nm": args.surrounding_nm,
        "min_diameter_nm": args.min_diameter_nm,
        "max_diameter_nm": args.max_diameter_nm,
        "min_score": args.min_score,
    }
    tasks, overlays = [], []
    for row in listed.itertuples(index=False):
        overlay = None
        if not args.no_overlays:
            overlay = Path("overlays") / row.sample / f"{Path(row.id).name}.png"
            (out / overlay).parent.mkdir(parents=True, exist_ok=True)
        overlays.append(None if overlay is None else overlay.as_posix())
        kwargs = {
            "sample": row.sample,
            "micrograph": row.id,
            "pixel_size_nm": row.pixel_size_nm,
            "finder_settings": finder_settings,
            "overlay_path": None if overlay is None else str(out / overlay),
            "classes": classes,
        }
        tasks.append((row.path, model, kwargs))
    n_samples = listed["sample"].nunique()
    unknown = int(listed["pixel_size_nm"].isna().sum())
    if unknown:
        print(
            f"lipnet: note: {unknown} micrograph(s) have no pixel size; taken as "
            "1 nm per pixel (give --pixel-size-nm, or a pixel_size_nm column in "
            "an index file)",
            file=sys.stderr,
        )
    log(
        f"Analysing {len(tasks)} micrographs of {n_samples} sample(s) from "
        f"{args.micrographs} with {args.model} (classes: {', '.join(classes)})"
    )

    start = time.perf_counter()
    results = (
        _on_dask(tasks, args.scheduler) if args.scheduler else _local(tasks, args.jobs)
    )
    rows, skipped, messages = [None] * len(tasks), [], set()
    for done, (position, result) in enumerate(results, 1):
        record = listed.iloc[position]
        name = f"{record['sample']}/{record['id']}"
        messages.update(result["warnings"])
        if result["error"] is not None:
            if args.on_error == "stop":
                raise CommandError(
                    f"{record['path']}: {result['error']} (pass --on-error skip "
                    "to report and skip micrographs that cannot be analysed)"
                )
            skipped.append(
                {
                    "position": position,
                    "sample": record["sample"],
                    "micrograph": record["id"],
                    "path": record["path"],
                    "error": result["error"],
                }
            )
            print(
                f"lipnet: skipped {record['path']}: {result['error']}", file=sys.stderr
            )
        else:
            rows[position] = result["rows"]
        elapsed = time.perf_counter() - start
        left = elapsed / done * (len(tasks) - done)
        found = "skipped" if result["error"] else f"{len(result['rows'])} particles"
        log(
            f"[{done}/{len(tasks)}] {name}: {found} ({result['seconds']:.1f} s); "
            f"{format_duration(elapsed)} elapsed, ~{format_duration(left)} left"
        )
    wall = time.perf_counter() - start
    # Listed order, not the order in which parallel workers finished.
    skipped = sorted(skipped, key=lambda record: record.pop("position"))

    analysed = [frame for frame in rows if frame is not None]
    columns = [*RESULT_COLUMNS, *(f"p_{label}" for label in classes)]
    particles = (
        pd.concat(analysed, ignore_index=True)
        if analysed
        else pd.DataFrame(columns=columns)
    )
    summary = summarize_samples(
        particles,
        classes,
        include_cut=args.include_border,
        n_bootstrap=args.bootstrap,
        random_state=args.seed,
    )
    samples = {}
    for row, overlay, frame in zip(listed.itertuples(index=False), overlays, rows):
        if frame is not None:
            samples.setdefault(row.sample, []).append((row.id, overlay))
    for record in skipped:
        samples.setdefault(record["sample"], [])
    settings = {
        "model": args.model,
        "micrographs": args.micrographs,
        "n_micrographs_listed": len(tasks),
        "n_micrographs_analysed": len(analysed),
        "n_micrographs_skipped": len(skipped),
        "n_particles": len(particles),
        **finder_settings,
        "pixel_size_nm_default": args.pixel_size_nm or 1.0,
        "n_micrographs_without_pixel_size": unknown,
        "include_cut": args.include_border,
        "bootstrap": args.bootstrap,
        "seed": args.seed,
        "jobs": args.jobs,
        "scheduler": args.scheduler,
        "wall_time_s": wall,
        "micrographs_per_s": len(analysed) / wall if wall > 0 else float("nan"),
        "particles_per_s": len(particles) / wall if wall > 0 else float("nan"),
        "rebalanced_training": rebalanced_training(model),
        "warnings": sorted(messages),
        "machine": machine_info(),
    }
    report = write_analysis_report(
        out,
        particles=particles,
        summary=summary,
        samples=samples,
        classes=classes,
        skipped=pd.DataFrame(
            skipped, columns=["sample", "micrograph", "path", "error"]
        ),
        settings=settings,
    )
    if settings["rebalanced_training"]:
        log(
            f"note: the model was trained on rebalanced classes "
            f"({settings['rebalanced_training']}): its fractions are tuned to "
            "balanced classes, not to the samples' (see report.md)"
        )
    if messages:
        log(
            f"note: {len(messages)} distinct warning(s) while analysing (all in "
            f"settings.json), e.g.: {sorted(messages)[0]}"
        )
    counted = summary[summary["class"] != "all"]
    for sample, group in counted.groupby("sample", sort=False):
        parts = ", ".join(
            f"{label} {100 * fraction:.1f} % (expected {100 * expected:.1f} %)"
            for label, fraction, expected in zip(
                group["class"], group["fraction"], group["expected_fraction"]
            )
        )
        print(f"{sample}: {int(group['n'].sum())} particles: {parts}")
    print(
        f"{len(particles)} particles in {len(analysed)} micrographs "
        f"({len(skipped)} skipped); report written to {report}"
    )
    return 0
