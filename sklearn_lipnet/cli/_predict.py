"""``lipnet predict``: classify particles with a saved model, write a CSV."""

from ._common import (
    CommandError,
    check_output_file,
    printed_warnings,
    read_particles,
)

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
        help="image files, or one folder or index file (.csv, .json, .jsonl)",
    )
    parser.add_argument(
        "--out", default="predictions.csv", help="CSV to write (default: %(default)s)"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="add a column 'confident': whether the highest class probability "
        "reaches this value",
    )
    parser.add_argument(
        "--on-error",
        choices=("raise", "skip"),
        default="raise",
        help="what to do with an image that cannot be read: stop (raise), or "
        "predict the others and list it (skip) (default: raise)",
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="where networks run: auto, cpu, cuda (default: auto)",
    )
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Predict as the parsed ``args`` describe; return the exit status."""
    import numpy as np
    import pandas as pd

    from ..persistence import load_model
    from ..utils import atomic_file

    if args.threshold is not None and not 0 < args.threshold <= 1:
        raise CommandError("--threshold must be in (0, 1]")
    out = check_output_file(args.out)
    model = load_model(args.model, device=args.device)
    if not hasattr(model, "predict_proba"):
        raise CommandError(f"{args.model} has no class probabilities.")
    with printed_warnings():
        table, _ = read_particles(args.inputs, args.on_error)
    proba = model.predict_proba(table)
    classes = [str(c) for c in model.classes_]
    predictions = pd.DataFrame(
        {
            "id": table["id"] if "id" in table else np.arange(len(table)),
            "path": table["path"] if "path" in table else "",
            # The most probable class, always: below a threshold a particle
            # is flagged in "confident", never relabelled (a label such as
            # "uncertain" can be a real class).
            "predicted": np.asarray(classes, dtype=object)[proba.argmax(axis=1)],
        }
    )
    if args.threshold is not None:
        predictions["confident"] = proba.max(axis=1) >= args.threshold
    for k, label in enumerate(classes):
        predictions[f"p_{label}"] = proba[:, k]
    with atomic_file(out, "w", newline="", encoding="utf-8") as handle:
        predictions.to_csv(handle, index=False)
    print(f"{len(predictions)} predictions written to {out}")
    return 0
