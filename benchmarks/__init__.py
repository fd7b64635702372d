"""The build benchmark: carebook against stock jupyter-book (`python -m benchmarks`, or `make bench`)."""
