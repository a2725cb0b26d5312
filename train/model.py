"""The reader-ranker: one BERT pass gives a passage's relevance and its answer span.

DPR's reader and R2-D2 score passages with a head on [CLS] beside the span heads; here that
head is the cross-encoder's own (pooler + classifier), kept from the base model, so the
network starts out as exactly the shipped reranker and learns to read beside it. A
distillation term toward the cross-encoder's scores (train.teacher) keeps its ranking skill
while the encoder is fine-tuned for spans (RocketQAv2's idea, pointwise here).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import BertConfig, BertModel, BertPreTrainedModel
from transformers.utils import ModelOutput


@dataclass
class ReaderRankerOutput(ModelOutput):
    loss: torch.Tensor | None = None
    start_logits: torch.Tensor | None = None
    end_logits: torch.Tensor | None = None
    relevance: torch.Tensor | None = None  # one logit per window, the cross-encoder's scale


class BertReaderRanker(BertPreTrainedModel):
    takes_teacher = True  # train.run passes the distillation targets to this model only

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=True)
        self.qa_outputs = torch.nn.Linear(config.hidden_size, 2)
        self.classifier = torch.nn.Linear(config.hidden_size, 1)
        self.post_init()

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        start_positions=None,
        end_positions=None,
        teacher=None,
        distill_weight: float = 0.0,
    ) -> ReaderRankerOutput:
        out = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        )
        start, end = self.qa_outputs(out.last_hidden_state).split(1, dim=-1)
        start, end = start.squeeze(-1).contiguous(), end.squeeze(-1).contiguous()
        relevance = self.classifier(out.pooler_output).squeeze(-1)
        loss = None
        if start_positions is not None and end_positions is not None:
            ce = torch.nn.functional.cross_entropy
            loss = (ce(start.float(), start_positions) + ce(end.float(), end_positions)) / 2
            if teacher is not None and distill_weight:
                loss = loss + distill_weight * torch.nn.functional.mse_loss(
                    relevance.float(), teacher.float()
                )
        return ReaderRankerOutput(loss, start, end, relevance)
