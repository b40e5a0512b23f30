"""The Gradio UI of music01, one module per step; ``app.py`` holds the layout and the wiring.

Handlers here turn ``music01_core``'s results and errors into what a person sees; every
decision about audio, lyrics, models, the API and files is made in the core.
"""
