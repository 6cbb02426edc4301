"""scikit-learn's own estimator checks, run on LipNetClassifier.

No check is skipped or expected to fail, and the tags stay honest
(``poor_score``, ``no_validation`` and ``allow_nan`` are off).
"""

from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_lipnet import LipNetClassifier


def test_tags_are_honest():
    tags = get_tags(LipNetClassifier())
    assert not tags.classifier_tags.poor_score
    assert not tags.no_validation
    assert not tags.input_tags.allow_nan
    assert tags.estimator_type == "classifier"


@parametrize_with_checks([LipNetClassifier(max_epochs=15, random_state=0)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
