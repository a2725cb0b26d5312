"""Reading: the answer span in the retrieved passages.

``neural`` is the default reader (a trained extractive model: ``span_models`` runs it,
``windows`` cuts paragraphs into its inputs, ``calibration`` turns scores into confidence);
``candidates`` is what every reader returns; ``question`` and ``nlp`` analyse text; the
earlier readers (best sentence, spaCy spans) live in ``baselines``.
"""

from qa.reading.calibration import (
    WEIGHTS_FILE,
    LinearModel,
    confidence_features,
    fitted_threshold,
    load_models,
    sigmoid,
)
from qa.reading.candidates import (
    Candidate,
    Reader,
    Reading,
    Thresholded,
    dedupe,
)
from qa.reading.neural import (
    NeuralReader,
    confidence_inputs,
    is_headline,
    span_score,
)
from qa.reading.nlp import (
    ParseCache,
    parse,
    sentence_spans,
    using,
)
from qa.reading.question import (
    QuestionInfo,
    analyse,
    question_kind,
)
from qa.reading.span_models import (
    MANIFEST,
    READER_FORMAT,
    OnnxSpanModel,
    SpanModel,
    TransformersSpanModel,
    batch_arrays,
    load_span_model,
    load_tokenizer,
)
from qa.reading.windows import (
    Window,
    answer_tokens,
    best_spans,
    encode_windows,
    log_softmax,
    make_windows,
    word_edges,
)

__all__ = [
    "MANIFEST",
    "READER_FORMAT",
    "WEIGHTS_FILE",
    "Candidate",
    "LinearModel",
    "NeuralReader",
    "OnnxSpanModel",
    "ParseCache",
    "QuestionInfo",
    "Reader",
    "Reading",
    "SpanModel",
    "Thresholded",
    "TransformersSpanModel",
    "Window",
    "analyse",
    "answer_tokens",
    "batch_arrays",
    "best_spans",
    "confidence_features",
    "confidence_inputs",
    "dedupe",
    "encode_windows",
    "fitted_threshold",
    "is_headline",
    "load_models",
    "load_span_model",
    "load_tokenizer",
    "log_softmax",
    "make_windows",
    "parse",
    "question_kind",
    "sentence_spans",
    "sigmoid",
    "span_score",
    "using",
    "word_edges",
]
