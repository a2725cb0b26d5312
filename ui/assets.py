"""The look of the UI: theme, CSS and the small scripts that move the article view.

Kept in Python strings rather than files so a plain (non-editable) install ships them too.
"""

import gradio as gr

# LocalFont files are served by Gradio itself: the page makes no request to a font CDN.
THEME = gr.themes.Soft(
    primary_hue="indigo",
    neutral_hue="slate",
    font=(
        gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)),
        "system-ui",
        "sans-serif",
    ),
)

CSS = """
#qa-article .qa-article-scroll { max-height: 74vh; overflow-y: auto; padding-right: .4rem; }
.qa-para { display: flex; gap: .6rem; margin: 0 0 .55rem; padding: .3rem .5rem;
  border-radius: 6px; line-height: 1.5; transition: background-color .3s; }
.qa-para:first-child { font-weight: 650; font-size: 1.12em; }
.qa-num { flex: 0 0 2.4rem; text-align: right; font-size: .78em; padding-top: .2rem;
  color: var(--body-text-color-subdued); text-decoration: none;
  font-variant-numeric: tabular-nums; }
.qa-boilerplate { opacity: .45; }
.qa-cited { background: var(--color-accent-soft); box-shadow: inset 3px 0 0 var(--color-accent); }
.qa-focus { outline: 2px solid var(--color-accent); outline-offset: 1px; }
.qa-answer mark, .qa-sources mark, .qa-para mark {
  background: #fde68a; color: #1f2937; padding: 0 .12em; border-radius: 3px; }
.qa-text { font-size: 1.08em; }
.qa-cite { color: var(--color-accent); text-decoration: none; font-size: .85em;
  font-weight: 600; white-space: nowrap; }
.qa-cite:hover { text-decoration: underline; }
.qa-meta, .qa-understood, .qa-source-head {
  font-size: .85em; color: var(--body-text-color-subdued); }
.qa-understood { margin-bottom: .25rem; }
.qa-conf small { opacity: .75; }
.qa-conf-high { color: #15803d; } .qa-conf-medium { color: #b45309; }
.qa-conf-low { color: #b91c1c; }
.dark .qa-conf-high { color: #4ade80; } .dark .qa-conf-medium { color: #fbbf24; }
.dark .qa-conf-low { color: #f87171; }
.qa-conflict { margin-top: .3rem; font-size: .9em; }
.qa-alts { margin: 0 0 0 1.1rem; }
.qa-source { margin: .2rem 0 .7rem; } .qa-score { margin-left: .35rem; }
.qa-source-text { line-height: 1.45; }
"""

# Runs once on page load. A click on a ¶ link scrolls only the article panel (a plain anchor
# would scroll the whole page away from the chat) and outlines the paragraph. Without
# JavaScript the links still work as ordinary anchors.
ON_LOAD_JS = """
() => {
  window.qaScrollTo = (el) => {
    const box = el && el.closest('.qa-article-scroll');
    if (!box) return;
    const top = el.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTo({ top: box.scrollTop + top - 12, behavior: 'smooth' });
  };
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a.qa-cite, a.qa-num');
    const id = link && link.hash ? decodeURIComponent(link.hash.slice(1)) : '';
    const target = id && document.getElementById(id);
    if (!target) return;
    event.preventDefault();
    document.querySelectorAll('.qa-focus').forEach((p) => p.classList.remove('qa-focus'));
    target.classList.add('qa-focus');
    window.qaScrollTo(target);
  });
}
"""

# Runs after each answer: bring the cited paragraph into view once the new HTML is painted.
SCROLL_TO_CITED_JS = """
() => {
  requestAnimationFrame(() => requestAnimationFrame(() => {
    const cited = document.querySelector('#qa-article .qa-cited');
    if (cited && window.qaScrollTo) window.qaScrollTo(cited);
  }));
}
"""

# Saves the exported Markdown from the browser: the text is already on the page, so no file
# is written on the server and nothing is served back.
DOWNLOAD_JS = """
(markdown) => {
  const url = URL.createObjectURL(new Blob([markdown], { type: 'text/markdown' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = 'conversation.md';
  document.body.appendChild(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(url); link.remove(); }, 1000);
  return [];
}
"""
