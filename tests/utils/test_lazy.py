import subprocess
import sys

import pytest

import sklearn_lipnet
from sklearn_lipnet import pipeline


def test_torch_is_imported_only_when_a_network_name_is_first_used():
    code = (
        "import sys, sklearn_lipnet, sklearn_lipnet.pipeline as p; "
        "print('torch' in sys.modules); "
        "from sklearn_lipnet.neural_network import LipNetClassifier as direct; "
        "print(sklearn_lipnet.LipNetClassifier is direct, 'torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True", "True"]


@pytest.mark.parametrize(
    "package, name",
    [(sklearn_lipnet, "make_lipnet_pipeline"), (pipeline, "make_stacking_classifier")],
)
def test_late_names_are_listed_and_resolve_to_their_module(package, name):
    assert name in dir(package)
    # The eager names stay listed beside them.
    assert "ParticleFeatures" in dir(sklearn_lipnet) and "TunedSVC" in dir(pipeline)
    assert callable(getattr(package, name))


def test_an_unknown_name_raises_attribute_error_naming_the_package():
    with pytest.raises(AttributeError, match="'sklearn_lipnet.pipeline' has no"):
        getattr(pipeline, "make_nothing")  # noqa: B009
    assert not hasattr(sklearn_lipnet, "make_nothing")
