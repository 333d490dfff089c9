"""Benchmark workloads and the machine reference, shared by ``clustersim bench`` and benchmarks/."""
