"""Shapes of evaluations, process notes and complaints, as forms send them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from duidingspool.results.models import DECIDED, TEXT_LENGTH, ComplaintKind


class EvaluationSchema(Schema):
    usefulness = fields.Integer(required=True, strict=False, validate=validate.Range(1, 5))
    on_time = fields.Boolean(required=True)
    prepared = fields.Boolean(required=True)
    remark = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=TEXT_LENGTH))


class ProcessNoteSchema(Schema):
    follow_up_advised = fields.Boolean(load_default=False)
    written_advice_sent = fields.Boolean(load_default=False)


class ComplaintSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ComplaintKind]))
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=TEXT_LENGTH))


class AnswerSchema(Schema):
    answer = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_LENGTH))


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf([d.value for d in DECIDED]))
    decision_note = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(max=TEXT_LENGTH))
