"""The ``qa`` command: ask, search, index, eval, serve."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from qa.documents import CorpusError
from qa.flags import add_setting_flags, settings_from_args
from qa.indexing.vectors.milvus_calls import VectorStoreUnavailable
from qa.settings import INDEX_FIELDS, PER_CALL_FIELDS, Settings
from qa.validation import validate_k, validate_question


def _check_question(args: argparse.Namespace, settings: Settings) -> None:
    """Reject a bad question or k before the models load (seconds), not after."""
    validate_question(args.question, settings.max_question_chars)
    validate_k(settings.k)


def _pipeline(args: argparse.Namespace, settings: Settings):
    """The corpus pipeline, or one over the --file or --url article sharing its models."""
    from qa.shared import get_pipeline

    document = None
    if getattr(args, "file", None) and getattr(args, "url", None):
        raise ValueError("give --file or --url, not both")
    if getattr(args, "file", None):  # read before the models load: a bad file fails fast
        from qa.documents.extract import document_from_file

        document = document_from_file(Path(args.file))
    elif getattr(args, "url", None):  # fetched before the models load, as a file is read
        from qa.documents.fetch import document_from_url, fetch_policy

        document = document_from_url(args.url, fetch_policy(settings))
    pipeline = get_pipeline(settings)
    return pipeline if document is None else pipeline.with_documents([document])


def cmd_ask(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    _check_question(args, settings)
    history = args.history or None
    result = _pipeline(args, settings).answer(args.question, history, doc_ids=args.doc)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(result)
    if not result.abstained:
        from qa.answering import kind_line

        kind = kind_line(result)
        parts = (f"confidence {result.confidence:.2f}", kind, f"evidence: {result.evidence}")
        print(" · ".join(part for part in parts if part))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    _check_question(args, settings)
    passages = _pipeline(args, settings).search(args.question, doc_ids=args.doc)
    for rank, p in enumerate(passages, 1):
        dense = "-" if p.dense_score is None else f"{p.dense_score:.3f}"
        bm25 = "-" if p.bm25_score is None else f"{p.bm25_score:.2f}"
        rerank = "-" if p.rerank_score is None else f"{p.rerank_score:.2f}"
        print(
            f"{rank}. {p.chunk.doc_id} ¶{p.chunk.paragraph}  rerank {rerank}  "
            f"dense {dense}  bm25 {bm25}  rrf {p.fused_score:.4f}"
        )
        print(f"   {p.chunk.text[:200]}{'…' if len(p.chunk.text) > 200 else ''}")
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from qa.pipeline import Pipeline

    settings = settings_from_args(args)
    if args.path:
        settings = settings.replace(corpus_dir=Path(args.path))
    pipeline = Pipeline.from_settings(settings, progress=True, rebuild=args.rebuild)
    m, report = pipeline.manifest, pipeline.index_report
    print(
        f"index {settings.resolved_index_dir}: {len(m.files)} document(s), "
        f"{m.chunk_count} chunks ({m.vector_kind}), {m.dimension}-d {m.embedding_model}, "
        f"corpus {m.corpus_sha256[:12]}"
    )
    print(f"files: {report.summary()}")
    for label, names in (("added", report.added), ("changed", report.changed)):
        for name in names[:20]:
            print(f"  {label}: {name}")
    for name in report.removed[:20]:
        print(f"  removed: {name}")
    if report.save_error:  # m4: `qa index` is for saving; a failed save is a failure
        print(f"error: the index was not saved: {report.save_error}", file=sys.stderr)
        return 1
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if args.set == "nonfactoid":  # scored per question kind, by its own runner
        from eval.nonfactoid import run_cli as run_kinds

        return run_kinds(args)
    from eval.runner import run_cli

    return run_cli(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.serve import serve_cli

    return serve_cli(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description=__doc__)
    add_setting_flags(parser, INDEX_FIELDS)  # before the command: they choose the pipeline
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress and info logs")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer a question with ¶ citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print Answer.to_dict() as JSON")
    ask.add_argument("--history", action="append", help="an earlier question (repeatable)")
    _add_article_options(ask)
    add_setting_flags(ask, PER_CALL_FIELDS)
    ask.set_defaults(func=cmd_ask)
    add_setting_flags(ask, INDEX_FIELDS, again=True)

    find = sub.add_parser("search", help="show the retrieved passages with scores and ¶")
    find.add_argument("question")
    _add_article_options(find)
    add_setting_flags(find, PER_CALL_FIELDS)
    find.set_defaults(func=cmd_search)
    add_setting_flags(find, INDEX_FIELDS, again=True)

    index = sub.add_parser("index", help="build or rebuild the index of a folder")
    index.add_argument("path", nargs="?", help="folder of articles (default: seeds/)")
    index.add_argument("--rebuild", action="store_true", help="rebuild even if current")
    index.set_defaults(func=cmd_index)
    add_setting_flags(index, INDEX_FIELDS, again=True)
    _add_eval_and_serve(sub)
    return parser


def _add_article_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--doc",
        action="append",
        metavar="FILE",
        help="only this article of the corpus (its file name; repeatable)",
    )
    command.add_argument(
        "--file",
        metavar="PATH",
        help="ask about this article instead of the corpus (.txt, .md or a saved .html page)",
    )
    command.add_argument(
        "--url",
        metavar="URL",
        help="ask about the article at this http(s) link (fetched, reduced like a saved page)",
    )


def _add_eval_and_serve(sub) -> None:
    _add_eval(sub)
    _add_serve(sub)


def _add_eval(sub) -> None:
    evaluate = sub.add_parser("eval", help="run the evaluation suite")
    evaluate.add_argument(
        "--set",
        default="article",
        choices=["article", "squad", "coqa", "corpus", "nyt", "nonfactoid", "all"],
    )
    evaluate.add_argument("--limit", type=int, default=None, help="questions per set")
    evaluate.add_argument("--seed", type=int, default=13, help="sampling seed")
    evaluate.add_argument("--out", default="eval/reports/latest", help="report folder")
    evaluate.add_argument("--ablations", action="store_true", help="compare retrieval variants")
    evaluate.add_argument(
        "--split",
        choices=["dev", "test"],
        default="test",
        help="SQuAD articles: dev = 1-24 (tuning), test = 25-48 (reporting)",
    )
    evaluate.add_argument(
        "--domain", help="CoQA: only the dialogues of this source (cnn, wikipedia, race, ...)"
    )
    evaluate.set_defaults(func=cmd_eval)
    add_setting_flags(evaluate, INDEX_FIELDS, again=True)
    add_setting_flags(evaluate, PER_CALL_FIELDS)


def _add_serve(sub) -> None:
    serve = sub.add_parser("serve", help="start the chat UI")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0: your network)",
    )
    serve.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    serve.add_argument(
        "--workers", type=int, default=1, help="requests served at once (one pipeline each)"
    )
    serve.add_argument(
        "--auth", help="user:password required to use the app (or set QA_AUTH); needed off loopback"
    )
    serve.add_argument(
        "--no-auth", action="store_true", help="serve off loopback without a login (not advised)"
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        help="a name this server is reached by, besides localhost and --host (repeatable; "
        "or QA_ALLOWED_HOSTS, comma-separated); other Host headers are refused",
    )
    serve.set_defaults(func=cmd_serve)
    add_setting_flags(serve, INDEX_FIELDS, again=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(message)s",
    )
    try:
        return args.func(args)
    except (ValueError, CorpusError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except VectorStoreUnavailable as err:  # names the server and what to do; no traceback
        print(f"error: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # a last resort: one line for users, the traceback with -v
        logging.getLogger(__name__).debug("failure", exc_info=True)
        print(f"error: {type(err).__name__}: {err} (run with -v for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
