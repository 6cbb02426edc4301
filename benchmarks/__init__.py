"""Speed and accuracy measurements; run each as ``python -m benchmarks.<name>``.

Every script writes its results, with the machine, the library versions and
the date, to ``benchmarks/results/``.
"""
