"""Samantha: a local workbench that chains open GGUF models on ordinary CPUs."""

__version__ = "0.1.0"
