"""The Gradio web app: one module per panel or concern; the engine knows nothing of it."""
