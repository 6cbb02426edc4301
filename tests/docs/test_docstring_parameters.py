"""Each public docstring documents exactly the parameters of its signature.

After imbalanced-learn's ``test_docstring_parameters.py``: for every public
class (its constructor, and each public method defined in this package) and
every public function, the names under *Parameters* must be the signature's
names, in order.
"""

import dataclasses
import importlib
import inspect
import pkgutil

import pytest
from numpydoc.docscrape import ClassDoc, FunctionDoc

import sklearn_lipnet


def _public_modules():
    yield sklearn_lipnet
    for info in pkgutil.walk_packages(sklearn_lipnet.__path__, "sklearn_lipnet."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            yield importlib.import_module(info.name)


def _public_objects():
    seen = set()
    for module in _public_modules():
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if not obj.__module__.startswith("sklearn_lipnet") or id(obj) in seen:
                continue
            seen.add(id(obj))
            yield f"{obj.__module__}.{obj.__qualname__}", obj


def _documented(doc):
    names = []
    for parameter in doc["Parameters"]:
        for name in parameter.name.split(","):
            name = name.strip().lstrip("*")
            if name:
                names.append(name)
    return names


def _signature(function, *, skip_first=False):
    parameters = list(inspect.signature(function).parameters.values())
    if skip_first:
        parameters = parameters[1:]
    return [p.name for p in parameters]


def _checks():
    for qualname, obj in _public_objects():
        if inspect.isfunction(obj):
            yield qualname, obj, False
            continue
        if obj.__init__ is not object.__init__ and "__init__" in vars(obj):
            yield qualname, obj, True
        for name, member in vars(obj).items():
            if name.startswith("_") or not inspect.isfunction(member):
                continue
            yield f"{qualname}.{name}", member, True


CHECKS = sorted(_checks(), key=lambda check: check[0])


def test_there_is_something_to_check():
    names = {name for name, _, _ in CHECKS}
    assert "sklearn_lipnet.neural_network._classifier.LipNetClassifier" in names
    assert "sklearn_lipnet.features._particle_features.ParticleFeatures.fit" in names
    assert len(CHECKS) > 50


@pytest.mark.parametrize(
    "qualname, obj, is_method", CHECKS, ids=[check[0] for check in CHECKS]
)
def test_docstring_parameters_match_the_signature(qualname, obj, is_method):
    if inspect.isclass(obj):
        doc = ClassDoc(obj)
        documented = _documented(doc)
        signature = _signature(obj.__init__, skip_first=True)
        if dataclasses.is_dataclass(obj) and not documented:
            # A dataclass's constructor parameters are its attributes.
            documented = _documented({"Parameters": doc["Attributes"]})
    else:
        if obj.__doc__ is None:
            pytest.fail(f"{qualname} has no docstring")
        documented = _documented(FunctionDoc(obj))
        signature = _signature(obj, skip_first=is_method)
    assert documented == signature, (
        f"{qualname}: docstring Parameters {documented} != signature {signature}"
    )
