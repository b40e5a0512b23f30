"""The page as a browser opens it: its stylesheet, the script that rewords a refused file, and the load event."""

import json

import gradio as gr

from ..history import history_rows, pending_rows
from ..lyrics import DOCS_EXAMPLE_LYRICS, PROMPT_EXAMPLE, example_for, lyrics_change, prompt_view
from ..session import MAX_UPLOAD_TEXT, START_MODEL
from ..upload import library_choices
from . import PRIVATE, Page

CSS = (
    ".banner {padding: 8px 12px; border-radius: 8px; background: var(--block-background-fill);} "
    ".price-line p {margin: 0;} "
)

#: What a person reads when the file they chose is not audio.
NOT_AUDIO = (
    "{names}: not an audio file. Choose a recording in MP3, WAV, FLAC, OGG, Opus or M4A (up to "
    f"{MAX_UPLOAD_TEXT}), or record one with the microphone."
)
# The audio box refuses such a file in the browser, before anything reaches the server, with a
# toast that lists MIME types ("Invalid file type: notes.txt. Only audio/aac,audio/midi,…
# allowed.").  No server event exists to answer instead, so the page rewrites that toast's text.
NOT_AUDIO_JS = """
() => {
  const refused = /^Invalid file types?: (.+)\\. Only .+ allowed\\.$/s;
  const message = __MESSAGE__;
  const fix = (root) => {
    if (!root || !root.ownerDocument) return;
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const m = refused.exec(n.nodeValue.trim());
      if (m) n.nodeValue = message.replace("{names}", () => m[1]);
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "characterData") fix(r.target.parentNode);
      for (const node of r.addedNodes) fix(node.nodeType === Node.TEXT_NODE ? node.parentNode : node);
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}
""".replace("__MESSAGE__", json.dumps(NOT_AUDIO))


def on_load(request: gr.Request):
    return (
        gr.update(choices=library_choices(request)),
        *lyrics_change(example_for(START_MODEL, DOCS_EXAMPLE_LYRICS), START_MODEL),
        prompt_view(PROMPT_EXAMPLE, START_MODEL),
        history_rows(request),
        pending_rows(request),
    )


def wire_page_load(demo: gr.Blocks, ui: Page) -> None:
    """Each visit fills the library, the lyrics' counts and this browser's history."""
    demo.load(
        on_load, None, [ui.library, ui.counter, ui.structure, ui.wrap, ui.prompt_msg, ui.hist, ui.pend], **PRIVATE
    )
