"""scikit-learn's own estimator checks, run on LipNetClassifier and LipNetEmbedding.

No check is skipped or expected to fail, and the tags stay honest
(``poor_score``, ``no_validation`` and ``allow_nan`` are off).
"""

from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.neural_network import LipNetEmbedding


def test_tags_are_honest():
    tags = get_tags(LipNetClassifier())
    assert not tags.classifier_tags.poor_score
    assert not tags.no_validation
    assert not tags.input_tags.allow_nan
    assert tags.estimator_type == "classifier"
    embedding_tags = get_tags(LipNetEmbedding())
    assert embedding_tags.target_tags.required
    assert not embedding_tags.input_tags.allow_nan


@parametrize_with_checks(
    [
        LipNetClassifier(max_epochs=15, random_state=0),
        LipNetEmbedding(LipNetClassifier(max_epochs=3, random_state=0)),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
