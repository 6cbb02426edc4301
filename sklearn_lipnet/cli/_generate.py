"""``lipnet generate``: write synthetic liposome cut-outs to the folder layout."""

from pathlib import Path

from ._common import CommandError, positive_int, value_counts

__all__ = ["add_parser", "run"]


def add_parser(commands):
    """Register ``generate`` with the ``lipnet`` parser's subcommands."""
    from ..datasets import CLASSES

    parser = commands.add_parser(
        "generate", help="write synthetic liposome cut-outs to the folder layout"
    )
    parser.add_argument("out", help="folder to write")
    parser.add_argument("--problem", choices=tuple(CLASSES), default="lamellarity")
    parser.add_argument("--n-samples", type=positive_int, default=500)
    parser.add_argument(
        "--thesis-weights",
        action="store_true",
        help="the thesis's class proportions instead of the benchmark's",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace files of an earlier set in OUT",
    )
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Generate as the parsed ``args`` describe; return the exit status."""
    from ..datasets import BENCHMARK_WEIGHTS, make_liposomes, save_particles

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
    labels, counts = value_counts(y)
    summary = ", ".join(f"{label}: {count}" for label, count in zip(labels, counts))
    print(f"{len(y)} {args.problem} cut-outs ({summary}) written to {args.out}")
    return 0
