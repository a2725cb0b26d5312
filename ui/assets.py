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
#qa-article .qa-article-scroll { max-height: calc(100vh - 330px); min-height: 200px;
  overflow-y: auto; padding-right: .4rem; }
@media (max-width: 768px) { #qa-article .qa-article-scroll { max-height: 70vh; } }
#qa-header p { margin: 0; } #qa-header h2 { margin-bottom: .2rem; }
.qa-current { font-size: 1.02em; padding: .35rem .6rem; border-radius: 6px;
  background: var(--background-fill-secondary); overflow-wrap: anywhere; }
#qa-status p { margin: 0; } #qa-status { min-height: 0; }
.qa-pending { color: var(--body-text-color-subdued); font-style: italic; }
.qa-pending::after { content: ""; animation: qa-dots 1.2s steps(4) infinite; }
@keyframes qa-dots { 0% { content: ""; } 25% { content: "."; } 50% { content: ".."; }
  75% { content: "..."; } }
.qa-suggest-row { flex-wrap: wrap; gap: .4rem; }
.qa-suggest-row button { flex: 0 1 auto !important; white-space: normal; text-align: left; }
.qa-hint p { margin: 0; font-size: .9em; color: var(--body-text-color-subdued); }
#qa-confirm { align-items: center; gap: .5rem; padding: .3rem .5rem; border-radius: 6px;
  background: var(--color-accent-soft); }
#qa-confirm button { flex: 0 0 auto !important; }
#qa-chat .bubble-wrap { max-height: calc(100vh - 300px); }
@media (max-width: 768px) { #qa-chat .bubble-wrap { max-height: 75vh; } }
/* The chatbot's own trash icon would wipe the chat unasked: "Clear chat" asks first. */
#qa-chat button[aria-label="Clear"] { display: none; }
.qa-para { display: flex; gap: .6rem; margin: 0 0 .55rem; padding: .3rem .5rem;
  border-radius: 6px; line-height: 1.5; transition: background-color .3s; }
.qa-para:first-child { font-weight: 650; font-size: 1.12em; }
.qa-num { flex: 0 0 2.4rem; text-align: right; font-size: .78em; padding-top: .2rem;
  color: var(--body-text-color-subdued); text-decoration: none;
  font-variant-numeric: tabular-nums; }
.qa-boilerplate { opacity: .45; } .qa-doc.qa-hidden { display: none; }
.qa-cited { background: var(--color-accent-soft); box-shadow: inset 3px 0 0 var(--color-accent); }
.qa-focus { outline: 2px solid var(--color-accent); outline-offset: 1px; }
.qa-answer mark, .qa-sources mark, .qa-para mark {
  background: #fde68a; color: #1f2937; padding: 0 .12em; border-radius: 3px; }
.qa-text { font-size: 1.08em; }
.qa-cite { color: var(--color-accent); text-decoration: none; font-size: .85em;
  font-weight: 600; overflow-wrap: anywhere; }
.qa-answer, .qa-source { overflow-wrap: anywhere; }
.qa-cite:hover { text-decoration: underline; }
.qa-meta, .qa-understood, .qa-source-head {
  font-size: .85em; color: var(--body-text-color-subdued); }
.qa-understood { margin-bottom: .25rem; }
.qa-conf small { opacity: .75; }
.qa-verdict { display: inline-block; padding: 0 .45rem; margin-right: .35rem; border-radius: .6rem;
  font-weight: 600; font-size: .85em; color: #fff; }
.qa-verdict-yes { background: #15803d; } .qa-verdict-no { background: #b91c1c; }
.qa-verdict-mixed { background: #b45309; } .qa-kind-note { font-style: italic; }
.qa-conf-high { color: #15803d; } .qa-conf-medium { color: #b45309; }
.qa-conf-low { color: #b91c1c; }
.dark .qa-conf-high { color: #4ade80; } .dark .qa-conf-medium { color: #fbbf24; }
.dark .qa-conf-low { color: #f87171; }
.qa-conflict { margin-top: .3rem; font-size: .9em; }
.qa-alts { margin: 0 0 0 1.1rem; }
.qa-source { margin: .2rem 0 .7rem; } .qa-source-head .qa-conf { margin-left: .35rem; }
.qa-source-text { line-height: 1.45; }
"""

# Runs once on page load. A click on a ¶ link scrolls the article panel (a plain anchor
# would scroll the whole page away from the chat) and outlines the paragraph; on a narrow
# screen, where the article is below the chat, the page scrolls to it too. A link in the
# chat carries its answer's offsets (class qa-at-START-END-LENGTH, code points): the paragraph
# shows that answer's words marked, an older answer's as well as the latest. Without
# JavaScript the links still work as ordinary anchors.
ON_LOAD_JS = """
() => {
  window.qaScrollTo = (el, page) => {
    const box = el && el.closest('.qa-article-scroll');
    if (!box) return;
    const shown = box.getBoundingClientRect();
    const away = shown.bottom < 0 || shown.top > window.innerHeight;
    if (page && (away || window.matchMedia('(max-width: 768px)').matches)) {
      el.scrollIntoView({ block: 'center' });
      return;
    }
    const top = el.getBoundingClientRect().top - shown.top;
    box.scrollTo({ top: box.scrollTop + top - 12, behavior: 'smooth' });
  };
  const markSpan = (paragraph, link) => {
    const span = paragraph.querySelector(':scope > span');
    const found = link.className.match(/qa-at-([0-9]+)-([0-9]+)-([0-9]+)/);
    if (!span || !found) return;
    const [start, end, size] = found.slice(1).map(Number);
    const chars = Array.from(span.textContent);
    if (chars.length !== size || !(start >= 0 && start < end && end <= size)) return;
    const mark = document.createElement('mark');
    mark.textContent = chars.slice(start, end).join('');
    span.replaceChildren(chars.slice(0, start).join(''), mark, chars.slice(end).join(''));
  };
  const showCitation = (paragraph, link) => {
    const article = paragraph.closest('.qa-doc');
    if (!article || !link.closest('#qa-chat')) return;
    article.querySelectorAll('.qa-para mark').forEach((m) => m.replaceWith(m.textContent));
    article.querySelectorAll('.qa-cited').forEach((p) => p.classList.remove('qa-cited'));
    paragraph.classList.add('qa-cited');
    markSpan(paragraph, link);
  };
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a.qa-cite, a.qa-num');
    const id = link && link.hash ? decodeURIComponent(link.hash.slice(1)) : '';
    const target = id && document.getElementById(id);
    if (!target) return;
    event.preventDefault();
    const doc = target.closest('.qa-doc');
    if (doc && doc.classList.contains('qa-hidden')) {  // another of the user's articles
      doc.parentElement.querySelectorAll('.qa-doc').forEach((d) => {
        d.classList.toggle('qa-hidden', d !== doc);
      });
    }
    if (link.classList.contains('qa-cite')) showCitation(target, link);
    document.querySelectorAll('.qa-focus').forEach((p) => p.classList.remove('qa-focus'));
    target.classList.add('qa-focus');
    window.qaScrollTo(target, true);
  });
}
"""

# Runs after each answer: bring the cited paragraph into view once the new HTML is painted
# (inside the article panel only: the page stays on the answer), and scroll the chat so the
# latest question is at its top with its answer below (Gradio's own autoscroll can stop short
# when "Reading…" is replaced by a taller answer).
SCROLL_TO_CITED_JS = """
() => {
  requestAnimationFrame(() => requestAnimationFrame(() => {
    const cited = document.querySelector('#qa-article .qa-cited');
    if (cited && window.qaScrollTo) window.qaScrollTo(cited, false);
    const asked = document.querySelectorAll('#qa-chat [data-testid=user]');
    const last = asked[asked.length - 1];
    let wrap = last && last.parentElement;
    while (wrap && wrap.id !== 'qa-chat' && wrap.scrollHeight <= wrap.clientHeight + 2) {
      wrap = wrap.parentElement;
    }
    if (!last || !wrap || wrap.id === 'qa-chat') return;
    const offset = last.getBoundingClientRect().top - wrap.getBoundingClientRect().top;
    wrap.scrollTo({ top: wrap.scrollTop + offset - 8, behavior: 'smooth' });
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

# After an article is added: the question box takes the focus and the chat stays in view
# (on a phone the chat is above the article controls).
FOCUS_QUESTION_JS = """
() => {
  const box = document.querySelector('#qa-question textarea');
  if (box) box.focus({ preventScroll: true });
  const chat = document.querySelector('#qa-chat');
  const top = chat ? chat.getBoundingClientRect().top : 0;
  if (chat && (top < 0 || top > window.innerHeight - 120)) chat.scrollIntoView({ block: 'start' });
}
"""
