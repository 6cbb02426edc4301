"""Package attributes imported on first use (PEP 562)."""

import importlib
import sys


def lazy_attributes(package, names):
    """``__getattr__`` and ``__dir__`` for a package that imports ``names`` late.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict of str to str
        Attribute name to the module, relative to ``package``, that holds it.

    Returns
    -------
    getattr, dir : callables
        To assign to the package's ``__getattr__`` and ``__dir__``.

    Examples
    --------
    >>> names = {"find_particles": ".detection"}
    >>> getattr_, dir_ = lazy_attributes("sklearn_lipnet", names)
    >>> getattr_("find_particles").__name__
    'find_particles'
    >>> "find_particles" in dir_()
    True
    """

    def __getattr__(name):
        if name in names:
            return getattr(importlib.import_module(names[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
