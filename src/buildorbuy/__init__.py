"""buildorbuy: build, fine-tune or buy an LLM."""
