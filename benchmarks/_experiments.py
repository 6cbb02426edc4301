"""What the thesis-experiment scripts share: data, folds, runs, result files.

Each script builds a dict of named models per problem and calls
:func:`run_experiment`, which cross-validates them on the same stratified
folds (``sklearn_lipnet._experiment.compare_models``) and writes
``results/<name>.{md,json,png}``: the per-class measure of the thesis's
figure as a table and as grouped bars, with machine, versions and settings.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from sklearn_lipnet.datasets import BENCHMARK_WEIGHTS, load_particles, make_liposomes
from sklearn_lipnet.experiments import class_order, compare_models

from ._environment import RESULTS, machine_info, machine_markdown

PROBLEMS = ("lamellarity", "encapsulation")


def parser(description, *, epochs=12, n_samples=1000):
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--data", help="folder per class or index file instead of synthetic liposomes"
    )
    p.add_argument("--problem", nargs="+", choices=PROBLEMS, default=list(PROBLEMS))
    p.add_argument("--n-samples", type=int, default=n_samples)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=None, help="folds fitted in parallel")
    return p


def datasets(args):
    """``{problem: (table, y)}``: the user's folder, or synthetic liposomes."""
    if args.data:
        table, y = load_particles(args.data)
        return {Path(args.data).name: (table, y)}
    return {
        problem: make_liposomes(
            args.n_samples,
            problem=problem,
            weights=BENCHMARK_WEIGHTS[problem],
            random_state=args.seed,
        )
        for problem in args.problem
    }


def run_experiment(name, title, models_for, args, *, measure="f1", figure=""):
    """Cross-validate the models of every problem and write the results.

    Parameters
    ----------
    name : str
        Result file stem under ``benchmarks/results/``.
    title : str
        Heading of the Markdown result.
    models_for : callable
        ``models_for(problem) -> {display name: estimator}``.
    args : argparse.Namespace
        From :func:`parser`.
    measure : str
        Per-class measure of the table and the plot ("f1", "tpr", ...).
    figure : str
        Which thesis figure the experiment repeats, for the heading.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    start = time.perf_counter()
    tables, raw = {}, {}
    for problem, (table, y) in datasets(args).items():
        print(f"[{name}] {problem}: {len(y)} particles", flush=True)
        results = compare_models(
            table,
            y,
            models_for(problem),
            cv=args.folds,
            labels=class_order(y, problem),
            random_state=args.seed,
            n_jobs=args.jobs,
        )
        tables[problem] = {
            model: result.cv.report[measure] for model, result in results.items()
        }
        raw[problem] = {
            model: {
                "report": result.cv.report.reset_index().to_dict(orient="list"),
                "report_std": result.cv.report_std.reset_index().to_dict(orient="list"),
                "fold_confusion_matrices": result.cv.fold_confusion_matrices.tolist(),
                "labels": [str(label) for label in result.cv.labels],
                "seconds": result.seconds,
            }
            for model, result in results.items()
        }
    wall = time.perf_counter() - start

    fig, axes = plt.subplots(
        1, len(tables), figsize=(6 * len(tables), 3.8), squeeze=False
    )
    sections = []
    for ax, (problem, columns) in zip(axes[0], tables.items()):
        names = list(columns)
        labels = [str(label) for label in columns[names[0]].index]
        width = 0.8 / len(labels)
        for k, label in enumerate(labels):
            values = [columns[model].iloc[k] for model in names]
            x = np.arange(len(names)) + (k - (len(labels) - 1) / 2) * width
            ax.bar(x, np.nan_to_num(values), width, label=label)
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right")
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{problem}: {measure.upper()} per class")
        ax.legend(fontsize=8)
        frame = np.round(
            np.array([[columns[m].iloc[k] for k in range(len(labels))] for m in names]),
            3,
        )
        header = "| model | " + " | ".join(labels) + " |"
        rule = "| --- |" + " ---: |" * len(labels)
        rows = [
            f"| {m} | " + " | ".join(f"{v:.3f}" for v in frame[i]) + " |"
            for i, m in enumerate(names)
        ]
        sections.append(f"### {problem}\n\n" + "\n".join([header, rule, *rows]))
    fig.tight_layout()
    RESULTS.mkdir(parents=True, exist_ok=True)
    fig.savefig(RESULTS / f"{name}.png", dpi=110)
    plt.close(fig)

    settings = {k: v for k, v in vars(args).items()}
    settings["class_weights"] = (
        "folder" if args.data else {p: BENCHMARK_WEIGHTS[p] for p in tables}
    )
    info = machine_info()
    (RESULTS / f"{name}.json").write_text(
        json.dumps(
            {
                "machine": info,
                "settings": settings,
                "wall_time_s": wall,
                "measure": measure,
                "results": raw,
            },
            indent=1,
            default=str,
        )
        + "\n"
    )
    markdown = "\n\n".join(
        [
            f"# {title}",
            f"Repeats the thesis's {figure}. Per-class {measure.upper()}, mean over "
            f"{args.folds} stratified folds; {wall / 60:.1f} min in all. "
            f"Produced by `python -m benchmarks.{name}` with the settings below.",
            *sections,
            f"![{name}]({name}.png)",
            "## Settings\n\n" + "\n".join(f"- {k}: {v}" for k, v in settings.items()),
            "## Machine\n\n" + machine_markdown(info),
        ]
    )
    (RESULTS / f"{name}.md").write_text(markdown + "\n")
    print(markdown)
    return tables
