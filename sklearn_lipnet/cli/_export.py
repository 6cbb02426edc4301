"""``lipnet export``: a saved model as a file for other runtimes (ONNX)."""

from pathlib import Path

from ._common import CommandError

__all__ = ["add_parser", "run"]

#: What ``--format`` accepts.
FORMATS = ("onnx",)


def add_parser(commands):
    """Register ``export`` with the ``lipnet`` parser's subcommands."""
    parser = commands.add_parser(
        "export",
        help="write a trained model for other runtimes (ONNX, for C#, C++, Java)",
        description="Write a model file from train as an ONNX graph that ONNX "
        "Runtime runs outside Python; see docs/deployment.md for the "
        "preprocessing the caller does.",
    )
    parser.add_argument("--model", required=True, help="model file from train")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="onnx",
        help="file format (default: %(default)s)",
    )
    parser.add_argument("--out", required=True, help="file to write (.onnx)")
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Export as the parsed ``args`` describe; return the exit status."""
    from ..export import to_onnx
    from ..persistence import load_model

    model_path, out = Path(args.model), Path(args.out)
    if not model_path.is_file():
        raise CommandError(f"No such model file: {model_path}")
    if out.exists() and out.resolve() == model_path.resolve():
        raise CommandError(
            f"--out {out} is the model file itself; choose another file name."
        )
    model = load_model(model_path)
    to_onnx(model, out)
    print(f"ONNX model written to {out}")
    return 0
