import os

# scikit-learn's array-API estimator check only runs when SciPy was imported
# with array-API support switched on; set it before anything imports SciPy so
# that the full estimator-check suite runs instead of skipping that check.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
