"""The benchmark report: Markdown, PNG plots and raw results in one folder."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..metrics import MEASURES
from ..utils import replacing_folder
from ._inspection_figures import INSPECTION_FIGURE_PREFIXES, inspection_figures
from ._thesis_results import TABLE_NUMBERS, thesis_confusion

__all__ = ["check_report_folder", "format_results", "write_report"]


def _key(name):
    """The thesis's name for a model: "LipNet-4" -> "lipnet4", "SVM" -> "svm"."""
    return name.lower().replace("-", "")


def _file_key(name):
    """A model's name in file names: the thesis's, other characters as "_"
    ("Hybrid (LipNet-4 + features)" -> "hybrid_lipnet4_features")."""
    return re.sub(r"[^a-z0-9]+", "_", _key(name)).strip("_")


def _markdown(frame, digits=2):
    return frame.round(digits).to_markdown()


def _report_with_std(result, digits=2):
    """Per-class measures as "mean ± std" strings (support as a count)."""
    mean, std = result.cv.report, result.cv.report_std
    table = pd.DataFrame(index=mean.index)
    for measure in MEASURES:
        if measure == "support":
            table[measure] = mean[measure].map(lambda v: f"{v:.1f}")
        else:
            table[measure] = [
                "n/a" if np.isnan(m) else f"{m:.{digits}f} ± {s:.{digits}f}"
                for m, s in zip(mean[measure], std[measure])
            ]
    return table


def format_results(problem, results):
    """Plain-text tables for the console: per-class measures, matrices.

    Parameters
    ----------
    problem : str
        The problem's name, for the heading.
    results : dict of {str: ModelResult}
        What :func:`compare_models` returned for it.

    Returns
    -------
    text : str
    """
    lines = []
    for name, result in results.items():
        lines.append(
            f"\n== {problem}: {name} ({len(result.cv.fold_reports)} folds, "
            f"{result.seconds:.0f} s) =="
        )
        lines.append("Per-class measures, mean ± std over folds:")
        lines.append(_report_with_std(result).to_string())
        lines.append("Normalised confusion matrix (fold average; rows true):")
        lines.append(result.cv.normalized_confusion_matrix.round(2).to_string())
        lines.append("Confusion matrix, counts (fold average):")
        lines.append(result.cv.confusion_matrix.round(1).to_string())
    return "\n".join(lines)


def _thesis_comparison(problem, results):
    """Our TPR per class beside the thesis's (diagonals of tables 7-10)."""
    rows = []
    for name, result in results.items():
        thesis = thesis_confusion(_key(name), problem)
        ours = result.cv.normalized_confusion_matrix
        for label in ours.index:
            rows.append(
                {
                    "model": name,
                    "class": label,
                    "TPR (ours)": ours.loc[label, label],
                    "TPR (thesis)": (
                        thesis.loc[label, label]
                        if thesis is not None and label in thesis.index
                        else np.nan
                    ),
                }
            )
    return pd.DataFrame(rows).set_index(["model", "class"])


def _plot_confusions(problem, results, path):
    import matplotlib.pyplot as plt

    panels = [(name, r.cv.normalized_confusion_matrix) for name, r in results.items()]
    for name in results:
        thesis = thesis_confusion(_key(name), problem)
        if thesis is not None:
            table = TABLE_NUMBERS[(_key(name), problem)]
            panels.append((f"{name}, thesis table {table}", thesis))
    fig, axes = plt.subplots(
        1, len(panels), figsize=(3.6 * len(panels), 3.6), squeeze=False
    )
    for ax, (title, matrix) in zip(axes[0], panels):
        ax.imshow(matrix.to_numpy(), vmin=0, vmax=1, cmap="Blues")
        labels = [str(label) for label in matrix.index]
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        for (i, j), value in np.ndenumerate(matrix.to_numpy()):
            ax.text(
                j,
                i,
                f"{value:.2f}",
                ha="center",
                va="center",
                color="white" if value > 0.6 else "black",
                fontsize=9,
            )
        ax.set_xlabel("predicted")
        ax.set_title(title, fontsize=10)
    axes[0][0].set_ylabel("true")
    fig.suptitle(f"{problem}: normalised confusion matrices (fold average)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_measures(problem, results, path):
    import matplotlib.pyplot as plt

    measures = ("f1", "tpr", "ppv")
    fig, axes = plt.subplots(1, len(measures), figsize=(4.2 * len(measures), 3.6))
    names = list(results)
    width = 0.8 / len(names)
    for ax, measure in zip(axes, measures):
        for k, name in enumerate(names):
            mean = results[name].cv.report[measure]
            std = results[name].cv.report_std[measure]
            x = np.arange(len(mean)) + (k - (len(names) - 1) / 2) * width
            ax.bar(x, mean.fillna(0), width, yerr=std.fillna(0), label=name, capsize=3)
        labels = [str(label) for label in results[names[0]].cv.report.index]
        ax.set_xticks(range(len(labels)), labels, rotation=20)
        ax.set_ylim(0, 1.05)
        ax.set_title(measure.upper())
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{problem}: per-class measures, mean ± std over folds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_training(problem, results, path):
    import matplotlib.pyplot as plt

    curves = {name: r.histories for name, r in results.items() if any(r.histories)}
    if not curves:
        return False
    fig, axes = plt.subplots(
        1, len(curves), figsize=(4.5 * len(curves), 3.4), squeeze=False
    )
    for ax, (name, histories) in zip(axes[0], curves.items()):
        for fold, history in enumerate(histories, 1):
            epochs = [row["epoch"] for row in history]
            ax.plot(
                epochs,
                [row["train_loss"] for row in history],
                label=f"fold {fold} train",
            )
            if history and "valid_loss" in history[0]:
                ax.plot(
                    epochs,
                    [row["valid_loss"] for row in history],
                    "--",
                    label=f"fold {fold} valid",
                )
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title(name)
        ax.legend(fontsize=7)
    fig.suptitle(f"{problem}: training curves")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _long_results(experiments):
    rows = []
    for problem, results in experiments.items():
        for name, result in results.items():
            for fold, report in enumerate(result.cv.fold_reports, 1):
                for label, values in report.iterrows():
                    for measure in MEASURES:
                        rows.append(
                            {
                                "problem": problem,
                                "model": name,
                                "fold": fold,
                                "class": label,
                                "measure": measure,
                                "value": values[measure],
                            }
                        )
    return pd.DataFrame(rows)


#: The files of a report folder: exact names and ``(prefix, suffix)`` pairs.
_REPORT_FILES = (
    "report.md",
    "results.csv",
    "per_class_summary.csv",
    "confusion_matrices.json",
    "settings.json",
)
_REPORT_PLOTS = (
    "confusion_",
    "per_class_",
    "training_curves_",
    *INSPECTION_FIGURE_PREFIXES,
)


def _is_report_file(path):
    return path.is_file() and (
        path.name in _REPORT_FILES
        or (path.suffix == ".png" and path.name.startswith(_REPORT_PLOTS))
    )


def check_report_folder(out_dir):
    """Refuse a report folder that :func:`write_report` must not replace.

    :func:`write_report` replaces its folder as a whole, so ``out_dir`` must
    be missing, empty, or an earlier report (only the files a report holds).

    Parameters
    ----------
    out_dir : path
        The report folder to be.

    Raises
    ------
    ValueError
        If ``out_dir`` is a file, or a folder holding anything else.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_lipnet.experiments import check_report_folder
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_report_folder(folder / "report")  # missing: fine
    >>> _ = (folder / "thesis.tex").write_text("...")
    >>> check_report_folder(folder)
    Traceback (most recent call last):
    ...
    ValueError: ... holds 1 file(s) that are not part of a report, e.g. thesis.tex; ...
    """
    out = Path(out_dir)
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"{out} is a file, not a report folder.")
    others = sorted(path.name for path in out.iterdir() if not _is_report_file(path))
    if others:
        raise ValueError(
            f"{out} holds {len(others)} file(s) that are not part of a report, "
            f"e.g. {others[0]}; a report replaces its whole folder, so choose "
            "another folder."
        )


def write_report(out_dir, experiments, settings, machine, wall_seconds):
    """Write the report folder; return the path of ``report.md``.

    The report is written into a temporary folder beside ``out_dir`` that
    replaces ``out_dir`` (an earlier report) only once complete: an
    interrupted or failed run leaves the earlier report as it was.

    Parameters
    ----------
    out_dir : path
        Missing, empty or an earlier report (see
        :func:`check_report_folder`); replaced as a whole.
    experiments : dict of {problem: {model name: ModelResult}}
    settings : dict
        What was run (data, folds, epochs, ...), written as given.
    machine : dict
        :func:`sklearn_lipnet.utils.machine_info`.
    wall_seconds : float
        Wall time of the whole run.

    Returns
    -------
    report : pathlib.Path
        ``out_dir / "report.md"``.

    See Also
    --------
    compare_models : The experiments a report shows.

    Notes
    -----
    Results that carry their last fold's model (as :func:`compare_models`
    returns them) also get figures of what the model learned, on that fold's
    test particles: a LipNet's first-layer filters, saliency maps of two
    particles per class by every method and the most confidently
    misclassified particles; the feature SVM's permutation importance per
    feature family (see :mod:`sklearn_lipnet.inspection`).
    """
    import matplotlib

    matplotlib.use("Agg")
    check_report_folder(out_dir)
    with replacing_folder(out_dir) as folder:
        _write_files(folder, experiments, settings, machine, wall_seconds)
    return Path(out_dir) / "report.md"


def _write_files(out, experiments, settings, machine, wall_seconds):
    _long_results(experiments).to_csv(out / "results.csv", index=False)
    summary = []
    raw = {}
    for problem, results in experiments.items():
        for name, result in results.items():
            frame = result.cv.report.add_suffix("_mean").join(
                result.cv.report_std.drop(columns="support").add_suffix("_std")
            )
            frame.insert(0, "model", name)
            frame.insert(0, "problem", problem)
            summary.append(frame.reset_index())
            raw[f"{problem}/{name}"] = {
                "labels": [str(label) for label in result.cv.labels],
                "fold_confusion_matrices": result.cv.fold_confusion_matrices.tolist(),
                "fit_time_s": result.cv.fit_time.tolist(),
                "predict_time_s": result.cv.score_time.tolist(),
                "wall_time_s": result.seconds,
                "training_histories": result.histories,
            }
    pd.concat(summary).to_csv(out / "per_class_summary.csv", index=False)
    (out / "confusion_matrices.json").write_text(json.dumps(raw, indent=1) + "\n")
    (out / "settings.json").write_text(
        json.dumps(
            {"settings": settings, "machine": machine, "wall_time_s": wall_seconds},
            indent=2,
            default=str,
        )
        + "\n"
    )

    lines = [
        "# sklearn-lipnet benchmark report",
        "",
        f"Run on {machine.get('date')} in {wall_seconds / 60:.1f} min; "
        "every number below was computed in this run.",
        "",
        "## Settings",
        "",
        pd.Series(settings, dtype=object).rename("value").to_frame().to_markdown(),
        "",
    ]
    for problem, results in experiments.items():
        lines += [f"## {problem.capitalize()}", ""]
        for name, result in results.items():
            lines += [
                f"### {name}",
                "",
                f"Cross-validation took {result.seconds:.0f} s "
                f"(fit {result.cv.fit_time.mean():.1f} s, predict "
                f"{result.cv.score_time.mean():.2f} s per fold).",
                "",
                "Per-class measures, mean ± std over folds (support: test "
                "samples per fold):",
                "",
                _report_with_std(result).to_markdown(),
                "",
                "Normalised confusion matrix, fold average (rows: true class):",
                "",
                _markdown(result.cv.normalized_confusion_matrix),
                "",
                "Confusion matrix in counts, fold average:",
                "",
                _markdown(result.cv.confusion_matrix, digits=1),
                "",
            ]
        comparison = _thesis_comparison(problem, results)
        if comparison["TPR (thesis)"].notna().any():
            lines += [
                "### Beside the thesis",
                "",
                "True positive rates (normalised-matrix diagonals) next to the "
                "thesis's tables 7-10 (real Vironova data, so only the pattern "
                "is comparable, not the values):",
                "",
                _markdown(comparison),
                "",
            ]
        _plot_confusions(problem, results, out / f"confusion_{problem}.png")
        _plot_measures(problem, results, out / f"per_class_{problem}.png")
        lines += [
            f"![confusion matrices](confusion_{problem}.png)",
            "",
            f"![per-class measures](per_class_{problem}.png)",
            "",
        ]
        if _plot_training(problem, results, out / f"training_curves_{problem}.png"):
            lines += [f"![training curves](training_curves_{problem}.png)", ""]
        inspection = {
            name: inspection_figures(problem, result, out, _file_key(name))
            for name, result in results.items()
        }
        if any(inspection.values()):
            n_test = next(
                len(r.y_test) for r in results.values() if r.y_test is not None
            )
            lines += [
                "### What the models learned",
                "",
                f"The last fold's models on that fold's {n_test} test particles "
                "(see `sklearn_lipnet.inspection`).",
                "",
            ]
            for name, figure_lines in inspection.items():
                if figure_lines:
                    lines += [f"#### {name}", "", *figure_lines]
    lines += [
        "## Files",
        "",
        "- `results.csv`: every measure of every class, model and fold",
        "- `per_class_summary.csv`: fold means and standard deviations",
        "- `confusion_matrices.json`: fold confusion matrices, timings, "
        "training histories",
        "- `settings.json`: settings, machine and versions",
        "",
        "## Machine",
        "",
        pd.Series(machine, dtype=object).rename("value").to_frame().to_markdown(),
        "",
    ]
    (out / "report.md").write_text("\n".join(lines))
