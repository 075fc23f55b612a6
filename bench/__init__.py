"""`make bench`: platform benchmarks run as plain scripts (`python bench/<name>.py`); they
print tables and assert nothing. A package only so that `bench.harness` always resolves here."""
