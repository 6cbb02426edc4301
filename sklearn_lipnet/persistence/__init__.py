"""Model files that hold data only: loading one cannot run code."""

from ._model_file import load_model, save_model

__all__ = ["load_model", "save_model"]
