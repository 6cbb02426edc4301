"""LipNet-4, the SVM, the hybrid, stacking and fixed-scale LipNet-4c compared.

Issue 11's question: does the network that also sees the hand-made features
(``make_hybrid_pipeline``), the stacking of LipNet-4 and the SVM
(``make_stacking_classifier``) or LipNet-4c on particles at their physical
size (``make_lipnet_pipeline("lipnet4c", scale="fixed")``) beat LipNet-4 and
the SVM on the rare classes? All five models go through the same stratified
folds (the thesis's protocol, section 8.1); reported per class are TPR, PPV
and F1, and per model the balanced accuracy, each as mean and standard
deviation over the folds, with the wall time of the whole cross-validation.
The figure is laid out like the thesis's figure 22.

    nice python -m benchmarks.bench_hybrid_and_scale [--data DIR] [--device cuda]

Writes ``benchmarks/results/bench_hybrid_and_scale.{md,json,png}``. LipNet-4c
trains worse than LipNet-4 at any scale, so two controls separate the
architecture from the scale: LipNet-4c resized to 28 px and LipNet-4 on the
fixed-scale canvas,

    nice python -m benchmarks.bench_hybrid_and_scale --models lipnet4c \
        lipnet4-fixed --name bench_hybrid_and_scale_controls
"""

import time

import numpy as np

from sklearn_lipnet import (
    make_hybrid_pipeline,
    make_lipnet_pipeline,
    make_svm_pipeline,
)
from sklearn_lipnet.datasets import BENCHMARK_WEIGHTS
from sklearn_lipnet.experiments import THESIS_TRAINING, class_order, compare_models
from sklearn_lipnet.pipeline import make_stacking_classifier

from ._environment import RESULTS, machine_info, machine_markdown, write_result
from ._experiments import datasets, parser

NAME = "bench_hybrid_and_scale"
MEASURES = ("tpr", "ppv", "f1")


#: The models of issue 11, and two controls that separate the architecture
#: from the scale (``--models lipnet4c lipnet4-fixed``).
DEFAULT_MODELS = ("lipnet4", "svm", "hybrid", "stacking", "lipnet4c-fixed")
CONTROLS = ("lipnet4c", "lipnet4-fixed")


def models(args):
    """The models ``--models`` names, as fresh estimators."""
    # The thesis's training, with which these results were measured.
    network = dict(
        **THESIS_TRAINING,
        max_epochs=args.epochs,
        device=args.device,
        random_state=args.seed,
    )
    fixed = dict(size=args.canvas_size, scale="fixed", **network)
    factories = {
        "lipnet4": ("LipNet-4", lambda: make_lipnet_pipeline("lipnet4", **network)),
        "svm": ("SVM", lambda: make_svm_pipeline(random_state=args.seed)),
        "hybrid": ("Hybrid", lambda: make_hybrid_pipeline("lipnet4", **network)),
        "stacking": (
            "Stacking",
            lambda: make_stacking_classifier(
                make_lipnet_pipeline("lipnet4", **network),
                make_svm_pipeline(random_state=args.seed),
                cv=args.stacking_cv,
                random_state=args.seed,
            ),
        ),
        "lipnet4c-fixed": (
            f"LipNet-4c fixed {args.canvas_size}px",
            lambda: make_lipnet_pipeline("lipnet4c", **fixed),
        ),
        "lipnet4c": ("LipNet-4c", lambda: make_lipnet_pipeline("lipnet4c", **network)),
        "lipnet4-fixed": (
            f"LipNet-4 fixed {args.canvas_size}px",
            lambda: make_lipnet_pipeline("lipnet4", **fixed),
        ),
    }
    return {factories[key][0]: factories[key][1]() for key in args.models}


def balanced_accuracy(cv):
    """Balanced accuracy of each fold: the mean TPR over the classes."""
    matrices = cv.fold_confusion_matrices.astype(float)
    tpr = np.diagonal(matrices, axis1=1, axis2=2) / matrices.sum(axis=2)
    return np.nanmean(tpr, axis=1)


def summarise(results):
    """Per model: per-class mean/std of the measures, balanced accuracy, time."""
    summary = {}
    for name, result in results.items():
        bacc = balanced_accuracy(result.cv)
        summary[name] = {
            "classes": [str(label) for label in result.cv.labels],
            "mean": {m: result.cv.report[m].tolist() for m in MEASURES},
            "std": {m: result.cv.report_std[m].tolist() for m in MEASURES},
            "support": result.cv.report["support"].tolist(),
            "balanced_accuracy": bacc.tolist(),
            "seconds": result.seconds,
            "fit_seconds_per_fold": float(np.mean(result.cv.fit_time)),
            "fold_confusion_matrices": result.cv.fold_confusion_matrices.tolist(),
        }
    return summary


def markdown_tables(problem, summary):
    names = list(summary)
    classes = summary[names[0]]["classes"]
    support = summary[names[0]]["support"]
    lines = [f"### {problem}", ""]
    lines.append(
        "Test particles per fold: "
        + ", ".join(f"{c} {s:.1f}" for c, s in zip(classes, support))
        + "."
    )
    lines.append("")
    header = "| model | balanced accuracy | " + " | ".join(
        f"{c} {m.upper()}" for c in classes for m in MEASURES
    )
    lines.append(header + " | CV wall time |")
    n_columns = len(classes) * len(MEASURES) + 1
    lines.append("| --- | ---: |" + " ---: |" * n_columns)
    for name in names:
        entry = summary[name]
        bacc = np.asarray(entry["balanced_accuracy"])
        cells = [f"{bacc.mean():.3f} ± {bacc.std():.3f}"]
        for k in range(len(classes)):
            for m in MEASURES:
                mean, std = entry["mean"][m][k], entry["std"][m][k]
                cells.append("n/a" if np.isnan(mean) else f"{mean:.2f} ± {std:.2f}")
        cells.append(f"{entry['seconds'] / 60:.1f} min")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(summaries, path):
    """Figure 22 of the thesis: per class, each measure per model, with spread."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    problems = list(summaries)
    n_classes = max(len(next(iter(s.values()))["classes"]) for s in summaries.values())
    fig, axes = plt.subplots(
        len(problems),
        n_classes,
        figsize=(4.2 * n_classes, 3.4 * len(problems)),
        squeeze=False,
    )
    for row, problem in enumerate(problems):
        summary = summaries[problem]
        names = list(summary)
        width = 0.8 / len(names)
        for k, label in enumerate(summary[names[0]]["classes"]):
            ax = axes[row, k]
            for j, name in enumerate(names):
                mean = [summary[name]["mean"][m][k] for m in MEASURES]
                std = [summary[name]["std"][m][k] for m in MEASURES]
                x = np.arange(len(MEASURES)) + (j - (len(names) - 1) / 2) * width
                ax.bar(
                    x,
                    np.nan_to_num(mean),
                    width,
                    yerr=np.nan_to_num(std),
                    capsize=2,
                    label=name,
                )
            ax.set_xticks(range(len(MEASURES)), [m.upper() for m in MEASURES])
            ax.set_ylim(0, 1.05)
            ax.set_title(f"{problem}: {label}")
    axes[0, -1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    p = parser(__doc__.splitlines()[0], epochs=10, n_samples=600)
    p.add_argument("--canvas-size", type=int, default=48)
    p.add_argument("--stacking-cv", type=int, default=2)
    p.add_argument(
        "--models",
        nargs="+",
        choices=DEFAULT_MODELS + CONTROLS,
        default=list(DEFAULT_MODELS),
    )
    p.add_argument("--name", default=NAME, help="result file stem")
    args = p.parse_args()

    start = time.perf_counter()
    summaries = {}
    for problem, (table, y) in datasets(args).items():
        print(f"[{args.name}] {problem}: {len(y)} particles", flush=True)
        results = compare_models(
            table,
            y,
            models(args),
            cv=args.folds,
            labels=class_order(y, problem),
            random_state=args.seed,
            n_jobs=args.jobs,
        )
        summaries[problem] = summarise(results)
        print(markdown_tables(problem, summaries[problem]), flush=True)
    wall = time.perf_counter() - start

    RESULTS.mkdir(parents=True, exist_ok=True)
    plot(summaries, RESULTS / f"{args.name}.png")
    settings = dict(vars(args))
    settings["class_weights"] = (
        "folder" if args.data else {p: BENCHMARK_WEIGHTS[p] for p in summaries}
    )
    info = machine_info()
    sections = [markdown_tables(problem, s) for problem, s in summaries.items()]
    markdown = "\n\n".join(
        [
            "# Hybrid, stacking and fixed scale against LipNet-4 and the SVM",
            f"Per-class TPR, PPV, F1 and balanced accuracy, mean ± standard "
            f"deviation over {args.folds} stratified folds; wall time of each "
            f"model's whole cross-validation; {wall / 60:.1f} min in all. "
            f"Produced by `python -m {RESULTS.parent.name}.{NAME}` with the "
            "settings below.",
            *sections,
            f"![{args.name}]({args.name}.png)",
            "## Settings\n\n" + "\n".join(f"- {k}: {v}" for k, v in settings.items()),
            "## Machine\n\n" + machine_markdown(info),
        ]
    )
    result = {"machine": info, "settings": settings, "wall_time_s": wall}
    write_result(args.name, {**result, "results": summaries}, markdown)
    print(markdown)


if __name__ == "__main__":
    main()
