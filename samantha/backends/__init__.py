"""Backends run models: llama.cpp in a worker process, and test doubles."""
