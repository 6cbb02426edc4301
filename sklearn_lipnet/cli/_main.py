"""The ``lipnet`` command: one subcommand per module of this package."""

import argparse
import sys

from . import _analyze, _benchmark, _explain, _export, _generate, _predict, _train
from ._common import CommandError

__all__ = ["build_parser", "main"]

#: The subcommands, in the order ``lipnet --help`` lists them.
SUBCOMMANDS = (_benchmark, _train, _predict, _analyze, _explain, _export, _generate)


def build_parser():
    """The ``lipnet`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="lipnet",
        description="Classify TEM particle images (liposome lamellarity, drug "
        "encapsulation) with LipNet CNNs and the feature SVM.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show Python tracebacks on errors"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for subcommand in SUBCOMMANDS:
        subcommand.add_parser(commands)
    return parser


def main(argv=None):
    """Run ``lipnet``; return the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after ``lipnet``; ``None`` reads the process's.

    Returns
    -------
    status : int
        0 on success, 2 for a problem with the arguments or the data, 130 when
        interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("lipnet: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for the user; --debug shows the rest
        if args.debug:
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        kind = (
            ""
            if isinstance(exc, (CommandError, ValueError, OSError))
            else (f"{type(exc).__name__}: ")
        )
        print(f"lipnet: error: {kind}{message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
