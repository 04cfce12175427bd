"""Synthetic data: the labelled demo corpus (`load_demo`) and the scale corpus (`generate_corpus`).

Kept out of the production modules; tests and benchmarks build their worlds from here too.
"""
