"""``lipnet predict``: classify particles with a saved model, write a CSV."""

from pathlib import Path

from ._common import CommandError

__all__ = ["add_parser", "run"]


def add_parser(commands):
    """Register ``predict`` with the ``lipnet`` parser's subcommands."""
    parser = commands.add_parser(
        "predict", help="classify particles with a trained model"
    )
    parser.add_argument("--model", required=True, help="model file from train")
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="IMAGES_OR_DIR",
        help="image files, or one folder or index file",
    )
    parser.add_argument(
        "--out", default="predictions.csv", help="CSV to write (default: %(default)s)"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="report particles whose highest class probability "
        "is below this as uncertain",
    )
    parser.add_argument(
        "--uncertain-label",
        default="uncertain",
        help="label used below --threshold (default: uncertain)",
    )
    parser.set_defaults(func=run)
    return parser


def _read_inputs(paths):
    """A particle table from one folder / index file or from image files."""
    import pandas as pd

    from ..datasets import load_particles
    from ..datasets._image_io import read_image

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


def run(args):
    """Predict as the parsed ``args`` describe; return the exit status."""
    import numpy as np
    import pandas as pd

    from ..persistence import load_model

    if args.threshold is not None and not 0 < args.threshold <= 1:
        raise CommandError("--threshold must be in (0, 1]")
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
