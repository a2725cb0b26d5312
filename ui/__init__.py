"""The chat UI (Gradio 6) over the question-answering pipeline; start it with ``qa serve``.

``ui.render`` holds the pure HTML rendering, ``ui.app`` the Gradio wiring.
"""

from qa.model_files import go_offline

# Before Gradio is imported anywhere below ui: analytics off, Hugging Face hub offline.
go_offline()
